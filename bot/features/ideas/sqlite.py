"""Idea walls, ideas, likes and drafts in SQLite."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from bot.core.errors import UserError
from bot.core.notices import Notice
from bot.features.ideas.domain import DEFAULT_WALL_REF, Idea, IdeaDraft, StatusChange, Wall, idea_words
from bot.features.ideas.store import LikeRule
from bot.store.database import Connection, Database, Row
from bot.store.sql import lock
from bot.store.sqlite.outbox import enqueue
from bot.store.sqlite.rows import from_iso, next_ref, to_iso, upsert_member

WALL_COLUMNS = "id, space, ref, channel, prompt, is_default, closes_at, closed_at, created_at"
# The display name is never read for an anonymous idea, so no listing can leak it.
IDEA_SELECT = (
    "SELECT i.id, i.space, i.ref, i.wall_id, i.channel, i.author, i.anonymous, i.text, i.category, i.status,"
    " CASE WHEN i.anonymous = 1 THEN NULL ELSE COALESCE(m.name, i.author) END AS author_name,"
    " i.hidden, i.hidden_reason, i.withdrawn_at, i.merged_into, t.ref AS merged_into_ref, i.created_at,"
    " i.updated_at, i.likes"
    " FROM ideas i LEFT JOIN members m ON m.space = i.space AND m.member = i.author"
    " LEFT JOIN ideas t ON t.id = i.merged_into"
)
# As the partial indexes of migration 0015 say it, word for word, so that SQLite uses them.
LISTED = "i.hidden = 0 AND i.withdrawn_at IS NULL AND i.merged_into IS NULL"
TOP_ORDER = "ORDER BY i.likes DESC, i.created_at, i.id LIMIT ?"  # most liked first; ties: older first
OLDEST_FIRST = "ORDER BY i.created_at, i.id LIMIT ?"
ALL_ROWS = 2**62


def _wall(row: Row, categories: list[str]) -> Wall:
    """A Wall from its row and category labels."""
    return Wall(
        id=row["id"],
        space=row["space"],
        ref=row["ref"],
        channel=row["channel"],
        prompt=row["prompt"],
        categories=tuple(categories),
        is_default=bool(row["is_default"]),
        closes_at=from_iso(row["closes_at"]),
        closed_at=from_iso(row["closed_at"]),
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
    )


def _idea(row: Row) -> Idea:
    """An Idea from a row of IDEA_SELECT."""
    return Idea(
        id=row["id"],
        space=row["space"],
        ref=row["ref"],
        wall_id=row["wall_id"],
        channel=row["channel"],
        author=row["author"],
        author_name=row["author_name"],
        anonymous=bool(row["anonymous"]),
        text=row["text"],
        category=row["category"],
        status=row["status"],
        hidden=bool(row["hidden"]),
        hidden_reason=row["hidden_reason"],
        withdrawn=row["withdrawn_at"] is not None,
        merged_into_ref=row["merged_into_ref"],
        likes=row["likes"],
        created_at=from_iso(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_iso(row["updated_at"]),  # type: ignore[arg-type]
    )


def _load_wall(conn: Connection, wall_id: int) -> Wall:
    """A wall read inside a write transaction."""
    row = conn.execute(f"SELECT {WALL_COLUMNS} FROM idea_walls WHERE id = ?", (wall_id,)).fetchone()
    labels = conn.execute("SELECT label FROM idea_categories WHERE wall_id = ? ORDER BY position", (wall_id,))
    return _wall(row, [label for (label,) in labels])


def _load_idea(conn: Connection, idea_id: int) -> Idea | None:
    """An idea read inside a write transaction."""
    row = conn.execute(f"{IDEA_SELECT} WHERE i.id = ?", (idea_id,)).fetchone()
    return None if row is None else _idea(row)


def _index_words(conn: Connection, ideas: Sequence[tuple[int, int, str]]) -> None:
    """Record the words listed ideas, given as (id, wall id, text), are found by (for the duplicate hint)."""
    conn.executemany(
        "INSERT INTO idea_words (wall_id, word, idea_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(wall_id, word, idea_id) for idea_id, wall_id, text in ideas for word in idea_words(text)],
    )


def _unlisted(conn: Connection, idea: Idea) -> None:
    """Bookkeeping for an idea that just left the listings: its wall lists one fewer, nothing finds it by words."""
    conn.execute("UPDATE idea_walls SET listed_ideas = listed_ideas - 1 WHERE id = ?", (idea.wall_id,))
    conn.execute("DELETE FROM idea_words WHERE idea_id = ?", (idea.id,))


def _insert_idea(conn: Connection, draft: IdeaDraft, now: datetime, flood_since: datetime, flood_limit: int) -> Idea:
    """Insert an idea after the flood and open-wall checks, in the caller's transaction."""
    lock(conn, f"idea-flood {draft.space} {draft.author}")  # another process's idea by the same author waits
    (recent,) = conn.execute(
        "SELECT COUNT(*) FROM ideas WHERE space = ? AND author = ? AND created_at > ?",
        (draft.space, draft.author, to_iso(flood_since)),
    ).fetchone()
    if recent >= flood_limit:
        raise UserError("idea.flood", limit=flood_limit)
    wall = _load_wall(conn, draft.wall_id)
    if not wall.is_open(now):
        raise UserError("idea.wall_closed", wall=wall.ref)
    ref = next_ref(conn, draft.space, "idea")
    (idea_id,) = conn.execute(
        "INSERT INTO ideas (space, ref, wall_id, channel, author, anonymous, text, category, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            draft.space,
            ref,
            draft.wall_id,
            draft.channel,
            draft.author,
            int(draft.anonymous),
            draft.text,
            draft.category,
            to_iso(now),
            to_iso(now),
        ),
    ).fetchone()
    _record_status(conn, idea_id, StatusChange("new", None, draft.author), now)
    conn.execute("UPDATE idea_walls SET listed_ideas = listed_ideas + 1 WHERE id = ?", (draft.wall_id,))
    _index_words(conn, [(idea_id, draft.wall_id, draft.text)])
    if draft.author_name is not None:
        upsert_member(conn, draft.space, draft.author, draft.author_name, now)
    idea = _load_idea(conn, idea_id)
    assert idea is not None
    return idea


