"""Bot processes a test or a bench drives: tests/scripts/pg_process.py in a role, on a PostgreSQL schema."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "tests" / "scripts" / "pg_process.py"


class Child:
    """A bot process the test drives: lines to its stdin, its stdout read line by line with a deadline."""

    def __init__(self, url: str, log: Path, *role: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, str(SCRIPT), url, str(log), *role],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._expected: set[int] = set()  # indexes in `seen` of the lines `expect` returned
        self._ended = False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("")  # the process ended

    def expect(self, prefix: str, timeout: float = 60.0) -> str:
        """The first line starting with `prefix` not expected yet, waiting for it; every line read is kept in `seen`."""
        deadline = time.monotonic() + timeout
        while True:
            for index, line in enumerate(self.seen):
                if index not in self._expected and line.startswith(prefix):
                    self._expected.add(index)
                    return line
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            if not line:
                self._ended = True
                raise AssertionError(f"the process ended before {prefix!r}; it said {self.seen}")
            self.seen.append(line)

    def _read_to_end(self) -> None:
        """Keep in `seen` what the ended process printed and was not read yet."""
        while not self._ended:
            line = self.lines.get(timeout=10)
            self._ended = not line
            if line:
                self.seen.append(line)

    def say(self, line: str) -> None:
        """Write a line to the process."""
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def finish(self) -> None:
        """Ask for a clean stop and wait for it."""
        if self.process.poll() is None:
            self.say("stop")
        assert self.process.wait(timeout=60) == 0
        self._read_to_end()

    def kill(self) -> None:
        """End the process however it is; what it printed is in `seen`."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        self._read_to_end()
