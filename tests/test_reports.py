"""Event reports: figures checked against a scenario with known numbers, charts with their CSV, both languages."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image

from bot.app import App
from bot.cli import main
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.ports import Capabilities
from bot.features.events.domain import Event, EventDraft, SignupRequest
from bot.features.reports.commands import CHAT_FILES_MAX, render_event
from bot.features.reports.domain import ReportService
from bot.i18n import Translator
from bot.store.sqlite.rows import to_iso
from bot.ui import Attachment, Reply
from tests.helpers import SPACE, START, ConsoleSession, Session, make_settings, running_app
from tests.test_live_engage import action_of, posted
from tests.test_schedule import clock_of
from tests.test_surveys import event_with

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
STAFF = Member("console:alice", "alice", is_staff=True)


async def scenario(app: App, bot: Session) -> Event:
    """Event #1: 10 confirmed (m0 and m5 remote), one waiting; 6 of 8 on site checked in; a survey answered by 4."""
    ref = await event_with(app, 10, remote_every=5)
    event = await app.services.events.get(SPACE, ref)
    await app.services.db.write(
        lambda conn: conn.execute(
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, 'console:w1', 'onsite', 'waitlisted', 10, ?, ?)",
            (event.id, SPACE, to_iso(event.created_at), to_iso(event.created_at)),
        )
    )
    clock_of(app).set(event.starts_at + timedelta(minutes=5))
    for member in ("m1", "m2", "m3", "m4", "m6", "m7"):
        assert "présent" in ((await bot.say(f"/event present 1 console:{member}")).text or "")
    # The recording platform plays the console, which reads members' messages (the live thread needs it).
    app.services.delivery.register("console", bot.sent, Capabilities(inbound=True, edits=True))
    assert "#1" in ((await bot.say("/live start 1")).text or "")
    assert "publié" in ((await bot.say('/live poll "Quel format ?" "Atelier" "Table ronde"')).text or "")
    await bot.settle()
    [(_space, _channel, card)] = posted(bot, "Quel format ?")
    for member in ("m1", "m2", "m6"):  # on site, already present: voting changes no count
        await bot.as_(member).act(action_of(card, "Atelier"))
    await bot.as_("m1").say('idea submit "Un atelier vidéo"')
    await bot.as_("m2").say('idea submit "Des badges lisibles"')
    assert "#2" in ((await bot.say("idea status #2 retained")).text or "")
    clock_of(app).set(event.ends_at + timedelta(days=1))
    await bot.say('/survey create "Bilan"')
    await bot.say('/survey question #1 rating "La journée ?"')
    await bot.say('/survey question #1 nps "Recommanderiez-vous ?"')
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) >= 10)
    for member, score in (("m1", 5), ("m2", 4), ("m3", 4), ("m4", 3)):
        await bot.as_(member).say(f"/survey answer #1 1 {score}")
    for member in ("m1", "m2"):  # two answers only: never broken down
        await bot.as_(member).say("/survey answer #1 2 10")
    return event


def files_of(reply: Reply) -> dict[str, Attachment]:
    """A reply's files by name."""
    return {f.filename: f for f in reply.files}


def table(attachment: Attachment) -> list[list[str]]:
    """A CSV file's rows (French files: semicolons, BOM)."""
    return list(csv.reader(io.StringIO(attachment.content.decode("utf-8-sig")), delimiter=";"))


def opens_as_png(content: bytes) -> tuple[int, int]:
    """The size of a PNG image, which must open."""
    assert content.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(content)) as image:
        image.verify()
        return image.size


