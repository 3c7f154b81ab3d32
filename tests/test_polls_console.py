"""The poll feature end to end through the console adapter: the scripted session of the issue."""

from __future__ import annotations

import csv
import io

from bot.app import App
from tests.helpers import ConsoleSession


async def test_scripted_session_counts_changes_and_export(app: App, console: ConsoleSession) -> None:
    """Three members vote (one moves, one toggles off); results, close, late click and CSV agree."""
    out = await console.say('/poll create "Quel trimestre ?" "Octobre-décembre" "Janvier-mars" "Avril-juin"')
    assert "#1 · Quel trimestre ?" in out and "[2] Janvier-mars  [3] Avril-juin" in out
    await console.say("/as bob", "/click 1", "/as carol", "/click 2", "/as dave", "/click 1")
    out = await console.say("/click 3")  # dave moves his single vote
    assert "Avril-juin" in out and "(privé)" in out
    out = await console.say("/as erin", "/click 1", "/click 1")  # erin toggles off
    assert "vous n'avez plus aucun choix" in out
    out = await console.say("/poll results 1")
    assert "Octobre-décembre" in out
    lines = {line.split()[1]: line for line in out.splitlines() if line.startswith("│ ") and "%" in line}
    assert lines["Octobre-décembre"].split()[-2:] == ["1", "33%"]
    assert lines["Janvier-mars"].split()[-2:] == ["1", "33%"]
    assert lines["Avril-juin"].split()[-2:] == ["1", "33%"]
    assert "3 votants" in out
    out = await console.say("/as alice", "/poll close #1")
    assert "Résultats finaux · #1" in out
    out = await console.say("/as carol", "/click 2")
    assert "est clos" in out
    out = await console.say("/as alice", "/poll export 1")
    rows = list(csv.reader(io.StringIO(out.split("📎 poll-1.csv\n", 1)[1]), delimiter=";"))
    counts = {row[2]: int(row[3]) for row in rows[1:4]}
    assert counts == {"Octobre-décembre": 1, "Janvier-mars": 1, "Avril-juin": 1}
    voters = {row[0]: row[1] for row in rows[6:] if row}
    assert voters == {"bob": "Octobre-décembre", "carol": "Janvier-mars", "dave": "Avril-juin"}
