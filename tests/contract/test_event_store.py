"""EventStore contract: what every event store must do, whatever its database."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.features.events.domain import Antenna, Change, Event, EventDraft, Mode, Session, Signup, SignupRequest
from bot.features.events.store import EventStore

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 6, 30, 7, 30, tzinfo=UTC)
SPACE = "console:local"


@pytest.fixture
def events(store: Callable[[str], Any]) -> EventStore:
    """The event store under test."""
    return store("events")


async def create(
    events: EventStore, onsite: int = 2, remote: int | None = 0, confirm_hours: int | None = None, space: str = SPACE
) -> Event:
    """A new event on 30 June."""
    draft = EventDraft("Rencontre", START, START + timedelta(hours=8), onsite_capacity=onsite,
                       remote_capacity=remote, confirm_hours=confirm_hours)  # fmt: skip
    return await events.create_event(space, "general", "console:alice", "Europe/Paris", draft, NOW)


async def join(events: EventStore, event: Event, name: str, mode: Mode = "onsite", at: datetime = NOW) -> Change:
    """Sign `name` up."""
    return await events.apply_signup(SPACE, event.id, f"console:{name}", name, SignupRequest(mode), at)


async def by_name(events: EventStore, event: Event) -> dict[str, Signup]:
    """Every sign-up of the event by member name."""
    return {signup.name: signup for signup in await events.signups(event.id)}


def told(change: Change) -> list[tuple[str, str]]:
    """(kind, member) of each notice a change queued."""
    return [(notice.kind, notice.member) for notice in change.notices]


async def test_refs_are_numbered_per_space_and_found_only_there(events: EventStore) -> None:
    """Each space numbers its events from 1; a reference finds only its own space's event."""
    first, other, second = await create(events), await create(events, space="slack:T1"), await create(events)
    assert (first.ref, other.ref, second.ref) == (1, 1, 2)
    assert await events.find_event(SPACE, 2) == second and await events.get_event(other.id) == other
    assert await events.find_event("discord:9", 1) is None


async def test_200_concurrent_signups_for_50_onsite_places(events: EventStore) -> None:
    """Exactly 50 confirmed and 150 waitlisted at positions 1..150 in arrival order; a withdrawal promotes the first."""
    event = await create(events, onsite=50)
    changes = await asyncio.gather(*(join(events, event, f"m{i:03d}") for i in range(200)))
    rows = await by_name(events, event)
    confirmed = [s for s in rows.values() if s.status == "confirmed"]
    waiting = sorted((s for s in rows.values() if s.status == "waitlisted"), key=lambda s: s.seq)
    assert len(rows) == 200 and len(confirmed) == 50 and len(waiting) == 150
    assert [s.position for s in waiting] == list(range(1, 151))
    assert max(s.seq for s in confirmed) < min(s.seq for s in waiting)
    for change in changes:  # what each caller got back is what is stored
        assert change.signup == rows[change.signup.name]
    counts = await events.counts(event.id)
    assert (counts.modes["onsite"].held, counts.modes["onsite"].waiting) == (50, 150)

    change = await events.withdraw(SPACE, event.id, confirmed[0].member, NOW)
    assert change.signup is not None and change.signup.status == "withdrawn"
    assert told(change) == [("event.promoted", waiting[0].member)]
    rows = await by_name(events, event)
    assert rows[waiting[0].name].status == "confirmed" and rows[waiting[1].name].position == 1
    # Ten leave at once: the next ten in line, exactly, take their places.
    await asyncio.gather(*(events.withdraw(SPACE, event.id, s.member, NOW) for s in confirmed[1:11]))
    rows = await by_name(events, event)
    assert {s.name for s in waiting[1:11]} <= {n for n, s in rows.items() if s.status == "confirmed"}
    assert sum(s.holds_place for s in rows.values()) == 50
    assert sorted(s.position or 0 for s in rows.values() if s.status == "waitlisted") == list(range(1, 140))


