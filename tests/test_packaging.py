"""Packaging and the command line's surface: license, build requirements, --version, options anywhere."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def phosphore(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` as a person would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=60)  # fmt: skip


def project() -> dict[str, object]:
    """pyproject.toml."""
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_license_is_an_spdx_expression_with_its_file() -> None:
    """`license = "MIT"` with license-files; the LICENSE file is the MIT text for the contributors."""
    meta = project()["project"]
    assert isinstance(meta, dict)
    assert meta["license"] == "MIT" and meta["license-files"] == ["LICENSE"]
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c)" in text and "The Phosphore contributors" in text
    assert "Permission is hereby granted, free of charge" in text
    assert not any(c.startswith("License ::") for c in meta["classifiers"])  # the expression replaces them
    assert "Programming Language :: Python :: 3.11" in meta["classifiers"]


def test_build_requirements_are_bounded() -> None:
    """setuptools new enough for SPDX licenses, and capped so that a future major cannot break the build."""
    requires = project()["build-system"]["requires"]  # type: ignore[index]
    setuptools = next(r for r in requires if r.startswith("setuptools"))
    assert ">=77" in setuptools and "<" in setuptools.replace("<=", "")


def test_version() -> None:
    """`phosphore --version` prints the installed version."""
    result = phosphore("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"phosphore {project()['project']['version']}"  # type: ignore[index]


def test_db_and_config_after_the_subcommand(tmp_path: Path) -> None:
    """`--db` and `--config` work before or after the subcommand, at any level."""
    db, config = tmp_path / "x.db", tmp_path / "p.toml"
    config.write_text('[bot]\nlocale = "en"\n', encoding="utf-8")
    assert phosphore("migrate", "--db", str(db)).returncode == 0 and db.exists()
    run = phosphore("run", "--db", str(db), "--config", str(config), stdin='/poll create "Q ?" "A" "B"\n')
    assert run.returncode == 0 and "#1 · Q ?" in run.stdout and "You are alice" in run.stdout, run.stderr
    for args in (["export", "poll", "1", "--db", str(db)], ["export", "--db", str(db), "poll", "1"],
                 ["--db", str(db), "export", "poll", "1"]):  # fmt: skip
        result = phosphore(*args)
        assert result.returncode == 0 and "Q ?" in result.stdout, (args, result.stderr)
    checked = phosphore("check-config", "--config", str(config))
    assert "bot.locale = 'en'" in checked.stdout, checked.stderr


def test_the_sdist_carries_and_passes_its_tests(tmp_path: Path) -> None:
    """The source distribution ships the whole tests tree and config/: its suite collects and a test passes."""
    source, dist, unpacked = tmp_path / "source", tmp_path / "dist", tmp_path / "unpacked"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", "build",
                                                                "dist", ".pytest_cache", "*.db*"))  # fmt: skip
    dist.mkdir()
    built = subprocess.run([sys.executable, "-c", f"from setuptools import build_meta; print(build_meta.build_sdist({str(dist)!r}))"],
                           cwd=source, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert built.returncode == 0, built.stderr
    with tarfile.open(dist / built.stdout.strip().splitlines()[-1]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        archive.extractall(unpacked, filter="data")
    expected = {"LICENSE", "Procfile", "README.md", "CONTRIBUTING.md", "config/phosphore.example.toml", "config/slack-manifest.yml",
                "tests/conftest.py", "tests/helpers.py", "tests/fakes/slack_api.py", "tests/fakes/discord_api.py",
                "tests/scripts/vote_burst.py", "tests/test_packaging.py", "bot/store/migrations/0001_core.sql", "bot/features/polls/migrations/0001_polls.sql"}  # fmt: skip
    assert expected <= names, expected - names
    assert not any("__pycache__" in name or name.endswith(".pyc") for name in names)
    root = next(unpacked.iterdir())
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    suite = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--collect-only"],
                           cwd=root, capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert suite.returncode == 0 and " error" not in suite.stdout.splitlines()[-1], suite.stdout[-2000:]
    one = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "tests/test_config_cli.py::test_example_config_is_valid_and_documents_every_setting"],
                         cwd=root, capture_output=True, text=True, env=env, timeout=300)  # fmt: skip
    assert one.returncode == 0 and "1 passed" in one.stdout, one.stdout[-2000:]
