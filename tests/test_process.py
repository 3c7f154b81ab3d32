"""The `phosphore run` process: signals, a second process on the same file."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Running:
    """A `phosphore run` console process whose stdin stays open; its stdout read line by line."""

    def __init__(self, db: Path, **env: str) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "--db", str(db), "run"], cwd=ROOT, env={**clean, **env},
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1,
        )  # fmt: skip
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def type(self, *lines: str) -> None:
        """Type lines into the console."""
        assert self.process.stdin is not None
        self.process.stdin.write("".join(f"{line}\n" for line in lines))
        self.process.stdin.flush()

    def wait_for(self, text: str, timeout: float = 30) -> None:
        """Wait until a printed line contains `text`."""
        while not any(text in line for line in self.seen):
            try:
                self.seen.append(self.lines.get(timeout=timeout))
            except queue.Empty:
                raise AssertionError(f"{text!r} not printed; got {self.seen}") from None

    def finish(self, timeout: float = 30) -> tuple[int, str, str]:
        """Wait for the exit (stdin still open); exit code, the rest of stdout, stderr."""
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the process did not exit") from None
        assert self.process.stderr is not None
        err = self.process.stderr.read()
        self._reader.join(timeout=timeout)  # the process has exited: stdout reaches its end
        rest = []
        while not self.lines.empty():
            rest.append(self.lines.get())
        return self.process.returncode, "".join(rest), err


@contextmanager
def running(db: Path, **env: str) -> Iterator[Running]:
    """A running process, killed if the test leaves it running."""
    bot = Running(db, **env)
    try:
        yield bot
    finally:
        if bot.process.poll() is None:
            bot.process.kill()
        bot.process.wait(timeout=30)
        for stream in (bot.process.stdin, bot.process.stdout, bot.process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_shuts_down_cleanly(tmp_path: Path, signum: signal.Signals) -> None:
    """SIGTERM (docker stop, systemd, Heroku) or SIGINT lets the pending live-card edit land, then exits 0."""
    # After a first edit, the next one waits for the interval: SIGTERM comes well before it.
    with running(tmp_path / "p.db", PHOSPHORE_LIVE_UPDATE_INTERVAL="5") as bot:
        bot.type('/poll create "Q ?" "A" "B"', "/as bob", "/click 1")
        bot.wait_for("1 votant ·")
        bot.type("/as carol", "/click 2")
        bot.wait_for("Vos choix : B.")
        bot.process.send_signal(signum)
        code, rest, err = bot.finish()
    assert code == 0, err
    assert not any("2 votants" in line for line in bot.seen)
    assert "↻ #1 · Q ? — 2 votants" in rest and "Traceback" not in err, (rest, err)


def test_a_second_process_on_the_same_database_is_refused(tmp_path: Path) -> None:
    """One bot per SQLite file: a second `run` exits 1 saying why; a read-only export still works meanwhile."""
    db = tmp_path / "p.db"
    with running(db) as first:
        first.type('/poll create "Q ?" "A" "B"')
        first.wait_for("#1 · Q ?")
        with running(db) as second:
            code, _, err = second.finish()
        assert code == 1 and f"another phosphore process is running on {db}" in err, err
        export = subprocess.run([sys.executable, "-m", "bot", "--db", str(db), "export", "poll", "1"], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        assert export.returncode == 0 and "Q ?" in export.stdout, export.stderr
        first.process.send_signal(signal.SIGTERM)
        assert first.finish()[0] == 0
    with running(db) as again:  # the lock goes with the process
        again.wait_for("Phosphore — console")
        again.process.send_signal(signal.SIGTERM)
        assert again.finish()[0] == 0


def test_the_procfile_runs_one_process_for_both_platforms() -> None:
    """Two process types would be two processes on one SQLite file (or two throwaway disks)."""
    lines = [line for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert lines == ["web: phosphore run --adapter slack,discord"]
