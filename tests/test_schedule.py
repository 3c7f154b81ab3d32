"""Reminders, follow-ups, staff posts and polls: sent once, on time, across restarts, DST and kills."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock, RehearsalClock
from bot.core.model import Member
from bot.core.pacing import Pacer, TokenBucket
from bot.features.events.domain import Event, EventDraft, SignupRequest
from bot.features.schedule.domain import before, followup_due, parse_offsets
from bot.scheduler import Wakeups
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import START, ConsoleSession, Session, member, running_app

SPACE = "console:local"
OTHER = "console:other"
ALICE = member("alice", staff=True)
PARIS = ZoneInfo("Europe/Paris")
ROOT = Path(__file__).resolve().parents[1]
STARTS = START + timedelta(days=10)  # Thursday 11 June 2026, 10:00 in Paris


def clock_of(app: App) -> ManualClock:
    """The test clock of an app."""
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    return clock


def recorder(app: App) -> RecordingDelivery:
    """A recording platform for the console space."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    return delivery


async def make_event(app: App, starts: datetime = STARTS, onsite: int = 2, **more: Any) -> Event:
    """An event created by alice, with places on site and unlimited remote ones."""
    draft = EventDraft(
        "Journée",
        starts,
        starts + timedelta(hours=7),
        onsite_capacity=onsite,
        remote_capacity=None,
        online_link="https://visio.example/j",
        venue="Lyon",
        **more,
    )
    return await app.services.events.create(SPACE, "general", ALICE, draft)


async def join(app: App, event: Event, name: str, mode: str = "onsite") -> None:
    """Sign a member up."""
    await app.services.events.join(SPACE, member(name), event.id, SignupRequest(mode))  # type: ignore[arg-type]


async def crowd(app: App) -> Event:
    """bob and dan on site, carol remote, erin waitlisted, fred withdrawn."""
    event = await make_event(app)
    for name, mode in (
        ("bob", "onsite"),
        ("carol", "remote"),
        ("dan", "onsite"),
        ("erin", "onsite"),
        ("fred", "remote"),
    ):
        await join(app, event, name, mode)
    await app.services.events.withdraw(SPACE, member("fred"), event.id)
    return event


async def at(app: App, moment: datetime) -> None:
    """Move the test clock to `moment` and run what fell due."""
    clock_of(app).set(moment)
    await app.services.wakeups.run_due()


def recipients(delivery: RecordingDelivery) -> list[str]:
    """Who received private messages, in order."""
    return [who for who, _reply, _ok in delivery.private]


# ---------------------------------------------------------------- planning and timing


def test_offsets_parse_and_days_keep_the_wall_clock_across_dst() -> None:
    """ "7d,1d,1h"; a whole-day offset lands at the same local time even across the last Sunday of March/October."""
    assert parse_offsets("7d, 1j,1h") == (timedelta(days=7), timedelta(days=1), timedelta(hours=1))
    assert parse_offsets("aucun") == ()
    march = datetime(2027, 3, 30, 18, 0, tzinfo=PARIS)  # Tuesday after the switch to summer time (28 March)
    assert before(march.astimezone(UTC), PARIS, timedelta(days=7)).astimezone(PARIS).hour == 18
    assert before(march.astimezone(UTC), PARIS, timedelta(days=7)) == datetime(2027, 3, 23, 17, 0, tzinfo=UTC)
    october = datetime(2027, 11, 2, 18, 0, tzinfo=PARIS)  # Tuesday after the switch back (31 October)
    assert before(october.astimezone(UTC), PARIS, timedelta(days=7)) == datetime(2027, 10, 26, 16, 0, tzinfo=UTC)
    sunday = datetime(2027, 3, 29, 9, 0, tzinfo=PARIS)  # 1 day before is the switch day itself
    assert before(sunday.astimezone(UTC), PARIS, timedelta(days=1)) == datetime(2027, 3, 28, 7, 0, tzinfo=UTC)
    assert before(sunday.astimezone(UTC), PARIS, timedelta(hours=1)) == datetime(2027, 3, 29, 6, 0, tzinfo=UTC)


