"""Check-in on site and remote presence, no-shows, and follow-ups staff write that reach only those present."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.model import InboundMessage, Member
from bot.features.events.domain import Event
from bot.features.events.views import PRESENT
from bot.features.schedule.commands import ScheduleDeps
from bot.features.schedule.domain import FOLLOWUP_MAX, FollowupSetup, followup_due
from bot.ui import Card, Reply, Select
from tests.helpers import Session, running_app
from tests.test_live_engage import live_in_two_spaces, sent
from tests.test_schedule import STARTS, at, clock_of, crowd, recipients

HOME = "console:local"


async def first_event(app: App) -> Event:
    """Event #1 of the console space."""
    return await app.services.events.get(HOME, 1)


def said(reply: Reply) -> str:
    """A reply's text."""
    return reply.text or ""


def card_of(reply: Reply) -> Card:
    """A reply's card, which it must have."""
    assert reply.card is not None, reply.text
    return reply.card


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", {"early": "ouvre une heure avant", "done": "Bienvenue", "again": "déjà enregistrée",
                "remote": "à distance", "waiting": "pas encore confirmée", "none": "pas inscrit",
                "ended": "est terminé", "unknown": "Aucun événement"}),
        ("en", {"early": "opens one hour before", "done": "Welcome", "again": "already checked in",
                "remote": "remotely", "waiting": "not confirmed yet", "none": "not signed up",
                "ended": "has ended", "unknown": "No event"}),
    ],
)  # fmt: skip
async def test_checkin_rules_and_refusals_in_both_languages(
    app: App, bot: Session, locale: str, expected: dict[str, str]
) -> None:
    """Only confirmed on-site members, from an hour before the start to the end; a second check-in changes nothing."""
    await crowd(app)  # bob, dan on site; carol remote; erin waitlisted on site; fred withdrawn

    def as_(name: str) -> Session:
        return bot.as_(name, locale=locale)

    assert expected["early"] in said(await as_("bob").say("/event checkin 1"))
    clock_of(app).set(STARTS - timedelta(minutes=59))
    done = await as_("bob").say("/event checkin 1")
    assert expected["done"] in said(done) and not done.public
    clock_of(app).set(STARTS + timedelta(hours=2))
    again = await as_("bob").say("/event checkin 1")
    assert expected["again"] in said(again) and "9:01" in said(again)  # the first check-in's time, kept
    assert expected["remote"] in said(await as_("carol").say("/event checkin 1"))
    assert expected["waiting"] in said(await as_("erin").say("/event checkin 1"))
    for name in ("fred", "zoe"):  # withdrawn, never signed up
        assert expected["none"] in said(await as_(name).say("/event checkin 1"))
    assert expected["unknown"] in said(await as_("bob").say("/event checkin 9"))
    clock_of(app).set(STARTS + timedelta(hours=7, minutes=1))
    assert expected["ended"] in said(await as_("dan").say("/event checkin 1"))
    attendance = await app.services.events.attendance(await first_event(app))
    assert [(p.member, p.how, p.source) for p in attendance.present] == [("console:bob", "onsite", "self")]
    assert [s.name for s in attendance.no_shows] == ["dan"]


async def test_staff_mark_present_from_the_attendee_list_and_no_shows_are_counted(app: App, bot: Session) -> None:
    """The menu and /event present are staff-only (checked on the click too); no-shows appear once it has ended."""
    await crowd(app)
    before = await bot.say("/event attendees 1")
    assert before.card is not None and before.card.controls == ()  # check-in not open yet: no menu
    assert "ouvre une heure avant" in said(await bot.say("/event present 1 dan"))
    clock_of(app).set(STARTS + timedelta(minutes=5))
    card = (await bot.say("/event attendees 1")).card
    assert card is not None
    fields = {f.name: f.value for f in card.fields}
    assert fields["Présents sur place"] == "0 / 2" and fields["Présents à distance"] == "0"
    assert "Absents" not in fields  # not ended yet
    menu = card.controls[0]
    assert isinstance(menu, Select) and [o.label for o in menu.options] == ["bob", "dan", "carol"]  # on site first
    event = await first_event(app)
    dan_seq = next(o.value for o in menu.options if o.label == "dan")
    assert menu.action_id == PRESENT.id(event.id)
    assert "Seule l'équipe" in said(await bot.as_("bob").act(menu.action_id, (dan_seq,)))  # a crafted click
    assert "Seule l'équipe" in said(await bot.as_("bob").say("/event present 1 dan"))
    assert "dan est marqué·e présent·e" in said(await bot.click("dan"))
    assert "dan était déjà marqué·e" in said(await bot.say("/event present 1 Dan"))
    assert "Aucun inscrit ne s'appelle « zoé »" in said(await bot.say("/event present 1 zoé"))
    assert "Aucun inscrit" in said(await bot.say("/event present 1 fred"))  # withdrawn
    assert "bob est marqué·e présent·e" in said(await bot.say("/event present 1 <@bob|Bob>"))
    assert "bob n'est plus marqué·e" in said(await bot.say("/event present 1 bob --undo"))
    assert "bob n'était pas marqué·e" in said(await bot.say("/event present 1 bob --undo"))
    other = Member("console:zoe", "zoe", is_staff=True)
    crafted = await bot.as_(other, space="console:other").act(menu.action_id, (dan_seq,))
    assert "Aucun événement" in said(crafted)  # another space's staff cannot reach this event
    clock_of(app).set(STARTS + timedelta(hours=8))
    ended = (await bot.as_(locale="en").say("/event attendees 1")).card
    assert ended is not None
    fields = {f.name: f.value for f in ended.fields}
    assert fields["Checked in on site"] == "1 / 2" and fields["No-shows"] == "1"
    assert any("No-shows (confirmed on site, never checked in): bob" in line for line in ended.text)
    dan = (await app.services.events.attendance(event)).present[0]
    assert (dan.member, dan.how, dan.source) == ("console:dan", "onsite", "staff")


