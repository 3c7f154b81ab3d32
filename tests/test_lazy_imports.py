"""What only one command needs is imported when that command runs, not at start-up."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_COMMAND_ONLY = ("icalendar", "segno", "matplotlib")  # /event ics; the projector QR code; /report charts

CHILD = """
import sys
from bot.cli import main

code = main(["--db", sys.argv[1], "run"])
print("loaded:", sorted(name for name in sys.argv[2:] if name in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def free_port() -> int:
    """A TCP port nobody listens on now (the live pages start with the console)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_console_starts_and_serves_without_importing_one_command_libraries(tmp_path: Path) -> None:
    """Start the console with its web pages, create a poll and an event, quit: no icalendar, no QR library."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "PHOSPHORE_"))}
    env["PHOSPHORE_WEB_PORT"] = str(free_port())
    lines = '/poll create "Q ?" "A" "B"\n/event create "Journée" --start "demain 10h" --end 17h --onsite 5\n/quit\n'
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(tmp_path / "lazy.db"), *ONE_COMMAND_ONLY],
        input=lines, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "#1 · Journée" in done.stdout  # the commands ran
    assert "loaded: []" in done.stderr