async def test_reminders_across_dst_fire_at_the_right_local_time(app: App) -> None:
    """An event just after each DST switch: its 7-day reminder goes out at 18:00 Paris time, not 17:00 or 19:00."""
    delivery = recorder(app)
    for starts in (datetime(2027, 3, 30, 18, 0, tzinfo=PARIS), datetime(2027, 11, 2, 18, 0, tzinfo=PARIS)):
        event = await make_event(app, starts.astimezone(UTC))
        await join(app, event, "bob")
        due = before(event.starts_at, PARIS, timedelta(days=7))
        await at(app, due - timedelta(minutes=1))  # an earlier event's follow-ups may go out on the way
        assert not any("Rappel" in text for text in delivery.to("console:bob"))
        await app.notices.idle()  # notices already decided are out before counting
        delivery.private.clear()
        await at(app, due)
        assert recipients(delivery) == ["console:bob"] and "18:00" in delivery.to("console:bob")[0]
        assert clock_of(app).now().astimezone(PARIS).hour == 18
        assert followup_due(event, "day").astimezone(PARIS).hour == 10
        await app.notices.idle()  # notices already decided are out before counting
        delivery.private.clear()


# ---------------------------------------------------------------- who gets what


async def test_reminders_reach_exactly_the_members_signed_up(app: App) -> None:
    """Confirmed get the essentials (link only if remote), the waitlisted their position, the withdrawn nothing."""
    delivery = recorder(app)
    event = await crowd(app)
    await at(app, STARTS - timedelta(days=7))
    assert sorted(recipients(delivery)) == ["console:bob", "console:carol", "console:dan", "console:erin"]
    bob, carol, erin = delivery.to("console:bob")[0], delivery.to("console:carol")[0], delivery.to("console:erin")[0]
    assert "Rappel" in bob and "Sur place" in bob and "Lyon" in bob and "visio" not in bob
    assert "À distance" in carol and "https://visio.example/j" in carol
    assert "liste d'attente" in erin and "n° 1" in erin and "visio" not in erin
    await at(app, STARTS - timedelta(days=7))  # runs again: nothing twice
    assert len(delivery.private) == 4
    await at(app, STARTS - timedelta(hours=1))
    assert len(delivery.private) == 12  # the 1-day and 1-hour reminders
    assert event.id


async def test_followups_reach_exactly_the_attendees_and_answers_are_aggregated(app: App, bot: Session) -> None:
    """The day after and a month later: confirmed members only; ratings by click, texts by the form; staff see both."""
    delivery = bot.sent
    event = await crowd(app)
    await at(app, STARTS - timedelta(hours=1))
    await app.notices.idle()  # notices already decided are out before counting
    delivery.private.clear()
    await at(app, followup_due(event, "day"))
    assert sorted(recipients(delivery)) == ["console:bob", "console:carol", "console:dan"]
    card = delivery.private[0][1].card
    assert card is not None and [c.label for c in card.controls][:5] == ["1", "2", "3", "4", "5"]
    rate = next(c.action_id for c in card.controls if c.label == "4")
    reply = await bot.as_("bob", channel="dm").act(rate)
    assert "4/5" in reply.text and reply.modal is not None and reply.modal.action_id == "cmd:event.answer"
    submitted = await bot.as_("bob", channel="dm").act("cmd:event.answer", fields={"event": "#1", "text": "Mieux écouter"})  # fmt: skip
    assert "enregistrée" in submitted.text
    await bot.as_("carol", channel="dm").act(rate.replace(":4", ":2"))
    refused = await bot.as_("erin", channel="dm").act(rate)
    assert "Aucune question de suivi" in refused.text
    await app.notices.idle()  # notices already decided are out before counting
    delivery.private.clear()
    await at(app, followup_due(event, "month"))
    assert sorted(recipients(delivery)) == ["console:bob", "console:carol", "console:dan"]
    await bot.as_("dan", channel="dm").say('event answer 1 "Les rituels du lundi"')
    feedback = await bot.say("event feedback 1")
    assert feedback.card is not None
    fields = {f.name: f.value for f in feedback.card.fields}
    assert fields == {"Réponses / sollicités": "3 / 3", "Note moyenne (notes)": "3,0 (2)"}
    assert [bar.count for bar in feedback.card.bars] == [0, 1, 0, 1, 0]
    assert any("Mieux écouter" in t for t in feedback.card.text) and any("rituels" in t for t in feedback.card.text)
    export = await bot.say("event feedback 1 --csv")
    rows = export.files[0].content.decode("utf-8-sig").splitlines()
    assert rows[0] == "name;member;step;rating;text;answered_at" and len(rows) == 4
    assert any(row.startswith("dan;console:dan;month;;Les rituels du lundi") for row in rows)


