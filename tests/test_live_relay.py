"""The live relay: Slack and Discord in one process against their loopback fakes, plus its pure rules."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path

from bot.app import App
from bot.core.model import InboundMessage, Member
from bot.features.live.relay import ZWSP, Copy, gap, inert, joined, line, pack, plain
from bot.features.live.relay_sqlite import SqliteRelayStore
from tests.helpers import ConsoleSession
from tests.live_support import (
    CODE,
    DALICE,
    DBOB,
    ROLE,
    both,
    bridged,
    discord_posts,
    fakes,
    said,
    slack_posts,
    text_of,
    until,
)
from tests.slack_support import CHANNEL

NO_NAMES: Callable[[str], str | None] = lambda _key: None  # noqa: E731


# ---------------------------------------------------------------------------------------------- pure rules


def test_a_copy_names_its_author_and_platform_in_each_platforms_markup() -> None:
    """**Name** (Slack) : text on Discord, *Name* on Slack, plain on the console; attachments as links."""
    copy = Copy("Bob", "slack", "Bonjour", ("https://files.example/plan_v2.pdf",))
    assert line(copy, "discord", NO_NAMES) == "**Bob** (Slack) : Bonjour 📎 https://files.example/plan_v2.pdf"
    assert line(Copy("Zoé", "discord", "Salut"), "slack", NO_NAMES) == "*Zoé* (Discord) : Salut"
    assert line(Copy("Zoé", "discord", "Salut", antenna="Nantes"), "console", NO_NAMES) == (
        "Zoé (Discord, Nantes) : Salut"
    )


def test_slack_mentions_become_plain_text_that_pings_nobody_on_discord() -> None:
    """<!channel>, <!here>, <!everyone>, <@U…>, <!subteam^…> and links read as plain words."""
    text = "<!channel> <!here|here> <!everyone> <@U0ALICE> <@U0BOB|bob> <!subteam^S1|@orga> <https://a.fr|site>"
    names = {"slack:U0ALICE": "Alice"}.get
    assert plain(text, "slack", names) == "@channel @here @everyone @Alice @bob @orga site (https://a.fr)"
    shown = line(Copy("Bob", "slack", text), "discord", names)
    assert "<" not in shown.replace("\\<", "") and "@everyone" not in shown and f"@{ZWSP}everyone" in shown


def test_discord_mentions_become_plain_text_that_pings_nobody_on_slack() -> None:
    """@everyone, @here, <@id>, <@!id> and <@&role> never form a Slack token or a live Discord mention."""
    text = "@everyone @here <@301> <@!302> <@&501> <#101> <:tada:9> a & b"
    shown = line(Copy("Zoé", "discord", text), "slack", {"discord:301": "Alice"}.get)
    assert shown == (f"*Zoé* (Discord) : @{ZWSP}everyone @{ZWSP}here @Alice @302 @501 #101 :tada: a &amp; b")
    back = line(Copy("Zoé", "discord", "<@301> typed as <@&501>"), "discord", NO_NAMES)
    assert "<@" not in back.replace("\\<@", "")


def test_member_markup_is_shown_as_typed_but_links_stay_links() -> None:
    """Discord: stars, headings and masked links are escaped; a URL keeps its underscores."""
    assert inert("# titre *gras* [x](https://a.fr/a_b)", "discord") == "\\# titre \\*gras\\* \\[x\\](https://a.fr/a_b)"
    assert inert("<b> & </b>", "slack") == "&lt;b&gt; &amp; &lt;/b&gt;"


def test_a_burst_is_packed_in_order_within_the_post_limit() -> None:
    """Lines are taken in order while they fit; one over-long line still goes (clipped), alone."""
    lines = [f"**m{i}** (Slack) : " + "x" * 90 for i in range(50)]
    first = pack(lines, "discord")
    assert 0 < first < 50 and len(joined(lines[:first], "discord")) <= 2000
    assert len(joined(lines[:first], "discord").splitlines()) == first
    assert pack(["y" * 5000, "z"], "discord") == 1 and len(joined(["y" * 5000], "discord")) == 2000
    assert gap("slack") >= 1.0 and gap("discord") >= 1.0 and gap("console") == 0


# ---------------------------------------------------------------------------------------------- both adapters


async def test_slack_and_discord_threads_relay_each_other_once_without_pinging_anyone(tmp_path: Path) -> None:
    """Both ways exactly once, no loop back, no mention pings; edits and deletions mirrored, after a restart too."""
    async with fakes() as (slack, discord):
        async with both(tmp_path, slack, discord) as bot:
            on_slack, on_discord = await bridged(bot)
            s_thread, d_thread = str(on_slack.thread), str(on_discord.thread)
            mentions = "<!channel> <!here> <!everyone> <@U0ALICE> <!subteam^S0ORGA|@orga> @here"
            await bot.slack_event(said(f"Bonjour {mentions}", "1700000600.000100", s_thread))
            await until(lambda: "Bonjour" in text_of(discord_posts(bot, d_thread)))
            sent = await discord.member_says(int(d_thread), DBOB, f"Salut @everyone @here <@{DALICE}> <@&{ROLE}>")
            await until(lambda: "Salut" in text_of(slack_posts(bot, s_thread)))

            # The bot's own posts coming back (Slack echoes them with bot_id; Discord as MESSAGE_CREATE) stay put.
            ours = slack_posts(bot, s_thread)[0]
            await bot.slack_event({**said(str(ours.params["text"]), "1700000600.000150", s_thread,
                                          user=slack.bot_user_id), "bot_id": slack.bot_id})  # fmt: skip
            await discord.member_says(
                int(d_thread), discord.bot_user_id, str(discord_posts(bot, d_thread)[0].json["content"])
            )
            await bot.slack_event(said("fin", "1700000600.000200", s_thread))
            await until(lambda: "fin" in text_of(discord_posts(bot, d_thread)))

            to_discord, to_slack = text_of(discord_posts(bot, d_thread)), text_of(slack_posts(bot, s_thread))
            assert to_discord.count("**Bob** (Slack) : Bonjour") == 1 and to_discord.count("fin") == 1
            assert to_slack.count("*zoe* (Discord) : Salut") == 1 and "Bonjour" not in to_slack
            assert "(Discord)" not in to_discord and "(Slack)" not in to_slack  # nothing came back
            assert all(c.json["allowed_mentions"] == {"parse": []} for c in discord_posts(bot, d_thread))
            assert "<@" not in to_discord.replace("\\<", "") and "@everyone" not in to_discord
            # Mentions read as plain names: Slack's from users.info (the adapter's people cache), Discord's from
            # the message's own mention objects, even of people who never posted in the thread.
            assert "@Alice" in to_discord and "@orga" in to_discord and "U0ALICE" not in to_discord
            assert not re.search(r"<[!@#]", to_slack) and "@everyone" not in to_slack and "@here" not in to_slack
            assert f"@{ZWSP}everyone" in to_slack and "@alice" in to_slack and "@orga" in to_slack
            assert str(DALICE) not in to_slack and str(ROLE) not in to_slack

            # Edits and deletions mirrored both ways.
            await bot.slack_event({"type": "message", "subtype": "message_changed", "channel": CHANNEL,
                                   "ts": "1700000700.000100", "event_ts": "1700000700.000100",
                                   "message": {**said("Bonjour corrigé", "1700000600.000100", s_thread)}})  # fmt: skip
            await until(lambda: any("Bonjour corrigé" in str((c.json or {}).get("content"))
                                    for c in discord.calls("PATCH", f"/channels/{d_thread}/messages/")))  # fmt: skip
            await discord.member_edits(int(sent["id"]), "Salut corrigé")
            await until(lambda: any("Salut corrigé" in str(c.params.get("text")) for c in slack.calls("chat.update")))
            await discord.member_deletes(int(sent["id"]))
            await until(lambda: bool(slack.calls("chat.delete")))
            assert not any("Salut" in str(m.get("text")) for m in slack.messages[CHANNEL].values())

        # A new process on the same database: an edit of an old message is still mirrored.
        async with both(tmp_path, slack, discord) as bot:
            await bot.slack_event({"type": "message", "subtype": "message_changed", "channel": CHANNEL,
                                   "ts": "1700000800.000100", "event_ts": "1700000800.000100",
                                   "message": {**said("fin, après redémarrage", "1700000600.000200", s_thread)}})  # fmt: skip
            await until(lambda: any("après redémarrage" in str((c.json or {}).get("content"))
                                    for c in discord.calls("PATCH", f"/channels/{d_thread}/messages/")))  # fmt: skip
            await bot.slack_event({"type": "message", "subtype": "message_deleted", "channel": CHANNEL,
                                   "deleted_ts": "1700000600.000200", "ts": "1700000900.000100",
                                   "event_ts": "1700000900.000100",
                                   "previous_message": said("fin", "1700000600.000200", s_thread)})  # fmt: skip
            await until(lambda: bool(discord.calls("DELETE", f"/channels/{d_thread}/messages/")))


def per_window(times: list[float], window: float) -> int:
    """The most posts any `window` seconds saw."""
    return max((sum(1 for t in times if start <= t < start + window) for start in times), default=0)


async def test_a_burst_of_50_in_5_seconds_is_relayed_in_order_within_the_limits(tmp_path: Path) -> None:
    """50 messages each way in 5 s: all arrive, in order, coalesced into posts that respect each platform's rate."""
    async with fakes() as (slack, discord), both(tmp_path, slack, discord) as bot:
        on_slack, on_discord = await bridged(bot)
        s_thread, d_thread = str(on_slack.thread), str(on_discord.thread)

        async def from_slack() -> None:
            for i in range(50):
                await bot.slack_event(said(f"s{i:02d}", f"1700001000.{i:06d}", s_thread))
                await asyncio.sleep(0.1)  # the members' pace: 10 messages a second

        async def from_discord() -> None:
            for i in range(50):
                await discord.member_says(int(d_thread), DBOB, f"d{i:02d}")
                await asyncio.sleep(0.1)

        await asyncio.gather(from_slack(), from_discord())
        await until(lambda: "s49" in text_of(discord_posts(bot, d_thread)))
        await until(lambda: "d49" in text_of(slack_posts(bot, s_thread)))
        to_discord, to_slack = discord_posts(bot, d_thread), slack_posts(bot, s_thread)
    assert re.findall(r"s\d\d", text_of(to_discord)) == [f"s{i:02d}" for i in range(50)]
    assert re.findall(r"d\d\d", text_of(to_slack)) == [f"d{i:02d}" for i in range(50)]
    assert 4 <= len(to_discord) < 50 and 4 <= len(to_slack) < 50  # coalesced, yet paced out over the burst
    assert per_window([c.at for c in to_discord], 5.0) <= 5  # Discord: 5 per 5 s per channel
    assert per_window([c.at for c in to_slack], 1.0) <= 1  # Slack: about 1 per second per channel


