"""NoticeStore contract: the outbox's claims, marks and restarts, whatever the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

import pytest

from bot.core.notices import Notice, QueuedNotice
from bot.core.ports import NoticeStore
from bot.store.database import Database
from bot.store.sqlite.outbox import SqliteNoticeStore, enqueue
from tests.contract.conftest import end_process

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"
Put = Callable[[Sequence[Notice]], Awaitable[None]]


@pytest.fixture
def notices(database: Database) -> NoticeStore:
    """The notice store under test."""
    return SqliteNoticeStore(database)


@pytest.fixture
def put(database: Database) -> Put:
    """Record notices as a feature's write would (each backend enqueues in its own transaction)."""

    async def write(batch: Sequence[Notice]) -> None:
        await database.write(lambda conn: enqueue(conn, batch, NOW))

    return write


def notice(member: str, n: int, space: str = SPACE) -> Notice:
    """A numbered test notice."""
    return Notice(space, f"{space.split(':')[0]}:{member}", "test.numbered", {"n": n})


def numbers(claimed: Sequence[QueuedNotice]) -> list[int]:
    """The numbers of claimed test notices, in claim order."""
    return [item.notice.params["n"] for item in claimed]


async def test_concurrent_claims_never_share_a_notice(notices: NoticeStore, put: Put) -> None:
    """Five claimers at once over 300 notices: every notice claimed once, each chunk oldest first."""
    await put([notice(f"m{i % 7}", i) for i in range(300)])
    chunks = await asyncio.gather(*(notices.claim([SPACE], 50, NOW) for _ in range(5)))
    claimed = [item.id for chunk in chunks for item in chunk]
    assert len(claimed) == len(set(claimed)) == 250
    assert all([item.id for item in chunk] == sorted(item.id for item in chunk) for chunk in chunks)
    rest = await notices.claim([SPACE], 100, NOW)
    assert len(rest) == 50 and not {item.id for item in rest} & set(claimed)
    assert await notices.claim([SPACE], 100, NOW) == [] and await notices.waiting_spaces() == []


async def test_order_is_kept_per_member_and_notices_come_back_whole(notices: NoticeStore, put: Put) -> None:
    """Claimed in small chunks, each member's notices come in the order they were written, params intact."""
    await put([notice(name, i) for i in range(6) for name in ("bob", "carol")])
    await put([Notice(SPACE, "console:bob", "test.params", {"text": "« Idée » ✓", "none": None, "flag": True})])
    claimed: list[QueuedNotice] = []
    while chunk := await notices.claim([SPACE], 5, NOW):
        claimed += chunk
    for name in ("bob", "carol"):
        mine = [
            item for item in claimed if item.notice.member == f"console:{name}" and item.notice.kind == "test.numbered"
        ]
        assert numbers(mine) == list(range(6))
    assert claimed[-1].notice == Notice(SPACE, "console:bob", "test.params", {"text": "« Idée » ✓", "none": None,
                                                                              "flag": True})  # fmt: skip


async def test_claims_only_the_spaces_asked_for(notices: NoticeStore, put: Put) -> None:
    """Spaces whose platform is not connected keep their notices waiting."""
    await put([notice("a", 1, "slack:T1"), notice("b", 2, "discord:G1"), notice("c", 3, SPACE)])
    assert sorted(await notices.waiting_spaces()) == ["console:local", "discord:G1", "slack:T1"]
    assert numbers(await notices.claim(["slack:T1"], 100, NOW)) == [1]
    assert sorted(await notices.waiting_spaces()) == ["console:local", "discord:G1"]
    assert await notices.claim([], 100, NOW) == []
    assert numbers(await notices.claim(["discord:G1", SPACE], 100, NOW)) == [2, 3]


async def test_sending_at_restart_becomes_unsure_and_is_never_claimed_again(
    notices: NoticeStore, put: Put, database: Database, twin: Database
) -> None:
    """Rows left 'sending' by a dead process are counted per kind, never re-sent; waiting rows still go."""
    await put([notice("bob", i) for i in range(5)] + [Notice(SPACE, "console:bob", "test.other")])
    dead = SqliteNoticeStore(twin)
    claimed = await dead.claim([SPACE], 3, NOW)
    await dead.finish(claimed[0].id, "sent", NOW)
    await end_process(twin, database)  # the process dies with two notices claimed
    assert dict(await notices.mark_unsure(NOW)) == {"test.numbered": 2}
    assert dict(await notices.mark_unsure(NOW)) == {}
    await notices.finish(claimed[1].id, "sent", NOW)  # a late mark does not turn an unsure row into sent
    rest = await notices.claim([SPACE], 100, NOW)
    assert numbers(rest[:2]) == [3, 4] and rest[2].notice.kind == "test.other"


async def test_released_notices_wait_again_in_their_place(notices: NoticeStore, put: Put) -> None:
    """A claimed notice the platform never saw goes back to waiting, ahead of newer ones."""
    await put([notice("bob", i) for i in range(4)])
    first = await notices.claim([SPACE], 2, NOW)
    await notices.release([item.id for item in first], NOW)
    assert numbers(await notices.claim([SPACE], 3, NOW)) == [0, 1, 2]


async def test_a_notice_exists_iff_its_change_committed(database: Database, notices: NoticeStore) -> None:
    """Notices written by a change that fails vanish with it; its neighbours in the same commit keep theirs."""
    woken: list[int] = []
    database.on_notices.append(lambda: woken.append(database.commits))

    def failing(conn: object) -> None:
        enqueue(conn, [notice("bob", 1)], NOW)  # type: ignore[arg-type]
        raise RuntimeError("the change is refused after its notice was written")

    results = await asyncio.gather(
        database.write(lambda conn: enqueue(conn, [notice("carol", 2)], NOW)),
        database.write(failing),
        database.write(lambda conn: enqueue(conn, [notice("dan", 3)], NOW)),
        return_exceptions=True,
    )
    assert isinstance(results[1], RuntimeError)
    assert numbers(await notices.claim([SPACE], 100, NOW)) == [2, 3]
    assert woken  # the sender is woken after a commit that recorded notices…
    count = len(woken)
    await database.write(lambda conn: conn.execute("SELECT 1"))
    assert len(woken) == count  # …and not after one that did not


@pytest.mark.parametrize("database", ["postgres"], indirect=True)  # on SQLite one process runs per file
async def test_a_live_process_claims_are_left_to_it_and_claims_skip_each_other(
    notices: NoticeStore, put: Put, database: Database, twin: Database
) -> None:
    """Two processes claiming at once share the rows; one starting never takes the other's claims for unsure."""
    await put([notice("bob", i) for i in range(40)])
    other = SqliteNoticeStore(twin)
    mine, theirs = await asyncio.gather(notices.claim([SPACE], 30, NOW), other.claim([SPACE], 30, NOW))
    assert sorted(numbers(mine) + numbers(theirs)) == list(range(40))
    assert dict(await notices.mark_unsure(NOW)) == {}
    await end_process(twin, database)
    assert dict(await notices.mark_unsure(NOW)) == {"test.numbered": len(theirs)}
