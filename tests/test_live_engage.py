"""Taking part in a live thread across two spaces: questions, polls, antennas, announcements, workshops, summary, export."""

from __future__ import annotations

import csv
import io
import logging
import re
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.model import Member
from bot.core.ports import Capabilities
from bot.features.live.commands import LiveDeps
from bot.features.live.engage import Engage
from bot.ui import Button, Card, Reply
from tests.helpers import START, Session, running_app
from tests.test_export_cli import phosphore

HOME, ANTENNA = "console:local", "console:nantes"
CODE = re.compile(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}")
DORA = Member("console:dora", "dora", is_staff=True)  # staff of the antenna's space


def engage_of(app: App) -> Engage:
    """The live feature's engagement service."""
    deps = app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    return deps.stage.engage


async def live_in_two_spaces(bot: Session, options: str = "--onsite 10 --remote 20") -> Session:
    """An event of the home space, its live thread in #general, joined from #antenne of another space (as dora)."""
    # The recording platform plays the console, which reads members' messages (the live thread needs it).
    bot.app.services.delivery.register("console", bot.sent, Capabilities(inbound=True, edits=True))
    await bot.say(f'/event create "Rencontre TMN" --start "1 juin 11h" --end "17h" {options}')
    started = await bot.say("/live start 1")
    code = CODE.search(started.text or "")
    assert code, started.text
    antenna = bot.as_(DORA, space=ANTENNA, channel="antenne")
    joined = await antenna.say(f"/live join {code.group(0)}")
    assert "suit maintenant" in (joined.text or ""), joined.text
    return antenna


async def sent(bot: Session) -> None:
    """Wait until what the thread queued has been posted (the relay's senders are idle) and cards edited."""
    deps = bot.app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    await deps.stage.relay.idle()
    await bot.settle()


def posted(bot: Session, title: str) -> list[tuple[str, str, Card]]:
    """(space, channel, card) of the posts whose card title contains `title`, in order."""
    return [(space, channel, r.card) for space, channel, r in bot.sent.posts if r.card and title in r.card.title]


def latest(bot: Session, space: str, title: str) -> Card:
    """The newest state of the card about `title` shown in `space` (its last edit, else as posted)."""
    edits = [card for ref, card in bot.sent.edits if ref.space == space and title in card.title]
    if edits:
        return edits[-1]
    return [card for s, _c, card in posted(bot, title) if s == space][-1]


def action_of(card: Card, label: str) -> str:
    """The action id of a button of a card."""
    return next(c.action_id for c in card.controls if isinstance(c, Button) and label in c.label)


def texts(bot: Session) -> list[tuple[str, str | None, str]]:
    """(space, thread, text) of the plain messages posted, in order."""
    return [(space, r.thread, r.text) for space, _c, r in bot.sent.posts if r.text and r.public]


def said(reply: Reply) -> str:
    """A reply's text."""
    return reply.text or ""


async def test_questions_are_ranked_toggled_and_marked_answered(app: App, bot: Session) -> None:
    """Upvotes from both spaces count once per member, a second click takes it back, staff mark answered."""
    antenna = await live_in_two_spaces(bot)
    assert "n°1 est publiée" in said(await bot.as_("bob").say('/live ask "Quel calendrier ?"'))
    await antenna.as_("carla").say('/live ask "Et les antennes ?"')
    await bot.as_("erin").say('/live ask "Où sont les slides ?"')
    await sent(bot)
    cards = posted(bot, "Question n°2")
    assert [space for space, _c, _card in cards] == [HOME, ANTENNA]  # one copy per attached thread
    upvote2 = action_of(cards[0][2], "soutiens")
    upvote1 = action_of(posted(bot, "Question n°1")[1][2], "soutiens")  # clicked on the antenna's copy
    assert "(1 soutien" in said(await bot.as_("bob").act(upvote2))
    assert "(2 soutiens" in said(await antenna.as_("carla").act(upvote2))
    await antenna.as_("carla").act(upvote1)
    await bot.as_("erin").act(upvote1)
    assert "ne soutenez plus" in said(await bot.as_("erin").act(upvote1))  # toggled back
    await bot.settle()
    for space in (HOME, ANTENNA):
        assert (latest(bot, space, "Question n°2").footer or "").startswith("▲ 2 soutiens")
    top = (await bot.as_("erin").say("/live questions")).card
    assert top is not None and [line[:13] for line in top.text[0].split("\n")] == [
        "n°2 · ▲ 2 · E", "n°1 · ▲ 1 · Q", "n°3 · ▲ 0 · O",
    ]  # fmt: skip
    assert "Seule l'équipe" in said(await bot.as_("bob").say("/live answered 2"))
    assert "Seule l'équipe" in said(await bot.as_("bob").act(action_of(cards[0][2], "Répondue")))
    assert "n°2 marquée répondue" in said(await antenna.act(action_of(cards[1][2], "Répondue")))  # staff elsewhere
    for space in (HOME, ANTENNA):
        assert "✅ répondue" in (latest(bot, space, "Question n°2").footer or "")
    assert "masquée" in said(await bot.say("/live hide 3"))
    top = (await bot.say("/live questions")).card
    assert top is not None and "n°3" not in top.text[0] and "n°2 · ▲ 2 · Et les antennes ? · ✅ répondue" in top.text[0]


