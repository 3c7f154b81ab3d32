"""The rules on places, run directly on an EventState: no database, no dispatcher."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.errors import UserError
from bot.features.events import rules
from bot.features.events.domain import Event, EventDraft, Mode, Session, SignupRequest
from bot.features.events.rules import Decision, EventState

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 6, 30, 7, 30, tzinfo=UTC)
SPACE = "console:local"


def event(onsite: int = 2, remote: int | None = 0, confirm_hours: int | None = None, link: str = "") -> Event:
    """An event on 30 June with the given places."""
    return Event(
        id=7, space=SPACE, ref=3, channel="general", author="console:alice", timezone="Europe/Paris",
        title="Rencontre", description="", starts_at=START, ends_at=START + timedelta(hours=8), venue="",
        online_link=link, deadline=None, onsite_capacity=onsite, remote_capacity=remote, price="", question="",
        confirm_hours=confirm_hours, cancelled_at=None, created_at=NOW,
    )  # fmt: skip


def session(number: int, start_hour: int, end_hour: int, capacity: int | None = 1) -> Session:
    """Workshop `number` from start_hour to end_hour (UTC) on the event's day."""
    day = START.replace(hour=0, minute=0)
    return Session(100 + number, 7, number, f"W{number}", day + timedelta(hours=start_hour),
                   day + timedelta(hours=end_hour), capacity=capacity)  # fmt: skip


def join(state: EventState, *names: str, mode: Mode = "onsite", at: datetime = NOW) -> EventState:
    """Sign members up one after the other."""
    for name in names:
        state = rules.apply_signup(state, f"console:{name}", name, SignupRequest(mode), at).after
    return state


def status(state: EventState, name: str) -> str:
    """A member's status."""
    entry = state.entry(f"console:{name}")
    assert entry is not None
    return entry.status


def kinds(decision: Decision) -> list[tuple[str, str]]:
    """(kind, member name) of each notice, in order."""
    return [(n.kind, n.params["name"]) for n in decision.notices]


def test_places_then_waitlist_in_arrival_order() -> None:
    """The first members get places, the next wait; positions follow arrival and have no gaps."""
    state = join(EventState(event(onsite=2)), "a", "b", "c", "d")
    assert [status(state, n) for n in "abcd"] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert (state.position("console:c"), state.position("console:d"), state.position("console:a")) == (1, 2, None)
    assert [e.seq for e in sorted(state.entries, key=lambda e: e.seq)] == [1, 2, 3, 4]


def test_withdrawal_promotes_the_first_waiting_and_tells_them() -> None:
    """A freed place goes to the first in line, who gets a promoted notice with the event's details."""
    state = join(EventState(event(onsite=1)), "a", "b", "c")
    decision = rules.withdraw(state, "console:a", NOW)
    assert (status(decision.after, "a"), status(decision.after, "b"), status(decision.after, "c")) == (
        "withdrawn", "confirmed", "waitlisted")  # fmt: skip
    (told,) = decision.notices
    assert (told.space, told.member, told.kind) == (SPACE, "console:b", "event.promoted")
    assert told.params["event_id"] == 7 and told.params["ref"] == 3 and told.params["starts_at"] == START.isoformat()
    assert [e.member for e in decision.entries_changed] == ["console:a", "console:b"]  # only what changed
    assert decision.after.position("console:c") == 1


def test_withdrawing_twice_or_from_a_cancelled_event_is_refused() -> None:
    """Only an active sign-up can be withdrawn, and not once the event is cancelled."""
    state = rules.withdraw(join(EventState(event()), "a"), "console:a", NOW).after
    with pytest.raises(UserError, match=r"event\.not_signed_up"):
        rules.withdraw(state, "console:a", NOW)
    cancelled = rules.cancel_event(join(state, "b"), NOW).after
    with pytest.raises(UserError, match=r"event\.cancelled"):
        rules.withdraw(cancelled, "console:b", NOW)


def test_promoted_remote_member_gets_the_link_and_onsite_does_not() -> None:
    """The online link travels only in a remote attendee's notice."""
    state = join(EventState(event(onsite=1, remote=1, link="https://visio.example")), "a", "b")
    state = join(state, "c", "d", mode="remote")
    onsite = rules.withdraw(state, "console:a", NOW).notices[0]
    remote = rules.withdraw(state, "console:c", NOW).notices[0]
    assert onsite.params["link"] == "" and remote.params["link"] == "https://visio.example"