async def test_remote_presence_from_the_live_thread_and_followups_reach_only_those_present(
    app: App, bot: Session
) -> None:
    """A live-poll vote, a question and a message count as remote presence; follow-ups skip the no-shows, once."""
    antenna = await live_in_two_spaces(bot)  # event #1 starts at 11:00, ends at 17:00; now 10:00: check-in is open
    for name, mode in (
        ("bob", "onsite"),
        ("carol", "remote"),
        ("dan", "remote"),
        ("erin", "onsite"),
        ("gus", "remote"),
    ):
        await bot.as_(name).say(f"/event signup 1 --mode {mode}")
    await bot.say('/live poll "Quel format ?" "Atelier" "Table ronde"')
    await sent(bot)
    vote = next(c.action_id for _s, _c, r in bot.sent.posts if r.card and "Quel format" in r.card.title
                for c in r.card.controls if getattr(c, "label", "") == "Atelier")  # fmt: skip
    await bot.as_("carol").act(vote)
    await bot.as_("dan").say('/live ask "Les slides ?"')
    await bot.as_("gus").say('/live ask "Anonyme ?" --anonymous')  # an anonymous question names nobody: not counted
    frank = Member("console:frank", "frank")
    now = app.services.clock.now()
    await app.dispatcher.receive(InboundMessage(HOME, "general", None, frank, "Bonjour", (), "m1", "posted", now))
    await sent(bot)
    assert antenna.space != HOME
    await bot.as_("bob").say("/event checkin 1")
    event = await first_event(app)
    attendance = await app.services.events.attendance(event)
    assert {(p.member, p.how, p.source) for p in attendance.present} == {
        ("console:bob", "onsite", "self"), ("console:carol", "remote", "poll"),
        ("console:dan", "remote", "question"), ("console:frank", "remote", "message"),
    }  # fmt: skip
    staff = await bot.say('/event followups 1 --day "Qu\'avez-vous retenu de la matinée ?"')
    assert staff.card is not None
    shown = {f.name: f.value for f in staff.card.fields}
    assert shown["Lendemain (la vôtre)"] == "Qu'avez-vous retenu de la matinée ?"
    assert shown["Un mois après (par défaut)"].startswith("Il y a un mois, vous participiez à « Rencontre TMN »")
    assert shown["Toucheraient maintenant"] == "3 membre(s) · pointage utilisé"  # bob, carol, dan: not erin, not gus
    deps = app.units["schedule"].deps
    assert isinstance(deps, ScheduleDeps)
    day = next(m for m in await deps.schedule.upcoming(HOME) if m.kind == "followup_day")
    preview, count = await deps.schedule.sample(day, "fr")  # what /schedule preview shows
    assert count == 3 and preview.card is not None and preview.card.text == ("Qu'avez-vous retenu de la matinée ?",)
    await app.notices.idle()
    bot.sent.private.clear()
    await at(app, followup_due(event, "day"))
    assert sorted(recipients(bot.sent)) == ["console:bob", "console:carol", "console:dan"]
    card = bot.sent.private[0][1].card
    assert card is not None and card.text == ("Qu'avez-vous retenu de la matinée ?",)
    assert [c.label for c in card.controls][:5] == ["1", "2", "3", "4", "5"]
    await at(app, followup_due(event, "day"))  # due again: nobody twice
    assert len(bot.sent.private) == 3
    refused = await bot.as_("erin", channel="dm").act(card.controls[3].action_id)
    assert "Aucune question de suivi" in said(refused)  # not asked, so her answer is not taken
    await bot.say('/event followups 1 --audience confirmed --month "Et depuis ?"')
    bot.sent.private.clear()
    await at(app, followup_due(event, "month"))
    month = {who: reply.card for who, reply, _ok in bot.sent.private}
    assert sorted(month) == ["console:bob", "console:carol", "console:dan", "console:erin", "console:gus"]
    assert month["console:erin"] is not None and month["console:erin"].text == ("Et depuis ?",)