async def test_undeliverable_reminders_are_reported_to_the_author(app: App) -> None:
    """A member whose DMs are closed: the event's author is told who was missed, privately, through the outbox."""
    delivery = recorder(app)
    delivery.unreachable.add("console:carol")
    await crowd(app)
    await at(app, STARTS - timedelta(days=7))
    await app.notices.idle()
    assert any("carol" in text and "Journée" in text for text in delivery.to("console:alice"))
    # queued with the message's completion, so it waits for the platform like every notice
    rows = await app.services.db.fetch_all(
        "SELECT member, kind, params, status FROM outbox WHERE kind LIKE 'schedule.%'"
    )
    assert [(r["member"], r["kind"], json.loads(r["params"])["names"], r["status"]) for r in rows] == [
        ("console:alice", "schedule.missed", ["carol"], "sent")
    ]


async def test_cancelled_event_and_withdrawn_member_get_nothing(app: App, bot: Session) -> None:
    """Cancelling cancels the reminders and follow-ups; withdrawing before a reminder stops it for that member."""
    delivery = bot.sent
    event = await crowd(app)
    await app.services.events.withdraw(SPACE, member("dan"), event.id)
    await app.notices.idle()  # notices already decided are out before counting
    delivery.private.clear()
    await at(app, STARTS - timedelta(days=7))
    assert "console:dan" not in recipients(delivery) and "console:fred" not in recipients(delivery)
    await app.services.events.cancel(SPACE, event.ref, ALICE)
    await app.notices.idle()  # the cancellation notices themselves go out through the outbox
    delivery.private.clear()
    await at(app, followup_due(event, "month") + timedelta(days=1))
    assert delivery.private == []
    listed = await bot.say("schedule list")
    assert "Rien n'est programmé" in listed.text


async def test_per_event_offsets_and_an_edited_start_move_the_reminders(app: App, bot: Session) -> None:
    """/event reminders replaces pending reminders; moving the start re-times them."""
    delivery = bot.sent
    event = await crowd(app)
    reply = await bot.say('event reminders 1 "2j,3h"')
    assert "2 j, 3 h" in reply.text
    new_start = STARTS + timedelta(days=1)
    await app.services.events.edit(
        SPACE, event.ref, ALICE, {"starts_at": new_start, "ends_at": new_start + timedelta(hours=7)}
    )
    await at(app, STARTS - timedelta(days=2))
    assert delivery.private == []
    await at(app, new_start - timedelta(days=2))
    assert len(delivery.private) == 4
    await at(app, new_start - timedelta(hours=3))
    assert len(delivery.private) == 8
    await at(app, new_start - timedelta(minutes=30))
    assert len(delivery.private) == 8


# ---------------------------------------------------------------- restarts and downtime


