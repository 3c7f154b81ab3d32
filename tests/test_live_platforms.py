"""Taking part in a live thread on the real platforms: polls, questions and check-ins across Slack and Discord."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from bot.core.model import Member, MessageRef
from tests.fakes.discord_api import DiscordCall
from tests.fakes.slack_api import SlackCall, block_actions_body, slash_command_body
from tests.live_support import (
    DALICE,
    DBOB,
    DCARLA,
    DCHANNEL,
    DISCORD,
    DOTHER,
    GUILD,
    MANAGE_GUILD,
    SLACK,
    Both,
    both,
    bridged,
    fakes,
    until,
)
from tests.slack_support import ALICE, BOB, CHANNEL, TEAM, blocks_text

EPHEMERAL = 64


async def slack_command(bot: Both, text: str, user: str = ALICE, name: str = "/live") -> None:
    """`/live …` (or another command) typed in the Slack channel the thread is attached to."""
    await bot.slack_send(slash_command_body(name, text, user_id=user, team_id=TEAM, channel_id=CHANNEL,
                                            response_url=bot.slack.response_url()))  # fmt: skip


async def slack_click(bot: Both, ref: MessageRef, label: str, user: str) -> None:
    """A signed click on the button labelled `label` of the Slack message `ref`."""
    blocks = bot.slack.messages[CHANNEL][ref.message_id]["blocks"]
    action_id = next(e["action_id"] for e in elements(blocks) if label in str(e.get("text", {}).get("text")))
    await bot.slack_send(block_actions_body(action_id, None, user_id=user, team_id=TEAM, channel_id=CHANNEL,
                                            message_ts=ref.message_id))  # fmt: skip


def elements(value: Any) -> Iterator[dict[str, Any]]:
    """Every interactive element (with an action or custom id) in blocks or components."""
    if isinstance(value, dict):
        if "action_id" in value or "custom_id" in value:
            yield value
        for item in value.values():
            yield from elements(item)
    elif isinstance(value, list):
        for item in value:
            yield from elements(item)


def custom_id(bot: Both, ref: MessageRef, label: str) -> str:
    """The custom id of the button labelled `label` on the Discord message `ref`."""
    components = bot.discord.messages[int(ref.message_id)]["components"]
    return next(str(c["custom_id"]) for c in elements(components) if label in str(c.get("label")))


async def discord_click(
    bot: Both, custom: str, ref: MessageRef, user: int, channel: int | None = None, staff: bool = False
) -> DiscordCall:
    """A component interaction on the Discord message `ref` (from another channel when `channel` is given)."""
    payload = bot.discord.component_interaction(
        custom, guild_id=GUILD, channel_id=channel or int(ref.thread or ref.channel), user_id=user,
        message_id=int(ref.message_id) if channel is None else bot.discord.snowflake(), locale="fr",
        permissions=MANAGE_GUILD if staff else "0",
    )  # fmt: skip
    return await bot.discord.interact(payload)


async def discord_command(bot: Both, sub: str, options: dict[str, Any], user: int, channel: int) -> DiscordCall:
    """`/live <sub>` typed in a Discord channel or thread; its interaction callback."""
    payload = bot.discord.slash_interaction("live", options, subcommand=sub, guild_id=GUILD, channel_id=channel,
                                            user_id=user)  # fmt: skip
    return await bot.discord.interact(payload)


async def copies(bot: Both, subject: str) -> tuple[MessageRef, MessageRef]:
    """The Slack and the Discord message showing a live subject, once both are tracked."""
    refs = bot.app.services.cards.messages.refs
    await until(lambda: _count(refs(subject), 2))
    found = {ref.space: ref for ref in await refs(subject)}
    return found[SLACK], found[DISCORD]


async def _count(refs: Any, n: int) -> bool:
    return len(await refs) >= n


def slack_shown(bot: Both, ref: MessageRef) -> str:
    """The text of the newest state of a Slack message: its last chat.update, else as posted."""
    calls: list[SlackCall] = [c for c in bot.slack.calls("chat.update") if c.params.get("ts") == ref.message_id]
    if calls:
        return blocks_text(calls[-1].params.get("blocks") or [])
    return blocks_text(bot.slack.messages[CHANNEL][ref.message_id]["blocks"])


def discord_edits(bot: Both, ref: MessageRef) -> list[DiscordCall]:
    """The bot's edits of a Discord message."""
    return bot.discord.calls("PATCH", f"/channels/{ref.thread or ref.channel}/messages/{ref.message_id}")