async def test_an_anonymous_question_names_nobody_anywhere(
    app: App, bot: Session, caplog: pytest.LogCaptureFixture
) -> None:
    """Not on the cards, not in /live questions, not in the export, not in the database, not in DEBUG logs."""
    caplog.set_level(logging.DEBUG)
    antenna = await live_in_two_spaces(bot)
    secret = bot.as_("zephyrine")
    reply = await secret.say('/live ask "Pourquoi si cher ?" --anonymous')
    assert "anonymement" in said(reply)
    await sent(bot)
    card = posted(bot, "Question n°1")[0][2]
    await antenna.as_("carla").act(action_of(card, "soutiens"))
    await bot.settle()
    shown = [c for _s, _c, c in posted(bot, "Question n°1")] + [c for _r, c in bot.sent.edits]
    questions = await bot.say("/live questions")
    export = await bot.say("/live export")
    content = export.files[0].content.decode("utf-8")
    assert "— anonyme" in repr(shown) and "Pourquoi si cher ?" in content
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff")), delimiter=";"))  # a French space
    assert rows[0] == ["time", "platform", "author", "kind", "text"]
    assert [row[2:] for row in rows[1:] if row[3] == "question"] == [["", "question", "Pourquoi si cher ?"]]
    conn = sqlite3.connect(app.services.settings.database)
    try:
        dumped = "\n".join(conn.iterdump())
    finally:
        conn.close()
    for where in (repr(shown), repr(questions), content, caplog.text, dumped):  # DEBUG: SQL parameters included
        assert "zephyrine" not in where
    assert "live_questions" in caplog.text and "console:carla" in dumped  # DEBUG was on; the upvoter is kept


async def test_a_live_poll_counts_votes_from_both_spaces_once_and_closing_freezes_every_copy(
    app: App, bot: Session
) -> None:
    """One poll, copies in both threads, the same merged result on both; closing freezes both."""
    antenna = await live_in_two_spaces(bot)
    assert "publié dans 2 salon(s)" in said(await bot.say('/live poll "Quel format ?" "Atelier" "Table ronde"'))
    await sent(bot)
    copies = posted(bot, "Quel format ?")
    assert [space for space, _c, _card in copies] == [HOME, ANTENNA]
    atelier, table = action_of(copies[1][2], "Atelier"), action_of(copies[1][2], "Table ronde")
    assert atelier.startswith("live:vote:")
    await bot.as_("bob").act(action_of(copies[0][2], "Atelier"))
    await antenna.as_("carla").act(atelier)
    await antenna.act(table)
    await antenna.act(atelier)  # dora moves her vote: still one per member
    await bot.settle()
    for space in (HOME, ANTENNA):
        card = latest(bot, space, "Quel format ?")
        assert [(bar.label, bar.count) for bar in card.bars] == [("Atelier", 3), ("Table ronde", 0)]
        assert card.footer is not None and card.footer.startswith("3 votants")
    assert "Résultats finaux" in str((await bot.say("/poll close 1")).card)
    for space in (HOME, ANTENNA):
        frozen = latest(bot, space, "Quel format ?")
        assert frozen.controls == () and [bar.count for bar in frozen.bars] == [3, 0]
    assert "clos" in said(await antenna.as_("carla").act(table))


