"""The PostgreSQL schema is SQLite's: same tables, columns in the same order, keys, indexes and defaults; tables made on use.

Both are built from the project's migrations (SQLite's numbered files, PostgreSQL's `postgres/` folders) and read
back from each database's catalog, so a migration added on one side only, or translated loosely, fails here.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.postgres.database import migrate_url
from bot.store.sqlite.database import connect, migrate
from tests.postgres import fresh_schema

# Tables SQLite lists in insertion order through its hidden rowid: PostgreSQL gives them a last column of that name.
ROWID_TABLES = {"subscriptions", "live_checkins"}
# SQLite's UNIQUE (space, name COLLATE NOCASE) is PostgreSQL's unique index on (space, lower(name)).
NOCASE_UNIQUE = {("event_antennas", ("space", "name")): ("event_antennas_space_name_key", ("space", None))}
Schema = dict[str, Any]


def sqlite_schema() -> Schema:
    """Tables, views and their parts as SQLite has them after every migration."""
    conn = connect(":memory:")
    migrate(conn, migration_folders(FEATURES))
    tables, views, indexes, uniques, keys = {}, set(), set(), set(), set()
    for kind, name in conn.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"):
        if kind == "view":
            views.add(name)
        if kind != "table":
            continue
        info = conn.execute(f"PRAGMA table_info({name})").fetchall()
        tables[name] = [(c["name"], bool(c["notnull"] or c["pk"]), _default(c["dflt_value"])) for c in info]
        primary = tuple(c["name"] for c in sorted(info, key=lambda c: c["pk"]) if c["pk"])
        keys |= {(name, "primary", primary)}
        for fk in conn.execute(f"PRAGMA foreign_key_list({name})"):
            keys.add((name, fk["from"], (fk["table"], fk["to"] or "id", fk["on_delete"])))
        for index in conn.execute(f"PRAGMA index_list({name})"):
            columns = tuple(c["name"] for c in conn.execute(f"PRAGMA index_info({index['name']})"))
            if index["origin"] == "u":
                uniques.add(NOCASE_UNIQUE.get((name, columns), (name, columns)))
            elif index["origin"] == "c":
                indexes.add((name, index["name"], bool(index["unique"]), columns, bool(index["partial"])))
    conn.close()
    return {"tables": tables, "views": views, "indexes": indexes, "uniques": uniques, "keys": keys}


def postgres_schema(url: str) -> Schema:
    """The same, read from PostgreSQL's catalog after its migrations."""
    migrate_url(url, migration_folders(FEATURES))
    tables, views, indexes, uniques, keys = {}, set(), set(), set(), set()
    with psycopg.connect(url) as conn:
        for name, kind in conn.execute(
            "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace"
            " AND c.relkind IN ('r', 'v') AND c.relname != 'schema_version'"
        ):
            if kind == "v":
                views.add(name)
                continue
            columns = conn.execute(
                "SELECT column_name, is_nullable = 'NO', column_default, data_type FROM information_schema.columns"
                " WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
                (name,),
            ).fetchall()
            if name in ROWID_TABLES:
                assert columns[-1][:2] == ("rowid", True), f"{name}: its rowid column comes last"
                columns = columns[:-1]
            assert {c[3] for c in columns} <= {"text", "bigint"}, f"{name}: text and integers only, as in SQLite"
            tables[name] = [(column, notnull, _default(default)) for column, notnull, default, _ in columns]
        for table, index, unique, primary, partial, columns, constraint in conn.execute(
            "SELECT t.relname, i.relname, x.indisunique, x.indisprimary, x.indpred IS NOT NULL,"
            " array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY k(n, o)"
            "       LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o),"
            " EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid"
            " WHERE t.relnamespace = current_schema()::regnamespace AND t.relname != 'schema_version'"
        ):
            names = tuple(columns)
            if primary:
                keys.add((table, "primary", names))
            elif constraint or index in {key for key, _ in NOCASE_UNIQUE.values()}:
                uniques.add((index, names) if (index, names) in NOCASE_UNIQUE.values() else (table, names))
            else:
                indexes.add((table, index, unique, names, partial))
        for table, column, target, target_column, on_delete in conn.execute(
            # The catalog itself, each column paired with the one it references (a composite key included).
            "SELECT t.relname, a.attname, r.relname, ra.attname, CASE c.confdeltype WHEN 'c' THEN 'CASCADE'"
            " WHEN 'n' THEN 'SET NULL' WHEN 'r' THEN 'RESTRICT' WHEN 'd' THEN 'SET DEFAULT' ELSE 'NO ACTION' END"
            " FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class r ON r.oid = c.confrelid"
            " CROSS JOIN LATERAL unnest(c.conkey, c.confkey) AS k(col, ref)"
            " JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.col"
            " JOIN pg_attribute ra ON ra.attrelid = c.confrelid AND ra.attnum = k.ref"
            " WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace"
        ):
            keys.add((table, column, (target, target_column, on_delete)))
    return {"tables": tables, "views": views, "indexes": indexes, "uniques": uniques, "keys": keys}


def _default(value: str | None) -> str | None:
    """A column default without PostgreSQL's casts: `'pending'::text` reads as SQLite's `'pending'`."""
    return None if value is None else re.sub(r"::(text|bigint|integer)$", "", value)


@pytest.fixture(scope="module")
def schemas() -> Iterator[tuple[Schema, Schema]]:
    """(SQLite's, PostgreSQL's) after every migration."""
    with fresh_schema() as url:
        yield sqlite_schema(), postgres_schema(url)


@pytest.mark.parametrize("part", ["tables", "views", "indexes", "uniques", "keys"])
def test_postgresql_has_the_sqlite_schema(schemas: tuple[Schema, Schema], part: str) -> None:
    """Tables and their columns (order, NOT NULL, defaults), views, indexes (partial ones too), keys, uniques."""
    sqlite_part, postgres_part = (schema[part] for schema in schemas)
    assert postgres_part == sqlite_part


def test_ids_are_never_given_twice() -> None:
    """A deleted draft's id is not reused on PostgreSQL either (its button must not reach a newer draft)."""
    with fresh_schema() as url:
        migrate_url(url, migration_folders(FEATURES))
        with psycopg.connect(url, autocommit=True) as conn:
            wall = "INSERT INTO idea_walls (space, ref, channel, prompt, created_at) VALUES ('s', 1, 'c', '', 't')"
            conn.execute(wall)
            draft = (
                "INSERT INTO idea_drafts (space, wall_id, channel, author, text, created_at)"
                " VALUES ('s', 1, 'c', 'a', 'x', 't') RETURNING id"
            )
            first = conn.execute(draft).fetchone()
            conn.execute("DELETE FROM idea_drafts")
            assert first is not None and conn.execute(draft).fetchone() == (first[0] + 1,)


async def test_processes_creating_the_slack_dm_table_at_once_all_succeed() -> None:
    """The Slack adapter's cache table, created on first use: six processes at once, no catalog conflict."""
    from bot.adapters.slack.dm_channels import DmChannels
    from bot.store.postgres.database import Database

    with fresh_schema() as url:
        databases = [Database(url, migration_folders(FEATURES)) for _ in range(6)]
        for database in databases:
            await database.open()
        try:
            await asyncio.gather(*(DmChannels(database)._ensure_table() for database in databases))
            assert await databases[0].fetch_all("SELECT * FROM slack_dm_channels") == []
        finally:
            for database in databases:
                await database.close()
