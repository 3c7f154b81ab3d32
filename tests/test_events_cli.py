"""`phosphore export attendees|ics EVENT` and the create form."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from bot.app import App
from bot.cli import main
from bot.core.model import Invocation, Member
from tests.helpers import Session, make_settings, member, running_app

SPACE = "console:local"


async def _seed(db: Path) -> None:
    """An event with two members signed up, one of them named like a formula."""
    async with running_app(make_settings(db)) as app:
        bot = Session(app)
        reply = await bot.say('/event create "Rencontre" --start "30 juin 9h30" --end 17h --onsite 1')
        assert reply.public, reply.text
        for key, name in (("bob", "bob"), ("eve", "=cmd|' /C calc'!A0")):
            await bot.as_(Member(f"console:{key}", name)).act("event:join:1:onsite")


def test_cli_exports_attendees_and_ics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The CSV lists members with their status, formulas defused; the .ics parses back in UTC."""
    db = tmp_path / "p.db"
    asyncio.run(_seed(db))
    assert main(["--db", str(db), "export", "attendees", "#1"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out.removeprefix("\ufeff")), delimiter=";"))
    assert [(r["name"], r["status"]) for r in rows] == [("bob", "confirmed"), ("'=cmd|' /C calc'!A0", "waitlisted")]
    out = tmp_path / "e.ics"
    assert main(["--db", str(db), "export", "ics", "1", "-o", str(out)]) == 0
    (vevent,) = icalendar.Calendar.from_ical(out.read_bytes()).walk("VEVENT")
    assert vevent.decoded("dtstart") == datetime(2026, 6, 30, 7, 30, tzinfo=UTC)
    assert main(["--db", str(db), "export", "ics", "9"]) == 1
    assert "Aucun événement #9" in capsys.readouterr().err


async def test_create_without_arguments_opens_a_five_input_form(app: App, bot: Session) -> None:
    """On platforms with forms, /event create alone opens a modal (Discord allows five inputs)."""
    reply = await app.dispatcher.invoke(Invocation(SPACE, "general", member("alice", staff=True), "event create",
                                                   {}, "fr", can_open_modal=True))  # fmt: skip
    assert reply.modal is not None and reply.modal.action_id == "cmd:event.create"
    assert [i.id for i in reply.modal.inputs] == ["title", "start", "end", "onsite", "remote"]
    submitted = await bot.act("cmd:event.create", fields={"title": "Atelier", "start": "30 juin 14h", "end": "18h30",
                                                          "onsite": "20", "remote": "illimité"})  # fmt: skip
    assert submitted.public and "18:30 (Europe/Paris)" in (submitted.text or "")
    bad = await bot.act("cmd:event.create", fields={"title": "X", "start": "30 juin 14h", "end": "30 juin 12h"})
    assert bad.field_errors.keys() == {"end"}
