"""Inbound messages and threads on Slack: the real Bolt app, signed Events API deliveries, the fake Web API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core.model import MessageRef
from bot.features import FEATURES
from bot.ui import Reply
from tests import echo
from tests.echo.commands import Heard
from tests.slack_support import ALICE, BOB, CHANNEL, TEAM, SlackBot, slack_bot

SPACE = f"slack:{TEAM}"
OTHER_CHANNEL = "C0OTHER"


def said(text: str, ts: str, *, user: str = BOB, channel: str = CHANNEL, **extra: Any) -> dict[str, Any]:
    """A message event as Slack sends it for a member's new message."""
    return {"type": "message", "channel": channel, "user": user, "text": text, "ts": ts, "event_ts": ts,
            "channel_type": "channel", **extra}  # fmt: skip


async def watch(bot: SlackBot) -> Heard:
    """/echo watch in #general; what the echo feature hears from then on."""
    assert (await bot.command("watch", name="/echo"))[0] == 200
    await bot.fake.wait_for("response_url")  # slash commands answer through their response_url
    assert bot.app.services.subscriptions.of("echo")
    return bot.app.services.get(Heard)


async def test_a_member_message_reaches_the_subscribed_feature_once(tmp_path: Path) -> None:
    """A message event in a watched channel is routed once, with its member, text, files and thread."""
    async with slack_bot(tmp_path, features=(*FEATURES, echo.FEATURE)) as bot:
        heard = await watch(bot)
        files = [{"id": "F1", "name": "plan.pdf", "url_private": "https://files.slack.com/plan.pdf"}]
        await bot.event(said("Bonjour &amp; bienvenue", "1700000500.000100", subtype="file_share", files=files))
        await bot.event(said("dans le fil", "1700000500.000200", thread_ts="1700000500.000100"))
        await heard.wait_for(lambda messages: len(messages) == 2)
    first, reply = heard.messages
    assert (first.space, first.channel, first.thread, first.message_id) == (SPACE, CHANNEL, None, "1700000500.000100")
    assert (first.member and first.member.key, first.text, first.kind) == (
        f"slack:{BOB}",
        "Bonjour & bienvenue",
        "posted",
    )
    assert first.attachments == ("https://files.slack.com/plan.pdf",) and first.at.timestamp() == 1700000500.0001
    assert (reply.thread, reply.text) == ("1700000500.000100", "dans le fil")


async def test_edits_and_deletions_arrive_as_such(tmp_path: Path) -> None:
    """message_changed is an edit of the original ts, message_deleted a deletion with no text."""
    async with slack_bot(tmp_path, features=(*FEATURES, echo.FEATURE)) as bot:
        heard = await watch(bot)
        original = {"type": "message", "user": BOB, "text": "corrigé", "ts": "1700000500.000100"}
        await bot.event({"type": "message", "subtype": "message_changed", "channel": CHANNEL, "hidden": True,
                         "ts": "1700000600.000100", "event_ts": "1700000600.000100",
                         "message": {**original, "edited": {"user": BOB, "ts": "1700000600.000100"}}})  # fmt: skip
        await heard.wait_for(lambda messages: len(messages) == 1)
        await bot.event({"type": "message", "subtype": "message_deleted", "channel": CHANNEL, "hidden": True,
                         "deleted_ts": "1700000500.000100", "ts": "1700000700.000100", "event_ts": "1700000700.000100",
                         "previous_message": original})  # fmt: skip
        await heard.wait_for(lambda messages: len(messages) == 2)
    assert [(m.kind, m.message_id, m.text) for m in heard.messages] == [
        ("edited", "1700000500.000100", "corrigé"),
        ("deleted", "1700000500.000100", ""),
    ]
    assert all(m.member and m.member.key == f"slack:{BOB}" for m in heard.messages)


async def test_the_bots_own_messages_and_unwatched_channels_are_not_routed(tmp_path: Path) -> None:
    """Our own posts and edits, other bots' bot_message events and other channels never reach the feature."""
    async with slack_bot(tmp_path, features=(*FEATURES, echo.FEATURE)) as bot:
        heard = await watch(bot)
        await bot.event(said("premier", "1700000500.000100"))
        await heard.wait_for(lambda messages: len(messages) == 1)  # bob's profile is cached from now on
        bot_user, bot_id = bot.fake.bot_user_id, bot.fake.bot_id
        await bot.event(said("notre carte", "1700000500.000200", user=bot_user, bot_id=bot_id))
        await bot.event({"type": "message", "subtype": "message_changed", "channel": CHANNEL, "ts": "1700000500.000300",
                         "message": {"type": "message", "user": bot_user, "text": "carte à jour", "ts": "1700000500.000200"}})  # fmt: skip
        await bot.event({"type": "message", "subtype": "bot_message", "channel": CHANNEL, "bot_id": "B0OTHER",
                         "text": "un autre robot", "ts": "1700000500.000400"})  # fmt: skip
        await bot.event(said("ailleurs", "1700000500.000500", channel=OTHER_CHANNEL))
        await bot.event(said("dernier", "1700000500.000600", user=ALICE))
        await heard.wait_for(lambda messages: len(messages) == 2)
    assert [m.text for m in heard.messages] == ["premier", "dernier"]


async def test_a_reply_for_a_thread_lands_in_it(tmp_path: Path) -> None:
    """Opening a thread on a posted message, then posting with Reply(thread=…), sends thread_ts."""
    async with slack_bot(tmp_path) as bot:
        delivery = bot.app.services.delivery
        assert delivery.capabilities(SPACE).threads and delivery.capabilities(SPACE).inbound
        parent = await delivery.post(SPACE, CHANNEL, Reply(text="Fil du direct"))
        assert parent is not None and parent.thread is None
        thread = await delivery.open_thread(SPACE, CHANNEL, parent, "direct")
        assert thread == MessageRef(SPACE, CHANNEL, parent.message_id, parent.message_id)
        ref = await delivery.post(SPACE, CHANNEL, Reply(text="Bienvenue", thread=thread.thread))
    assert ref is not None and ref.thread == parent.message_id
    post = bot.fake.calls("chat.postMessage")[-1]
    assert post.params["thread_ts"] == parent.message_id
    assert bot.fake.messages[CHANNEL][ref.message_id]["thread_ts"] == parent.message_id
