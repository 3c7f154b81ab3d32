"""How the Slack adapter answers: response_url for commands, paced and remembered DMs, forms that fit Slack."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.adapters.slack.dm_channels import Pace
from bot.adapters.slack.manifest import USAGE_HINT_MAX, manifest, slash_commands
from bot.commands.registry import build_registry
from bot.config import Settings, load_settings
from bot.features import FEATURES
from bot.ui import Reply
from tests.fakes.slack_api import SlackCall
from tests.slack_support import ALICE, BOB, TEAM, slack_bot

SPACE = f"slack:{TEAM}"


async def test_a_command_is_answered_through_its_response_url(tmp_path: Path) -> None:
    """In a private channel or a DM the bot is not in, the private answer still arrives (response_url)."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "en-US"}
        bot.fake.fail("chat.postEphemeral", error="channel_not_found", status=200, times=5)
        assert (await bot.command("list"))[0] == 200
        [answer] = await bot.fake.wait_for("response_url")
        assert answer.params["response_type"] == "ephemeral"
        assert "No open poll here." in answer.params["text"]
        assert bot.fake.calls("chat.postEphemeral") == [] and bot.fake.calls("conversations.open") == []


async def test_a_poll_survives_more_rate_limits_in_a_row(tmp_path: Path) -> None:
    """Three 429s in a row on chat.postMessage: still posted after Retry-After each time."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.fail("chat.postMessage", headers={"Retry-After": "0"}, times=3)
        assert (await bot.command('create "Lunch?" "Pizza" "Sushi"'))[0] == 200
        await bot.fake.wait_for("chat.postMessage", count=4)
        await bot.app.services.cards.drain()
        assert [poll.question for poll in await bot.app.services.polls.open_polls(SPACE)] == ["Lunch?"]
        assert bot.fake.calls("response_url") == []


async def test_first_contact_dms_are_paced(tmp_path: Path) -> None:
    """conversations.open stays within its tier: beyond the burst, one call per interval."""
    async with slack_bot(tmp_path) as bot:
        bot.adapter.dm_channels.pace = Pace(per_minute=600, burst=2)  # one every 0.1 s after two
        loop = asyncio.get_running_loop()
        opened: list[float] = []

        def record(call: SlackCall) -> None:
            opened.append(loop.time())

        bot.fake.on("conversations.open", record)
        users = [f"U0NEW{n}" for n in range(4)]
        sent = await asyncio.gather(
            *(bot.app.services.delivery.send_private(SPACE, f"slack:{user}", Reply(text="Rappel")) for user in users)
        )
        assert sent == [True] * 4
        assert len(opened) == 4
        assert opened[2] - opened[0] >= 0.08 and opened[3] - opened[0] >= 0.18


def test_the_default_pace_is_slacks_tier_for_conversations_open() -> None:
    """About 50 first contacts a minute."""
    assert Pace().per_minute == 50


async def test_dm_channels_are_remembered_across_restarts(tmp_path: Path) -> None:
    """A restarted bot does not open again the DM of a member it already wrote to."""
    async with slack_bot(tmp_path) as bot:
        assert await bot.app.services.delivery.send_private(SPACE, f"slack:{BOB}", Reply(text="Rappel J-7"))
        assert len(bot.fake.calls("conversations.open")) == 1
    async with slack_bot(tmp_path) as bot:
        assert await bot.app.services.delivery.send_private(SPACE, f"slack:{BOB}", Reply(text="Rappel J-1"))
        [post] = await bot.fake.wait_for("chat.postMessage")
        assert post.params["channel"] == bot.fake.dm_channel(BOB)
        assert bot.fake.calls("conversations.open") == []


def test_usage_hints_list_every_subcommand_whole() -> None:
    """Up to Slack's 1,000 characters, each subcommand name complete: no "mesinscri"."""
    settings: Settings = load_settings(path=Path("/dev/null"), environ={})
    registry = build_registry(FEATURES)
    groups = slash_commands(settings, registry)
    hints = {
        entry["command"]: entry.get("usage_hint")
        for entry in manifest(settings, registry)["features"]["slash_commands"]
    }
    assert hints["/event"] is not None and hints["/idea"] is not None
    for name, hint in hints.items():
        if hint is not None:
            assert len(hint) <= USAGE_HINT_MAX
            assert len(hint.split(" | ")) == len(registry.in_group(groups[name])), (name, hint)


async def test_a_long_prefill_never_exceeds_the_inputs_max_length(tmp_path: Path) -> None:
    """A question longer than its input allows: the form still opens, pre-filled within max_length."""
    async with slack_bot(tmp_path) as bot:
        question = " ".join(["Déjeuner"] * 60)  # 539 characters, the input takes 300
        assert (await bot.command(f'create "{question}"'))[0] == 200
        [opened] = await bot.fake.wait_for("views.open")
        [block] = [b for b in opened.params["view"]["blocks"] if b["block_id"] == "question"]
        element = block["element"]
        assert len(element["initial_value"]) <= element["max_length"] == 300
        assert element["initial_value"].startswith("Déjeuner Déjeuner")


async def test_a_form_that_cannot_open_is_explained_with_the_typed_syntax(tmp_path: Path) -> None:
    """views.open fails (trigger expired): the member is told, with the command to type instead."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "en-US"}
        bot.fake.fail("views.open", error="expired_trigger_id", status=200)
        assert (await bot.command(""))[0] == 200
        [answer] = await bot.fake.wait_for("response_url")
        assert "form" in answer.params["text"] and '/poll create "' in answer.params["text"]
