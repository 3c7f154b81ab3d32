"""Inbound messages and threads on Discord: a real discord.Client against the fake gateway and REST API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.discord import connect
from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.features import FEATURES
from bot.i18n import translate
from bot.ui import Card, Reply
from tests import echo
from tests.echo.commands import Heard
from tests.fakes.discord_api import FakeDiscord, run_client
from tests.helpers import make_settings, running_app

GUILD = 1_400_000_000_000_000_001
CHANNEL, OTHER_CHANNEL = 1_400_000_000_000_000_101, 1_400_000_000_000_000_102
ALICE, BOB = 1_400_000_000_000_000_301, 1_400_000_000_000_000_302
SPACE = f"discord:{GUILD}"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """One guild, two channels, alice and bob."""
    async with FakeDiscord() as fake:
        fake.add_guild(GUILD, channels=[CHANNEL, OTHER_CHANNEL],
                       members=[{"id": ALICE, "username": "alice"}, {"id": BOB, "username": "bob"}])  # fmt: skip
        yield fake
        assert not fake.logged_errors, fake.logged_errors


async def started(tmp_path: Path, **values: Any) -> AsyncIterator[App]:
    """The app with the echo feature added to the list."""
    async with running_app(make_settings(tmp_path / "discord.db", **values), features=(*FEATURES, echo.FEATURE)) as app:
        yield app


@pytest.fixture
async def app(tmp_path: Path) -> AsyncIterator[App]:
    """Members' messages are read (discord.message_content = true)."""
    async for app in started(tmp_path, discord__message_content=True):
        yield app


@pytest.fixture
async def deaf_app(tmp_path: Path) -> AsyncIterator[App]:
    """The default: the privileged Message Content intent is off."""
    async for app in started(tmp_path):
        yield app


def client_for(app: App) -> PhosphoreClient:
    """Our client, quick to become ready."""
    return PhosphoreClient(app, guild_ready_timeout=0.05)


async def watch(app: App, fake: FakeDiscord, channel: int = CHANNEL) -> str:
    """/echo watch in `channel` as bob; the answer's text."""
    call = await fake.interact(fake.slash_interaction("echo", None, subcommand="watch", guild_id=GUILD, channel_id=channel,
                                                      user_id=BOB, locale="en-US"))  # fmt: skip
    return str(call.json["data"].get("content"))


async def test_a_member_message_reaches_the_subscribed_feature_once(app: App, fake: FakeDiscord) -> None:
    """With message content on, IDENTIFY asks for it and a MESSAGE_CREATE in a watched channel is routed once."""
    heard = app.services.get(Heard)
    async with run_client(client_for(app)):
        assert await watch(app, fake) == translate("en", "echo.watching")
        sent = await fake.member_says(CHANNEL, BOB, "Bonjour", attachments=["https://cdn.example/plan.pdf"])
        await heard.wait_for(lambda messages: len(messages) == 1)
    assert (
        fake.identifies[0]["intents"] == discord.Intents(guilds=True, guild_messages=True, message_content=True).value
    )
    [message] = heard.messages
    assert (message.space, message.channel, message.thread, message.message_id) == (
        SPACE,
        str(CHANNEL),
        None,
        sent["id"],
    )
    assert (message.member and message.member.key, message.text, message.kind) == (
        f"discord:{BOB}",
        "Bonjour",
        "posted",
    )
    assert message.attachments == ("https://cdn.example/plan.pdf",)


async def test_edits_and_deletions_arrive_as_such(app: App, fake: FakeDiscord) -> None:
    """MESSAGE_UPDATE is an edit; MESSAGE_DELETE a deletion that names no author."""
    heard = app.services.get(Heard)
    async with run_client(client_for(app)):
        await watch(app, fake)
        sent = await fake.member_says(CHANNEL, BOB, "Bonjuor")
        await fake.member_edits(int(sent["id"]), "Bonjour")
        await fake.member_deletes(int(sent["id"]))
        await heard.wait_for(lambda messages: len(messages) == 3)
    assert [(m.kind, m.message_id, m.text) for m in heard.messages] == [
        ("posted", sent["id"], "Bonjuor"),
        ("edited", sent["id"], "Bonjour"),
        ("deleted", sent["id"], ""),
    ]
    assert heard.messages[1].member is not None and heard.messages[2].member is None


