"""The outbox in SQLite: notices recorded inside the write that causes them."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import datetime

from bot.core.notices import Notice
from bot.store.sqlite.rows import to_iso


def enqueue(conn: sqlite3.Connection, notices: Iterable[Notice], now: datetime) -> None:
    """Record notices in the caller's transaction: they exist if and only if the change commits."""
    conn.executemany(
        "INSERT INTO outbox (space, member, kind, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(n.space, n.member, n.kind, json.dumps(dict(n.params), ensure_ascii=False), to_iso(now), to_iso(now))
         for n in notices],
    )  # fmt: skip
