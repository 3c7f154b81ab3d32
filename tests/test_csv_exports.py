"""Review 40: CSV exports open correctly in French and English spreadsheets: BOM, announced separator, safe cells."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.core.exports import to_csv
from bot.core.model import Member
from bot.ui import Reply
from tests.helpers import Session, make_settings, running_app

BOM = b"\xef\xbb\xbf"
FRENCH_NOTE = 'Colonnes séparées par « ; » (fichier UTF-8). Pour « , » : --sep ",".'
ENGLISH_NOTE = 'Columns separated by "," (UTF-8 file). For ";": --sep ";".'


def read(reply: Reply, sep: str) -> list[list[str]]:
    """The rows of a reply's CSV file, which must start with a BOM, read with the separator it announced."""
    (attachment,) = reply.files
    assert attachment.content.startswith(BOM) and attachment.mime_type == "text/csv"
    said = (reply.text or "").splitlines()[-1]
    assert said.startswith((f"Colonnes séparées par « {sep} »", f'Columns separated by "{sep}"')), said
    return list(csv.reader(io.StringIO(attachment.content.decode("utf-8-sig")), delimiter=sep))


async def formula_poll(bot: Session) -> None:
    """A poll whose question and options look like formulas, with a vote from a member named like one."""
    await bot.say('poll create "=HYPERLINK(1)" "+A" "@B"')
    await bot.as_(Member("console:eve", "-2+3")).act("poll:vote:1:0")


def test_to_csv_starts_with_a_bom_and_splits_on_the_separator() -> None:
    """Both separators: the BOM first, cells containing the separator quoted, formulas and decimals handled."""
    table: list[list[object]] = [["a", "b"], ["x;y", 1.5], ["=1+1", "z,w"]]
    for sep, decimal in ((";", "1,5"), (",", "1.5")):
        text = to_csv([table], sep)
        assert text.startswith("\ufeff")
        assert list(csv.reader(io.StringIO(text[1:]), delimiter=sep)) == [
            ["a", "b"],
            ["x;y", decimal],
            ["'=1+1", "z,w"],
        ]
    with pytest.raises(ValueError):
        to_csv([table], "|")


async def test_a_french_space_exports_with_semicolons_and_says_so(app: App, bot: Session) -> None:
    """/poll export: ";" by default in a French space, the reply says which; formula cells stay text."""
    await formula_poll(bot)
    reply = await bot.say("poll export 1")
    assert reply.text == f"Export du sondage #1 en CSV.\n{FRENCH_NOTE}"
    rows = read(reply, ";")
    assert rows[0] == ["poll", "question", "option", "votes", "percent_of_voters", "voters"]
    assert rows[1] == ["#1", "'=HYPERLINK(1)", "'+A", "1", "100,0", "1"]
    assert rows[5][:2] == ["'-2+3", "'+A"]


async def test_the_other_separator_on_request_in_either_language(app: App, bot: Session) -> None:
    """--sep "," (or --séparateur) gives commas; a separator that is neither is refused, translated."""
    await formula_poll(bot)
    reply = await bot.say('poll export 1 --sep ","')
    assert (reply.text or "").endswith('Colonnes séparées par « , » (fichier UTF-8). Pour « ; » : --sep ";".')
    assert read(reply, ",")[1] == ["#1", "'=HYPERLINK(1)", "'+A", "1", "100.0", "1"]
    assert read(await bot.say('sondage exporter 1 --séparateur ","'), ",")[1][4] == "100.0"
    refused = await bot.say('poll export 1 --sep "|"')
    assert not refused.files and refused.text == 'séparateur : choisissez parmi ";", ",".'
    refused = await bot.as_(locale="en").say('poll export 1 --sep "|"')
    assert not refused.files and refused.text == 'separator: choose one of ";", ",".'


async def test_an_english_space_exports_with_commas(tmp_path: Path) -> None:
    """The space's language picks the default: "," for English, announced in the reply."""
    async with running_app(make_settings(tmp_path / "en.db", bot__locale="en")) as app:
        bot = Session(app)
        await formula_poll(bot)
        reply = await bot.say("poll export 1")
        assert reply.text == f"Poll #1 exported as CSV.\n{ENGLISH_NOTE}"
        assert read(reply, ",")[1][:3] == ["#1", "'=HYPERLINK(1)", "'+A"]


async def test_every_export_command_takes_the_separator(app: App, bot: Session) -> None:
    """Ideas, attendees and feedback exports: BOM, the announced separator, guarded cells."""
    await bot.as_("bob").say('idea submit "=cmd|calc" --wall 0')
    ideas = await bot.say("idea export")
    assert read(ideas, ";")[1][3] == "'=cmd|calc"
    assert read(await bot.say('idea export --sep ","'), ",")[1][3] == "'=cmd|calc"
    await bot.say('event create "Rencontre" --start "30 juin 9h30" --end 17h --onsite 5')
    await bot.as_(Member("console:eve", "@eve")).act("event:join:1:onsite")
    attendees = await bot.say("event export 1")
    assert read(attendees, ";")[1][0] == "'@eve"
    assert read(await bot.say('event export 1 --sep ","'), ",")[1][0] == "'@eve"
    feedback = await bot.say('event feedback 1 --csv --sep ","')
    assert read(feedback, ",")[0][:3] == ["name", "member", "step"]
    assert read(await bot.say("event feedback 1 --csv"), ";")[0][:3] == ["name", "member", "step"]


def test_cli_exports_say_their_separator_and_take_sep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`phosphore export … [--sep]`: the file starts with a BOM and reads back with the separator it announced."""
    settings = make_settings(tmp_path / "cli.db")

    async def seed() -> None:
        async with running_app(settings) as app:
            bot = Session(app)
            await formula_poll(bot)
            await bot.as_("bob").say('idea submit "+33 6" --wall 0')
            await bot.say('event create "Rencontre" --start "30 juin 9h30" --end 17h --onsite 5')
            await bot.as_(Member("console:eve", "=eve")).act("event:join:1:onsite")

    asyncio.run(seed())
    db = str(settings.database)
    cases = [(["poll", "1"], 1, 1, "'=HYPERLINK(1)"), (["ideas"], 1, 3, "'+33 6"), (["attendees", "1"], 1, 0, "'=eve")]
    for args, row, column, cell in cases:
        for sep, flags in ((";", []), (",", ["--sep", ","]), (";", ["--sep", ";"])):
            out = tmp_path / "export.csv"
            assert main(["--db", db, "export", *args, *flags, "-o", str(out)]) == 0
            note = capsys.readouterr().err
            assert note.startswith(f"Colonnes séparées par « {sep} »"), note
            data = out.read_bytes()
            assert data.startswith(BOM)
            assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))[row][column] == cell
    assert main(["--db", db, "export", "ics", "1"]) == 0
    assert capsys.readouterr().err == ""  # a calendar file is no CSV: no separator to announce