async def test_without_checkin_remote_presence_alone_leaves_followups_to_every_attendee(app: App, bot: Session) -> None:
    """No one checked in on site: follow-ups go to every confirmed attendee, as before check-in existed."""
    await live_in_two_spaces(bot)
    for name in ("bob", "carol"):
        await bot.as_(name).say(f"/event signup 1 --mode {'onsite' if name == 'bob' else 'remote'}")
    await bot.as_("carol").say('/live ask "Une question ?"')
    event = await first_event(app)
    assert not (await app.services.events.attendance(event)).checkin_used
    shown = {f.name: f.value for f in card_of(await bot.as_(locale="en").say("/event followups 1")).fields}
    assert shown["Would reach now"] == "2 member(s) · no check-in yet"
    assert shown["Day after (default)"].startswith("Thank you for attending")
    bot.sent.private.clear()
    await at(app, followup_due(event, "day"))
    assert sorted(recipients(bot.sent)) == ["console:bob", "console:carol"]


@pytest.mark.parametrize(
    ("locale", "line", "expected"),
    [
        ("fr", '/event followups 1 --day "   "', "ne peut pas être vide"),
        ("en", '/event followups 1 --month "  "', "cannot be empty"),
        ("fr", f'/event followups 1 --day "{"x" * (FOLLOWUP_MAX + 1)}"', str(FOLLOWUP_MAX)),
        ("en", f'/event followups 1 --day "{"x" * (FOLLOWUP_MAX + 1)}"', str(FOLLOWUP_MAX)),
        ("en", "/event followups 1 --reset week", "choose one of day, month, all"),
        ("fr", "/event followups 1 --audience tous", "present, confirmed"),
        ("en", "/event followups 7", "No event #7"),
        ("fr", "/event present 1", "membre"),
    ],
)
async def test_followup_setup_bad_input_is_explained_and_changes_nothing(
    app: App, bot: Session, locale: str, line: str, expected: str
) -> None:
    """Empty or too-long questions, unknown choices and events: a translated private message, the setup untouched."""
    await crowd(app)
    reply = await bot.as_(locale=locale).say(line)
    assert expected in said(reply) and not reply.public, said(reply)
    deps = app.units["schedule"].deps
    assert isinstance(deps, ScheduleDeps)
    assert await deps.setups.of(await first_event(app)) == FollowupSetup()
    assert "Seule l'équipe" in said(await bot.as_("bob").say('/event followups 1 --day "Alors ?"'))
    shown = (await bot.say("/event followups 1")).card
    assert shown is not None and all("(par défaut)" in f.name for f in shown.fields[:2])


async def test_reset_brings_back_the_default_question(app: App, bot: Session) -> None:
    """A question staff wrote, then reset: the default question goes out."""
    event = await crowd(app)
    await bot.say('/event followups 1 --day "A" --month "B"')
    await bot.say("/event followups 1 --reset day")
    shown = {f.name: f.value for f in card_of(await bot.say("/event followups 1")).fields}
    assert shown["Un mois après (la vôtre)"] == "B" and shown["Lendemain (par défaut)"].startswith("Merci d'avoir")
    bot.sent.private.clear()
    await at(app, followup_due(event, "day"))
    card = bot.sent.private[0][1].card
    assert card is not None and card.text[0].startswith("Merci d'avoir participé à « Journée »")
    await bot.say("/event followups 1 --reset all")
    shown = {f.name: f.value for f in card_of(await bot.say("/event followups 1")).fields}
    assert shown["Un mois après (par défaut)"].startswith("Il y a un mois")


async def test_presence_survives_a_restart_and_followups_go_out_once(settings: Settings) -> None:
    """Checked in before a restart, present after it; follow-ups due across two restarts reach bob alone, once."""
    async with running_app(settings) as app:
        event = await crowd(app)
        clock_of(app).set(STARTS)
        await Session(app).as_("bob").say("/event checkin 1")
    for restart in range(2):
        async with running_app(settings) as app:
            bot = Session(app)
            await at(app, followup_due(event, "day"))
            await app.notices.idle()
            followups = [who for who, reply, _ok in bot.sent.private if reply.card and "1 à 5" in reply.card.text[0]]
            assert followups == (["console:bob"] if restart == 0 else [])