async def test_event_report_figures_match_the_scenario(app: App, bot: Session) -> None:
    """Presence by mode, no-shows, waitlist, the survey's rate and ratings, ideas: the CSVs hold the known numbers."""
    await scenario(app, bot)
    reply = await bot.say("/report event #1 --format csv")
    text = reply.text or ""
    assert "10 confirmés, 6 présents" in text
    assert "Absents : 2 (25 % des inscrits confirmés sur place)" in text
    assert "1 membre en attente" in text and "1 enquête envoyée" in text
    assert "Idées proposées sur la période : 2, dont 1 retenues" in text
    assert "Inscriptions et présence par mode. Sur place: confirmés 8, présents 6; À distance: confirmés 2" in text
    files = files_of(reply)
    assert table(files["event-1-presence_mode.csv"]) == [
        ["mode", "confirmés", "présents"], ["Sur place", "8", "6"], ["À distance", "2", "0"]
    ]  # fmt: skip
    assert table(files["event-1-presence_antenna.csv"])[1:] == [["Sans antenne", "10", "6"]]
    assert table(files["event-1-waitlist.csv"])[1] == ["Sur place", "1", "0"]
    assert table(files["event-1-survey_rates.csv"])[1] == ["#1 Bilan", "10", "4", "40"]
    ratings = table(files["event-1-rating_1_1.csv"])
    assert ratings == [["note", "réponses"], ["1", "0"], ["2", "0"], ["3", "1"], ["4", "2"], ["5", "1"]]
    assert {row[1] for row in table(files["event-1-nps_1_2.csv"])[1:]} == {"moins de 3"}
    assert table(files["event-1-ideas.csv"])[1] == ["Idées", "2", "1"]
    assert table(files["event-1-polls.csv"]) == [
        ["sondage", "votants", "part des confirmés (%)"], ["#1 Quel format ?", "3", "30"]
    ]  # fmt: skip
    assert not [name for name in files if not name.endswith(".csv")]


async def test_each_chart_opens_and_its_csv_holds_its_numbers(app: App, bot: Session) -> None:
    """Every PNG opens, carries its alt text, and has a CSV beside it; fewer than 3 answers get no chart."""
    await scenario(app, bot)
    service = app.units["reports"].service
    assert isinstance(service, ReportService)
    report = await service.event(SPACE, 1, None)
    rendered = render_event(report, Translator("fr"), ";", "png")
    files = files_of(Reply(files=rendered.files))
    pictures = sorted(name for name in files if name.endswith(".png"))
    assert pictures == [f"event-1-{name}.png" for name in
                        ("ideas", "polls", "presence_antenna", "presence_mode", "rating_1_1", "survey_rates", "waitlist")]  # fmt: skip
    for name in pictures:
        width, height = opens_as_png(files[name].content)
        assert width >= 400 and height >= 200
        assert files[name].alt_text and files[name].alt_text in rendered.text
        assert name.replace(".png", ".csv") in files
    assert "event-1-nps_1_2.csv" in files and "event-1-nps_1_2.png" not in files
    ratings = files["event-1-rating_1_1.png"].alt_text
    assert ratings.endswith("1: réponses 0; 2: réponses 0; 3: réponses 1; 4: réponses 2; 5: réponses 1.")


async def test_too_many_files_for_a_message_end_with_the_whole_page(app: App, bot: Session) -> None:
    """Charts and CSVs past what a message carries: the first nine files, then one page with every figure."""
    await scenario(app, bot)
    reply = await bot.say("/report event #1")
    names = [f.filename for f in reply.files]
    assert len(names) == CHAT_FILES_MAX and names[-1] == "event-1.html"
    assert "toutes les figures, avec leurs tableaux, sont dans la page event-1.html" in (reply.text or "")
    page = reply.files[-1].content.decode("utf-8")
    assert page.count("<table>") == 8 and page.count("<img ") == 7


async def test_english_report_and_html_page(app: App, bot: Session) -> None:
    """The same report in English, as one HTML page with the charts inline and their alt text."""
    await scenario(app, bot)
    reply = await bot.as_("alice", locale="en").say("/report event #1 --format html")
    assert "10 confirmed, 6 present" in (reply.text or "")
    [page] = reply.files
    assert page.filename == "event-1.html" and page.mime_type == "text/html"
    content = page.content.decode("utf-8")
    assert content.count('<img src="data:image/png;base64,') == 7
    assert (
        'alt="Sign-ups and presence by mode. On site: confirmed 8, present 6; Remote: confirmed 2, present 0."'
        in content
    )
    assert "fewer than 3" in content


