"""Whether this process can do its job: the database answers, and the scheduler fires wake-ups."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.app import App

TIMEOUT = 2.0  # seconds for each database round trip; a probe must answer before the platform gives up


async def health(app: App, timeout: float = TIMEOUT) -> tuple[bool, dict[str, Any]]:
    """Healthy or not, and a JSON body saying why: the database and the scheduler."""
    database = await _database(app, timeout)
    scheduler = _scheduler(app)
    ok = database["ok"] and scheduler["ok"]
    return ok, {"ok": ok, "database": database, "scheduler": scheduler}


async def _database(app: App, timeout: float) -> dict[str, Any]:
    """A read and an (empty) write round trip, each within `timeout`."""
    db = app.services.db
    started = time.perf_counter()
    try:
        # A real table, so SQLite reads the file too; the empty write goes through group commit,
        # so a wedged writer (members' clicks never confirmed) shows here.
        await asyncio.wait_for(db.fetch_one("SELECT 1 FROM counters LIMIT 1"), timeout)
        await asyncio.wait_for(db.write(lambda _conn: None), timeout)
    except TimeoutError:
        return {"ok": False, "error": f"no answer within {timeout:g} s"}
    except Exception as error:  # closed, unreachable, broken: only its kind, never a DSN or a path
        return {"ok": False, "error": type(error).__name__}
    return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _scheduler(app: App) -> dict[str, Any]:
    """Whether wake-ups fire in the leading process (a follower: whether it stands ready), and the next one."""
    wakeups, leader = app.services.wakeups, app.leadership.leading
    pending = wakeups.pending()
    return {
        "ok": wakeups.running if leader else app.leadership.trying,
        "leader": leader,
        "running": wakeups.running,
        "next_wakeup": pending[0].isoformat() if pending else None,
    }