# ---------------------------------------------------------------------------------------------- console


async def test_the_console_rehearses_the_relay_between_two_channels(app: App, console: ConsoleSession) -> None:
    """A thread started in #general and joined from #lyon: a line in one is shown in the other, edits too."""
    await console.say('/event create "Rencontre TMN" --start "30 juin 9h30" --end "17h" --onsite 10')
    code = CODE.search(await console.say("/live start 1"))
    assert code
    lyon = Member("console:zoe", "Zoé")
    await app.dispatcher.invoke_text("console:local", "lyon", Member("console:alice", "alice", True),
                                     f"live join {code.group(0)}")  # fmt: skip
    now = app.services.clock.now()
    await app.dispatcher.receive(InboundMessage("console:local", "lyon", None, lyon, "Bonjour <@U1>", (), "x1",
                                                "posted", now))  # fmt: skip
    await until(lambda: "Zoé (Console) : Bonjour <@U1>" in console.out.getvalue())
    await app.dispatcher.receive(
        InboundMessage("console:local", "lyon", None, lyon, "Bonsoir", (), "x1", "edited", now)
    )
    await until(lambda: "✎ Zoé (Console) : Bonsoir" in console.out.getvalue())
    await app.dispatcher.receive(InboundMessage("console:local", "lyon", None, None, "", (), "x1", "deleted", now))
    await until(lambda: "✗ " in console.out.getvalue())