async def test_members_cannot_see_reports(app: App, bot: Session) -> None:
    """A member asking for a report is refused, in their language."""
    await event_with(app, 3)
    assert "Seule l'équipe" in ((await bot.as_("m1").say("/report event #1")).text or "")
    assert "staff" in ((await bot.as_("m1", locale="en").say("/report event #1")).text or "")
    assert not (await bot.as_("m1").say("/report event #1")).files
    service = app.units["reports"].service
    assert isinstance(service, ReportService)
    with pytest.raises(UserError) as refused:  # the service checks too, whoever calls it
        await service.event(SPACE, 1, Member("console:m1", "m1"))
    assert refused.value.key == "report.staff_only"


async def test_anonymous_survey_names_nobody_in_the_report(app: App, bot: Session) -> None:
    """An anonymous survey's report carries counts only: no member appears in any file."""
    ref = await event_with(app, 4)
    event = await app.services.events.get(SPACE, ref)
    clock_of(app).set(event.ends_at + timedelta(hours=1))
    await bot.say('/survey create "Bilan" --anonymous')
    await bot.say('/survey question #1 rating "Note ?"')
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) >= 4)
    for member in ("m0", "m1", "m2"):
        await bot.as_(member).say("/survey answer #1 1 4")
    reply = await bot.say("/report event #1 --format csv")
    everything = (reply.text or "") + "".join(f.content.decode("utf-8-sig") for f in reply.files)
    assert "m0" not in everything and "m1" not in everything
    assert table(files_of(reply)["event-1-rating_1_1.csv"])[4] == ["4", "3"]


async def test_console_writes_the_pictures_to_files(tmp_path: Path) -> None:
    """The console cannot show a picture: it writes each one in its folder and prints the path; CSVs are printed."""
    folder = tmp_path / "files"
    async with running_app(make_settings(tmp_path / "c.db", console__files=str(folder))) as app:
        bot, console = Session(app), ConsoleSession(app)
        await event_with(app, 3)
        await bot.say("/event list")
        printed = await console.say("/report event 1")
    assert f"📎 {folder / 'event-1-presence_mode.png'}" in printed
    assert "📎 event-1-presence_mode.csv" in printed and "Sur place;3;0" in printed
    opens_as_png((folder / "event-1-presence_mode.png").read_bytes())


