"""Surveys sent privately: create, send to attendees (paced), answer, live rate, nudges, export, bad input."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.pacing import Pacer
from bot.features.events.domain import EventDraft
from bot.features.surveys.domain import nps, pick, result
from bot.store.sqlite.rows import to_iso
from bot.ui import Button, Reply, Select
from tests.helpers import SPACE, START, Session, running_app

ALICE = Member("console:alice", "alice", is_staff=True)


async def event_with(app: App, count: int, remote_every: int = 0) -> int:
    """An event (#ref returned) with `count` confirmed attendees m0…; every `remote_every`-th attends remotely."""
    starts = START + timedelta(days=3)
    draft = EventDraft("Journée", starts, starts + timedelta(hours=6), onsite_capacity=count, remote_capacity=None)
    event = await app.services.events.create(SPACE, "general", ALICE, draft)
    rows = [(event.id, SPACE, f"console:m{i}", "remote" if remote_every and i % remote_every == 0 else "onsite",
             "confirmed", i, to_iso(START), to_iso(START)) for i in range(count)]  # fmt: skip
    await app.services.db.write(
        lambda conn: conn.executemany(
            "INSERT INTO event_signups (event_id, space, member, mode, status, seq, signed_up_at, status_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    )
    return event.ref


async def survey(bot: Session, *questions: str, anonymous: bool = False) -> None:
    """Survey #1 with `questions` (each the rest of a /survey question line)."""
    await bot.say('/survey create "Bilan de la journée"' + (" --anonymous" if anonymous else ""))
    for line in questions:
        reply = await bot.say(f"/survey question #1 {line}")
        assert "ajoutée" in (reply.text or ""), reply.text


def controls_of(bot: Session, member: str) -> list[Button | Select]:
    """The controls of the last private message `member` received."""
    replies = [reply for who, reply, _ok in bot.sent.private if who == f"console:{member}"]
    assert replies and replies[-1].card is not None
    return list(replies[-1].card.controls)


async def click(bot: Session, member: str, label: str) -> Reply:
    """`member` clicks the button labelled `label` in their private message."""
    found = [c for c in controls_of(bot, member) if isinstance(c, Button) and c.label == label]
    assert len(found) == 1, [c.label for c in controls_of(bot, member) if isinstance(c, Button)]
    return await bot.as_(member).act(found[0].action_id)


def virtual_pace(app: App, rate: float) -> list[float]:
    """Pace console private messages at `rate` a second on virtual time; the list of send instants."""
    now = [0.0]
    times: list[float] = []

    async def virtual_sleep(seconds: float) -> None:
        now[0] += seconds
        await asyncio.sleep(0)

    app.notices.pacer = Pacer({"console": rate}, lambda: now[0], virtual_sleep)
    original = app.notices.delivery.send_private

    async def timed(space: str, member: str, reply: Reply) -> bool:
        times.append(now[0])
        return await original(space, member, reply)

    app.notices.delivery.send_private = timed  # type: ignore[method-assign]
    return times


async def test_a_survey_to_300_attendees_is_paced_counted_and_nudged_once(app: App, bot: Session) -> None:
    """300 private messages at 10 a second take 29 virtual seconds; 120 answers counted; the nudge reaches the 180 others."""
    ref = await event_with(app, 300)
    await survey(bot, 'rating "Comment était la journée ?"')
    times = virtual_pace(app, 10)
    reply = await bot.say(f"/survey send #1 #{ref}")
    assert "300 personnes" in (reply.text or ""), reply.text
    assert reply.public and reply.subject == "survey:1"
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 300, timeout=30)
    await app.notices.idle()
    assert times[-1] == pytest.approx(29.0, abs=0.01)
    assert all(sum(1 for t in times if t <= moment) <= 10 + 10 * moment + 1e-6 for moment in times)
    assert len({who for who, _r, _ok in bot.sent.private}) == 300
    answers = await asyncio.gather(*(click(bot, f"m{i}", str(1 + i % 5)) for i in range(120)))
    assert all("ta réponse est enregistrée" in (a.text or "") for a in answers)
    await click(bot, "m0", "5")  # a changed answer still counts once
    progress = await app.services.surveys.progress(await app.services.surveys.get(SPACE, 1))
    assert (progress.recipients, progress.answered) == (300, 120)
    await bot.settle()
    assert bot.sent.edits and bot.sent.edits[-1][1].fields[1].value == "120 (40 %)"
    planned = await bot.say('/survey nudge #1 "2026-06-01 12:00"')
    assert "Relance de l’enquête #1 prévue" in (planned.text or ""), planned.text
    app.services.clock.set(START + timedelta(hours=3))  # type: ignore[attr-defined]
    before = len(bot.sent.private)
    await app.services.wakeups.run_due()
    await bot.sent.wait_until(lambda: len(bot.sent.private) == before + 180, timeout=30)
    await app.notices.idle()
    nudged = {who for who, _r, _ok in bot.sent.private[before:]}
    assert nudged == {f"console:m{i}" for i in range(120, 300)}
    await app.services.wakeups.run_due()  # the same instant again: nothing more
    await app.notices.idle()
    assert len(bot.sent.private) == before + 180


async def test_a_restart_between_two_nudges_sends_nothing_twice(settings: Settings) -> None:
    """The first nudge goes before a stop; after the restart it is not repeated, the second reaches only who still has not answered."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        bot = Session(first)
        await event_with(first, 10)
        await survey(bot, 'choice "Venir ?" Oui Non')
        await bot.say(
            "/survey send #1 #1", '/survey nudge #1 "2026-06-01 12:00"', '/survey nudge #1 "2026-06-02 12:00"'
        )
        await bot.sent.wait_until(lambda: len(bot.sent.private) == 10)
        await click(bot, "m0", "Oui")
        clock.set(START + timedelta(hours=3))
        await first.services.wakeups.run_due()
        await bot.sent.wait_until(lambda: len(bot.sent.private) == 19)
        await first.notices.idle()
    async with running_app(settings, clock) as second:
        bot = Session(second)
        await second.services.wakeups.run_due()
        await second.notices.idle()
        assert bot.sent.private == []  # the first nudge is done: nothing again
        await bot.as_("m1").say("/survey answer #1 1 Non")
        clock.set(START + timedelta(days=1, hours=3))
        await second.services.wakeups.run_due()
        await bot.sent.wait_until(lambda: len(bot.sent.private) == 8)
        await second.notices.idle()
        assert {who for who, _r, _ok in bot.sent.private} == {f"console:m{i}" for i in range(2, 10)}
        assert "rappel" in bot.sent.to("console:m5")[0]
        progress = await second.services.surveys.progress(await second.services.surveys.get(SPACE, 1))
        assert (progress.recipients, progress.answered, progress.nudges_sent) == (10, 2, 2)


async def test_an_audience_by_mode(app: App, bot: Session) -> None:
    """Only the remote attendees receive a survey sent to mode remote."""
    await event_with(app, 9, remote_every=3)
    await survey(bot, 'text "Une idée ?"')
    reply = await bot.say("/survey send #1 #1 --mode remote")
    assert "3 personnes" in (reply.text or "")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 3)
    assert {who for who, _r, _ok in bot.sent.private} == {"console:m0", "console:m3", "console:m6"}


async def test_each_question_kind_and_its_bad_input(app: App, bot: Session) -> None:
    """Choices, multi, rating, NPS, text and days: good answers recorded, bad ones refused clearly."""
    await event_with(app, 4)
    await survey(
        bot,
        'multi "Ateliers ?" A B C',
        'rating "Note ?"',
        'nps "Recommanderais-tu ?"',
        'text "Une idée ?"',
        'dates "Prochaine date ?" 2026-07-01 2026-07-08 2026-07-15',
    )
    assert "5 questions au plus" in (await bot.say('/survey question #1 choice "Encore ?" Oui Non')).text
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 4)
    m0 = bot.as_("m0")
    assert "(A)" in (await click(bot, "m0", "A")).text
    assert "(A, C)" in (await click(bot, "m0", "C")).text
    assert "(C)" in (await click(bot, "m0", "A")).text
    assert "(A, C)" in (await m0.say('/survey answer #1 1 "A, C"')).text
    assert "La note doit être un nombre entier de 1 à 5" in (await m0.say("/survey answer #1 2 7")).text
    assert "(4)" in (await click(bot, "m0", "4")).text
    assert "de 0 à 10" in (await m0.say("/survey answer #1 3 11")).text
    assert "(9)" in (await m0.say("/survey answer #1 3 9")).text
    assert "Il manque : réponse" in (await m0.say('/survey answer #1 4 "   "')).text
    too_long = "x" * 501
    refused = await m0.act("cmd:survey.answer", fields={"survey": "#1", "question": "4", "text": too_long})
    assert "501" in (refused.text or "") + str(refused.field_errors), refused
    assert "jours proposés" in (await m0.say("/survey answer #1 5 2026-07-02")).text
    assert "(2026-07-01, 2026-07-15)" in (await m0.say('/survey answer #1 5 "2026-07-01, 2026-07-15"')).text
    crafted = await m0.act("survey:pick:1:2:9")
    assert "de 1 à 5" in (crafted.text or "")
    assert "ne fait pas partie des jours proposés" in (await bot.as_("m1").act("survey:pick:1:5:3")).text
    assert "ne t’a pas été envoyée" in (await bot.as_("zoe").act("survey:pick:1:2:2")).text
    assert "pas de question 9" in (await m0.say("/survey answer #1 9 oui")).text
    write = [c for c in controls_of(bot, "m1") if isinstance(c, Button) and c.label.startswith("Répondre")]
    form = await bot.as_("m1").act(write[0].action_id)
    assert form.modal is not None and form.modal.action_id == "cmd:survey.answer"
    await bot.as_("m1").act("cmd:survey.answer", fields={"survey": "#1", "question": "4", "text": "Plus de pauses"})
    for member, days in (("m1", "1"), ("m2", "1, 2"), ("m3", "2026-07-08")):
        await bot.as_(member).say(f'/survey answer #1 5 "{days}"')
    results = await bot.say("/survey results #1")
    assert results.card is not None
    text = "\n".join(results.card.text)
    assert "Plus de pauses" in text and "NPS : 100" in text
    ranked = text.split("Prochaine date")[1].splitlines()[1:4]
    assert ranked == ["2026-07-01 — 3", "2026-07-08 — 2", "2026-07-15 — 1"]
    await bot.say("/survey close #1")
    assert "est close" in (await click(bot, "m0", "B")).text


async def test_english_messages(app: App, bot: Session) -> None:
    """The same refusals and confirmations in English."""
    await event_with(app, 2)
    await survey(bot, 'rating "Note ?"')
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 2)
    m0 = bot.as_("m0", locale="en")
    assert "from 1 to 5" in (await m0.say("/survey answer #1 1 0")).text
    assert "your answer is recorded (4)" in (await m0.say("/survey answer #1 1 4")).text
    assert "Only staff" in (await m0.say('/survey create "X"')).text


async def test_anonymous_survey_hides_who_and_small_groups(app: App, bot: Session) -> None:
    """An anonymous survey's export has no names; a question with fewer than 3 answers is not broken down."""
    await event_with(app, 5)
    await survey(bot, 'choice "Repas ?" Bien Moyen', 'text "Une idée ?"', anonymous=True)
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 5)
    for member in ("m0", "m1", "m2"):
        await click(bot, member, "Bien")
    await bot.as_("m4").say('/survey answer #1 2 "Idée secrète"')
    results = await bot.say("/survey results #1")
    text = "\n".join(results.card.text)
    assert "Bien — 3" in text and "Idée secrète" not in text and "Moins de 3 réponses" in text
    export = await bot.say("/survey export #1")
    content = export.files[0].content.decode("utf-8")
    assert "m0" not in content and "membre" not in content and "Bien" in content
    assert "Moins de 3" in (await bot.say("/survey ideas #1 2")).text


async def test_named_export_and_answers_to_the_idea_wall(app: App, bot: Session) -> None:
    """A named survey's export carries names; open answers go to the idea wall in one step."""
    await event_with(app, 3)
    await survey(bot, 'text "Une idée ?"')
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 3)
    for i, idea in enumerate(("Un jardin partagé", "Des ateliers vélo", "Une bibliothèque d'outils")):
        await bot.as_(f"m{i}").say(f'/survey answer #1 1 "{idea}"')
    content = (await bot.say("/survey export #1 --sep ,")).files[0].content.decode("utf-8")
    assert content.lstrip("\ufeff").splitlines()[0] == "membre,question n°,question,type,réponse"
    assert "console:m0,1,Une idée ?,text,Un jardin partagé" in content  # names as the event knows them
    reply = await bot.say("/survey ideas #1 1")
    assert "3 réponses publiées" in (reply.text or "")
    assert len(await app.services.ideas.mine(SPACE, ALICE)) == 3


