"""Two bot processes on one database: each store's rules hold across them as they do inside one.

`twin` opens a second Database on the same data, with its own writer, as another process would. On SQLite
the file's write lock serialises the two writers; on PostgreSQL, under READ COMMITTED, the stores lock what
their rules read (bot/store/sql.py): without those locks the tests below oversell, double-vote, double-claim,
relay a message twice into a channel and give two questions one number.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.core.errors import UserError
from bot.core.model import InboundMessage, Member
from bot.core.notices import Notice
from bot.features.events.domain import EventDraft, SignupRequest
from bot.features.events.sqlite import SqliteEventStore
from bot.features.ideas.domain import FLOOD_WINDOW, Idea, IdeaDraft
from bot.features.ideas.sqlite import SqliteIdeaStore
from bot.features.live.engage_sqlite import SqliteEngageStore
from bot.features.live.relay_sqlite import SqliteRelayStore
from bot.features.live.relaying import Claimed
from bot.features.live.sqlite import SqliteLiveStore
from bot.features.polls.domain import PollDraft, next_choices
from bot.features.polls.sqlite import SqlitePollStore
from bot.features.polls.store import VoteRule
from bot.store.database import Database
from bot.store.sqlite.outbox import SqliteNoticeStore, enqueue

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
START = datetime(2026, 6, 30, 7, 30, tzinfo=UTC)
SPACE = "console:local"


async def test_200_signups_over_two_processes_fill_50_places_once(database: Database, twin: Database) -> None:
    """Sign-ups split over two processes: exactly 50 confirmed, 150 waitlisted at 1..150, one arrival order."""
    stores = (SqliteEventStore(database), SqliteEventStore(twin))
    draft = EventDraft("Rencontre", START, START + timedelta(hours=8), onsite_capacity=50, remote_capacity=0)
    event = await stores[0].create_event(SPACE, "general", "console:alice", "Europe/Paris", draft, NOW)
    await asyncio.gather(*(
        stores[i % 2].apply_signup(SPACE, event.id, f"console:m{i:03d}", f"m{i:03d}", SignupRequest("onsite"), NOW)
        for i in range(200)
    ))  # fmt: skip
    rows = await stores[1].signups(event.id)
    confirmed = [s for s in rows if s.status == "confirmed"]
    waiting = sorted((s for s in rows if s.status == "waitlisted"), key=lambda s: s.seq)
    assert len(rows) == 200 and len(confirmed) == 50 and len(waiting) == 150
    assert [s.position for s in waiting] == list(range(1, 151))
    assert len({s.seq for s in rows}) == 200 and max(s.seq for s in confirmed) < min(s.seq for s in waiting)
    counts = await stores[0].counts(event.id)
    assert (counts.modes["onsite"].held, counts.modes["onsite"].waiting) == (50, 150)


async def test_a_voter_clicking_in_both_processes_keeps_one_choice(database: Database, twin: Database) -> None:
    """100 voters each click A in one process and B in the other at once: one choice each on a single-choice poll."""
    stores = (SqlitePollStore(database), SqlitePollStore(twin))
    poll = await stores[0].create_poll(SPACE, "general", "console:alice", PollDraft("Q ?", ("A", "B")), NOW)

    def click(option: int) -> VoteRule:
        return lambda p, current: next_choices(p, current, option)

    await asyncio.gather(*(
        stores[side].apply_vote(SPACE, poll.id, f"console:m{i}", f"m{i}", NOW, click(side))
        for i in range(100) for side in (0, 1)
    ))  # fmt: skip
    tally = await stores[1].tally(poll.id)
    assert tally.voters == 100 and sum(tally.counts) == 100  # each voter holds one choice, A or B


async def test_the_flood_limit_holds_across_processes(database: Database, twin: Database) -> None:
    """30 submissions of one member split over two processes: exactly the limit is stored, the rest refused."""
    stores = (SqliteIdeaStore(database), SqliteIdeaStore(twin))
    wall = await stores[0].create_wall(SPACE, "general", "console:alice", "Vos idées ?", (), None, NOW)
    limit = 10

    async def submit(i: int) -> Idea:
        draft = IdeaDraft(SPACE, wall.id, "general", "console:bob", "bob", f"Idée {i}", None, False)
        return await stores[i % 2].add_idea(draft, NOW, NOW - FLOOD_WINDOW, limit)

    results = await asyncio.gather(*(submit(i) for i in range(30)), return_exceptions=True)
    assert len([r for r in results if isinstance(r, Idea)]) == limit
    assert all(isinstance(r, UserError) and r.key == "idea.flood" for r in results if not isinstance(r, Idea))
    assert len(await stores[1].author_ideas(SPACE, "console:bob")) == limit


async def test_notices_claimed_from_both_processes_go_once(database: Database, twin: Database) -> None:
    """Ten claimers in each process over 300 notices: every notice claimed exactly once."""
    batch = [Notice(SPACE, f"console:m{i % 7}", "test.numbered", {"n": i}) for i in range(300)]
    await database.write(lambda conn: enqueue(conn, batch, NOW))
    stores = (SqliteNoticeStore(database), SqliteNoticeStore(twin))
    chunks = await asyncio.gather(*(stores[i % 2].claim([SPACE], 20, NOW) for i in range(20)))
    claimed = [item.notice.params["n"] for chunk in chunks for item in chunk]
    assert len(claimed) == len(set(claimed))
    rest = await stores[0].claim([SPACE], 300, NOW)
    assert sorted(claimed + [item.notice.params["n"] for item in rest]) == list(range(300))


async def live_thread(database: Database) -> tuple[int, int, int]:
    """A running live thread attached in two channels: (thread, first channel, second channel)."""
    draft = EventDraft("Rencontre", START, START + timedelta(hours=8), onsite_capacity=50, remote_capacity=0)
    event = await SqliteEventStore(database).create_event(SPACE, "general", "console:alice", "Europe/Paris", draft, NOW)
    live = SqliteLiveStore(database)
    thread = await live.start(SPACE, event.id, "console:alice", NOW)
    first = await live.attach(thread.id, SPACE, "general", None, None, "console:alice", NOW)
    second = await live.attach(thread.id, SPACE, "nantes", None, None, "console:alice", NOW)
    return thread.id, first.id, second.id


async def test_relay_claims_from_both_processes_send_each_copy_once(database: Database, twin: Database) -> None:
    """120 messages to copy into a channel, claimed from both processes at once: each copy in exactly one post."""
    _, _, target = await live_thread(database)
    stores = (SqliteRelayStore(database), SqliteRelayStore(twin))
    for i in range(120):
        message = InboundMessage(SPACE, "general", None, Member(f"console:m{i % 9}", f"m{i % 9}"), f"Message {i}",
                                 (), f"msg{i}", "posted", NOW)  # fmt: skip
        assert await stores[0].record(message) == [target]
    claims = await asyncio.gather(*(stores[i % 2].claim(target, NOW) for i in range(40)))
    copies = sum(claim.copies for claim in claims if isinstance(claim, Claimed))
    rows = await database.fetch_all("SELECT post_id, COUNT(*) AS n FROM live_copies GROUP BY post_id")
    assert copies == sum(row["n"] for row in rows if row["post_id"] is not None) == 120


async def test_questions_asked_in_both_processes_get_numbers_1_to_60(database: Database, twin: Database) -> None:
    """60 questions asked at once over two processes: numbered 1..60 in their thread, none refused."""
    thread, first, _ = await live_thread(database)
    stores = (SqliteEngageStore(database), SqliteEngageStore(twin))
    asked = await asyncio.gather(*(
        stores[i % 2].add_question(thread, first, "console", f"console:m{i}", f"m{i}", f"Question {i} ?", NOW)
        for i in range(60)
    ))  # fmt: skip
    assert sorted(question.number for question in asked) == list(range(1, 61))