def test_cli_writes_the_report_files(tmp_path: Path) -> None:
    """`phosphore report event 1 --out DIR` writes each chart and its CSV; --format html writes one page."""
    db = tmp_path / "cli.db"
    assert main(["--db", str(db), "migrate"]) == 0

    async def fill() -> None:
        async with running_app(make_settings(db)) as app:
            await event_with(app, 3)

    asyncio.run(fill())
    out = tmp_path / "out"
    assert main(["--db", str(db), "report", "event", "1", "--out", str(out)]) == 0
    names = sorted(path.name for path in out.iterdir())
    assert "event-1-presence_mode.png" in names and "event-1-presence_mode.csv" in names
    opens_as_png((out / "event-1-presence_mode.png").read_bytes())
    assert "Sur place;3;0" in (out / "event-1-presence_mode.csv").read_text(encoding="utf-8-sig")
    assert main(["--db", str(db), "report", "event", "1", "--format", "html", "--out", str(out)]) == 0
    assert (out / "event-1.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    assert main(["--db", str(db), "report", "event", "9", "--out", str(out)]) == 1


async def event_of(app: App, days: int, members: tuple[str, ...]) -> Event:
    """An event `days` after the test start, with these members confirmed on site."""
    starts = START + timedelta(days=days)
    draft = EventDraft(f"Journée {days}", starts, starts + timedelta(hours=6), onsite_capacity=50)
    event = await app.services.events.create(SPACE, "general", STAFF, draft)
    rows = [(event.id, SPACE, f"console:{name}", "onsite", "confirmed", i, to_iso(START), to_iso(START))
            for i, name in enumerate(members)]  # fmt: skip
    await app.services.db.write(
        lambda conn: conn.executemany(
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    )
    return event


async def test_community_report_follows_members_across_events(app: App, bot: Session) -> None:
    """Two events took place (a third is ahead): newcomers, members who came back, presence, event by event."""
    first = await event_of(app, 3, ("m0", "m1", "m2", "m3"))
    await event_of(app, 10, ("m2", "m3", "m4", "m5"))
    await event_of(app, 40, ("m0", "m6"))  # not yet: left out
    for member in ("m0", "m1"):
        await app.services.events.checkins.check_in(SPACE, first.id, f"console:{member}", member, "staff",
                                                    first.starts_at)  # fmt: skip
    clock_of(app).set(START + timedelta(days=20))
    reply = await bot.say("/report community --format csv")
    text = reply.text or ""
    assert "2 événements ont eu lieu" in text
    assert "6 membres confirmés au moins une fois ; 2 sont venus à deux événements ou plus" in text
    files = files_of(reply)
    assert table(files["community-trend.csv"])[1:] == [["#1 2026-06-04", "4", "2"], ["#2 2026-06-11", "4", "0"]]
    assert table(files["community-members.csv"]) == [
        ["événement", "nouveaux", "revenus"], ["#1 2026-06-04", "4", "0"], ["#2 2026-06-11", "2", "2"]
    ]  # fmt: skip
    english = await bot.as_("alice", locale="en").say("/report community")
    assert "2 events took place" in (english.text or "")
    assert opens_as_png(files_of(english)["community-trend.png"].content)[0] >= 400


def test_cli_writes_the_community_report(tmp_path: Path) -> None:
    """`phosphore report community --format csv` writes the trend's CSV."""
    db = tmp_path / "cli.db"
    assert main(["--db", str(db), "migrate"]) == 0
    assert main(["--db", str(db), "report", "community", "--format", "csv", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "community-trend.csv").read_text(encoding="utf-8-sig").startswith("événement;confirmés")


async def test_event_report_counts_waitlist_moves(app: App, bot: Session) -> None:
    """One place, three waiting: one leaves, the place is freed, an offer expires, the next is confirmed."""
    starts = START + timedelta(days=3)
    draft = EventDraft("Atelier", starts, starts + timedelta(hours=2), onsite_capacity=1, confirm_hours=2)
    event = await app.services.events.create(SPACE, "general", STAFF, draft)
    members = {name: Member(f"console:{name}", name) for name in ("a", "b", "c", "d")}
    for member in members.values():
        await app.services.events.join(SPACE, member, event.id, SignupRequest("onsite"))
    await app.services.events.withdraw(SPACE, members["d"], event.id)
    await app.services.events.withdraw(SPACE, members["a"], event.id)
    clock_of(app).set(clock_of(app).now() + timedelta(hours=3))
    await app.services.events.expire_offers()
    await app.services.events.confirm(SPACE, members["c"], event.id)
    reply = await bot.say("/report event #1 --format csv")
    assert "enregistrés depuis cette version" in (reply.text or "")
    assert table(files_of(reply)["event-1-waitlist_moves.csv"]) == [
        ["mouvement", "fois"],
        ["Mis en liste d’attente", "3"],
        ["Montés de la liste (place ou proposition)", "2"],
        ["Confirmés après une proposition", "1"],
        ["Propositions expirées", "1"],
        ["Sortis de la liste d’attente", "1"],
    ]
    english = await bot.as_("alice", locale="en").say("/report event #1 --format html")
    assert "Waitlist movements. Put on the waitlist: times 3; Moved up from it (a place or an offer): times 2;" in (
        english.text or ""
    )
