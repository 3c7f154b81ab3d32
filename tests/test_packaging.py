"""Packaging and the command line's surface: license, build requirements, --version, options anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
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