def discord_shown(bot: Both, ref: MessageRef) -> str:
    """The embed text of the newest state of a Discord message: its last edit, else as posted."""
    edits = discord_edits(bot, ref)
    return json.dumps(edits[-1].json if edits else bot.discord.messages[int(ref.message_id)], ensure_ascii=False)


async def test_a_live_poll_typed_on_slack_merges_votes_from_both_platforms_and_closes_everywhere(
    tmp_path: Path,
) -> None:
    """A Slack click and a Discord click make one result on both copies; closing freezes both; strangers refused."""
    async with fakes() as (slack, discord), both(tmp_path, slack, discord) as bot:
        await bridged(bot)
        await slack_command(bot, 'poll "Quel format ?" "Atelier" "Table ronde"')
        on_slack, on_discord = await copies(bot, "livepoll:1")
        assert on_discord.thread and on_slack.thread  # posted inside each platform's thread

        atelier, table = custom_id(bot, on_discord, "Atelier"), custom_id(bot, on_discord, "Table ronde")
        await slack_click(bot, on_slack, "Atelier", BOB)
        clicked = await discord_click(bot, table, on_discord, DBOB)
        assert clicked.json["data"]["flags"] == EPHEMERAL and "Table ronde" in clicked.json["data"]["content"]
        await until(lambda: "2 votants" in slack_shown(bot, on_slack) and "2 votants" in discord_shown(bot, on_discord))

        # A vote id crafted from a Discord channel that is not attached to the thread does not count.
        forged = await discord_click(bot, atelier, on_discord, DCARLA, channel=DOTHER)
        assert forged.json["data"]["flags"] == EPHEMERAL and "Aucun fil en direct" in forged.json["data"]["content"]

        await slack_command(bot, "close 1", name="/poll")
        await until(lambda: "Sondage clos · 2 votants" in slack_shown(bot, on_slack)
                    and "Sondage clos · 2 votants" in discord_shown(bot, on_discord))  # fmt: skip
        last = [c for c in slack.calls("chat.update") if c.params["ts"] == on_slack.message_id][-1]
        assert not [e for e in elements(last.params["blocks"]) if "action_id" in e]  # no buttons left
        assert not discord_edits(bot, on_discord)[-1].json.get("components")
        late = await discord_click(bot, atelier, on_discord, DALICE, channel=int(str(on_discord.thread)))  # an old copy
        assert "clos" in late.json["data"]["content"]
        poll = await bot.app.services.polls.store.get_poll(1)
        assert poll is not None and (await bot.app.services.polls.tally(poll)).counts == (1, 1)