def test_offer_with_a_window_confirms_in_time_and_expires_after() -> None:
    """With a window, the next in line is offered the place; it can be confirmed until it expires."""
    state = join(EventState(event(onsite=1, confirm_hours=2)), "a", "b", "c")
    decision = rules.withdraw(state, "console:a", NOW)
    expires = NOW + timedelta(hours=2)
    (offer,) = decision.notices
    assert offer.kind == "event.offered" and offer.params["expires_at"] == expires.isoformat()
    state = decision.after
    entry = state.entry("console:b")
    assert entry is not None and entry.status == "offered" and entry.offer_expires_at == expires
    confirmed = rules.confirm_offer(state, "console:b", expires - timedelta(seconds=1)).after
    assert status(confirmed, "b") == "confirmed"
    with pytest.raises(UserError, match=r"event\.no_offer"):
        rules.confirm_offer(state, "console:b", expires)
    with pytest.raises(UserError, match=r"event\.no_offer"):
        rules.confirm_offer(state, "console:c", NOW)


def test_expired_offer_passes_to_the_next_in_line() -> None:
    """At expiry the offered member is told and the place is offered to the next one."""
    state = rules.withdraw(join(EventState(event(onsite=1, confirm_hours=2)), "a", "b", "c"), "console:a", NOW).after
    assert rules.expire_offers(state, NOW + timedelta(hours=1)).notices == ()  # not due yet
    later = NOW + timedelta(hours=2)
    decision = rules.expire_offers(state, later)
    assert kinds(decision) == [("event.expired", "b"), ("event.offered", "c")]
    assert (status(decision.after, "b"), status(decision.after, "c")) == ("expired", "offered")


def test_an_offer_never_outlasts_the_start_and_new_offers_wait_for_the_next_run() -> None:
    """Offers end at the start at the latest; an offer made while expiring is left for the next wake-up."""
    state = join(EventState(event(onsite=1, confirm_hours=48)), "a", "b", "c")
    state = rules.withdraw(state, "console:a", START - timedelta(hours=1)).after
    assert state.entry("console:b").offer_expires_at == START
    after_start = START + timedelta(minutes=1)
    decision = rules.expire_offers(state, after_start)
    assert kinds(decision) == [("event.expired", "b"), ("event.offered", "c")]
    assert status(decision.after, "c") == "offered"  # already due, but only at the next run
    assert kinds(rules.expire_offers(decision.after, after_start)) == [("event.expired", "c")]


def test_mode_change_frees_the_old_place_or_keeps_it_when_the_target_is_full() -> None:
    """Moving to a mode with room frees the old place for the next in line; a full target keeps the old place."""
    state = join(EventState(event(onsite=1, remote=1)), "a", "b")
    state = join(state, "c", mode="remote")
    with pytest.raises(UserError, match=r"event\.mode_full_keep_place"):
        rules.apply_signup(state, "console:a", "a", SignupRequest("remote"), NOW)
    state = rules.withdraw(state, "console:c", NOW).after
    decision = rules.apply_signup(state, "console:a", "a", SignupRequest("remote"), NOW)
    moved = decision.after.entry("console:a")
    assert moved is not None and (moved.mode, moved.status, moved.signed_up_at) == ("remote", "confirmed", NOW)
    assert moved.seq == 4 and kinds(decision) == [("event.promoted", "b")]


def test_same_mode_again_changes_only_antenna_and_answer() -> None:
    """Signing up again the same way keeps status and arrival; the antenna and answer are replaced."""
    state = join(EventState(event(onsite=0, remote=1)), "a", "b", mode="remote")
    decision = rules.apply_signup(state, "console:b", "b", SignupRequest("remote", antenna_id=5, answer="oui"), NOW)
    entry = decision.after.entry("console:b")
    assert entry is not None and (entry.status, entry.seq, entry.antenna_id, entry.answer) == (
        "waitlisted",
        2,
        5,
        "oui",
    )
    again = rules.apply_signup(decision.after, "console:b", "b", SignupRequest("remote", antenna_id=5), NOW)
    assert again.after.entry("console:b").answer == "oui"
    assert again.entries_changed == () and again.notices == ()