async def test_downtime_closes_the_poll_at_start_and_drops_the_stale_reminder(settings: Settings) -> None:
    """Down across a poll's closing and a reminder's time, up after the event started: poll closed, reminder dropped."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        recorder(first)
        event = await make_event(first, START + timedelta(hours=5))
        await join(first, event, "bob")
        await Session(first).say('poll create "Q ?" "A" "B" --closes "dans 2h"')
    clock.advance(timedelta(hours=6))
    async with running_app(settings, clock) as second:
        delivery = recorder(second)
        await (
            second.services.wakeups.run_due()
        )  # start already ran it before our recorder: run again to see nothing new
        assert delivery.private == []
        assert await second.services.polls.open_polls(SPACE) == []
        statuses = {row["kind"]: row["status"] for row in await second.services.db.fetch_all(
            "SELECT kind, status FROM scheduled_messages WHERE kind = 'reminder'")}  # fmt: skip
        assert statuses == {"reminder": "dropped"}


def test_sigkill_mid_fanout_then_restart_sends_the_rest_once(tmp_path: Path) -> None:
    """Kill -9 after N of M reminders; on restart the others are sent, none twice, in-flight ones reported unsure."""
    db, total, limit = tmp_path / "fanout.db", 60, 25
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, str(ROOT / "tests" / "scripts" / "reminder_fanout.py"), str(db),
                                str(total), str(limit)], stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    first: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("sent "):
            first.append(line.split()[1])
        if line.startswith("stuck ") and len(first) >= limit:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL and len(first) == limit
    with sqlite3.connect(db) as conn:
        sending = {who for (who,) in conn.execute("SELECT recipient FROM deliveries WHERE status = 'sending'")}
    assert 1 <= len(sending) <= 8

    async def restart() -> RecordingDelivery:
        from tests.helpers import make_settings
        from tests.scripts.reminder_fanout import DUE

        async with running_app(make_settings(db), ManualClock(DUE)) as app:
            delivery = recorder(app)
            await app.services.schedule.sender.run_due()
        return delivery

    delivery = asyncio.run(restart())
    second = [who for who in recipients(delivery) if who != "console:alice"]
    everyone = {f"console:m{i}" for i in range(total)}
    # A send the platform accepted but whose 'sent' mark the kill beat is 'unsure' too: never sent again.
    assert len(second) == len(set(second)) == total - len(set(first) | sending)
    assert not set(first) & set(second) and not sending & set(second)
    assert set(first) | set(second) | sending == everyone
    with sqlite3.connect(db) as conn:
        statuses = dict(conn.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
    assert statuses == {"sent": total - len(sending), "unsure": len(sending)}


async def test_unsure_deliveries_are_reported_at_start(settings: Settings) -> None:
    """A row left 'sending' by a crash becomes 'unsure', is not re-sent, and the author hears of it."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        event = await make_event(first)
        await join(first, event, "bob")
        message = (await first.services.schedule.plans.upcoming(SPACE))[0]
        await first.services.schedule.plans.store.claim(message.id, SPACE, "console:bob", "bob", clock.now())
    clock.set(message.due_at)
    async with running_app(settings, clock) as second:  # start-up catches up before any adapter registers
        rows = await second.services.db.fetch_all("SELECT status FROM deliveries")
        assert [row["status"] for row in rows] == ["unsure"]
        delivery = recorder(second)
        await delivery.wait_until(lambda: bool(delivery.to("console:alice")))
        await second.services.wakeups.run_due()
        await second.notices.idle()
        assert "console:bob" not in recipients(delivery)
        (told,) = delivery.to("console:alice")
        assert "#1 · Journée" in told and "bob" in told and "ne le renvoie pas" in told


async def test_an_offer_expired_while_down_reaches_the_next_member_once_the_adapter_registers(
    settings: Settings,
) -> None:
    """Offers expiring during downtime are passed on at start; the notices wait for the platform's adapter."""
    clock = ManualClock(START)
    async with running_app(settings, clock) as first:
        recorder(first)
        event = await make_event(first, onsite=1, confirm_hours=2)
        for name in ("bob", "carol", "dan"):
            await join(first, event, name)
        await first.services.events.withdraw(SPACE, member("bob"), event.id)  # carol is offered the place
        await first.notices.idle()
    clock.advance(timedelta(hours=3))
    async with running_app(settings, clock) as second:
        rows = await second.services.db.fetch_all("SELECT member, kind, status FROM outbox WHERE status = 'pending'")
        assert {(r["member"], r["kind"]) for r in rows} == {("console:carol", "event.expired"),
                                                            ("console:dan", "event.offered")}  # fmt: skip
        delivery = recorder(second)
        await delivery.wait_until(lambda: bool(delivery.to("console:dan")))
        await second.notices.idle()
        assert "délai pour confirmer" in delivery.to("console:carol")[0]
        (offer,) = [reply for who, reply, _ok in delivery.private if who == "console:dan"]
        assert offer.card is not None and "Confirmez-la avant" in offer.card.text[0]
        signups = {s.name: s.status for s in await second.services.events.signups(event)}
        assert signups == {"bob": "withdrawn", "carol": "expired", "dan": "offered"}


