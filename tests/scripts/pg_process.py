"""One bot process on a PostgreSQL schema, driven by a test through its stdin and stdout.

    pg_process.py URL PLATFORM_LOG ROLE [ARGUMENTS]

The platform is shared by every process of a test: each line appended to PLATFORM_LOG (one write per line,
in append mode, so lines of several processes never mix) is what it was asked to do:
`post <message id> <channel>`, `edit <message id> <card text on one line>`, `dm <member>`.

Roles: `poll N` opens a poll, posts its card twice, prints `poll <vote action>`; `voter ACTION N` is
ready at once; both cast N votes after a `go` line. `event N` creates an event with 50 on-site places
(`event <id>`), `joiner ID N` is ready at once; both sign N members up after `go`. `remind TOTAL LIMIT`
plans an event of TOTAL attendees and, after `go`, fans its reminder out, hanging after LIMIT messages;
`standby` waits at the reminder's time for leadership. Every role ends on a `stop` line.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

from bot.adapters.console.render import render_card
from bot.app import App
from bot.core.clock import ManualClock
from bot.core.model import Action, Member, MessageRef
from bot.features.events.domain import EventDraft, SignupRequest
from bot.ui import Card, Reply
from tests.helpers import START, make_settings, running_app

SPACE = "console:local"
STARTS = START + timedelta(days=2)
DUE = STARTS - timedelta(days=1)  # the "1d" reminder
EDIT_TRIP = 0.2  # seconds a card edit may take on a real platform
TAG = f"p{os.getpid()}"  # members and messages of this process


class SharedPlatform:
    """A platform every process of the test talks to: one log file, appended line by line."""

    def __init__(self, log: Path, hang_after: int | None = None) -> None:
        self.fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.hang_after = hang_after
        self.sent = 0
        self.posts = 0

    def _write(self, line: str) -> None:
        os.write(self.fd, (line.replace("\n", " | ") + "\n").encode())

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef:
        """Post: the message gets an id unique across processes."""
        self.posts += 1
        ref = MessageRef(space, channel, f"{TAG}-{self.posts}")
        self._write(f"post {ref.message_id} {channel}")
        return ref

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Edit a card: its text as the console shows it, after a platform's round trip."""
        # Round trips vary: without one editor at a time, another process's later edit could overtake this one.
        await asyncio.sleep(random.uniform(0, EDIT_TRIP))
        self._write(f"edit {ref.message_id} " + " | ".join(render_card(card)[0]))

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """Not used by these scenarios."""

    async def delete(self, ref: MessageRef) -> None:
        """Not used by these scenarios."""

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Deliver a DM, or hang once `hang_after` were delivered (the test kills the process there)."""
        if self.hang_after is not None and self.sent >= self.hang_after:
            print(f"stuck {member}", flush=True)
            await asyncio.Event().wait()
        self.sent += 1
        self._write(f"dm {member}")
        print(f"sent {member}", flush=True)
        return True


async def line() -> str:
    """The next line the test writes to stdin ('' once it closed it)."""
    return (await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)).strip()


async def until(word: str) -> None:
    """Wait for the test to write `word`."""
    while (got := await line()) != word:
        if not got:
            raise SystemExit(f"stdin closed while waiting for {word!r}")


async def vote(app: App, action: str, count: int) -> None:
    """Cast `count` concurrent votes from members of this process; print how many were confirmed."""

    async def one(i: int) -> bool:
        voter = Member(f"console:{TAG}v{i}", f"{TAG}v{i}")
        answer = await app.dispatcher.act(Action(SPACE, "general", voter, action))
        return "enregistré" in (answer.text or "")

    confirmed = sum(await asyncio.gather(*(one(i) for i in range(count))))
    print(f"confirmed {confirmed}", flush=True)


async def join(app: App, event_id: int, count: int) -> None:
    """Sign `count` members of this process up on site, all at once."""
    await asyncio.gather(*(app.services.events.join(SPACE, Member(f"console:{TAG}m{i}", f"{TAG}m{i}"), event_id,
                                                    SignupRequest("onsite")) for i in range(count)))  # fmt: skip
    print("joined", flush=True)


async def open_poll(app: App, platform: SharedPlatform) -> str:
    """Open a poll and post its card in two channels, both kept live; the vote action of its first option."""
    alice = Member("console:alice", "alice", is_staff=True)
    reply = await app.dispatcher.invoke_text(SPACE, "general", alice, 'poll create "Q ?" "A" "B"')
    assert reply.card is not None and reply.subject is not None
    for channel in ("general", "annonces"):
        await app.services.cards.attach(reply.subject, await platform.post(SPACE, channel, reply))
    return reply.card.controls[0].action_id


async def plan_reminder(app: App, total: int) -> None:
    """An event whose "1d" reminder goes to `total` attendees."""
    alice = Member("console:alice", "alice", is_staff=True)
    draft = EventDraft("Journée", STARTS, STARTS + timedelta(hours=8), onsite_capacity=total)
    event = await app.services.events.create(SPACE, "general", alice, draft)
    await asyncio.gather(*(app.services.events.join(SPACE, Member(f"console:m{i}", f"m{i}"), event.id,
                                                    SignupRequest("onsite")) for i in range(total)))  # fmt: skip


async def report_leadership(app: App) -> None:
    """Print `leading <unix time>` when this process becomes the leader."""
    while not app.leadership.leading:
        await asyncio.sleep(0.02)
    print(f"leading {time.time()}", flush=True)


async def main(url: str, log: Path, role: str, args: list[str]) -> None:
    """Run the role on a bot started on `url`."""
    clock = ManualClock(DUE if role == "standby" else START)
    platform = SharedPlatform(log, int(args[1]) if role == "remind" else None)
    async with running_app(make_settings(log.with_name("unused.db"), bot__database=url), clock) as app:
        app.services.delivery.register("console", platform)
        watcher = asyncio.ensure_future(report_leadership(app))
        target = args[0] if args else ""  # the vote action, or the event id, another process printed
        if role == "poll":
            target = await open_poll(app, platform)
            print(f"poll {target}", flush=True)
        elif role == "event":
            alice = Member("console:alice", "alice", is_staff=True)
            draft = EventDraft("Atelier", STARTS, STARTS + timedelta(hours=3), onsite_capacity=50)
            target = str((await app.services.events.create(SPACE, "general", alice, draft)).id)
            print(f"event {target}", flush=True)
        elif role == "remind":
            await plan_reminder(app, int(args[0]))
        print("ready", flush=True)
        if role != "standby":
            await until("go")
        if role in ("poll", "voter"):
            await vote(app, target, int(args[-1]))
            await app.services.cards.drain()
            print("drained", flush=True)
        elif role in ("event", "joiner"):
            await join(app, int(target), int(args[-1]))
        elif role == "remind":
            clock.set(DUE)
            await app.services.wakeups.clock_moved()
        await until("stop")
        watcher.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4:]))