def test_signups_refused_when_closed_not_offered_or_antenna_on_site() -> None:
    """A mode with no places, an antenna on site, a passed deadline and a cancelled event are refused."""
    state = EventState(event(onsite=2, remote=0))
    with pytest.raises(UserError, match=r"event\.mode_not_offered"):
        rules.apply_signup(state, "console:a", "a", SignupRequest("remote"), NOW)
    with pytest.raises(UserError, match=r"event\.antenna_remote_only"):
        rules.apply_signup(state, "console:a", "a", SignupRequest("onsite", antenna_id=1), NOW)
    with pytest.raises(UserError, match=r"event\.signups_closed"):
        rules.apply_signup(state, "console:a", "a", SignupRequest("onsite"), START)


def test_workshops_overlap_capacity_and_waitlist() -> None:
    """Overlaps are refused, a full workshop waits, and dropping a place moves the next one up with a notice."""
    state = replace(EventState(event(onsite=5)), sessions=(session(1, 8, 9), session(2, 8, 10), session(3, 9, 10)))
    with pytest.raises(UserError, match=r"event\.session_needs_place"):
        rules.toggle_session(state, "console:a", 1, NOW)
    state = join(state, "a", "b")
    first = rules.toggle_session(state, "console:a", 1, NOW)
    assert first.session_status == "confirmed" and first.choices_set[0].member == "console:a"
    with pytest.raises(UserError, match=r"event\.session_overlap"):
        rules.toggle_session(first.after, "console:a", 2, NOW)
    back_to_back = rules.toggle_session(first.after, "console:a", 3, NOW)
    assert back_to_back.session_status == "confirmed"
    waiting = rules.toggle_session(back_to_back.after, "console:b", 1, NOW)
    assert waiting.session_status == "waitlisted"
    dropped = rules.toggle_session(waiting.after, "console:a", 1, NOW)
    assert dropped.session_status is None and kinds(dropped) == [("event.session", "b")]
    assert dropped.notices[0].params["session"] == "W1"
    assert [(c.member, c.status) for c in dropped.choices_removed] == [("console:a", "confirmed")]
    assert [(c.member, c.status) for c in dropped.choices_set] == [("console:b", "confirmed")]
    with pytest.raises(UserError, match=r"event\.session_not_found"):
        rules.toggle_session(state, "console:a", 9, NOW)


def test_withdrawal_gives_up_workshops_and_fills_them() -> None:
    """A member who leaves loses their workshop places, which go to those waiting for them."""
    state = join(replace(EventState(event(onsite=5)), sessions=(session(1, 8, 9),)), "a", "b", "c")
    for name in ("a", "b"):
        state = rules.toggle_session(state, f"console:{name}", 1, NOW).after
    decision = rules.withdraw(state, "console:a", NOW)
    assert kinds(decision) == [("event.session", "b")]
    assert [(c.member, c.status) for c in decision.after.choices] == [("console:b", "confirmed")]


def test_more_places_promote_waiting_members() -> None:
    """An edit raising the capacity fills the new places in order; the event row is marked changed."""
    state = join(EventState(event(onsite=1)), "a", "b", "c")
    current = state.event
    draft = EventDraft(current.title, current.starts_at, current.ends_at, onsite_capacity=2, remote_capacity=0)
    decision = rules.update_event(state, draft, NOW)
    assert decision.event_changed and decision.after.event.onsite_capacity == 2
    assert kinds(decision) == [("event.promoted", "b")] and status(decision.after, "c") == "waitlisted"


def test_cancellation_tells_everyone_still_signed_up_once() -> None:
    """Cancelling tells active members in arrival order, not those who left; cancelling again is refused."""
    state = join(EventState(event(onsite=1)), "a", "b", "c")
    state = rules.withdraw(state, "console:c", NOW).after
    decision = rules.cancel_event(state, NOW)
    assert decision.event_changed and decision.after.event.cancelled_at == NOW
    assert kinds(decision) == [("event.cancelled", "a"), ("event.cancelled", "b")]
    with pytest.raises(UserError, match=r"event\.cancelled"):
        rules.cancel_event(decision.after, NOW)


def test_notices_carry_json_values_only() -> None:
    """Notices wait in the outbox as JSON: their params survive a round trip unchanged."""
    state = join(EventState(event(onsite=1, confirm_hours=2, link="https://x")), "a", "b")
    decision = rules.withdraw(state, "console:a", NOW)
    (offer,) = decision.notices
    assert json.loads(json.dumps(dict(offer.params))) == dict(offer.params)


