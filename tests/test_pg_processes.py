"""Several bot processes on one PostgreSQL schema: one truth for votes, places and reminders.

Real processes (tests/scripts/pg_process.py) share the server and a platform that records, in one
file, every post, edit and private message any of them made.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.children import Child
from tests.postgres import fresh_schema


@pytest.fixture
def url() -> Iterator[str]:
    """A fresh schema on the test server."""
    with fresh_schema() as found:
        yield found


@pytest.fixture
def children() -> Iterator[list[Child]]:
    """The processes a test started, killed if it left them running."""
    started: list[Child] = []
    yield started
    for child in started:
        child.kill()


def rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows of a query on the test's schema."""
    with psycopg.connect(url) as conn:
        return conn.execute(sql).fetchall()


def platform(log: Path) -> list[list[str]]:
    """What the shared platform was asked, in order: each line split into word, id and the rest."""
    return [line.split(" ", 2) for line in log.read_text(encoding="utf-8").splitlines()]


def test_500_voters_through_two_processes_count_once_and_every_card_ends_at_500(
    url: str, tmp_path: Path, children: list[Child]
) -> None:
    """250 concurrent voters through each of two processes on one poll: 500 votes, both cards show 500 last."""
    log = tmp_path / "platform.log"
    first = Child(url, log, "poll", "250")
    children.append(first)
    action = first.expect("poll ").split()[1]
    second = Child(url, log, "voter", action, "250")
    children.append(second)
    first.expect("ready")
    second.expect("ready")
    for child in (first, second):
        child.say("go")
    for child in (first, second):
        assert child.expect("confirmed ") == "confirmed 250"
        child.expect("drained")
    for child in (first, second):
        child.finish()
    assert rows(url, "SELECT COUNT(*), COUNT(DISTINCT voter) FROM votes") == [(500, 500)]
    said = platform(log)
    posted = [message for word, message, _ in said if word == "post"]
    assert len(posted) == 2
    for message in posted:
        edits = [text for word, edited, text in said if word == "edit" and edited == message]
        assert edits, f"message {message} was never edited"
        assert "A  ██████████  500  100%" in edits[-1] and "└ 500 votants" in edits[-1], edits[-1]


def test_200_signups_for_50_places_through_two_processes(url: str, tmp_path: Path, children: list[Child]) -> None:
    """200 concurrent sign-ups split over two processes: 50 confirmed, the 150 others waitlisted 1..150."""
    log = tmp_path / "platform.log"
    first = Child(url, log, "event", "100")
    children.append(first)
    event_id = first.expect("event ").split()[1]
    second = Child(url, log, "joiner", event_id, "100")
    children.append(second)
    first.expect("ready")
    second.expect("ready")
    for child in (first, second):
        child.say("go")
    for child in (first, second):
        child.expect("joined")
        child.finish()
    statuses = dict(
        rows(url, f"SELECT status, COUNT(*) FROM event_signups WHERE event_id = {int(event_id)} GROUP BY 1")
    )
    assert statuses == {"confirmed": 50, "waitlisted": 150}
    positions = [p for (p,) in rows(url, f"SELECT position FROM event_waitlist WHERE event_id = {int(event_id)}")]
    assert sorted(positions) == list(range(1, 151))


def test_the_scheduler_leader_killed_mid_fan_out_is_taken_over_and_no_reminder_goes_twice(
    url: str, tmp_path: Path, children: list[Child]
) -> None:
    """SIGKILL the leader mid fan-out: a follower takes over; each reminder is sent once or reported unsure."""
    log = tmp_path / "platform.log"
    total = 60
    leader = Child(url, log, "remind", str(total), "25")
    children.append(leader)
    leader.expect("leading")
    leader.expect("ready")
    follower = Child(url, log, "standby")
    children.append(follower)
    follower.expect("ready")
    leader.say("go")
    leader.expect("stuck ")
    killed = time.time()
    leader.kill()  # SIGKILL
    took_over = float(follower.expect("leading ", timeout=30).split()[1])
    assert took_over - killed < 10, "a follower takes over within seconds"
    deadline = time.monotonic() + 60
    reminder = "SELECT status FROM scheduled_messages WHERE kind = 'reminder' AND status <> 'pending'"  # the "1d" one
    while rows(url, reminder) != [("done",)]:
        assert time.monotonic() < deadline, "the follower did not finish the fan-out"
        time.sleep(0.1)
    follower.finish()

    by_leader, by_follower = ([line.split()[1] for line in child.seen if line.startswith("sent console:m")]
                              for child in (leader, follower))  # fmt: skip
    dms = [member for word, member, *_ in platform(log) if word == "dm"]
    delivered = Counter(member for member in dms if member != "console:alice")
    status = dict(rows(url, "SELECT recipient, status FROM deliveries"))
    assert len(by_leader) == 25 and by_follower, "the kill landed mid fan-out, the follower sent the rest"
    assert max(delivered.values()) == 1, "no reminder sent twice"
    assert sorted(delivered) == sorted(by_leader + by_follower)
    assert len(status) == total and set(status.values()) <= {"sent", "unsure"}, "none lost, none left in flight"
    unsure = {member for member, state in status.items() if state == "unsure"}
    assert unsure and unsure.isdisjoint(by_follower), "the dead leader's claims are unsure, never sent again"
    assert {member for member, state in status.items() if state == "sent"} <= set(delivered)
    assert set(status) - unsure == set(delivered) - unsure
    notice = rows(url, "SELECT params FROM outbox WHERE kind = 'schedule.unsure'")
    assert len(notice) == 1 and sorted(json.loads(str(notice[0][0]))["names"]) == sorted(
        m.split(":")[1] for m in unsure
    )
    assert dms.count("console:alice") == 1, "the author is told, once"
