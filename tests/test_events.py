"""Events and sign-up through the real dispatcher, store and services."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

from bot.app import App
from bot.core.clock import ManualClock
from bot.core.errors import UserError
from bot.core.model import Action, Member, MessageRef
from bot.core.notices import Notice
from bot.features.events.domain import Event, EventDraft, Signup
from bot.features.events.views import render_notice
from bot.i18n import Translator
from bot.ui import Reply, fallbacks
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import Session, member

SPACE = "console:local"
ALICE = member("alice", staff=True)


@pytest.fixture
def bot(app: App) -> Session:
    """The console space as members use it; cards are posted by hand (`track`)."""
    return Session(app, posts=False)


@pytest.fixture
def sent(bot: Session) -> RecordingDelivery:
    """What the app sends on its own in the console space."""
    return bot.sent


async def create(bot: Session, options: str = "--onsite 2 --remote 10", title: str = "Rencontre TMN") -> Event:
    """A new event on 30 June 2026, 9:30–17:00 in Paris; the last one created."""
    reply = await bot.say(f'/event create "{title}" --start "30 juin 9h30" --end "17h" {options}')
    assert reply.public, reply.text
    events = await bot.app.services.events.upcoming(SPACE)
    return max(events, key=lambda event: event.id)


async def track(bot: Session, event: Event) -> None:
    """Show the event's card in a channel message, as an adapter does after posting it."""
    card = await bot.say(f"/event info {event.ref}")
    await bot.app.dispatcher.posted(
        Reply(card=card.card, public=True, subject=event.subject), MessageRef(SPACE, "general", "m0")
    )


async def signups(app: App, event: Event) -> dict[str, Signup]:
    """Every sign-up of the event by member name."""
    return {signup.name: signup for signup in await app.services.events.store.signups(event.id)}


async def settle(app: App) -> None:
    """Wait for the live edits started so far and for the notices already committed to be sent."""
    await app.services.cards.drain()
    await app.notices.idle()