async def test_a_french_reminder_says_a_workshop_is_waited_for_in_french(app: App) -> None:
    """No English word in a French reminder: a workshop waited for reads "(liste d'attente)"."""
    bot = Session(app)
    delivery = bot.sent
    event = await make_event(app, onsite=5)
    await bot.say(f'/event workshop {event.ref} "Atelier son" --start 10h --end 11h --capacity 1')
    for name in ("bob", "carol"):
        await join(app, event, name)
        await app.services.events.choose_session(SPACE, member(name), event.id, 1)
    await at(app, STARTS - timedelta(days=7))
    reminder = delivery.to("console:carol")[-1]
    assert "Atelier son (liste d'attente)" in reminder and "waitlist" not in reminder


# ---------------------------------------------------------------- staff control


async def test_schedule_post_and_poll_later_preview_reschedule_cancel(app: App, bot: Session) -> None:
    """Staff schedule a post and a poll, look, move, cancel; what is due goes out once."""
    delivery = bot.sent
    assert "Programmé : #1" in (await bot.say('schedule post --at "demain 9h" "Bonjour à toutes et tous"')).text
    added = await bot.say('schedule poll --at "dans 1h" "Quel thème ?" "IA" "Climat" --closes "dans 3h"')
    assert "Programmé : #2" in added.text and "Quel thème ?" in added.text
    assert "Programmé : #3" in (await bot.say('schedule post --at "dans 2h" "À annuler"')).text
    preview = await bot.say("schedule preview 2")
    assert "1 destinataire" in preview.text and "• Climat" in preview.text
    assert "Annulé : #3" in (await bot.say("schedule cancel 3")).text
    assert "Reporté : #1" in (await bot.say('schedule reschedule 1 "dans 30 min"')).text
    assert "déjà envoyé, en cours d'envoi ou annulé" in (await bot.say("schedule cancel 3")).text
    await at(app, START + timedelta(minutes=90))
    await app.services.wakeups.run_due()
    texts = [reply.text or (reply.card.title if reply.card else "") for _s, _c, reply in delivery.posts]
    assert texts[0] == "Bonjour à toutes et tous" and texts[1] == "#1 · Quel thème ?" and len(texts) == 2
    assert [p.question for p in await app.services.polls.open_polls(SPACE)] == ["Quel thème ?"]
    listing = await bot.say("schedule list")
    assert "Rien n'est programmé" in listing.text


@pytest.mark.parametrize(
    ("locale", "line", "expected"),
    [
        ("fr", 'schedule post --at "hier 9h" "x"', "est déjà passé"),
        ("en", 'schedule post --at "yesterday-ish" "x"', "I couldn't understand"),
        ("fr", 'schedule post --at "+2h" "   "', "Il manque : texte"),
        ("en", "schedule preview abc", "is not a scheduled message number"),
        ("fr", "schedule cancel 99", "Aucun message programmé #99"),
        ("en", 'event reminders 1 "soon"', "I couldn't understand the duration"),
        ("fr", 'schedule poll --at "+2h" "Q ?" "A" "B" --closes "+1h"', "doit se fermer après son ouverture"),
        ("en", 'event answer 1 "hello"', "No follow-up question was sent to you"),
    ],
)
async def test_bad_input_is_explained_in_both_languages(
    app: App, bot: Session, locale: str, line: str, expected: str
) -> None:
    """Every mistake gets a translated, private explanation."""
    await make_event(app)
    reply = await bot.as_(locale=locale).say(line)
    assert expected in reply.text and not reply.public


