"""A Phosphore Slack adapter on the real Bolt AsyncApp, talking to the loopback fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import http_server
from bot.app import App
from bot.config import Settings
from bot.feature import Feature
from bot.features import FEATURES
from tests.fakes.slack_api import (
    UNROUTED_RESPONSE_URL,
    FakeSlack,
    SlackCall,
    block_actions_body,
    event_callback_body,
    fake_slack,
    post_signed,
    slash_command_body,
    view_submission_body,
)
from tests.helpers import make_settings, running_app

SECRET = "phosphore-signing-secret"
TEAM = "T0PHOSPH"
OTHER_TEAM = "T0OTHER"
ALICE = "U0ALICE"  # staff (slack.staff_users)
BOB = "U0BOB"
CHANNEL = "C0GENERAL"


def slack_settings(db: Path, spaces: Mapping[str, Mapping[str, Any]] | None = None, **values: Any) -> Settings:
    """Test settings with Slack secrets, alice as staff unless told otherwise."""
    values.setdefault("slack__staff_users", (ALICE,))
    base = make_settings(db, **values)
    secrets = {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": SECRET}
    return Settings(base.values, dict(spaces or {}), secrets, None)


def blocks_text(blocks: list[dict[str, Any]]) -> str:
    """Every text of a message's blocks, one per line (to assert on what people see)."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                texts.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(blocks)
    return "\n".join(texts)


def shows(text: str) -> Callable[[SlackCall], bool]:
    """A predicate on recorded calls whose blocks (or text) contain `text`."""
    return lambda call: text in blocks_text(call.params.get("blocks") or []) or text in str(call.params.get("text"))


@dataclass
class SlackBot:
    """The app, its Slack adapter served over HTTP, and the fake Slack it talks to."""

    app: App
    adapter: SlackAdapter
    fake: FakeSlack
    url: str
    session: aiohttp.ClientSession

    async def send(self, body: str, headers: Mapping[str, str] | None = None, **sign: Any) -> tuple[int, str]:
        """POST a signed body to /slack/events."""
        return await post_signed(self.url, body, SECRET, headers=headers, session=self.session, **sign)

    async def command(
        self, text: str, user: str = ALICE, team: str = TEAM, name: str = "/poll", **extra: Any
    ) -> tuple[int, str]:
        """A slash command typed in #general."""
        reply_to = self.fake.response_url()
        body = slash_command_body(name, text, user_id=user, team_id=team, channel_id=CHANNEL, response_url=reply_to)
        return await self.send(body, **extra)

    async def click(
        self,
        action_id: str,
        user: str,
        ts: str,
        team: str = TEAM,
        value: str | None = None,
        response_url: str = UNROUTED_RESPONSE_URL,
        **extra: Any,
    ) -> tuple[int, str]:
        """A click on a message button (a select when `value` is given).

        Its response_url leads nowhere unless given (`fake.response_url()`): the answer then falls
        back to chat.postEphemeral.
        """
        kind = "static_select" if value is not None else "button"
        body = block_actions_body(
            action_id,
            value,
            user_id=user,
            team_id=team,
            channel_id=CHANNEL,
            message_ts=ts,
            action_type=kind,
            response_url=response_url,
        )
        return await self.send(body, **extra)

    async def submit(self, callback_id: str, state: dict[str, Any], user: str = ALICE) -> tuple[int, str]:
        """A modal submission (private_metadata as the adapter wrote it)."""
        meta = json.dumps({"channel": CHANNEL}, separators=(",", ":"))
        blocks = [{"type": "input", "block_id": block_id} for block_id in state]
        body = view_submission_body(
            callback_id, state, user_id=user, team_id=TEAM, private_metadata=meta, blocks=blocks
        )
        return await self.send(body)

    async def event(self, event: dict[str, Any], team: str = TEAM) -> tuple[int, str]:
        """An Events API delivery."""
        return await self.send(event_callback_body(event, team_id=team))

    async def create_poll(self, text: str = '"Lunch?" "Pizza" "Sushi"', team: str = TEAM) -> tuple[int, str]:
        """Create a poll by slash command; (poll id, message ts) once its message is tracked."""
        before = len(self.fake.calls("chat.postMessage"))
        assert (await self.command(f"create {text}", team=team))[0] == 200
        post = (await self.fake.wait_for("chat.postMessage", count=before + 1))[-1]
        poll_id = int(post.params["blocks"][-2]["elements"][0]["action_id"].split(":")[2])
        refs = self.app.services.cards.messages.refs
        await until(lambda: _nonempty(refs(f"poll:{poll_id}")))
        [ref] = await refs(f"poll:{poll_id}")
        return poll_id, ref.message_id


async def _nonempty(found: Awaitable[list[Any]]) -> bool:
    return bool(await found)


async def until(check: Callable[[], Awaitable[bool]], timeout: float = 5.0) -> None:
    """Wait until an async check holds (for state the fake cannot record, such as our own DB)."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.005)


@asynccontextmanager
async def slack_bot(
    tmp_path: Path,
    spaces: Mapping[str, Mapping[str, Any]] | None = None,
    features: tuple[Feature, ...] = FEATURES,
    **values: Any,
) -> AsyncIterator[SlackBot]:
    """A started app (of `features`) with its Slack adapter on 127.0.0.1, against a fresh fake Slack."""
    settings = slack_settings(tmp_path / "slack.db", spaces, **values)
    async with fake_slack() as fake, running_app(settings, features=features) as app:
        bolt = build_bolt(app.services.settings, base_url=fake.base_url)
        adapter = SlackAdapter(app, bolt)
        adapter.edit_retry_delays = (0.01, 0.02, 0.04)  # the production backoff in hundredths
        try:
            async with http_server(bolt, "127.0.0.1", 0, SECRET) as url, aiohttp.ClientSession() as session:
                yield SlackBot(app, adapter, fake, url, session)
                await adapter.drain()
                await app.services.cards.drain()
        finally:
            await close_bolt(bolt)
