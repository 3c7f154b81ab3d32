"""bench/scale.py keeps running against the current code: its smoke run builds, migrates and measures every kind."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REQUESTS = (
    "/poll results 1",
    "vote (click, a new voter)",
    "live card re-render (tally + edit)",
    "/poll export 1",
    "/idea top",
    "/idea list",
    "/idea list, last page",
    "/idea submit (a new author)",
    "like (click, a new member)",
    "/idea export",
    "/idea wall close (and its cards' edits)",
    "first start (plans every event)",
    "restart (every event planned)",
    "reminder fan-out",
    "stop a second into a paced fan-out",
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """bench/scale.py with `args`, from the project's root."""
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "scale.py"), *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_quick_run_prints_a_table_per_request_with_every_size() -> None:
    """Every request's table has a median and a stall per size; exports their memory, the fan-out its commits."""
    done = run("--quick")
    assert done.returncode == 0, done.stderr
    tables = {block.split("  (")[0]: block for block in done.stdout.split("\n\n")}
    for request in REQUESTS:
        assert request in tables, f"no table for {request!r} in:\n{done.stdout}"
        median = re.search(r"time ms, median +(\S+) +(\S+)$", tables[request], re.MULTILINE)
        assert median is not None, tables[request]
        assert "longest loop stall ms" in tables[request]
    assert "longest read wait ms" in tables["/idea top"]
    for export in ("/poll export 1", "/idea export"):
        assert "peak Python memory MB" in tables[export]
    commits = re.search(r"commits, median +([\d,]+) +([\d,]+)$", tables["reminder fan-out"], re.MULTILINE)
    assert commits is not None and int(commits[2].replace(",", "")) > 0


def test_only_keeps_the_kinds_asked_for() -> None:
    """`--only` runs the kinds named and refuses an unknown one."""
    done = run("--quick", "--only", "fanout")
    assert done.returncode == 0, done.stderr
    assert "reminder fan-out" in done.stdout and "/poll" not in done.stdout and "/idea" not in done.stdout
    refused = run("--only", "polls,votes")
    assert refused.returncode == 2 and "unknown kind votes" in refused.stderr
