"""Start-up time and peak memory of `phosphore run` in console mode.

"Ready" is the moment the console prints its welcome line; memory is the child's peak RSS.
Run: .venv/bin/python bench/startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

ROOT = Path(__file__).resolve().parents[1]


def one_run(db: Path) -> tuple[float, float]:
    """Seconds until the welcome line, and peak RSS in MB, of one console start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_"))}
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bot", "--db", str(db), "run"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert child.stdout is not None and child.stdin is not None
    child.stdout.readline()
    ready = time.perf_counter() - started
    child.stdin.write('/poll create "Q ?" "A" "B"\n/click 1\n/quit\n')
    child.stdin.close()
    child.wait(timeout=30)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    return ready, peak_kb / 1024


def main() -> None:
    """Several starts on a fresh database each; medians."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    readies, peaks = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            ready, peak = one_run(Path(folder) / "s.db")
            readies.append(ready)
            peaks.append(peak)
    print(f"phosphore run (console), {args.runs} starts")
    print(f"  ready (welcome printed), median : {median(readies) * 1000:.0f} ms  (target <= 1000 ms)")
    print(f"  peak RSS, max over runs         : {max(peaks):.1f} MB  (target <= 60 MB)")


if __name__ == "__main__":
    main()
