"""The idea wall as it grows: time and longest event-loop stall of /idea top, list, submit and a like.

Builds one wall of N ideas (with likes) as a database at schema 14 would hold them, then opens the bot on it
(which applies any later migration, as an upgrade would) and measures each request through the dispatcher.

Run: .venv/bin/python bench/ideas_wall.py [--sizes 1000 10000 100000] [--reps 7]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the project on sys.path)
from _common import median

import bot
from bot.core.model import Action, Member
from bot.feature import migration_folders
from bot.features import FEATURES
from bot.store.sqlite.database import connect, migrations, statements
from tests.helpers import START, make_settings, running_app

SPACE = "console:local"
POPULAR = 5000  # likes of the newest idea
BASE_SCHEMA = 14  # the data is written as this version holds it; later migrations run when the bot opens
WORDS = [
    "atelier",
    "ateliers",
    "plénière",
    "sous-groupe",
    "groupes",
    "spectacle",
    "soirée",
    "hébergement",
    "habitant",
    "train",
    "covoiturage",
    "repas",
    "local",
    "végétarien",
    "budget",
    "forfait",
    "adhérents",
    "bénévoles",
    "accueil",
    "rythme",
    "trimestriel",
    "pause",
    "café",
    "retours",
    "rapides",
    "enquête",
    "mur",
    "apprentissages",
    "cas",
    "pratiques",
    "théâtre",
    "musique",
    "jeux",
    "enfants",
    "garde",
    "lieu",
    "accessible",
    "salle",
    "extérieur",
    "balade",
    "visite",
    "conférence",
    "débat",
    "table",
    "ronde",
    "intervenant",
    "témoignage",
    "formation",
    "initiation",
    "découverte",
    "partage",
    "compétences",
    "outils",
    "numériques",
    "visio",
    "distanciel",
    "hybride",
]


def build(path: Path, ideas: int, seed: int = 1) -> None:
    """A database at schema BASE_SCHEMA with one default wall of `ideas` ideas, about 3 likes each, POPULAR on the newest."""
    rng = random.Random(seed)
    conn = connect(path)
    for version, script in migrations(migration_folders(FEATURES)):
        if version <= BASE_SCHEMA:
            conn.execute("BEGIN")
            for statement in statements(script):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
    conn.execute(f"PRAGMA user_version={BASE_SCHEMA}")
    created = START - timedelta(days=30)
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO idea_walls (id, space, ref, channel, prompt, is_default, created_at)"
        " VALUES (1, ?, 0, 'general', '', 1, ?)",
        (SPACE, created.isoformat()),
    )
    rows = []
    for n in range(1, ideas + 1):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12))) + f" n°{n}"
        at = (created + timedelta(seconds=n)).isoformat()
        rows.append((n, SPACE, n, 1, "general", f"console:a{n % 5000}", text, at, at))
    conn.executemany(
        "INSERT INTO ideas (id, space, ref, wall_id, channel, author, text, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    likes = [
        (n, f"console:m{m}", created.isoformat())
        for n in range(1, ideas + 1)
        for m in rng.sample(range(2000), min(2000, int(rng.paretovariate(1.2)) - 1 + rng.randint(0, 3)))
    ]
    likes += [(ideas, f"console:p{k}", created.isoformat()) for k in range(POPULAR)]  # the newest is a hit
    conn.executemany("INSERT INTO idea_likes (idea_id, member, liked_at) VALUES (?, ?, ?)", likes)
    conn.execute("INSERT INTO counters (space, kind, value) VALUES (?, 'idea', ?)", (SPACE, ideas))
    conn.execute("COMMIT")
    conn.close()


class StallMeter:
    """The longest time the event loop went without running a 1 ms ticker."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._task: asyncio.Task[None] | None = None

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(0.001)
            self.longest = max(self.longest, time.perf_counter() - before - 0.001)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def measure(request: Callable[[int], Awaitable[Any]], reps: int) -> tuple[float, float]:
    """Median time and median longest stall of `reps` runs of `request(rep)`, in ms."""
    times, stalls = [], []
    for rep in range(reps):
        meter = StallMeter()
        meter.start()
        await asyncio.sleep(0.002)  # the ticker is running
        meter.longest = 0.0
        started = time.perf_counter()
        await request(rep)
        times.append(time.perf_counter() - started)
        await asyncio.sleep(0.002)
        await meter.stop()
        stalls.append(meter.longest)
    return median(times) * 1000, median(stalls) * 1000


async def run(size: int, reps: int) -> None:
    """Build, open and measure one wall of `size` ideas."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ideas.db"
        build(path, size)
        started = time.perf_counter()
        async with running_app(make_settings(path, bot__live_update_interval=5.0)) as app:
            opened = time.perf_counter() - started
            indexing = 0.0
            if hasattr(app.services.ideas, "index_backlog"):  # the upgrade's words, indexed in the background
                started = time.perf_counter()
                await app.services.ideas.index_backlog()
                indexing = time.perf_counter() - started
            dispatcher, rng = app.dispatcher, random.Random(size)
            staff = Member("console:alice", "alice", is_staff=True)

            async def say(text: str, who: Member = staff) -> Any:
                return await dispatcher.invoke_text(SPACE, "general", who, text)

            async def like(rep: int) -> Any:
                idea = rng.randint(1, size)
                return await dispatcher.act(
                    Action(SPACE, "general", Member(f"console:l{rep}", "l"), f"idea:like:{idea}")
                )

            async def like_popular(rep: int) -> Any:
                return await dispatcher.act(
                    Action(SPACE, "general", Member(f"console:l{rep}", "l"), f"idea:like:{size}")
                )

            async def submit(rep: int) -> Any:
                text = " ".join(rng.choice(WORDS) for _ in range(8)) + f" nouvelle {rep}"
                return await say(f'idea submit "{text}"', Member(f"console:s{rep}", "s"))

            seen: list[str] = []
            await app.services.db.write(lambda conn: conn.set_trace_callback(seen.append))
            await like(reps + 1)
            await app.services.db.write(lambda conn: conn.set_trace_callback(None))
            ops = [s for s in seen if s.split()[0].upper() not in {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}]
            figures = {
                "top": await measure(lambda _: say("idea top"), reps),
                "list": await measure(lambda _: say("idea list"), reps),
                "list p50": await measure(lambda _: say("idea list --page 50"), reps),
                "submit": await measure(submit, reps),
                "like": await measure(like, reps),
                "like hit": await measure(like_popular, reps),
            }
            await app.services.cards.drain()
    print(
        f"{size:>7} ideas  open {opened * 1000:7.0f} ms  then words {indexing * 1000:6.0f} ms  statements per like {len(ops)} (transaction control not counted)"
    )
    for name, (took, stall) in figures.items():
        print(f"         {name:<9} {took:8.2f} ms   longest stall {stall:8.2f} ms")


def main() -> None:
    """Measure each size in turn."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    print(f"code: {Path(bot.__file__).parent.parent}; medians of {args.reps} runs")
    for size in args.sizes:
        asyncio.run(run(size, args.reps))


if __name__ == "__main__":
    main()