async def test_an_anonymous_question_asked_on_discord_is_shown_everywhere_without_its_author(
    tmp_path: Path, logs: Callable[[str, str], io.StringIO]
) -> None:
    """Not the interaction's answer on Discord; upvotes from both sides, toggled; answered from Slack; no author."""
    out = logs("debug", "debug")  # the bot and its libraries at DEBUG
    async with fakes() as (slack, discord), both(tmp_path, slack, discord) as bot:
        on_slack_thread, on_discord_thread = await bridged(bot)
        d_thread = int(str(on_discord_thread.thread))
        asked = await discord_command(bot, "ask", {"question": "Et les antennes ?", "anonymous": True}, DCARLA,
                                      d_thread)  # fmt: skip
        on_slack, on_discord = await copies(bot, "livequestion:1")
        # Discord labels an interaction's answer with who ran it: the card is a plain message, the answer private.
        assert asked.json["data"]["flags"] == EPHEMERAL and not asked.json["data"].get("embeds")
        assert "anonymement" in asked.json["data"]["content"]
        assert on_discord.thread == str(d_thread) and on_slack.thread == on_slack_thread.thread
        card = bot.discord.messages[int(on_discord.message_id)]
        assert not card.get("webhook_id")  # interaction answers and their follow-ups carry the application's
        assert "— anonyme" in discord_shown(bot, on_discord) and "— anonyme" in slack_shown(bot, on_slack)

        await slack_click(bot, on_slack, "soutiens", BOB)
        upvote = custom_id(bot, on_discord, "soutiens")
        for _ in range(3):  # on, taken back, on again: one upvote per member
            await discord_click(bot, upvote, on_discord, DBOB)
        await until(lambda: "▲ 2 soutiens" in slack_shown(bot, on_slack) and "▲ 2 soutiens" in discord_shown(
            bot, on_discord))  # fmt: skip
        await slack_click(bot, on_slack, "Répondue", ALICE)  # staff on the other platform
        await until(lambda: "✅ répondue" in slack_shown(bot, on_slack) and "✅ répondue" in discord_shown(
            bot, on_discord))  # fmt: skip
        again = await discord_click(bot, upvote, on_discord, DBOB)  # still toggles once answered
        assert "ne soutenez plus la question n°1 (1 soutien)" in again.json["data"]["content"]

        await slack_command(bot, "export")
        await until(lambda: bool(slack.uploads))
        [export] = slack.uploads.values()

    transcript = export.decode("utf-8-sig")
    assert "Et les antennes ?" in transcript
    [row] = [line for line in transcript.splitlines() if "Et les antennes ?" in line]
    assert row.split(";")[2] == "", row  # time; platform; author (empty); kind; text
    sent = json.dumps([c.json for c in discord.calls()], ensure_ascii=False)
    sent += json.dumps([c.params for c in slack.calls()], ensure_ascii=False)
    assert "INFO bot." in out.getvalue() and logging.getLogger("bot.features.live").isEnabledFor(logging.DEBUG)
    for where in (sent, transcript, out.getvalue()):
        assert "carla" not in where.casefold() and str(DCARLA) not in where


async def test_a_check_in_on_discord_shows_in_the_header_on_both_platforms(tmp_path: Path) -> None:
    """/live here Nantes 6 typed in the Discord thread: announced in both threads, counted in both headers."""
    async with fakes() as (slack, discord), both(tmp_path, slack, discord) as bot:
        on_slack, on_discord = await bridged(bot)
        alice = Member(f"slack:{ALICE}", "Alice", is_staff=True)
        await bot.app.dispatcher.invoke_text(SLACK, CHANNEL, alice, "event antenna Nantes")
        reply = await discord_command(bot, "here", {"antenna": "Nantes", "count": 6}, DCARLA,
                                      int(str(on_discord.thread)))  # fmt: skip
        assert "Nantes" in reply.json["data"]["content"]
        live = (await bot.live.store.attached(SLACK, CHANNEL) or (None,))[0]
        assert live is not None
        header_slack, header_discord = await copies(bot, live.subject)
        assert header_slack.message_id == on_slack.header and header_discord.message_id == on_discord.header
        await until(lambda: "Nantes : 6 personnes" in slack_shown(bot, header_slack)
                    and "Nantes : 6 personnes" in discord_shown(bot, header_discord))  # fmt: skip
        assert header_discord.channel == str(DCHANNEL)
        said_slack = [c.params["text"] for c in slack.calls("chat.postMessage") if c.params.get("thread_ts")]
        said_discord = [c.json.get("content") for c in discord.calls("POST", f"/channels/{on_discord.thread}/")]
        assert "📍 Nantes : 6 personnes" in said_slack and "📍 Nantes : 6 personnes" in said_discord
