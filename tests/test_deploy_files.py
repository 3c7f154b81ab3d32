"""The Dockerfile and compose.yaml keep their promises: non-root, a data volume, no secret baked in, a working health check."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from bot.config import SCHEMA, SECRET_NAMES, SECRET_WORDS
from tests.test_process import running

ROOT = Path(__file__).resolve().parents[1]
SECRETS = (*SECRET_NAMES, "PHOSPHORE_DATABASE_URL", "POSTGRES_PASSWORD")  # a DSN carries its password


def instructions(path: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions as (KEYWORD, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "") for line in lines]


def env_keys(steps: list[tuple[str, str]]) -> dict[str, str]:
    """Every variable ENV or ARG sets, with its value."""
    found: dict[str, str] = {}
    for keyword, args in steps:
        if keyword in ("ENV", "ARG"):
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", args):
                found[key] = value
    return found


def test_the_image_runs_as_a_user_with_its_data_on_a_volume() -> None:
    """A slim official Python, a non-root USER after the last RUN, /data a volume holding the SQLite file."""
    steps = instructions(ROOT / "Dockerfile")
    [base] = [args for keyword, args in steps if keyword == "FROM"]
    assert re.fullmatch(r"python:3\.1[12]-slim", base)
    keywords = [keyword for keyword, _ in steps]
    user = max(i for i, keyword in enumerate(keywords) if keyword == "USER")
    assert user > max(i for i, keyword in enumerate(keywords) if keyword == "RUN"), "commands after USER run as root"
    assert steps[user][1].split(":")[0] not in ("root", "0")
    [volume] = [args for keyword, args in steps if keyword == "VOLUME"]
    assert "/data" in volume
    assert env_keys(steps)["PHOSPHORE_DB"].startswith("/data/")


def test_no_secret_is_baked_into_the_image() -> None:
    """No ENV or ARG names a token, secret or password, and the build context leaves local files out."""
    keys = env_keys(instructions(ROOT / "Dockerfile"))
    assert keys, "the Dockerfile sets its settings through ENV"
    for key in keys:
        assert key not in SECRETS and not any(word in key.lower() for word in SECRET_WORDS), key
        assert key in ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED") or key.startswith(("PIP_", "PHOSPHORE_")), key
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert next(line for line in ignore if line and not line.startswith("#")) == "*", "the context is an allow-list"
    assert not any(line.startswith("!") and (".env" in line or ".db" in line) for line in ignore)


def test_the_health_check_probes_healthz_on_the_ops_port() -> None:
    """HEALTHCHECK fetches /healthz on the port the image sets for it, a port the settings know."""
    steps = instructions(ROOT / "Dockerfile")
    port = env_keys(steps)["PHOSPHORE_OPS_PORT"]
    assert SCHEMA["ops.port"][2] == "PHOSPHORE_OPS_PORT"
    [check] = [args for keyword, args in steps if keyword == "HEALTHCHECK"]
    assert f"127.0.0.1:{port}/healthz" in check
    assert port in next(args for keyword, args in steps if keyword == "EXPOSE").split()


def test_compose_takes_every_secret_from_the_environment() -> None:
    """In compose.yaml each secret is `${NAME…}` from the environment or .env, never a value written there."""
    text = (ROOT / "compose.yaml").read_text(encoding="utf-8")
    live = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    for name in SECRETS:
        values = [line.split(":", 1)[1].strip() for line in live if line.strip().startswith(f"{name}:")]
        assert values, f"{name} is not passed to the containers"
        for value in values:
            assert value.startswith("${" + name), f"{name} has a value written in compose.yaml: {value}"
    assert "postgres:" in text and "image: postgres:" in text
    assert re.search(r"^  bot:\n", text, re.MULTILINE)


def test_the_image_health_check_passes_against_a_running_bot(tmp_path: Path) -> None:
    """`phosphore run` with the ops port set: the Dockerfile's own HEALTHCHECK command succeeds, /metrics counts."""
    [check] = [args for keyword, args in instructions(ROOT / "Dockerfile") if keyword == "HEALTHCHECK"]
    command = json.loads(check.split(" CMD ", 1)[1])
    with socket.socket() as probe:  # a free port for the ops server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable if part == "python" else part.replace(":9464/", f":{port}/") for part in command]
    with running(tmp_path / "p.db", PHOSPHORE_OPS_PORT=str(port), PHOSPHORE_OPS_HOST="127.0.0.1",
                 PHOSPHORE_WEB_ENABLED="false") as bot:  # fmt: skip
        bot.type('/poll create "Q ?" "A" "B"', "/as bob", "/click 1")
        bot.wait_for("1 votant ·")
        assert subprocess.run(command, capture_output=True, timeout=30).returncode == 0
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            assert 'phosphore_votes_total{platform="console"} 1.0' in response.read().decode()
        bot.process.send_signal(signal.SIGTERM)
        code, _rest, err = bot.finish()
    assert code == 0, err
    assert subprocess.run(command, capture_output=True, timeout=30).returncode != 0  # nothing answers any more
