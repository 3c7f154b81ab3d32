"""The idea wall costs the same on 1,000 ideas as on 10,000: rows read and statements counted, never timed.

How the work is counted. SQLite runs its statements on a virtual machine and calls a connection's progress
handler every N instructions; with N = 1 the number of calls is the statement's work, the same on every run
and on any machine, because it does not depend on a clock. Each row SQLite visits costs a few instructions,
so a request that reads O(limit) rows costs about as many on a wall of 1,000 ideas as on a wall of 10,000,
while one that reads the wall costs ten times more. The reads the idea store asks for are recorded and
replayed on a connection of the test's own that counts; the writes are counted on the writer itself (a
handler and a trace callback installed through `Database.write`). The query plans are checked too: no SCAN
of a table and no sort of a wall's ideas (EXPLAIN QUERY PLAN), which is what keeps the counts flat."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.core.clock import ManualClock
from bot.core.livecards import LiveCards
from bot.core.model import Member, MessageRef
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.features.ideas import domain
from bot.features.ideas.domain import SIMILAR_PER_WORD, Idea, IdeaDraft, IdeaService, Wall, export_rows
from bot.features.ideas.sqlite import IDEA_SELECT, LISTED, SqliteIdeaStore
from bot.store.sqlite.database import Database, migrations, statements
from bot.store.sqlite.messages import SqliteMessageStore
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import make_settings, running_app

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"
BIG, SMALL = 10_000, 1_000
TOPICS = ("Lieu", "Format", "Repas")
VOCABULARY = [
    "atelier",
    "plénière",
    "spectacle",
    "soirée",
    "repas",
    "budget",
    "accueil",
    "rythme",
    "musique",
    "balade",
    "visite",
    "débat",
]


class RecordingDatabase(Database):
    """The bot's database, remembering the reads it is asked for."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, migrations=migration_folders(FEATURES))
        self.reads: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        """Record the read, then do it."""
        self.reads.append((sql, tuple(params)))
        return await super().fetch_all(sql, params)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[RecordingDatabase]:
    """An open, migrated, empty database that records its reads."""
    database = RecordingDatabase(tmp_path / "scale.db")
    await database.open()
    try:
        yield database
    finally:
        await database.close()


def service(db: Database) -> IdeaService:
    """The idea service on `db`, its clock stopped at NOW."""
    clock = ManualClock(NOW)
    return IdeaService(SqliteIdeaStore(db), LiveCards(SqliteMessageStore(db), RecordingDelivery(), clock), clock)


async def filled_wall(store: SqliteIdeaStore, ideas: int) -> Wall:
    """A wall of `ideas` ideas of many authors, in three categories, one in seven liked by up to 4 members."""
    wall = await store.create_wall(SPACE, "general", "console:alice", "Vos idées ?", TOPICS, None, NOW)

    def text(n: int) -> str:
        return " ".join(VOCABULARY[(n * k) % len(VOCABULARY)] for k in (1, 3, 7)) + f" numéro {n}"

    drafts = [
        IdeaDraft(SPACE, wall.id, "general", f"console:a{n}", f"a{n}", text(n), TOPICS[n % 3], False)
        for n in range(ideas)
    ]
    stored = await asyncio.gather(*(store.add_idea(d, NOW, NOW, ideas) for d in drafts))
    likes = [(idea, f"console:m{k}") for idea in stored if idea.ref % 7 == 0 for k in range(idea.ref % 5)]
    await asyncio.gather(*(store.toggle_like(idea.id, who, NOW, lambda *_: None) for idea, who in likes))
    return wall