async def test_clicks_from_a_channel_that_is_not_attached_are_refused(app: App, bot: Session) -> None:
    """A crafted vote, upvote or answered id from a channel outside the thread never counts."""
    antenna = await live_in_two_spaces(bot)
    await bot.say('/live poll "Quel format ?" "Atelier" "Table ronde"')
    await bot.as_("bob").say('/live ask "Une question ?"')
    await sent(bot)
    poll_card, question_card = posted(bot, "Quel format ?")[0][2], posted(bot, "Question n°1")[0][2]
    stranger = antenna.as_(channel="ailleurs")  # staff of the antenna's space, in a channel that is not attached
    outsider = bot.as_(Member("console:eve", "eve", is_staff=True), space="console:lyon", channel="general")
    for who in (stranger, outsider):
        for action_id in (action_of(poll_card, "Atelier"), action_of(question_card, "soutiens"),
                          action_of(question_card, "Répondue")):  # fmt: skip
            assert "Aucun fil en direct" in said(await who.act(action_id)), action_id
    poll = (await app.services.polls.open_polls(HOME))[0]
    assert "Aucun sondage" in said(await antenna.act(f"poll:vote:{poll.id}:0"))  # the ordinary route stays closed
    assert (await app.services.polls.tally(poll)).voters == 0
    question = await engage_of(app).store.question(1)
    assert question is not None and question.votes == 0
    # Another thread's poll, clicked from an attached channel, is refused as if it did not exist.
    await bot.say('/event create "Autre" --start "2 juin 11h" --end "17h" --onsite 5')
    other = bot.as_(channel="autre")
    await other.say("/live start 2")
    await other.say('/live poll "Autre ?" "Oui" "Non"')
    await sent(bot)
    assert "Aucun sondage" in said(await antenna.act(action_of(posted(bot, "Autre ?")[0][2], "Oui")))


async def test_antennas_check_in_and_the_header_counts_who_takes_part(app: App, bot: Session) -> None:
    """Check-ins are announced and shown in every header with sign-ups and people per platform."""
    antenna = await live_in_two_spaces(bot)
    await bot.say("/event antenna Nantes")
    await bot.as_("bob").say("/event signup 1 --mode onsite")
    await bot.as_("carla").say("/event signup 1 --mode remote --antenna Nantes")
    assert "Nantes signalée : 6" in said(await antenna.as_("hote").say("/live here nantes 6"))
    await sent(bot)
    assert (ANTENNA, None, "📍 Nantes : 6 personnes") in texts(bot)
    assert "Aucune antenne « Lille »" in said(await antenna.say("/live here Lille 3"))
    await antenna.say("/live here Nantes 8")  # the latest count replaces the previous one
    await bot.as_("bob").say('/live ask "Une question ?"')
    await bot.settle()
    for space in (HOME, ANTENNA):
        header = latest(bot, space, "En direct")
        fields = {field.name: field.value for field in header.fields}
        assert fields["Inscrits"] == "1 sur place · 1 à distance"
        assert fields["Antennes"] == "Nantes : 8 personnes"
        assert fields["Participent depuis"] == "Console 1"


async def test_announcements_are_posted_everywhere_by_staff_only(app: App, bot: Session) -> None:
    """/live post reaches every attached thread, marked; members cannot post one."""
    antenna = await live_in_two_spaces(bot)
    assert "Seule l'équipe" in said(await bot.as_("bob").say('/live post "Pause"'))
    assert "2 salon(s)" in said(await antenna.say('/live post "Reprise à 14h"'))
    await sent(bot)
    assert [(s, t) for s, _th, t in texts(bot) if "Annonce" in t] == [
        (HOME, "📣 Annonce de l'équipe : Reprise à 14h"), (ANTENNA, "📣 Annonce de l'équipe : Reprise à 14h"),
    ]  # fmt: skip