async def test_the_bots_own_messages_and_unwatched_channels_are_not_routed(app: App, fake: FakeDiscord) -> None:
    """Our own messages and edits and other channels' messages never reach the feature."""
    heard = app.services.get(Heard)
    async with run_client(client_for(app)):
        await watch(app, fake)
        ours = await fake.member_says(CHANNEL, fake.bot_user_id, "notre carte")
        await fake.member_edits(int(ours["id"]), "notre carte à jour")
        await fake.member_says(OTHER_CHANNEL, BOB, "ailleurs")
        await fake.member_says(CHANNEL, ALICE, "dernier")
        await heard.wait_for(lambda messages: len(messages) == 1)
    assert [m.text for m in heard.messages] == ["dernier"]


async def test_a_thread_is_opened_posted_in_edited_in_and_heard(app: App, fake: FakeDiscord) -> None:
    """A thread from a message: posts and edits go to the thread's channel, members' replies name it."""
    heard = app.services.get(Heard)
    delivery = app.services.delivery
    async with run_client(client_for(app)):
        await watch(app, fake)
        parent = await delivery.post(SPACE, str(CHANNEL), Reply(text="Fil du direct"))
        assert parent is not None
        thread = await delivery.open_thread(SPACE, str(CHANNEL), parent, "Direct")
        assert thread is not None and thread.thread == parent.message_id  # Discord: the thread takes the message's id
        ref = await delivery.post(SPACE, str(CHANNEL), Reply(text="Bienvenue", thread=thread.thread))
        assert ref is not None and (ref.channel, ref.thread) == (str(CHANNEL), thread.thread)
        await delivery.edit(ref, Card(title="Bienvenue !"))
        await fake.member_says(int(thread.thread), BOB, "dans le fil")
        await heard.wait_for(lambda messages: len(messages) == 1)
    assert fake.calls("POST", f"/channels/{CHANNEL}/messages/{parent.message_id}/threads")[0].json["name"] == "Direct"
    assert fake.calls("POST", f"/channels/{thread.thread}/messages")[0].json["content"] == "Bienvenue"
    assert fake.calls("PATCH", f"/channels/{thread.thread}/messages/{ref.message_id}")
    [message] = heard.messages
    assert (message.channel, message.thread, message.text) == (str(CHANNEL), thread.thread, "dans le fil")


async def test_without_message_content_listening_is_refused_clearly(
    deaf_app: App, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """By default the intent is off: one WARNING at start, no inbound capability, a translated refusal."""
    async with run_client(client_for(deaf_app)):
        assert not deaf_app.services.delivery.capabilities(SPACE).inbound
        assert deaf_app.services.delivery.capabilities(SPACE).threads
        # Discord shows escaped markdown as typed: "message\_content" reads "message_content".
        assert (await watch(deaf_app, fake)).replace("\\_", "_") == translate("en", "capability.missing.inbound")
    assert fake.identifies[0]["intents"] == discord.Intents(guilds=True).value
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "message_content" in r.getMessage()]
    assert len(warnings) == 1 and not deaf_app.services.subscriptions.of("echo")


async def test_a_refused_message_content_intent_warns_and_serves_without_it(
    app: App, fake: FakeDiscord, caplog: pytest.LogCaptureFixture
) -> None:
    """Asked for in the settings but off in the portal: one clear WARNING, then the bot serves without reading messages."""
    fake.privileged_intents = False
    serving = asyncio.create_task(connect(app, "fake-token", guild_ready_timeout=0.05))
    try:
        await fake.wait_connected(1)
        assert [bool(i["intents"] & discord.Intents(message_content=True).value) for i in fake.identifies] == [
            True,
            False,
        ]
        assert not app.services.delivery.capabilities(SPACE).inbound
        assert any("Message Content intent" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
        assert (await watch(app, fake)).replace("\\_", "_") == translate("en", "capability.missing.inbound")
    finally:
        serving.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await serving