async def test_withdrawing_needs_an_active_signup(events: EventStore) -> None:
    """Withdrawing without being signed up, or twice, is refused."""
    event = await create(events)
    with pytest.raises(UserError, match=r"event\.not_signed_up"):
        await events.withdraw(SPACE, event.id, "console:bob", NOW)
    await join(events, event, "bob")
    await events.withdraw(SPACE, event.id, "console:bob", NOW)
    with pytest.raises(UserError, match=r"event\.not_signed_up"):
        await events.withdraw(SPACE, event.id, "console:bob", NOW)


async def test_offers_with_a_window_expire_and_pass_on(events: EventStore) -> None:
    """A promoted member is offered the place; unconfirmed when it expires, it passes to the next one."""
    event = await create(events, onsite=1, confirm_hours=2)
    for name in ("bob", "carol", "dave", "erin"):
        await join(events, event, name)
    change = await events.withdraw(SPACE, event.id, "console:bob", NOW)
    expires = NOW + timedelta(hours=2)
    assert told(change) == [("event.offered", "console:carol")]
    assert change.notices[0].params["expires_at"] == expires.isoformat()
    assert await events.next_offer_expiries() == [expires]
    assert await events.expire_offers(expires - timedelta(seconds=1)) == []
    (expired,) = await events.expire_offers(expires)
    assert told(expired) == [("event.expired", "console:carol"), ("event.offered", "console:dave")]
    rows = await by_name(events, event)
    assert (rows["carol"].status, rows["dave"].status, rows["erin"].position) == ("expired", "offered", 1)
    with pytest.raises(UserError, match=r"event\.no_offer"):
        await events.confirm_offer(SPACE, event.id, "console:carol", expires)
    later = expires + timedelta(hours=1)
    confirmed = await events.confirm_offer(SPACE, event.id, "console:dave", later)
    assert confirmed.signup is not None and confirmed.signup.status == "confirmed" and confirmed.notices == ()
    assert await events.next_offer_expiries() == []


async def test_capacity_per_mode(events: EventStore) -> None:
    """Each mode has its own places and waitlist; a full target keeps the old place; moving frees it for the next."""
    event = await create(events, onsite=1, remote=1)
    for name, mode in (
        ("bob", "onsite"),
        ("carol", "onsite"),
        ("fred", "onsite"),
        ("dave", "remote"),
        ("erin", "remote"),
    ):
        await join(events, event, name, mode)  # type: ignore[arg-type]
    rows = await by_name(events, event)
    assert [(rows[n].status, rows[n].position) for n in ("bob", "carol", "fred", "dave", "erin")] == [
        ("confirmed", None), ("waitlisted", 1), ("waitlisted", 2), ("confirmed", None), ("waitlisted", 1)]  # fmt: skip
    with pytest.raises(UserError, match=r"event\.mode_full_keep_place"):
        await join(events, event, "bob", "remote")
    with pytest.raises(UserError, match=r"event\.mode_not_offered"):
        await events.apply_signup(
            SPACE, (await create(events, remote=0)).id, "console:x", "x", SignupRequest("remote"), NOW
        )
    change = await join(events, event, "fred", "remote")  # waiting on site, now waiting remotely, behind erin
    assert change.signup is not None and (change.signup.status, change.signup.position) == ("waitlisted", 2)
    assert told(await events.withdraw(SPACE, event.id, "console:dave", NOW)) == [("event.promoted", "console:erin")]
    assert told(await events.withdraw(SPACE, event.id, "console:erin", NOW)) == [("event.promoted", "console:fred")]
    assert told(await events.withdraw(SPACE, event.id, "console:fred", NOW)) == []  # nobody waits remotely
    change = await join(events, event, "bob", "remote")  # a remote place is free: bob moves, his place goes on
    assert change.signup is not None and (change.signup.mode, change.signup.status) == ("remote", "confirmed")
    assert told(change) == [("event.promoted", "console:carol")]
    counts = await events.counts(event.id)
    assert {m: (c.held, c.waiting) for m, c in counts.modes.items()} == {"onsite": (1, 0), "remote": (1, 0)}