async def console_bridge(app: App, console: ConsoleSession) -> Member:
    """A thread started in #general, joined from #lyon; the member who posts in #lyon."""
    await console.say('/event create "Rencontre TMN" --start "30 juin 9h30" --end "17h" --onsite 10')
    code = CODE.search(await console.say("/live start 1"))
    assert code
    staff = Member("console:alice", "alice", True)
    await app.dispatcher.invoke_text("console:local", "lyon", staff, f"live join {code.group(0)}")
    return Member("console:zoe", "Zoé")


def posted(who: Member | None, text: str, message_id: str, app: App, channel: str = "lyon") -> InboundMessage:
    """A console member's message."""
    return InboundMessage("console:local", channel, None, who, text, (), message_id, "posted", app.services.clock.now())


async def test_a_retried_message_is_relayed_once_and_a_detached_channel_gets_nothing(
    app: App, console: ConsoleSession
) -> None:
    """The platform's retry of one message id makes no second copy; after /live detach nothing more goes there."""
    zoe = await console_bridge(app, console)
    await app.dispatcher.receive(posted(zoe, "une fois", "x1", app))
    await app.dispatcher.receive(posted(zoe, "une fois", "x1", app))
    await app.dispatcher.receive(posted(zoe, "repère", "x2", app))
    await until(lambda: "repère" in console.out.getvalue())
    assert console.out.getvalue().count("Zoé (Console) : une fois") == 1
    await console.say("/live detach 2")
    store = SqliteRelayStore(app.services.db)
    assert await store.record(posted(Member("console:alice", "alice"), "seul", "g1", app, channel="general")) == []