async def test_staff_only_and_other_spaces_refused(app: App, bot: Session) -> None:
    """Members cannot steer the schedule nor read feedback; another space's ids are not found."""
    event = await crowd(app)
    bob = member("bob")
    for line in ("schedule list", 'schedule post --at "+1h" "x"', "event feedback 1", 'event reminders 1 "1h"'):
        assert "Seule l'équipe" in (await bot.as_(bob).say(line)).text
    other_staff = Member("console:zoe", "zoe", is_staff=True)
    assert "Aucun message programmé #1" in (await bot.as_(other_staff, space=OTHER).say("schedule cancel 1")).text
    clicked = await bot.as_(bob, space=OTHER, channel="dm").act(f"followup:rate:{event.id}:5")
    assert "Aucun événement" in clicked.text
    assert "Aucun événement" in (await bot.as_(bob, space=OTHER, channel="dm").act(f"followup:answer:{event.id}")).text


# ---------------------------------------------------------------- console rehearsal, pacing, wake-ups


async def test_console_clock_drives_a_rehearsal(app: App) -> None:
    """/clock shows the time, moves it forward (never back) and runs what fell due."""
    console = ConsoleSession(app)
    await console.say(
        '/event create "Répétition" --start "3 juin 18h" --end 20h --onsite 5',
        "/as bob",
        "/event signup 1 --mode onsite",
        "/as alice",
    )
    assert "lundi 1 juin 2026 à 10:00" in await console.say("/clock")
    out = await console.say("/clock +1j")
    assert "mardi 2 juin 2026 à 10:00" in out and "→ bob (privé) : ⏰ Rappel" not in out
    out = await console.say('/clock "2 juin 18h"')
    assert "→ bob (privé) : ⏰ Rappel : #1 · Répétition" in out
    assert "ne recule jamais" in await console.say('/clock "2026-06-01 9h"')
    assert "Je n'ai pas compris" in await console.say("/clock demain-ish")
    assert "→ bob (privé) : ⏰ Rappel" in await console.say('/clock "3 juin 17h30"')  # the 1-hour reminder
    out = await console.say('/clock "4 juin 10h"')
    assert "Quelle note lui donnez-vous" in out and out.count("→ bob") == 1
    out = await console.say("/as bob", "/click 5")
    assert "5/5" in out and "/événement répondre 1" in out


async def test_token_bucket_paces_without_sleeping() -> None:
    """100 sends at 20/s with a burst of 20 take 4 virtual seconds; the test never sleeps."""
    now = [0.0]

    async def fake_sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = TokenBucket(20, 20, lambda: now[0], fake_sleep)
    for _ in range(100):
        await bucket.acquire()
    assert now[0] == pytest.approx(4.0, abs=0.01)
    pacer = Pacer({"discord": 20, "console": 0}, lambda: now[0], fake_sleep)
    before_console = now[0]
    for _ in range(50):
        await pacer.acquire("console:local")
    assert now[0] == before_console and set(pacer.buckets) == {"discord"}


async def test_wakeups_follow_a_moved_clock() -> None:
    """APScheduler jobs are timed on the app's clock: a jump forward re-times them, and they fire."""
    clock = RehearsalClock()
    wakeups = Wakeups(clock)
    fired = asyncio.Event()

    async def work() -> None:
        if clock.now() >= due:
            fired.set()

    wakeups.add_source(work)
    due = clock.now() + timedelta(days=1)
    await wakeups.start()
    try:
        wakeups.wake_at(due)
        assert wakeups.pending() == [due]
        clock.advance(timedelta(days=1) - timedelta(milliseconds=20))
        for moment in wakeups.pending():  # re-time without running: the real job must fire by itself
            wakeups.wake_at(moment)
        await asyncio.wait_for(fired.wait(), 5)
        assert wakeups.pending() == []
    finally:
        await wakeups.shutdown()