async def test_200_concurrent_signups_for_50_places(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """Exactly 50 confirmed, 150 waitlisted in commit order; withdrawals promote in order; one place each."""
    event = await create(bot, "--onsite 50 --remote 0")
    await track(bot, event)
    names = [f"m{i:03d}" for i in range(200)]
    replies = await asyncio.gather(*(bot.as_(name).act(f"event:join:{event.id}:onsite") for name in names))
    rows = await signups(app, event)
    assert len(rows) == 200
    confirmed = [s for s in rows.values() if s.status == "confirmed"]
    waiting = sorted((s for s in rows.values() if s.status == "waitlisted"), key=lambda s: s.position or 0)
    assert len(confirmed) == 50 and len(waiting) == 150
    assert [s.position for s in waiting] == list(range(1, 151))
    assert [s.seq for s in waiting] == sorted(s.seq for s in waiting)  # positions follow arrival (commit) order
    assert max(s.seq for s in confirmed) < min(s.seq for s in waiting)
    for name, reply in zip(names, replies, strict=True):  # what each member was told is what is stored
        if rows[name].status == "waitlisted":
            assert f"n° {rows[name].position} " in (reply.text or "")
        else:
            assert "votre place est confirmée" in (reply.text or "")
    await settle(app)
    assert len(sent.edits) < 10  # 200 sign-ups, a few coalesced card edits
    final = {f.name: f.value for f in sent.edits[-1][1].fields}
    assert final["Sur place"] == "50 / 50 · 150 en attente"

    # Withdrawals promote strictly in waitlist order, and tell the promoted member.
    first_in_line = [s.member for s in waiting[:5]]
    for leaving, expected in zip(confirmed[:5], first_in_line, strict=True):
        reply = await bot.as_(leaving.name).act(f"event:leave:{event.id}")
        assert "désinscrit" in (reply.text or "")
        now = await signups(app, event)
        assert now[expected.split(":")[1]].status == "confirmed" and now[leaving.name].status == "withdrawn"
    await settle(app)
    assert [who for who, _reply, _ok in sent.private] == first_in_line
    assert "une place s'est libérée" in sent.to(first_in_line[0])[0]
    # Ten more leave at once: the next ten in line are the ones promoted.
    await asyncio.gather(*(bot.as_(s.name).act(f"event:leave:{event.id}") for s in confirmed[5:15]))
    rows = await signups(app, event)
    assert {s.name for s in waiting[5:15]} <= {n for n, s in rows.items() if s.status == "confirmed"}
    held = [s for s in rows.values() if s.holds_place]
    assert len(held) == 50 and len({s.member for s in held}) == 50
    assert sorted(s.position for s in rows.values() if s.status == "waitlisted") == list(range(1, 136))  # type: ignore[type-var]
    count = await app.services.db.fetch_one(
        "SELECT COUNT(*) AS n, COUNT(DISTINCT member) AS d FROM event_signups WHERE event_id = ?", (event.id,)
    )
    assert count is not None and count["n"] == count["d"] == 200  # one row, so at most one place, per member


async def test_change_mode_withdraw_and_capacity_edit(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """A mode change frees the old place for the next in line; a full target keeps the old place; more places promote."""
    event = await create(bot, "--onsite 1 --remote 1")
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    await bot.as_("carol").act(f"event:join:{event.id}:onsite")
    await bot.as_("dave").act(f"event:join:{event.id}:remote")
    reply = await bot.as_("bob").act(f"event:join:{event.id}:remote")
    assert "complet" in (reply.text or "") and "gardez votre place" in (reply.text or "")
    await bot.as_("dave").act(f"event:leave:{event.id}")
    reply = await bot.as_("bob").say(f"/event signup {event.ref} --mode remote")
    assert "confirmée" in (reply.text or "") and "À distance" in (reply.text or "")
    rows = await signups(app, event)
    assert rows["bob"].mode == "remote" and rows["carol"].status == "confirmed"
    await bot.as_("erin").act(f"event:join:{event.id}:onsite")
    await bot.as_("fred").act(f"event:join:{event.id}:onsite")
    assert (await signups(app, event))["fred"].position == 2
    reply = await bot.say(f"/event edit {event.ref} --onsite 2")
    assert (await signups(app, event))["erin"].status == "confirmed"
    assert (await signups(app, event))["fred"].position == 1
    await settle(app)
    assert sent.to("console:erin") and not sent.to("console:fred")


async def test_confirmation_window_expires_to_next_in_line(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """With a window, a promoted member must confirm; once it runs out the place passes on."""
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    event = await create(bot, "--onsite 1 --remote 0 --confirm_hours 2")
    for name in ("bob", "carol", "dave"):
        await bot.as_(name).act(f"event:join:{event.id}:onsite")
    await bot.as_("bob").act(f"event:leave:{event.id}")
    await settle(app)
    offer = sent.private[-1][1]
    assert offer.card is not None and "avant le lundi 1 juin 2026 à 12:00" in fallbacks(offer.card.text[0])
    assert [c.action_id for c in offer.card.controls] == [f"event:confirm:{event.id}", f"event:leave:{event.id}"]
    assert (await signups(app, event))["carol"].status == "offered"
    clock.advance(timedelta(hours=2, minutes=1))
    await app.services.wakeups.run_due()
    await settle(app)
    rows = await signups(app, event)
    assert rows["carol"].status == "expired" and rows["dave"].status == "offered"
    assert "est passé" in sent.to("console:carol")[-1]
    reply = await bot.as_("carol").act(f"event:confirm:{event.id}")
    assert "Aucune place ne vous attend" in (reply.text or "")
    reply = await bot.as_("dave").act(f"event:confirm:{event.id}")
    assert "confirmée" in (reply.text or "")
    assert (await signups(app, event))["dave"].status == "confirmed"


async def test_undeliverable_notice_is_recorded_and_author_told(
    app: App, bot: Session, sent: RecordingDelivery
) -> None:
    """send_private returning False is stored on the notice's outbox row and the event's author hears who was missed."""
    sent.unreachable.add("console:carol")
    event = await create(bot, "--onsite 1 --remote 0")
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    await bot.as_("carol").act(f"event:join:{event.id}:onsite")
    await bot.as_("bob").act(f"event:leave:{event.id}")
    await settle(app)
    assert "carol" in sent.to("console:alice")[-1] and "contacter" in sent.to("console:alice")[-1]
    row = await app.services.db.fetch_one("SELECT member, kind, status FROM outbox")
    assert row is not None and tuple(row) == ("console:carol", "event.promoted", "failed")


async def test_workshops_overlap_capacity_and_waitlist(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """Overlapping workshops are refused, back-to-back ones are fine; a full one has a waitlist that moves up."""
    event = await create(bot, "--onsite 10")
    for title, start, end in (("A", "10h", "11h"), ("B", "10h30", "12h"), ("C", "11h", "12h")):
        reply = await bot.say(f'/event workshop {event.ref} "{title}" --start {start} --end {end} --capacity 1')
        assert "ajouté" in (reply.text or "")
    reply = await bot.say(f'/event workshop {event.ref} "Z" --start 18h --end 19h')
    assert "pendant l'événement" in (reply.text or "")
    reply = await bot.as_("bob").act(f"event:session:{event.id}", ("1",))
    assert "une fois votre place" in (reply.text or "")  # not signed up yet
    for name in ("bob", "carol"):
        await bot.as_(name).act(f"event:join:{event.id}:onsite")
    assert "confirmée" in ((await bot.as_("bob").act(f"event:session:{event.id}", ("1",))).text or "")
    reply = await bot.as_("bob").say(f"/event choose {event.ref} 2")
    assert "chevauche « A »" in (reply.text or "")
    assert "confirmée" in ((await bot.as_("bob").say(f"/event choose {event.ref} 3")).text or "")
    assert "liste d'attente" in ((await bot.as_("carol").act(f"event:session:{event.id}", ("1",))).text or "")
    reply = await bot.as_("bob").say(f"/event choose {event.ref} 1")  # bob drops A: carol moves up
    assert "plus dans vos choix" in (reply.text or "")
    await settle(app)
    assert "atelier « A »" in sent.to("console:carol")[-1]
    rows = await signups(app, event)
    assert rows["carol"].sessions == ("A",) and rows["bob"].sessions == ("C",)
    attendees = await bot.say(f"/event attendees {event.ref}")
    assert attendees.card is not None
    fields = {f.name: f.value for f in attendees.card.fields}
    assert fields["Atelier 1 · A"] == "1 / 1" and fields["Atelier 3 · C"] == "1 / 1"
    await bot.as_("carol").act(f"event:leave:{event.id}")  # withdrawing gives up workshops too
    assert (await signups(app, event))["carol"].sessions == ()


async def test_deadline_then_cancellation(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """Sign-ups stop at the deadline; cancelling tells everyone still signed up and refuses sign-ups."""
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    event = await create(bot, '--onsite 1 --remote 5 --deadline "27 juin"')
    assert event.deadline == datetime(2026, 6, 27, 21, 59, tzinfo=UTC)
    await track(bot, event)
    for name in ("bob", "carol", "dave"):
        await bot.as_(name).act(f"event:join:{event.id}:onsite")
    await bot.as_("dave").act(f"event:leave:{event.id}")
    await settle(app)  # carol's promotion notice is sent before the cancellation's are counted
    clock.set(datetime(2026, 6, 27, 22, 0, tzinfo=UTC))
    reply = await bot.as_("erin").act(f"event:join:{event.id}:remote")
    assert "sont closes" in (reply.text or "")
    info = await bot.as_("erin").say(f"/event info {event.ref}")
    assert info.card is not None and [c.action_id for c in info.card.controls] == [f"event:ics:{event.id}"]
    sent.private.clear()
    reply = await bot.say(f"/event cancel {event.ref}")
    assert reply.public and "2 personnes" in (reply.text or "")
    await settle(app)
    assert sorted(who for who, _r, _ok in sent.private) == ["console:bob", "console:carol"]
    assert "est annulé" in sent.to("console:carol")[0]
    assert "est annulé" in ((await bot.as_("erin").act(f"event:join:{event.id}:onsite")).text or "")
    assert "est annulé" in ((await bot.say(f"/event cancel {event.ref}")).text or "")
    assert sent.edits[-1][1].title.startswith("ANNULÉ") and sent.edits[-1][1].controls == ()


@pytest.mark.parametrize(
    ("locale", "start", "end", "echo"),
    [
        (
            "fr",
            "lundi 29 juin à 9h30",
            "17h",
            "du lundi 29 juin 2026 à 09:30 (Europe/Paris) au lundi 29 juin 2026 à 17:00",
        ),
        ("fr", "2026-06-30 09:30", "30 juin 17h", "du mardi 30 juin 2026 à 09:30 (Europe/Paris)"),
        # typed in English, echoed publicly in the space's language
        ("en", "tomorrow 9am", "5pm", "du mardi 2 juin 2026 à 09:00 (Europe/Paris) au mardi 2 juin 2026 à 17:00"),
        ("en", "30 juin 9h30", "12h", "du mardi 30 juin 2026 à 09:30 (Europe/Paris)"),
        ("fr", "29 mars 2027 9h", "12h", "du lundi 29 mars 2027 à 09:00 (Europe/Paris)"),
    ],
)
async def test_dates_are_parsed_and_echoed_with_their_zone(
    app: App, bot: Session, locale: str, start: str, end: str, echo: str
) -> None:
    """French and English dates, typed as people type them, are said back with the time zone."""
    reply = await bot.as_(locale=locale).say(f'/event create "X" --start "{start}" --end "{end}" --onsite 5')
    assert echo in fallbacks(reply.text or ""), reply.text


@pytest.mark.parametrize(
    ("locale", "start", "message"),
    [
        ("fr", "28 mars 2027 2h30", "n'existe pas"),  # spring forward
        ("en", "28 mars 2027 2h30", "doesn't exist"),
        ("fr", "31 octobre 2027 2h30", "existe deux fois"),  # fall back
        ("en", "31 octobre 2027 2h30", "happens twice"),
        ("fr", "2025-06-30 09:30", "déjà passé"),
        ("en", "2025-06-30 09:30", "already in the past"),
        ("fr", "le 45 juin", "pas compris"),
        ("en", "le 45 juin", "understand"),
    ],
)
async def test_bad_dates_are_refused_in_both_languages(
    app: App, bot: Session, locale: str, start: str, message: str
) -> None:
    """DST gaps and overlaps, past and unreadable dates get a clear message in the member's language."""
    reply = await bot.as_(locale=locale).say(f'/event create "X" --start "{start}" --end "23h" --onsite 5')
    assert message in (reply.text or ""), reply.text
    assert reply.field_errors.keys() == {"start"}


@pytest.mark.parametrize(
    ("locale", "options", "message"),
    [
        ("fr", '--start "30 juin 9h" --end "30 juin 8h"', "La fin doit venir après le début"),
        ("en", '--start "30 juin 9h" --end "30 juin 8h"', "The end must come after the start"),
        ("fr", '--start "30 juin 9h" --end 10h --remote beaucoup', "n'est pas un nombre de places"),
        ("en", '--start "30 juin 9h" --end 10h --remote lots', "is not a number of places"),
        ("fr", '--start "30 juin 9h" --end 10h --onsite 0 --remote 0', "Aucune place"),
        ("en", '--start "30 juin 9h" --end 10h --deadline "1 juillet"', "deadline must come before"),
        ("fr", '--start "30 juin 9h" --end 10h --onsite -3', "entre 0 et"),
    ],
)
async def test_bad_event_input_in_both_languages(
    app: App, bot: Session, locale: str, options: str, message: str
) -> None:
    """Mistakes in an event's details are explained in French and in English."""
    reply = await bot.as_(locale=locale).say(f'/event create "X" {options}')
    assert message in (reply.text or ""), reply.text


async def test_ics_parses_back_with_utc_instants_and_link_only_for_remote(app: App, bot: Session) -> None:
    """The calendar file carries the right UTC instants (summer and winter) and the link only for remote attendees."""
    summer = await create(bot, '--onsite 5 --remote 5 --link "https://visio.example/secret" --venue "Paris"')
    winter_reply = await bot.say('/event create "Hiver" --start "15 décembre 18h" --end "20h" --onsite 5')
    assert "(Europe/Paris)" in (winter_reply.text or "")
    winter = max(await app.services.events.upcoming(SPACE), key=lambda e: e.id)
    await bot.as_("bob").act(f"event:join:{summer.id}:remote")
    await bot.as_("carol").act(f"event:join:{summer.id}:onsite")
    for event, who, start, end, has_link in (
        (summer, "bob", datetime(2026, 6, 30, 7, 30, tzinfo=UTC), datetime(2026, 6, 30, 15, 0, tzinfo=UTC), True),
        (summer, "carol", datetime(2026, 6, 30, 7, 30, tzinfo=UTC), datetime(2026, 6, 30, 15, 0, tzinfo=UTC), False),
        (winter, "bob", datetime(2026, 12, 15, 17, 0, tzinfo=UTC), datetime(2026, 12, 15, 19, 0, tzinfo=UTC), False),
    ):
        reply = await bot.as_(who).act(f"event:ics:{event.id}")
        (attachment,) = reply.files
        assert attachment.filename == f"event-{event.ref}.ics" and attachment.mime_type == "text/calendar"
        (vevent,) = icalendar.Calendar.from_ical(attachment.content).walk("VEVENT")
        assert vevent.decoded("dtstart") == start and vevent.decoded("dtend") == end
        assert vevent.decoded("dtstart").utcoffset() == timedelta(0)
        assert ("visio.example/secret" in attachment.content.decode()) is has_link


async def test_online_link_only_for_remote_attendees(app: App, bot: Session, sent: RecordingDelivery) -> None:
    """The public card never shows the online link; remote attendees get it, on-site ones do not."""
    event = await create(bot, '--onsite 5 --remote 5 --link "https://visio.example/secret"')
    card = await bot.as_("bob").say(f"/event info {event.ref}")
    assert card.card is not None and "secret" not in repr(card.card) and "secret" not in (card.text or "")
    assert "secret" in ((await bot.as_("bob").act(f"event:join:{event.id}:remote")).text or "")
    assert "secret" not in ((await bot.as_("carol").act(f"event:join:{event.id}:onsite")).text or "")
    assert "secret" in ((await bot.as_("bob").say("/event mine")).text or "")
    assert "secret" not in ((await bot.as_("carol").say("/event mine")).text or "")
    await settle(app)
    assert all("secret" not in repr(edited) for _ref, edited in sent.edits)


async def test_antennas_counts_and_remote_only(app: App, bot: Session) -> None:
    """Staff define antennas; remote members pick one by button, menu or name; counts per antenna."""
    for name in ("Lyon", "Nantes"):
        assert "ajoutée" in (
            (await bot.say(f'/event antenna {name} --region "R" --host "H" --channel "#c"')).text or ""
        )
    assert "existe déjà" in ((await bot.say("/event antenna lyon")).text or "")
    event = await create(bot, "--onsite 5 --remote 5")
    lyon, _nantes = await app.services.events.store.antennas(SPACE)
    info = await bot.say(f"/event info {event.ref}")
    assert info.card is not None
    ids = [c.action_id for c in info.card.controls]
    assert f"event:join:{event.id}:remote:{lyon.id}" in ids and f"event:join:{event.id}:onsite" in ids
    await bot.as_("bob").act(f"event:join:{event.id}:remote:{lyon.id}")
    await bot.as_("carol").act(f"event:antenna:{event.id}", (str(lyon.id),))
    reply = await bot.as_("dave").say(f"/event signup {event.ref} --antenna nantes")
    assert "antenne Nantes" in (reply.text or "")
    reply = await bot.as_("erin").say(f"/event signup {event.ref} --mode onsite --antenna Lyon")
    assert "seulement pour une participation à distance" in (reply.text or "")
    reply = await bot.as_("erin").say(f"/event signup {event.ref} --antenna Paris")
    assert "Aucune antenne « Paris »" in (reply.text or "")
    counts = await app.services.events.counts(event)
    assert [(a.name, n) for a, n in counts.antennas] == [("Lyon", 2), ("Nantes", 1)]


async def test_staff_only_and_other_spaces(app: App, bot: Session) -> None:
    """Only staff create, edit, cancel, export; a crafted action id for another space's event is refused."""
    event = await create(bot)
    for text in (
        '/event create "X" --start "30 juin 9h" --end 10h',
        f"/event edit {event.ref} --onsite 9",
        f"/event cancel {event.ref}",
        f"/event attendees {event.ref}",
        f"/event export {event.ref}",
        "/event antenna Lyon",
        f'/event workshop {event.ref} "A" --start 10h --end 11h',
    ):
        reply = await bot.as_("bob").say(text)
        assert "Seule l'équipe" in (reply.text or ""), text
    assert "Only staff" in ((await bot.as_("bob", locale="en").say(f"/event cancel {event.ref}")).text or "")
    with pytest.raises(UserError, match=r"event\.staff_only"):
        await app.services.events.cancel(SPACE, event.ref, member("bob"))
    draft = EventDraft("X", event.starts_at, event.ends_at, onsite_capacity=1)
    with pytest.raises(UserError, match=r"event\.staff_only"):
        await app.services.events.create(SPACE, "general", member("bob"), draft)
    other = "slack:T999"
    for action_id in (f"event:join:{event.id}:onsite", f"event:leave:{event.id}", f"event:ics:{event.id}",
                      f"event:confirm:{event.id}"):  # fmt: skip
        reply = await bot.as_("mallory", space=other).act(action_id)
        assert "Aucun événement" in (reply.text or "") and not reply.files, action_id
    reply = await bot.as_("mallory", space=other).act(f"event:session:{event.id}", ("1",))
    assert "Aucun événement" in (reply.text or "")
    assert await signups(app, event) == {}
    for bad in (f"event:join:{event.id}:flying", "event:join:abc:onsite", f"event:antenna:{event.id}"):
        assert "pas valide" in ((await bot.as_("bob").act(bad)).text or ""), bad
    assert "référence d'événement" in ((await bot.as_("bob").say("/event info abc")).text or "")
    assert "event reference" in ((await bot.as_("bob", locale="en").say("/event info abc")).text or "")


async def test_attendee_export_guards_formulas(app: App, bot: Session) -> None:
    """The CSV has one row per member with mode, antenna, sessions, time and status; formula-like cells are defused."""
    event = await create(bot, "--onsite 1 --remote 5")
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    await bot.as_("carol").act(f"event:join:{event.id}:onsite")
    await app.dispatcher.act(Action(SPACE, "general", Member("console:eve", "=HYPERLINK(1)"),
                                    f"event:join:{event.id}:remote"))  # fmt: skip
    await bot.as_("dave").say(f'/event signup {event.ref} --mode remote --answer "@SUM(A1)"')
    reply = await bot.say(f"/event export {event.ref}")
    (attachment,) = reply.files
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode("utf-8-sig")), delimiter=";"))
    by_name = {row["name"]: row for row in rows}
    assert by_name["bob"]["status"] == "confirmed" and by_name["carol"]["status"] == "waitlisted"
    assert by_name["carol"]["waitlist_position"] == "1" and by_name["bob"]["mode"] == "onsite"
    assert "'=HYPERLINK(1)" in by_name and by_name["dave"]["answer"] == "'@SUM(A1)"
    assert by_name["bob"]["signed_up_at"] == "2026-06-01T10:00+02:00"


async def test_notices_are_queued_in_the_outbox_with_the_change(app: App, bot: Session) -> None:
    """A promotion's notice is an outbox row written by the withdrawal's own transaction; a refused change queues none."""
    event = await create(bot, "--onsite 1 --remote 0")
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    await bot.as_("carol").act(f"event:join:{event.id}:onsite")
    store = app.services.events.store
    await store.withdraw(SPACE, event.id, "console:bob", app.services.clock.now())  # no adapter: nothing is sent
    rows = await app.services.db.fetch_all("SELECT id, member, kind, params, status FROM outbox")
    assert [(r["member"], r["kind"], r["status"]) for r in rows] == [("console:carol", "event.promoted", "pending")]
    assert json.loads(rows[0]["params"])["ref"] == event.ref
    with pytest.raises(UserError, match=r"event\.not_signed_up"):
        await store.withdraw(SPACE, event.id, "console:bob", app.services.clock.now())
    assert len(await app.services.db.fetch_all("SELECT id FROM outbox")) == 1


def test_notices_render_alone_in_both_languages() -> None:
    """A notice carries all its view needs: the offer keeps its confirm and decline buttons, in English too."""
    params = {"event_id": 7, "ref": 3, "title": "Meetup", "timezone": "Europe/Paris", "mode": "remote", "name": "bob",
              "starts_at": "2026-06-30T07:30:00+00:00", "expires_at": "2026-06-01T10:00:00+00:00"}  # fmt: skip
    offer = render_notice(Notice(SPACE, "console:bob", "event.offered", params), Translator("en"))
    assert offer.card is not None and "Confirm it before Monday, June 1, 2026 at 12:00 PM (Europe/Paris)" in fallbacks(
        offer.card.text[0]
    )
    assert [c.action_id for c in offer.card.controls] == ["event:confirm:7", "event:leave:7"]
    promoted = render_notice(
        Notice(SPACE, "console:bob", "event.promoted", {**params, "link": "https://v"}), Translator("fr")
    )
    assert "une place s'est libérée" in (promoted.text or "") and "https://v" in (promoted.text or "")
    missed = render_notice(Notice(SPACE, "console:alice", "event.missed", {"ref": 3, "title": "Meetup",
                                                                             "names": ["bob", "carol"]}), Translator("en"))  # fmt: skip
    assert "could not reach" in (missed.text or "") and "bob, carol" in (missed.text or "")


async def test_answering_the_question_as_hinted_keeps_place_and_mode(app: App, bot: Session) -> None:
    """The hint's own command works: the answer is stored and the member keeps their mode, antenna and rank."""
    await bot.say('/event antenna "Lyon"')
    event = await create(bot, '--onsite 1 --remote 5 --question "Régime alimentaire ?"')
    joined = await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    assert '/event signup 1 --answer "…"' in (joined.text or "")
    await bot.as_("carol").act(f"event:join:{event.id}:onsite")  # waitlisted
    await bot.as_("dan").say(f"/event signup {event.ref} --antenna Lyon")
    for name in ("bob", "carol", "dan"):
        reply = await bot.as_(name).say(f'/event signup {event.ref} --answer "végétarien"')
        assert "Précisez" not in (reply.text or "") and "Question" not in (reply.text or ""), reply.text
    rows = await signups(app, event)
    assert {n: (s.mode, s.status, s.antenna, s.position, s.answer) for n, s in rows.items()} == {
        "bob": ("onsite", "confirmed", None, None, "végétarien"),
        "carol": ("onsite", "waitlisted", None, 1, "végétarien"),
        "dan": ("remote", "confirmed", "Lyon", None, "végétarien"),
    }
    refused = await bot.as_("erin").say(f'/event signup {event.ref} --answer "oui"')  # not signed up: say how
    assert "Précisez comment vous participez" in (refused.text or "")
    assert "erin" not in await signups(app, event)


async def test_a_cancelled_event_says_so_in_info_and_mine(app: App, bot: Session) -> None:
    """After a cancellation, members are not told their place is confirmed."""
    event = await create(bot)
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    await bot.say(f"/event cancel {event.ref}")
    for line in (f"/event info {event.ref}", "/event mine"):
        text = (await bot.as_("bob").say(line)).text or ""
        assert "annulé" in text and "confirmée" not in text, text
    english = (await bot.as_("bob", locale="en").say("/event mine")).text or ""
    assert "cancelled" in english and "confirmed" not in english


async def test_workshop_waitlist_is_said_in_the_readers_language(app: App, bot: Session) -> None:
    """A workshop waited for reads "(liste d'attente)" in French, "(waitlist)" in English."""
    event = await create(bot, "--onsite 5")
    await bot.say(f'/event workshop {event.ref} "A" --start 10h --end 11h --capacity 1')
    for name in ("bob", "carol"):
        await bot.as_(name).act(f"event:join:{event.id}:onsite")
        await bot.as_(name).say(f"/event choose {event.ref} 1")
    assert "Ateliers : A (liste d'attente)" in ((await bot.as_("carol").say("/event mine")).text or "")
    assert "Workshops: A (waitlist)" in ((await bot.as_("carol", locale="en").say("/event mine")).text or "")
    assert "Ateliers : A\n" in ((await bot.as_("bob").say("/event mine")).text or "") + "\n"


async def test_lowering_places_below_those_held_is_refused_and_tells_how_many(app: App, bot: Session) -> None:
    """`--remote 0` with a remote attendee, `--onsite` under those confirmed: refused, nothing changes."""
    event = await create(bot, "--onsite 3 --remote 5")
    for name, mode in (("bob", "onsite"), ("carol", "onsite"), ("dan", "remote")):
        await bot.as_(name).act(f"event:join:{event.id}:{mode}")
    remote = await bot.say(f"/event edit {event.ref} --remote 0")
    assert "1 personne y a déjà une place" in (remote.text or ""), remote.text
    onsite = await bot.say(f"/event edit {event.ref} --onsite 1")
    assert "2 personnes y ont déjà une place" in (onsite.text or ""), onsite.text
    kept = await app.services.events.get(SPACE, event.ref)
    assert (kept.onsite_capacity, kept.remote_capacity) == (3, 5)
    assert {s.status for s in (await signups(app, event)).values()} == {"confirmed"}
    assert (await bot.say(f"/event edit {event.ref} --onsite 2")).card is not None  # down to those held: fine


async def test_after_the_start_no_withdrawal_and_a_cancel_says_it_stops(
    app: App, bot: Session, sent: RecordingDelivery
) -> None:
    """Started: withdrawing is refused, cancelling tells members it stops; ended: cancel and workshops refused."""
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    event = await create(bot)
    other = await create(bot, title="Autre")
    await bot.as_("bob").act(f"event:join:{event.id}:onsite")
    clock.set(event.starts_at)
    for withdraw in (bot.as_("bob").say(f"/event withdraw {event.ref}"), bot.as_("bob").act(f"event:leave:{event.id}")):
        assert "a commencé" in ((await withdraw).text or "")
    assert (await signups(app, event))["bob"].status == "confirmed"
    reply = await bot.say(f"/event cancel {event.ref}")
    assert "1 personne inscrite est prévenue" in (reply.text or "")
    await app.notices.idle()
    assert "est interrompu" in sent.to("console:bob")[-1] and "prévu le" not in sent.to("console:bob")[-1]
    clock.set(other.ends_at)
    assert "est terminé" in ((await bot.say(f"/event cancel {other.ref}")).text or "")
    workshop = await bot.say(f'/event workshop {other.ref} "Tard" --start 10h --end 11h')
    assert "est terminé" in (workshop.text or "")
    assert (await app.services.events.get(SPACE, other.ref)).cancelled_at is None


async def test_an_online_link_must_be_a_web_address_on_one_line(bot: Session) -> None:
    """A link with a line break (it would end the calendar field) or another scheme is refused, and nothing is created."""
    for link in ("https://visio.example/j\r\nX-INJECTED: 1", "javascript:alert(1)", "visio.example/j", "https://"):
        reply = await bot.say(
            f'/event create "Rencontre" --start "30 juin 9h30" --end "17h" --remote 10 --link "{link}"'
        )
        assert "n'est pas un lien web" in (reply.text or ""), (link, reply.text)
    assert "Aucun événement" in ((await bot.say("/event list")).text or "")
    event = await create(bot, '--onsite 2 --remote 10 --link " https://visio.example/j "')
    assert event.online_link == "https://visio.example/j"
    assert "Aucun" not in ((await bot.say(f"/event ics {event.ref}")).text or "")