async def test_more_places_promote_and_antennas_are_counted(events: EventStore) -> None:
    """A larger capacity fills from the waitlist; remote places from an antenna are counted per antenna."""
    lyon = await events.add_antenna(SPACE, Antenna(0, SPACE, "Lyon"), NOW)
    with pytest.raises(UserError, match=r"event\.antenna_exists"):
        await events.add_antenna(SPACE, Antenna(0, SPACE, "lyon"), NOW)
    event = await create(events, onsite=1, remote=None)
    await join(events, event, "bob")
    await join(events, event, "carol")
    await events.apply_signup(SPACE, event.id, "console:dave", "dave", SignupRequest("remote", lyon.id, "oui"), NOW)
    draft = EventDraft(event.title, event.starts_at, event.ends_at, onsite_capacity=2, remote_capacity=None)
    change = await events.update_event(event.id, draft, NOW)
    assert change.event.onsite_capacity == 2 and told(change) == [("event.promoted", "console:carol")]
    assert (await events.get_event(event.id)).onsite_capacity == 2
    dave = await events.signup(event.id, "console:dave")
    assert dave is not None and (dave.antenna, dave.answer) == ("Lyon", "oui")
    assert [(a.name, n) for a, n in (await events.counts(event.id)).antennas] == [("Lyon", 1)]


async def test_workshops_capacity_and_overlap(events: EventStore) -> None:
    """Workshops have places and a waitlist, never overlap for one member, and need a place at the event."""
    event = await create(events, onsite=5)
    day = START.replace(hour=0, minute=0)
    for title, start, end in (("A", 8, 9), ("B", 8, 10), ("C", 9, 10)):
        added = await events.add_session(event.id, SPACE, Session(0, event.id, 0, title, day + timedelta(hours=start),
                                                                  day + timedelta(hours=end), capacity=1), NOW)  # fmt: skip
    assert added.number == 3
    with pytest.raises(UserError, match=r"event\.session_needs_place"):
        await events.toggle_session(SPACE, event.id, "console:bob", 1, NOW)
    await join(events, event, "bob")
    await join(events, event, "carol")
    assert (await events.toggle_session(SPACE, event.id, "console:bob", 1, NOW)).session_status == "confirmed"
    with pytest.raises(UserError, match=r"event\.session_overlap"):
        await events.toggle_session(SPACE, event.id, "console:bob", 2, NOW)
    assert (await events.toggle_session(SPACE, event.id, "console:bob", 3, NOW)).session_status == "confirmed"
    assert (await events.toggle_session(SPACE, event.id, "console:carol", 1, NOW)).session_status == "waitlisted"
    dropped = await events.toggle_session(SPACE, event.id, "console:bob", 1, NOW)
    assert dropped.session_status is None and told(dropped) == [("event.session", "console:carol")]
    rows = await by_name(events, event)
    assert (rows["bob"].sessions, rows["carol"].sessions) == (("C",), ("A",))
    sessions = {s.title: c for s, c in (await events.counts(event.id)).sessions}
    assert (sessions["A"].held, sessions["B"].held, sessions["C"].held) == (1, 0, 1)
    await events.withdraw(SPACE, event.id, "console:carol", NOW)  # leaving gives up workshops
    assert (await events.signup(event.id, "console:carol")).sessions == ()
    with pytest.raises(UserError, match=r"event\.session_not_found"):
        await events.toggle_session(SPACE, event.id, "console:bob", 9, NOW)