def work(path: Path, reads: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
    """Virtual-machine instructions SQLite runs to answer `reads`, counted on a connection of our own."""
    steps = 0

    def step() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    conn = sqlite3.connect(path)
    try:
        conn.set_progress_handler(step, 1)
        for sql, params in reads:
            conn.execute(sql, params).fetchall()
    finally:
        conn.close()
    return steps


def plans(path: Path, reads: Sequence[tuple[str, tuple[Any, ...]]]) -> list[str]:
    """Every line of the query plans of `reads`."""
    conn = sqlite3.connect(path)
    try:
        return [row[3] for sql, params in reads for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
    finally:
        conn.close()


async def reads_of(db: RecordingDatabase, request: Any) -> tuple[Any, list[tuple[str, tuple[Any, ...]]]]:
    """What `request` returns, and the reads it made."""
    db.reads.clear()
    result = await request
    return result, list(db.reads)


def assert_no_scan(lines: list[str]) -> None:
    """Every table is reached through an index, and nothing the size of a wall is sorted."""
    # A scan of a subquery's result (unnamed, or the duplicate hint's `newest_words`) reads its LIMIT at most.
    bounded = ("subquery", "newest_words")
    assert not [line for line in lines if line.startswith("SCAN") and not any(b in line for b in bounded)], lines
    assert not [line for line in lines if "TEMP B-TREE FOR ORDER BY" in line], lines


async def test_top_list_and_the_duplicate_hint_read_as_much_on_10000_ideas_as_on_1000(
    db: RecordingDatabase, tmp_path: Path
) -> None:
    """/idea top (with or without category), /idea list and the hint at submit: flat work, the same answers."""
    ideas = service(db)
    store = ideas.store
    assert isinstance(store, SqliteIdeaStore)
    big, small = await filled_wall(store, BIG), await filled_wall(store, SMALL)
    path = tmp_path / "scale.db"
    everything = await store.wall_ideas(big.id)
    oldest, numbered = everything[5], everything[345]
    requests = {
        "top": lambda wall: ideas.top(wall, limit=10),
        "top by category": lambda wall: ideas.top(wall, "format", limit=10),
        "list": lambda wall: ideas.page(wall, 1),
        # Typed again: its words are on thousands of ideas each, its whole text on one.
        "hint": lambda wall: ideas.submit(SPACE, "general", Member("console:z", "z"), oldest.text, str(wall.ref)),
    }
    for name, request in requests.items():
        _, large = await reads_of(db, request(big))
        _, little = await reads_of(db, request(small))
        assert_no_scan(plans(path, large))
        assert work(path, large) < 1.5 * work(path, little), name  # reading the wall would be ~10 times more

    # SQL answers what ranking the whole wall in Python answered.
    ranked = sorted(everything, key=lambda i: (-i.likes, i.created_at, i.id))
    assert await ideas.top(big, limit=10) == ranked[:10]
    assert await ideas.top(big, "format", limit=5) == [i for i in ranked if i.category == "Format"][:5]
    newest = sorted(everything, key=lambda i: (i.created_at, i.id), reverse=True)
    assert await ideas.page(big, 3) == (newest[20:30], BIG // 10)

    # The hint finds an old idea typed again, and a near one by its rarest word, among a bounded few.
    again = await ideas.submit(SPACE, "general", Member("console:y", "y"), oldest.text, "1")
    assert again.similar == oldest
    near = " ".join(reversed(numbered.text.split()[1:])) + " svp"
    assert (await ideas.submit(SPACE, "general", Member("console:x", "x"), near, "1")).similar == numbered
    words = ("=0", "ateli", "pleni", "spect", "numer", str(numbered.ref - 1))
    assert len(await store.similar_candidates(big.id, words, SIMILAR_PER_WORD)) <= len(words) * SIMILAR_PER_WORD


async def test_a_like_costs_the_same_few_statements_whatever_the_idea_has(db: RecordingDatabase) -> None:
    """A like on an idea with 300 likes runs the statements, and the work, of a like on an idea with none."""
    store = SqliteIdeaStore(db)
    wall = await store.create_wall(SPACE, "general", "console:alice", "Vos idées ?", (), None, NOW)
    quiet, popular = [
        await store.add_idea(IdeaDraft(SPACE, wall.id, "general", "console:bob", "bob", text, None, False), NOW, NOW, 9)
        for text in ("Une idée discrète", "Une idée populaire")
    ]
    await asyncio.gather(*(store.toggle_like(popular.id, f"console:m{n}", NOW, lambda *_: None) for n in range(300)))

    async def counted_like(idea: Idea, who: str) -> tuple[list[str], int]:
        """The statements a like runs (not the transaction's own) and the instructions of the whole write."""
        statements: list[str] = []
        steps = 0

        def step() -> int:
            nonlocal steps
            steps += 1
            return 0

        def watch(conn: sqlite3.Connection) -> None:
            conn.set_trace_callback(statements.append)
            conn.set_progress_handler(step, 1)

        def stop(conn: sqlite3.Connection) -> None:
            conn.set_trace_callback(None)
            conn.set_progress_handler(None, 1)

        await db.write(watch)
        statements.clear()
        steps = 0
        after, liked = await store.toggle_like(idea.id, who, NOW, lambda *_: None)
        counted, work_done = list(statements), steps
        await db.write(stop)
        assert liked and after.likes == idea.likes + 1
        control = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE", "ROLLBACK")
        return [s for s in counted if not s.lstrip().upper().startswith(control)], work_done

    few, few_work = await counted_like(quiet, "console:carol")
    liked = await store.get_idea(popular.id)
    assert liked is not None and liked.likes == 300
    many, many_work = await counted_like(liked, "console:carol")
    assert len(few) == len(many) <= 6, many
    assert not [s for s in many if "COUNT(" in s.upper()]  # the count is kept, never recounted
    assert many_work < 1.2 * few_work  # counting 300 likes would be thousands of instructions more
    assert [i.likes for i in await store.wall_ideas(wall.id)] == [1, 301]


def schema_14_database(path: Path) -> None:
    """A database as version 14 left it: five ideas (one hidden, one merged, one withdrawn), some liked."""
    conn = sqlite3.connect(path)
    for version, script in migrations(migration_folders(FEATURES)):
        if version < 15:
            for statement in statements(script):
                conn.execute(statement)
    conn.execute("PRAGMA user_version = 14")
    conn.execute(
        "INSERT INTO idea_walls (id, space, ref, channel, prompt, is_default, created_at)"
        " VALUES (1, ?, 0, 'general', '', 1, ?)",
        (SPACE, NOW.isoformat()),
    )
    texts = ("Des ateliers en sous-groupes", "Un spectacle le soir", "Hors sujet", "Du théâtre le soir", "Retirée")
    for n, text in enumerate(texts, start=1):
        at = (NOW + timedelta(seconds=n)).isoformat()
        conn.execute(
            "INSERT INTO ideas (id, space, ref, wall_id, channel, author, text, created_at, updated_at)"
            " VALUES (?, ?, ?, 1, 'general', 'console:bob', ?, ?, ?)",
            (n, SPACE, n, text, at, at),
        )
    conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, 'idea', ?)", (SPACE, len(texts)))
    conn.execute("UPDATE ideas SET hidden = 1 WHERE id = 3")
    conn.execute("UPDATE ideas SET merged_into = 2 WHERE id = 4")
    conn.execute("UPDATE ideas SET withdrawn_at = created_at WHERE id = 5")
    for idea, likers in ((1, 3), (2, 5), (3, 2)):
        conn.executemany(
            "INSERT INTO idea_likes (idea_id, member, liked_at) VALUES (?, ?, ?)",
            [(idea, f"console:m{k}", NOW.isoformat()) for k in range(likers)],
        )
    conn.commit()
    conn.close()


async def test_an_upgraded_wall_keeps_its_counts_and_its_ideas_are_found_again(tmp_path: Path) -> None:
    """Migration 0015 fills each idea's like count and each wall's listed count; the first start indexes words."""
    path = tmp_path / "old.db"
    schema_14_database(path)
    db = Database(path, migrations=migration_folders(FEATURES))
    await db.open()
    try:
        ideas = service(db)
        assert await ideas.index_backlog() == 2  # the two listed ideas; nothing finds the others by their words
        assert await ideas.index_backlog() == 0
        wall = await ideas.store.get_wall(1)
        assert wall is not None
        assert [(i.ref, i.likes) for i in await ideas.store.wall_ideas(1)] == [(1, 3), (2, 5), (3, 2), (4, 0), (5, 0)]
        assert [i.ref for i in await ideas.top(wall)] == [2, 1] and await ideas.store.listed_count(1) == 2
        found = await ideas.submit(SPACE, "general", Member("console:z", "z"), "des ateliers en sous groupes")
        assert found.similar is not None and found.similar.ref == 1
        hidden = await ideas.submit(SPACE, "general", Member("console:y", "y"), "Hors sujet")
        assert hidden.idea is not None  # a hidden idea is not offered as the similar one
    finally:
        await db.close()


async def test_the_bot_indexes_the_upgraded_wall_in_the_background(tmp_path: Path) -> None:
    """Started on an upgraded database, the bot indexes the older ideas' words by itself; the hint then finds them."""
    path = tmp_path / "old.db"
    schema_14_database(path)
    async with running_app(make_settings(path)) as app:
        assert app.services.ideas.indexing is not None
        assert await app.services.ideas.indexing == 2  # the two listed ones: nothing finds the others by words
        assert (await app.services.db.fetch_all("SELECT idea_id FROM idea_words_backlog")) == []
        reply = await app.dispatcher.invoke_text(
            SPACE, "general", Member("console:z", "z"), 'idea submit "Un spectacle, le soir"'
        )
        assert reply.card is not None and "#2 · Un spectacle le soir" in "\n".join(reply.card.text)


async def test_an_export_read_in_chunks_is_the_export_read_at_once(
    db: RecordingDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks of two ideas, equal creation times included: every idea once, in order, the header once."""
    ideas = service(db)
    store = ideas.store
    walls = [await store.create_wall(SPACE, "general", "console:alice", f"Mur {n}", (), None, NOW) for n in (1, 2)]
    for n in range(7):  # all at NOW: the chunks go on by id
        draft = IdeaDraft(SPACE, walls[n % 2].id, "general", f"console:a{n}", f"a{n}", f"=Idée {n}", None, n == 3)
        await store.add_idea(draft, NOW, NOW, 99)
    await store.withdraw(3, NOW)
    whole = [i for wall in walls for i in await store.wall_ideas(wall.id) if not i.withdrawn]
    expected = export_rows({wall.id: wall for wall in walls}, whole, ";")
    monkeypatch.setattr(domain, "EXPORT_CHUNK", 2)
    db.reads.clear()
    assert await ideas.export_csv(SPACE, sep=";") == expected
    assert len([sql for sql, _ in db.reads if "LIMIT" in sql]) == 3 + 3  # per wall: chunks of 2, then an empty one
    assert expected.count("\ufeff") == 1 and len(expected.splitlines()) == 1 + 6


async def test_closing_a_wall_re_renders_only_the_ideas_whose_card_was_posted(tmp_path: Path) -> None:
    """A wall of 1,000 ideas, three of them shown in messages: closing it reads and edits those three only."""
    async with running_app(make_settings(tmp_path / "close.db"), ManualClock(NOW)) as app:
        delivery = RecordingDelivery()
        app.services.delivery.register("console", delivery)
        ideas = app.services.ideas
        assert isinstance(ideas, IdeaService) and isinstance(ideas.store, SqliteIdeaStore)
        wall = await filled_wall(ideas.store, SMALL)
        posted = (await ideas.store.wall_ideas(wall.id))[::400]
        for number, idea in enumerate(posted):
            await app.services.cards.attach(idea.subject, MessageRef(SPACE, "general", f"m{number}"))
        reads = 0
        fetch_all = app.services.db.fetch_all

        async def counted(sql: str, params: Sequence[Any] = ()) -> Sequence[Any]:
            nonlocal reads
            reads += 1
            return await fetch_all(sql, params)

        app.services.db.fetch_all = counted  # type: ignore[method-assign]
        await ideas.close_wall(SPACE, wall.ref)
        await app.services.cards.drain()
        app.services.db.fetch_all = fetch_all  # type: ignore[method-assign]
    assert sorted(ref.message_id for ref, _card in delivery.edits) == ["m0", "m1", "m2"]
    assert all(not card.controls for _ref, card in delivery.edits)  # the closed wall's cards lost their buttons
    assert reads < 10 * len(posted)  # a few per posted card; rendering every idea of the wall read thousands


async def test_a_far_page_skips_its_rows_in_the_index_alone(db: RecordingDatabase, tmp_path: Path) -> None:
    """The last page of 10,000 ideas: the rows before it are counted in the index, never read nor joined."""
    ideas = service(db)
    store = ideas.store
    assert isinstance(store, SqliteIdeaStore)
    wall = await filled_wall(store, BIG)
    newest = sorted(await store.wall_ideas(wall.id), key=lambda i: (i.created_at, i.id), reverse=True)
    last = BIG // 10
    (page, pages), reads = await reads_of(db, ideas.page(wall, last))
    assert (page, pages) == (newest[-10:], last)
    path = tmp_path / "scale.db"
    assert_no_scan(plans(path, reads))
    # The same page the plain way: every skipped row read from the table and joined to its author's name.
    joined = [(f"{IDEA_SELECT} WHERE i.wall_id = ? AND {LISTED}"
               " ORDER BY i.created_at DESC, i.id DESC LIMIT 10 OFFSET ?", (wall.id, BIG - 10))]  # fmt: skip
    assert work(path, reads) * 3 < work(path, joined)
