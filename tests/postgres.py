"""Tests on PostgreSQL: the server named by PHOSPHORE_TEST_POSTGRES, a fresh schema per test, dropped after.

Without the variable, or with the server unreachable, the tests that need it are skipped, saying why.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
import pytest

from bot.store.database import is_url, masked

VARIABLE = "PHOSPHORE_TEST_POSTGRES"


def server() -> str:
    """The test server's DSN, or skip the test saying why there is none."""
    url = os.environ.get(VARIABLE)
    if not url:
        pytest.skip(f"PostgreSQL tests need {VARIABLE} (a DSN such as postgresql://postgres@127.0.0.1:5432/test)")
    if not is_url(url):
        pytest.fail(f"{VARIABLE} must be a postgresql:// URL")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL at {masked(url)} is unreachable: {error}")
    return url


def in_schema(url: str, schema: str) -> str:
    """The URL whose every connection works in `schema` (libpq's `options`, so the pool's connections too)."""
    parts = urlsplit(url)
    option = "options=" + quote(f"-csearch_path={schema}")
    return urlunsplit(parts._replace(query=f"{parts.query}&{option}" if parts.query else option))


@contextmanager
def fresh_schema() -> Iterator[str]:
    """A URL on an empty schema of the test server, dropped with everything in it afterwards."""
    url = server()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield in_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")
