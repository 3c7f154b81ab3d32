"""Links to a live thread's web page: shared, projector and personal ones, their tokens, revocation and expiry.

A token is `secrets.token_urlsafe(24)` (192 random bits); it is the only thing in the link's path.
A personal link acts as one member of one thread: it stops working when the thread stops or when
staff revoke the thread's links. Each personal link also has a CSRF secret derived from the token
with a server key (HMAC), so a page cannot be made to act without having been served first.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.core.clock import Clock
from bot.core.model import Member
from bot.features.live.domain import LiveThread
from bot.features.live.store import LiveStore
from bot.store.database import Connection, Database, Row
from bot.store.sql import lock
from bot.store.sqlite.rows import from_iso, to_iso

TOKEN_BYTES = 24  # 192 bits: at least the 128 the issue asks for
LinkKind = Literal["shared", "projector", "personal"]


def new_token() -> str:
    """A fresh unguessable link token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class Link:
    """A link to a thread's page; `member`/`name` only for personal links."""

    token: str
    thread_id: int
    kind: LinkKind
    member: str | None
    name: str | None
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def personal(self) -> bool:
        """Whether it lets its member take part from the page."""
        return self.kind == "personal"

    def acting(self) -> Member:
        """The member a personal link acts as."""
        assert self.member is not None
        return Member(self.member, self.name or "")


@dataclass(frozen=True)
class Opened:
    """A link that works now, with its thread."""

    link: Link
    live: LiveThread


def _link(row: Row) -> Link:
    return Link(row["token"], row["thread_id"], row["kind"], row["member"], row["name"],
                from_iso(row["created_at"]), from_iso(row["revoked_at"]))  # type: ignore[arg-type]  # fmt: skip


class SqliteLinkStore:
    """The live_links table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def get(self, token: str) -> Link | None:
        """A link by its token."""
        row = await self.db.fetch_one("SELECT * FROM live_links WHERE token = ?", (token,))
        return None if row is None else _link(row)

    async def issue(self, thread_id: int, kind: LinkKind, member: Member | None, now: datetime) -> Link:
        """The thread's working link of this kind (and member), created if there is none: one write."""

        def op(conn: Connection) -> Link:
            key = None if member is None else member.key
            lock(conn, f"live-link {thread_id} {kind} {key}")
            row = conn.execute(
                "SELECT * FROM live_links WHERE thread_id = ? AND kind = ?"
                " AND (member = ? OR member IS NULL AND CAST(? AS TEXT) IS NULL) AND revoked_at IS NULL",
                (thread_id, kind, key, key),
            ).fetchone()
            if row is not None:
                if member is not None and row["name"] != member.name:
                    conn.execute("UPDATE live_links SET name = ? WHERE token = ?", (member.name, row["token"]))
                    row = conn.execute("SELECT * FROM live_links WHERE token = ?", (row["token"],)).fetchone()
                return _link(row)
            token = new_token()
            conn.execute(
                "INSERT INTO live_links (token, thread_id, kind, member, name, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (token, thread_id, kind, key, None if member is None else member.name, to_iso(now)),
            )
            return _link(conn.execute("SELECT * FROM live_links WHERE token = ?", (token,)).fetchone())

        return await self.db.write(op)

    async def revoke(self, thread_id: int, now: datetime) -> int:
        """Revoke every working link of a thread at once; how many."""

        def op(conn: Connection) -> int:
            return conn.execute(
                "UPDATE live_links SET revoked_at = ? WHERE thread_id = ? AND revoked_at IS NULL",
                (to_iso(now), thread_id),
            ).rowcount

        return await self.db.write(op)


class Links:
    """Issuing, checking and revoking the links of live threads' pages."""

    def __init__(self, store: SqliteLinkStore, threads: LiveStore, clock: Clock, secret: bytes | None = None) -> None:
        self.store = store
        self.threads = threads
        self.clock = clock
        # CSRF tokens are derived from the link token with this key; a restart changes it and the page reloads.
        self.secret = secret or secrets.token_bytes(32)
        self.revocations: list[Callable[[int], None]] = []  # told of each revocation, by thread id (open pages)

    async def personal(self, live: LiveThread, member: Member) -> Link:
        """A member's personal link to a running thread's page."""
        return await self.store.issue(live.id, "personal", member, self.clock.now())

    async def public(self, live: LiveThread) -> tuple[Link, Link]:
        """The thread's shared and projector links."""
        now = self.clock.now()
        return await self.store.issue(live.id, "shared", None, now), await self.store.issue(
            live.id, "projector", None, now
        )

    async def revoke(self, live: LiveThread) -> int:
        """Every link of the thread stops working now (open pages too)."""
        count = await self.store.revoke(live.id, self.clock.now())
        for listener in self.revocations:
            listener(live.id)
        return count

    async def open(self, token: str) -> Opened | None:
        """The working link a token names, or None (unknown, revoked, or a personal link of a stopped thread)."""
        if not token or len(token) > 100:
            return None
        link = await self.store.get(token)
        if link is None or link.revoked_at is not None:
            return None
        live = await self.threads.get(link.thread_id)
        if live is None or (link.personal and not live.running):
            return None
        return Opened(link, live)

    async def known(self, token: str) -> bool:
        """Whether the token was ever issued (a gone link then gets 410 rather than 404)."""
        return len(token) <= 100 and await self.store.get(token) is not None

    def csrf(self, link: Link) -> str:
        """The CSRF token the page of a personal link sends back with each action."""
        return hmac.new(self.secret, b"csrf:" + link.token.encode(), hashlib.sha256).hexdigest()

    def check_csrf(self, link: Link, sent: str) -> bool:
        """Whether an action carries its link's CSRF token (constant-time)."""
        return hmac.compare_digest(self.csrf(link), sent or "")