def _changed(conn: Connection, idea_id: int, sql: str, params: tuple[object, ...], refusal: str) -> Idea:
    """Run an UPDATE of one idea guarded by its WHERE clause; the idea after, or `refusal` if nothing changed."""
    changed = conn.execute(sql, params).rowcount
    idea = _load_idea(conn, idea_id)
    if idea is None:
        raise UserError("idea.not_found", ref=idea_id)
    if not changed:
        raise UserError(refusal, ref=idea.ref)
    return idea


def _record_status(conn: Connection, idea_id: int, change: StatusChange, now: datetime) -> None:
    """Add a step to an idea's status history."""
    conn.execute(
        "INSERT INTO idea_status_history (idea_id, status, reason, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
        (idea_id, change.status, change.reason, change.by, to_iso(now)),
    )


class SqliteIdeaStore:
    """IdeaStore on the embedded database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # Walls

    async def create_wall(
        self,
        space: str,
        channel: str,
        by: str,
        prompt: str,
        categories: tuple[str, ...],
        closes_at: datetime | None,
        now: datetime,
    ) -> Wall:
        """Store a new wall with the next short reference of its space."""

        def op(conn: Connection) -> Wall:
            ref = next_ref(conn, space, "wall")
            (wall_id,) = conn.execute(
                "INSERT INTO idea_walls (space, ref, channel, prompt, opened_by, closes_at, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (space, ref, channel, prompt, by, to_iso(closes_at), to_iso(now)),
            ).fetchone()
            conn.executemany(
                "INSERT INTO idea_categories (wall_id, position, label) VALUES (?, ?, ?)",
                [(wall_id, position, label) for position, label in enumerate(categories)],
            )
            return _load_wall(conn, wall_id)

        return await self.db.write(op)

    async def default_wall(self, space: str, channel: str, now: datetime) -> Wall:
        """The space's default wall, created on first use (by whichever process comes first)."""
        found = await self.find_wall(space, DEFAULT_WALL_REF)
        if found is not None:
            return found

        def op(conn: Connection) -> Wall:
            conn.execute(
                "INSERT INTO idea_walls (space, ref, channel, prompt, is_default, created_at)"
                " VALUES (?, ?, ?, '', 1, ?) ON CONFLICT DO NOTHING",
                (space, DEFAULT_WALL_REF, channel, to_iso(now)),
            )
            (wall_id,) = conn.execute(
                "SELECT id FROM idea_walls WHERE space = ? AND is_default = 1", (space,)
            ).fetchone()
            return _load_wall(conn, wall_id)

        return await self.db.write(op)

    async def _walls(self, where: str, params: tuple[object, ...]) -> list[Wall]:
        """Walls matching a WHERE clause, with their categories."""
        rows = await self.db.fetch_all(f"SELECT {WALL_COLUMNS} FROM idea_walls WHERE {where}", params)
        if not rows:
            return []
        ids = [row["id"] for row in rows]
        labels: dict[int, list[str]] = {wall_id: [] for wall_id in ids}
        for label in await self.db.fetch_all(
            f"SELECT wall_id, label FROM idea_categories WHERE wall_id IN ({','.join('?' * len(ids))})"
            " ORDER BY wall_id, position",
            ids,
        ):
            labels[label["wall_id"]].append(label["label"])
        return [_wall(row, labels[row["id"]]) for row in rows]

    async def find_wall(self, space: str, ref: int) -> Wall | None:
        """A wall by its short reference in a space."""
        found = await self._walls("space = ? AND ref = ?", (space, ref))
        return found[0] if found else None

    async def get_wall(self, wall_id: int) -> Wall | None:
        """A wall by its global id."""
        found = await self._walls("id = ?", (wall_id,))
        return found[0] if found else None

    async def walls(self, space: str) -> list[Wall]:
        """Every wall of a space, newest first (the default wall, ref 0, last)."""
        return await self._walls("space = ? ORDER BY ref DESC", (space,))

    async def close_wall(self, wall_id: int, now: datetime) -> Wall | None:
        """Close an open wall; None when it was already closed."""

        def op(conn: Connection) -> Wall | None:
            changed = conn.execute(
                "UPDATE idea_walls SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (to_iso(now), wall_id)
            ).rowcount
            return _load_wall(conn, wall_id) if changed else None

        return await self.db.write(op)

    async def due_walls(self, now: datetime) -> list[Wall]:
        """Open walls whose closing time has come."""
        return await self._walls("closed_at IS NULL AND closes_at IS NOT NULL AND closes_at <= ?", (to_iso(now),))

    async def next_closing_times(self) -> list[datetime]:
        """Closing times of open walls."""
        rows = await self.db.fetch_all(
            "SELECT DISTINCT closes_at FROM idea_walls WHERE closed_at IS NULL AND closes_at IS NOT NULL"
        )
        return [from_iso(row["closes_at"]) for row in rows]  # type: ignore[misc]

    # Ideas

    async def _ideas(self, where: str, params: Sequence[object]) -> list[Idea]:
        """Ideas matching a WHERE clause, with their like counts."""
        return [_idea(row) for row in await self.db.fetch_all(f"{IDEA_SELECT} WHERE {where}", params)]

    async def posted_ideas(self, wall_id: int) -> list[int]:
        """Ids of a wall's ideas shown in at least one posted message, in order (read from those messages)."""
        # One probe of message_refs' index on subject per idea, in the database: only the posted ones come back.
        rows = await self.db.fetch_all(
            "SELECT i.id FROM ideas i WHERE i.wall_id = ?"
            " AND EXISTS (SELECT 1 FROM message_refs m WHERE m.subject = 'idea:' || i.id) ORDER BY i.id",
            (wall_id,),
        )
        return [row["id"] for row in rows]

    async def wall_ideas(self, wall_id: int, after: Idea | None = None, limit: int | None = None) -> list[Idea]:
        """Ideas of a wall, oldest first: all, or `limit` of them after `after`."""
        # No portable "no limit" value: SQLite refuses LIMIT NULL, PostgreSQL LIMIT -1; 2**62 means all on both.
        bound = ALL_ROWS if limit is None else limit
        if after is None:
            return await self._ideas(f"i.wall_id = ? {OLDEST_FIRST}", (wall_id, bound))
        # A range of the index on (wall_id, created_at), which holds the id too: the chunk goes on from where
        # the last one ended, compared with the stored text of its creation time, whatever its format.
        return await self._ideas(
            f"i.wall_id = ? AND (i.created_at, i.id) > (SELECT created_at, id FROM ideas WHERE id = ?) {OLDEST_FIRST}",
            (wall_id, after.id, bound),
        )

    async def top_ideas(self, wall_id: int, category: str | None, limit: int) -> list[Idea]:
        """The most liked listed ideas, read in order from an ideas_top index: `limit` rows, whatever the wall."""
        if category is None:
            return await self._ideas(f"i.wall_id = ? AND {LISTED} {TOP_ORDER}", (wall_id, limit))
        return await self._ideas(
            f"i.wall_id = ? AND {LISTED} AND i.category = ? {TOP_ORDER}", (wall_id, category, limit)
        )

    async def newest_ideas(self, wall_id: int, offset: int, limit: int) -> list[Idea]:
        """Listed ideas newest first, read in order from the ideas_newest index."""
        # The rows skipped are counted in the index alone (it holds the id): only the page's own ideas are
        # read and joined, a few rows whatever the page's number. The page is put in order here.
        page = await self._ideas(
            f"i.id IN (SELECT i.id FROM ideas i WHERE i.wall_id = ? AND {LISTED}"
            " ORDER BY i.created_at DESC, i.id DESC LIMIT ? OFFSET ?)",
            (wall_id, limit, offset),
        )
        return sorted(page, key=lambda idea: (idea.created_at, idea.id), reverse=True)

    async def listed_count(self, wall_id: int) -> int:
        """The count the wall keeps of its listed ideas."""
        row = await self.db.fetch_one("SELECT listed_ideas FROM idea_walls WHERE id = ?", (wall_id,))
        return 0 if row is None else int(row[0])

    async def similar_candidates(self, wall_id: int, words: Sequence[str], per_word: int) -> list[Idea]:
        """The newest `per_word` listed ideas of each word, each an index range of idea_words."""
        if not words:
            return []
        newest = "SELECT idea_id FROM (SELECT idea_id FROM idea_words WHERE wall_id = ? AND word = ?" \
                 " ORDER BY idea_id DESC LIMIT ?) AS newest_words"  # PostgreSQL wants the alias  # fmt: skip
        union = " UNION ".join([newest] * len(words))
        params = [value for word in words for value in (wall_id, word, per_word)]
        found = await self._ideas(f"i.id IN ({union})", params)
        return sorted(found, key=lambda idea: (idea.created_at, idea.id))  # a few hundred at most

    async def author_ideas(self, space: str, author: str) -> list[Idea]:
        """A member's ideas in a space, newest first."""
        return await self._ideas("i.space = ? AND i.author = ? ORDER BY i.created_at DESC, i.id DESC", (space, author))

    async def count_between(self, space: str, since: datetime, until: datetime) -> tuple[int, int]:
        """Ideas posted in [since, until), not withdrawn, and those retained or done, counted in SQL."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) AS submitted, COUNT(*) FILTER (WHERE status IN ('retained', 'done')) AS retained"
            " FROM ideas WHERE space = ? AND created_at >= ? AND created_at < ? AND withdrawn_at IS NULL",
            (space, to_iso(since), to_iso(until)),
        )
        assert row is not None
        return int(row["submitted"]), int(row["retained"])

    async def find_idea(self, space: str, ref: int) -> Idea | None:
        """An idea by its short reference in a space."""
        found = await self._ideas("i.space = ? AND i.ref = ?", (space, ref))
        return found[0] if found else None

    async def get_idea(self, idea_id: int) -> Idea | None:
        """An idea by its global id."""
        found = await self._ideas("i.id = ?", (idea_id,))
        return found[0] if found else None

    async def add_idea(self, draft: IdeaDraft, now: datetime, flood_since: datetime, flood_limit: int) -> Idea:
        """Store an idea unless its author is flooding (checked in the same transaction)."""
        return await self.db.write(lambda conn: _insert_idea(conn, draft, now, flood_since, flood_limit))

    async def save_draft(self, draft: IdeaDraft, purge_before: datetime, now: datetime) -> int:
        """Hold a submission back; drop drafts nobody came back to."""

        def op(conn: Connection) -> int:
            conn.execute("DELETE FROM idea_drafts WHERE created_at < ?", (to_iso(purge_before),))
            (draft_id,) = conn.execute(
                "INSERT INTO idea_drafts (space, wall_id, channel, author, author_name, text, category, anonymous,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    draft.space,
                    draft.wall_id,
                    draft.channel,
                    draft.author,
                    draft.author_name,
                    draft.text,
                    draft.category,
                    int(draft.anonymous),
                    to_iso(now),
                ),
            ).fetchone()
            return int(draft_id)

        return await self.db.write(op)

    async def add_draft(
        self, space: str, author: str, draft_id: int, now: datetime, flood_since: datetime, flood_limit: int
    ) -> Idea:
        """Turn a held-back draft into an idea, once; a refusal (flood, closed wall) keeps the draft."""

        def op(conn: Connection) -> Idea:
            row = conn.execute(
                "DELETE FROM idea_drafts WHERE id = ? AND space = ? AND author = ?"
                " RETURNING wall_id, channel, author_name, text, category, anonymous",
                (draft_id, space, author),
            ).fetchone()
            if row is None:
                raise UserError("idea.draft_gone")
            draft = IdeaDraft(
                space,
                row["wall_id"],
                row["channel"],
                author,
                row["author_name"],
                row["text"],
                row["category"],
                bool(row["anonymous"]),
            )
            return _insert_idea(conn, draft, now, flood_since, flood_limit)

        return await self.db.write(op)

    async def drop_draft(self, space: str, author: str, draft_id: int) -> None:
        """Forget a held-back draft."""
        await self.db.write(
            lambda conn: conn.execute(
                "DELETE FROM idea_drafts WHERE id = ? AND space = ? AND author = ?", (draft_id, space, author)
            )
        )

    async def toggle_like(
        self, idea_id: int, member: str, now: datetime, rule: LikeRule, only_add: bool = False
    ) -> tuple[Idea, bool]:
        """Check the rule and toggle (or add) the like inside one transaction; the count moves by one."""

        def op(conn: Connection) -> tuple[Idea, bool]:
            row = conn.execute(f"{IDEA_SELECT} WHERE i.id = ?", (idea_id,)).fetchone()
            if row is None:
                raise UserError("idea.not_found", ref=idea_id)
            named, wall = _idea(row), _load_wall(conn, row["wall_id"])
            rule(named, wall)  # the space check is on the idea the click names
            # A click on a merged idea lands on the idea it went into (merge keeps chains one step long).
            target = named if row["merged_into"] is None else _load_idea(conn, row["merged_into"])
            assert target is not None
            if target is not named:
                rule(target, wall if target.wall_id == wall.id else _load_wall(conn, target.wall_id))
            removed = 0 if only_add else conn.execute(
                "DELETE FROM idea_likes WHERE idea_id = ? AND member = ?", (target.id, member)
            ).rowcount  # fmt: skip
            added = 0 if removed else conn.execute(
                "INSERT INTO idea_likes (idea_id, member, liked_at) VALUES (?, ?, ?)"
                " ON CONFLICT (idea_id, member) DO NOTHING",
                (target.id, member, to_iso(now)),
            ).rowcount  # fmt: skip
            change = added - removed
            if not change:
                return target, not removed
            # RETURNING, not the count read above: on PostgreSQL another process may have moved it since.
            (likes,) = conn.execute(
                "UPDATE ideas SET likes = likes + ? WHERE id = ? RETURNING likes", (change, target.id)
            ).fetchone()
            return replace(target, likes=likes), not removed

        return await self.db.write(op)

    async def edit_text(self, idea_id: int, text: str, now: datetime) -> Idea:
        """Replace an idea's text, and the words it is found by."""

        def op(conn: Connection) -> Idea:
            idea = _changed(conn, idea_id, "UPDATE ideas SET text = ?, updated_at = ? WHERE id = ?",
                            (text, to_iso(now), idea_id), "idea.not_found")  # fmt: skip
            if idea.listed:
                conn.execute("DELETE FROM idea_words WHERE idea_id = ?", (idea_id,))
                _index_words(conn, [(idea_id, idea.wall_id, text)])
            return idea

        return await self.db.write(op)

    async def withdraw(self, idea_id: int, now: datetime) -> Idea:
        """Mark an idea withdrawn (once)."""

        def op(conn: Connection) -> Idea:
            idea = _changed(conn, idea_id,
                            "UPDATE ideas SET withdrawn_at = ?, updated_at = ? WHERE id = ? AND withdrawn_at IS NULL",
                            (to_iso(now), to_iso(now), idea_id), "idea.not_found")  # fmt: skip
            if not idea.hidden and idea.merged_into_ref is None:  # it was listed until now
                _unlisted(conn, idea)
            return idea

        return await self.db.write(op)

    async def set_status(self, idea_id: int, change: StatusChange, notices: Sequence[Notice], now: datetime) -> Idea:
        """Change the status unless it already is that one, record the step and the notices, in one transaction."""

        def op(conn: Connection) -> Idea:
            idea = _changed(conn, idea_id, "UPDATE ideas SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
                            (change.status, to_iso(now), idea_id, change.status), "idea.same_status")  # fmt: skip
            _record_status(conn, idea_id, change, now)
            enqueue(conn, notices, now)
            return idea

        return await self.db.write(op)

    async def hide(self, idea_id: int, reason: str | None, notices: Sequence[Notice], now: datetime) -> Idea:
        """Hide the idea unless it already is, and record the notices, in one transaction."""

        def op(conn: Connection) -> Idea:
            idea = _changed(conn, idea_id,
                            "UPDATE ideas SET hidden = 1, hidden_reason = ?, updated_at = ? WHERE id = ? AND hidden = 0",
                            (reason, to_iso(now), idea_id), "idea.already_hidden")  # fmt: skip
            if not idea.withdrawn and idea.merged_into_ref is None:  # it was listed until now
                _unlisted(conn, idea)
            enqueue(conn, notices, now)
            return idea

        return await self.db.write(op)

    async def merge(self, source_id: int, target_id: int, notices: Sequence[Notice], now: datetime) -> Idea:
        """Unite likes on the target (the primary key counts each member once), point the source at it, and
        record the notices, in one transaction; refused when either left the listings meanwhile."""

        def op(conn: Connection) -> Idea:
            source, target = _load_idea(conn, source_id), _load_idea(conn, target_id)
            if source is None or target is None:
                raise UserError("idea.not_found", ref=source_id if source is None else target_id)
            if not (source.listed and target.listed):
                raise UserError("idea.merge_unlisted", ref=source.ref, into=target.ref)
            moved = conn.execute(
                "INSERT INTO idea_likes (idea_id, member, liked_at)"
                " SELECT ?, member, liked_at FROM idea_likes WHERE idea_id = ?"
                " ON CONFLICT (idea_id, member) DO NOTHING",
                (target_id, source_id),
            ).rowcount  # the source's likers who had not liked the target
            conn.execute("DELETE FROM idea_likes WHERE idea_id = ?", (source_id,))
            conn.execute("UPDATE ideas SET likes = likes + ? WHERE id = ?", (moved, target_id))
            # Ideas merged into the source before follow it (their likes had moved already).
            conn.execute(
                "UPDATE ideas SET merged_into = ?, likes = 0, updated_at = ? WHERE id = ? OR merged_into = ?",
                (target_id, to_iso(now), source_id, source_id),
            )
            _unlisted(conn, source)
            enqueue(conn, notices, now)
            return replace(target, likes=target.likes + moved)

        return await self.db.write(op)

    async def index_backlog(self, limit: int) -> int:
        """Index the words of up to `limit` ideas of the backlog migration 0015 left; how many it took."""

        def op(conn: Connection) -> int:
            rows = conn.execute(
                f"SELECT i.id, i.wall_id, i.text, {LISTED} AS listed FROM idea_words_backlog b"
                " JOIN ideas i ON i.id = b.idea_id ORDER BY b.idea_id LIMIT ?",
                (limit,),
            ).fetchall()
            # An idea hidden, withdrawn or merged since the upgrade is found by no word.
            _index_words(conn, [(row["id"], row["wall_id"], row["text"]) for row in rows if row["listed"]])
            conn.executemany("DELETE FROM idea_words_backlog WHERE idea_id = ?", [(row["id"],) for row in rows])
            return len(rows)

        return await self.db.write(op)