async def test_another_space_event_is_refused(events: EventStore) -> None:
    """Every intent naming another space's event is refused as not found, and changes nothing."""
    event = await create(events)
    await join(events, event, "bob")
    other = "slack:T999"
    for attempt in (
        events.apply_signup(other, event.id, "slack:U1", "mallory", SignupRequest("onsite"), NOW),
        events.withdraw(other, event.id, "console:bob", NOW),
        events.confirm_offer(other, event.id, "console:bob", NOW),
        events.toggle_session(other, event.id, "console:bob", 1, NOW),
        events.apply_signup(SPACE, 9999, "console:bob", "bob", SignupRequest("onsite"), NOW),
    ):
        with pytest.raises(UserError, match=r"event\.not_found"):
            await attempt
    assert list(await by_name(events, event)) == ["bob"]


async def test_cancellation_tells_everyone_signed_up_once(events: EventStore) -> None:
    """Cancelling tells the members still signed up (not those who left); a second cancel is refused."""
    event = await create(events, onsite=1)
    for name in ("bob", "carol", "dave"):
        await join(events, event, name)
    await events.withdraw(SPACE, event.id, "console:dave", NOW)
    change = await events.cancel_event(event.id, NOW)
    assert change.event.cancelled_at == NOW
    assert told(change) == [("event.cancelled", "console:bob"), ("event.cancelled", "console:carol")]
    with pytest.raises(UserError, match=r"event\.cancelled"):
        await events.cancel_event(event.id, NOW)
    with pytest.raises(UserError, match=r"event\.cancelled"):
        await join(events, event, "erin")
    assert [e.id for e in await events.upcoming_events(SPACE, NOW)] == [event.id]


async def test_member_signups_lists_active_ones_of_events_not_ended(events: EventStore) -> None:
    """A member's sign-ups: active ones only, events not yet ended, soonest first."""
    first, second, left = await create(events), await create(events), await create(events)
    for event in (second, first, left):
        await join(events, event, "bob")
    await events.withdraw(SPACE, left.id, "console:bob", NOW)
    found = await events.member_signups(SPACE, "console:bob", NOW)
    assert [(e.id, s.status) for e, s in found] == [(first.id, "confirmed"), (second.id, "confirmed")]
    assert await events.member_signups(SPACE, "console:bob", first.ends_at) == []


async def test_ended_events_are_those_that_took_place_in_this_space(events: EventStore) -> None:
    """Reports read the events that ended, oldest first: not a cancelled one, not one still ahead, not another space's."""
    held, cancelled = await create(events), await create(events)
    await create(events, space="slack:T1")
    await events.cancel_event(cancelled.id, NOW)
    after = held.ends_at + timedelta(minutes=1)
    assert [e.id for e in await events.ended_events(SPACE, after)] == [held.id]
    assert await events.ended_events(SPACE, held.ends_at - timedelta(minutes=1)) == []


async def test_waitlist_moves_are_counted_as_they_happen(events: EventStore) -> None:
    """Waitlisted, a place freed, an offer expiring, the next one confirmed, one leaving: each move counted once."""
    event = await create(events, onsite=1, confirm_hours=2)
    for name in ("a", "b", "c", "d"):
        await join(events, event, name)
    await events.apply_signup(SPACE, event.id, "console:b", "b", SignupRequest(None, answer="oui"), NOW)  # no move
    await events.withdraw(SPACE, event.id, "console:d", NOW)  # leaves the waitlist
    await events.withdraw(SPACE, event.id, "console:a", NOW)  # frees the place: b is offered it
    await events.expire_offers(NOW + timedelta(hours=3))  # b lets it expire: c is offered it
    await events.confirm_offer(SPACE, event.id, "console:c", NOW + timedelta(hours=4))
    with pytest.raises(UserError):  # a refused change moves nobody
        await events.confirm_offer(SPACE, event.id, "console:b", NOW + timedelta(hours=4))
    assert await events.signup_moves(event.id) == {
        (None, "confirmed"): 1,
        (None, "waitlisted"): 3,
        ("waitlisted", "withdrawn"): 1,
        ("confirmed", "withdrawn"): 1,
        ("waitlisted", "offered"): 2,
        ("offered", "expired"): 1,
        ("offered", "confirmed"): 1,
    }
    assert await events.signup_moves((await create(events)).id) == {}
