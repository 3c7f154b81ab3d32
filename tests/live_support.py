"""Both adapters in one process against their loopback fakes, with a live thread bridged between them."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord

from bot.adapters.discord.client import PhosphoreClient
from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import http_server
from bot.app import App
from bot.core.model import Member
from bot.features.live.domain import LiveChannel, LiveService
from tests.fakes.discord_api import DiscordCall, FakeDiscord, run_client
from tests.fakes.slack_api import FakeSlack, SlackCall, event_callback_body, fake_slack, post_signed
from tests.helpers import running_app
from tests.slack_support import ALICE, BOB, CHANNEL, SECRET, TEAM, slack_settings

GUILD = 1_400_000_000_000_000_001
DCHANNEL = 1_400_000_000_000_000_101
DOTHER = 1_400_000_000_000_000_102  # a channel of the server that is never attached
DALICE, DBOB, DCARLA = 1_400_000_000_000_000_301, 1_400_000_000_000_000_302, 1_400_000_000_000_000_303
ROLE = 1_400_000_000_000_000_501
SLACK, DISCORD = f"slack:{TEAM}", f"discord:{GUILD}"
CODE = re.compile(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}")
MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)  # what makes a Discord member staff


@dataclass
class Both:
    """One app running the Slack and Discord adapters at once, against both fakes."""

    app: App
    slack: FakeSlack
    discord: FakeDiscord
    url: str
    session: aiohttp.ClientSession

    async def slack_send(self, body: str) -> None:
        """A signed delivery to /slack/events, which must be acknowledged."""
        status, _ = await post_signed(self.url, body, SECRET, session=self.session)
        assert status == 200

    async def slack_event(self, event: dict[str, Any]) -> None:
        """An Events API delivery, signed."""
        await self.slack_send(event_callback_body(event, team_id=TEAM))

    @property
    def live(self) -> LiveService:
        """The live threads' service."""
        return self.app.services.get(LiveService)


@asynccontextmanager
async def fakes() -> AsyncIterator[tuple[FakeSlack, FakeDiscord]]:
    """Fake Slack and fake Discord (alice manages the server; zoe and carla are members; a role 'orga')."""
    async with fake_slack() as slack, FakeDiscord() as discord:
        slack.users[BOB] = {"profile": {"display_name": "Bob"}}
        slack.users["U0ALICE"] = {"profile": {"display_name": "Alice"}}  # mentioned, never posts in the thread
        discord.add_guild(GUILD, channels=[DCHANNEL, DOTHER], roles=[{"id": ROLE, "name": "orga"}],
                          members=[{"id": DALICE, "username": "alice"}, {"id": DBOB, "username": "zoe"},
                                   {"id": DCARLA, "username": "carla"}])  # fmt: skip
        yield slack, discord
        assert not discord.logged_errors, discord.logged_errors


@asynccontextmanager
async def both(tmp_path: Path, slack: FakeSlack, discord: FakeDiscord) -> AsyncIterator[Both]:
    """A started app on `tmp_path/live.db` with both adapters connected (a second call is a restart)."""
    settings = slack_settings(tmp_path / "live.db", discord__message_content=True)
    async with running_app(settings) as app:
        bolt = build_bolt(app.services.settings, base_url=slack.base_url)
        SlackAdapter(app, bolt)
        try:
            async with (
                http_server(bolt, "127.0.0.1", 0, SECRET) as url,
                aiohttp.ClientSession() as session,
                run_client(PhosphoreClient(app, guild_ready_timeout=0.05)),
            ):
                yield Both(app, slack, discord, url, session)
        finally:
            await close_bolt(bolt)


async def bridged(bot: Both) -> tuple[LiveChannel, LiveChannel]:
    """An event, its live thread started on Slack by alice and joined from Discord; both channels."""
    alice = Member(f"slack:{ALICE}", "Alice", is_staff=True)
    dispatcher = bot.app.dispatcher
    await dispatcher.invoke_text(
        SLACK, CHANNEL, alice, 'event create "Rencontre TMN" --start "30 juin 9h30" --end "17h" --onsite 10'
    )
    started = await dispatcher.invoke_text(SLACK, CHANNEL, alice, "live start 1")
    code = CODE.search(started.text or "")
    assert code, started.text
    staff = Member(f"discord:{DALICE}", "alice", is_staff=True)
    joined_reply = await dispatcher.invoke_text(DISCORD, str(DCHANNEL), staff, f"live join {code.group(0)}")
    assert "#1" in (joined_reply.text or ""), joined_reply.text
    found = await bot.live.store.attached(SLACK, CHANNEL)
    assert found is not None
    on_slack, on_discord = await bot.live.channels(found[0])
    assert on_slack.thread and on_discord.thread
    return on_slack, on_discord


def said(text: str, ts: str, thread: str, user: str = BOB) -> dict[str, Any]:
    """A Slack member's message in a thread."""
    return {"type": "message", "channel": CHANNEL, "user": user, "text": text, "ts": ts, "event_ts": ts,
            "thread_ts": thread, "channel_type": "channel"}  # fmt: skip


def discord_posts(bot: Both, thread: str) -> list[DiscordCall]:
    """What the bot posted in the Discord thread."""
    return [c for c in bot.discord.calls("POST", f"/channels/{thread}/messages") if c.path.endswith("/messages")]


def slack_posts(bot: Both, thread: str) -> list[SlackCall]:
    """What the bot posted in the Slack thread."""
    return [c for c in bot.slack.calls("chat.postMessage") if c.params.get("thread_ts") == thread]


async def until(check: Callable[[], bool | Awaitable[bool]], timeout: float = 10.0) -> None:
    """Wait for a condition on what the fakes recorded (polled: the fakes record from other tasks)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = check()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


def text_of(calls: list[DiscordCall] | list[SlackCall]) -> str:
    """Every relayed text, in order."""
    return "\n".join(str(c.json["content"]) if isinstance(c, DiscordCall) else str(c.params["text"]) for c in calls)