async def test_the_summary_and_the_csv_agree_with_what_happened(app: App, bot: Session, tmp_path: Path) -> None:
    """At /live stop every thread gets the figures; /live export and `phosphore export live` give the same rows."""
    antenna = await live_in_two_spaces(bot)
    await bot.say("/event antenna Nantes")
    await antenna.say("/live here Nantes 6")
    await bot.as_("bob").say('/live ask "Quel calendrier ?"')
    await antenna.as_("carla").say('/live ask "Et après ?" --anonymous')
    await sent(bot)
    first = posted(bot, "Question n°1")[0][2]
    for who in ("bob", "erin"):
        await bot.as_(who).act(action_of(first, "soutiens"))
    await bot.say("/live answered 1")
    await bot.say('/live poll "Quel format ?" "Atelier" "Table ronde"')
    await sent(bot)
    vote = action_of(posted(bot, "Quel format ?")[0][2], "Table ronde")
    await bot.as_("bob").act(vote)
    await antenna.as_("carla").act(vote)
    await antenna.say('/live post "Pause"')
    # Members' messages are written by the relay (another part of the live thread): two here, one deleted.
    engage = engage_of(app)
    live, channel = await engage.here(HOME, "general")
    now = app.services.clock.now()
    for text in ("Bonjour", "Salut de Nantes"):
        await engage.store.record(live.id, channel.id, "message", Member("console:bob", "bob"), "console", text, now)
    await bot.settle()
    exported = (await bot.say("/live export")).files
    assert "Seule l'équipe" in said(await bot.as_("bob").say("/live export"))
    stop = await bot.say("/live stop")
    assert "publié dans 2 salon(s)" in said(stop)
    await sent(bot)
    summaries = posted(bot, "Bilan du direct")
    assert [space for space, _c, _card in summaries] == [HOME, ANTENNA]
    fields = {field.name: field.value for field in summaries[0][2].fields}
    assert fields["Suivi depuis"] == "Console (2)"
    assert fields["Antennes"] == "Nantes : 6 personnes"
    assert fields["Participent depuis"] == "Console 3"  # bob, carla and erin; the anonymous asker is not known
    assert fields["Messages"] == "2"
    assert fields["Questions (2)"] == "n°1 · ▲ 2 · Quel calendrier ? · ✅ répondue\nn°2 · ▲ 0 · Et après ?"
    assert fields["Sondage #1 · Quel format ?"] == "Atelier 0 · Table ronde 2 · 2 votants"
    # The transcript, from the thread before the stop and from the command line after it: the same.
    result = phosphore("--db", str(app.services.settings.database), "export", "live", "1")
    assert result.returncode == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff")), delimiter=";"))
    assert [row[1:] for row in rows[1:]] == [
        ["console", "dora", "checkin", "Nantes: 6"],
        ["console", "bob", "question", "Quel calendrier ?"],
        ["console", "", "question", "Et après ?"],
        ["console", "alice", "poll", "Quel format ?"],
        ["console", "dora", "announcement", "Pause"],
        ["console", "bob", "message", "Bonjour"],
        ["console", "bob", "message", "Salut de Nantes"],
    ]
    assert exported[0].filename == "live-1.csv"
    assert (
        list(csv.reader(io.StringIO(exported[0].content.decode("utf-8").removeprefix("\ufeff")), delimiter=";")) == rows
    )


async def test_workshop_starts_are_announced_once_even_across_a_restart(settings: Settings) -> None:
    """A workshop's start is announced in every thread at its time, once; a restart does not repeat it."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as app:
        bot = Session(app)
        antenna = await live_in_two_spaces(bot)
        await bot.say('/event workshop 1 "Données" --start "11h30" --end "12h30" --room "B"')
        await bot.say('/event workshop 1 "Billetterie" --start "14h" --end "15h"')
        await app.services.wakeups.run_due()
        assert not [t for _s, _th, t in texts(bot) if "Ça commence" in t]
        clock.advance(timedelta(hours=1, minutes=31))  # 11:31 in Paris
        await app.services.wakeups.run_due()
        await app.services.wakeups.run_due()
        await sent(bot)
        started = [(s, t) for s, _th, t in texts(bot) if "Ça commence" in t]
        assert started == [(HOME, "▶️ Ça commence : atelier 1 · Données (salle : B)"),
                           (ANTENNA, "▶️ Ça commence : atelier 1 · Données (salle : B)")]  # fmt: skip
        assert antenna.space == ANTENNA
    async with running_app(settings, clock) as app:  # catches up at start: nothing new is due
        again = Session(app)
        again.app.services.delivery.register("console", again.sent, Capabilities(inbound=True, edits=True))
        await app.services.wakeups.run_due()
        assert not again.sent.posts
        clock.advance(timedelta(hours=3))
        await app.services.wakeups.run_due()
        await sent(again)
        assert [t for _s, _th, t in texts(again) if "Ça commence" in t] == [
            "▶️ Ça commence : atelier 2 · Billetterie (salle : —)"
        ] * 2