async def test_members_cannot_run_staff_commands(app: App, bot: Session) -> None:
    """Sending, nudging, results and exports are staff's, checked by the service too."""
    await survey(bot, 'rating "Note ?"')
    bob = bot.as_("bob")
    for line in ("/survey send #1 #1", "/survey results #1", "/survey export #1", "/survey close #1"):
        reply = await bob.say(line)
        assert "Seule l'équipe" in (reply.text or ""), (line, reply.text)
    with pytest.raises(UserError, match=r"survey\.staff_only"):
        await app.services.surveys.close(SPACE, "1", Member("console:bob", "bob"))


def test_nps_and_rules() -> None:
    """Promoters minus detractors in %; multi-choice picks toggle."""
    assert nps([10, 9, 8, 7, 0]) == 20.0
    assert nps([10, 10, 6]) == pytest.approx(33.3)
    assert nps([]) is None
    from bot.features.surveys.domain import Question, Survey

    multi = Question(1, "multi", "Q", ("A", "B", "C"))
    assert pick(multi, "0,2", 2) == "0" and pick(multi, "0", 1) == "0,1" and pick(multi, "1", 1) == ""
    survey = Survey(1, SPACE, 1, "general", "console:alice", "T", True, (multi,), START)
    assert result(survey, multi, ["0", "1"]).hidden
    assert result(survey, multi, ["0", "1", "0,1"]).counts == (("A", 2), ("B", 2), ("C", 0))


async def test_another_space_cannot_answer_or_read(app: App, bot: Session) -> None:
    """A click naming a survey of another space is refused as if it did not exist."""
    await event_with(app, 1)
    await survey(bot, 'rating "Note ?"')
    await bot.say("/survey send #1 #1")
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 1)
    elsewhere = bot.as_("m0", space="slack:T1")
    assert "n’existe pas ici" in ((await elsewhere.act("survey:pick:1:1:3")).text or "")
    assert "n’existe pas ici" in ((await bot.as_(space="slack:T1").say("/survey results #1")).text or "")
    progress = await app.services.surveys.progress(await app.services.surveys.get(SPACE, 1))
    assert progress.answered == 0