async def test_a_post_cut_off_mid_send_is_never_sent_again(app: App, console: ConsoleSession) -> None:
    """Claimed ('sending') then the process stops: at start it is unsure, and nothing waits any more."""
    zoe = await console_bridge(app, console)
    store = SqliteRelayStore(app.services.db)
    [general] = await store.record(posted(zoe, "coupé", "x9", app))
    claimed = await store.claim(general, app.services.clock.now())
    assert claimed is not None and "coupé" in claimed.text
    assert await store.recover() == 1
    assert not await store.waiting(general) and general not in await store.pending()
    assert await store.claim(general, app.services.clock.now()) is None


async def test_a_message_deleted_before_its_copy_went_out_is_not_shown(app: App, console: ConsoleSession) -> None:
    """A waiting copy of a deleted source is skipped; its edit before sending is what is shown."""
    zoe = await console_bridge(app, console)
    store = SqliteRelayStore(app.services.db)
    [general] = await store.record(posted(zoe, "brouillon", "x1", app))
    await store.record(posted(zoe, "faute", "x2", app))
    gone = posted(None, "", "x1", app)
    await store.revise(InboundMessage(gone.space, gone.channel, None, None, "", (), "x1", "deleted", gone.at))
    fixed = posted(zoe, "corrigé", "x2", app)
    await store.revise(InboundMessage(fixed.space, fixed.channel, None, zoe, "corrigé", (), "x2", "edited", fixed.at))
    claimed = await store.claim(general, app.services.clock.now())
    assert claimed is not None and claimed.text == "Zoé (Console) : corrigé" and claimed.copies == 1