def test_an_answer_alone_keeps_the_place_mode_and_antenna() -> None:
    """An answer without a mode (as the question's hint says) changes only the answer; not signed up: refused."""
    state = join(EventState(event(onsite=1, remote=5)), "a", "b")
    state = rules.apply_signup(state, "console:c", "c", SignupRequest("remote", antenna_id=5), NOW).after
    for name in ("a", "b", "c"):
        before = state.entry(f"console:{name}")
        decision = rules.apply_signup(state, f"console:{name}", name, SignupRequest(None, answer="végétarien"), NOW)
        entry = decision.after.entry(f"console:{name}")
        assert before is not None and entry == replace(before, answer="végétarien")
        assert decision.notices == ()
    with pytest.raises(UserError, match=r"event\.mode_needed"):
        rules.apply_signup(state, "console:d", "d", SignupRequest(None, answer="oui"), NOW)


@pytest.mark.parametrize("mode", ["onsite", "remote"])
def test_a_capacity_below_the_places_held_is_refused(mode: Mode) -> None:
    """Lowering a mode's places under those already held is refused, naming how many hold one; down to it is fine."""
    state = join(EventState(event(onsite=3, remote=3, confirm_hours=2)), "a", "b", "c", "d", mode=mode)
    state = rules.withdraw(state, "console:c", NOW).after  # d is offered c's place: an offer holds a place too
    assert status(state, "d") == "offered"
    current = state.event
    base = EventDraft(current.title, current.starts_at, current.ends_at, onsite_capacity=3, remote_capacity=3)

    def places(count: int) -> EventDraft:
        return replace(base, onsite_capacity=count) if mode == "onsite" else replace(base, remote_capacity=count)

    for lower in (0, 2):
        with pytest.raises(UserError, match=rf"event\.{mode}_below_held") as refused:
            rules.update_event(state, places(lower), NOW)
        assert refused.value.params["count"] == 3 and refused.value.params["capacity"] == lower
    decision = rules.update_event(state, replace(places(3), title="Autre"), NOW)
    assert decision.after.event.title == "Autre" and decision.notices == ()


def test_after_the_start_members_can_no_longer_withdraw_choose_or_sign_up() -> None:
    """Once started an event's sign-ups, withdrawals and workshop choices are refused."""
    state = join(replace(EventState(event(onsite=5)), sessions=(session(1, 8, 9),)), "a")
    with pytest.raises(UserError, match=r"event\.started"):
        rules.withdraw(state, "console:a", START)
    with pytest.raises(UserError, match=r"event\.signups_closed"):
        rules.toggle_session(state, "console:a", 1, START)
    with pytest.raises(UserError, match=r"event\.signups_closed"):
        rules.apply_signup(state, "console:b", "b", SignupRequest("onsite"), START)
    assert status(rules.withdraw(state, "console:a", START - timedelta(seconds=1)).after, "a") == "withdrawn"


def test_cancelling_a_started_event_says_so_and_an_ended_one_is_refused() -> None:
    """Cancelled after its start, an event tells its members it stops; after its end, cancelling is refused."""
    state = join(EventState(event(onsite=5)), "a", "b")
    assert kinds(rules.cancel_event(state, START - timedelta(seconds=1))) == [("event.cancelled", "a"),
                                                                             ("event.cancelled", "b")]  # fmt: skip
    started = rules.cancel_event(state, START)
    assert kinds(started) == [("event.cancelled_started", "a"), ("event.cancelled_started", "b")]
    with pytest.raises(UserError, match=r"event\.ended"):
        rules.cancel_event(state, state.event.ends_at)


def test_workshops_are_added_inside_an_event_not_yet_ended() -> None:
    """A workshop must fit in its event, which must be neither ended nor cancelled."""
    current = event()
    workshop = session(1, 8, 9)
    assert rules.check_workshop(current, workshop, START + timedelta(hours=2)) == workshop
    with pytest.raises(UserError, match=r"event\.ended"):
        rules.check_workshop(current, workshop, current.ends_at)
    with pytest.raises(UserError, match=r"event\.cancelled"):
        rules.check_workshop(replace(current, cancelled_at=NOW), workshop, NOW)
    with pytest.raises(UserError, match=r"event\.session_outside"):
        rules.check_workshop(current, session(1, 5, 9), NOW)
    with pytest.raises(UserError, match=r"event\.end_before_start"):
        rules.check_workshop(current, session(1, 9, 9), NOW)
    with pytest.raises(UserError, match=r"event\.title_empty"):
        rules.check_workshop(current, replace(workshop, title=" "), NOW)
