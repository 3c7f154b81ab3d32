"""The bot's own posts in a live thread are queued with their change: sent once, in order, across restarts and outages."""

from __future__ import annotations

import json
import re
from pathlib import Path

import aiohttp

from bot.adapters.discord.client import PhosphoreClient
from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import http_server
from bot.app import App
from bot.config import Settings
from bot.core.model import InboundMessage, Member
from bot.core.ports import Capabilities
from bot.features.live.commands import LiveDeps
from bot.features.live.relay_sqlite import SqliteRelayStore
from tests.fakes.delivery import RecordingDelivery
from tests.fakes.discord_api import run_client
from tests.helpers import running_app
from tests.live_support import SLACK, Both, bridged, discord_posts, fakes, said, slack_posts, until
from tests.slack_support import ALICE, BOB, CHANNEL, SECRET, slack_settings

HOME = "console:local"
CODE = re.compile(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}")
ALICE_HERE = Member("console:alice", "alice", is_staff=True)
ZOE = Member("console:zoe", "Zoé")
INBOUND = Capabilities(inbound=True, edits=True)


def deps_of(app: App) -> LiveDeps:
    """The live feature's handlers' dependencies (its stage holds the relay)."""
    deps = app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    return deps


def shown(post: object) -> str:
    """Everything a recorded Discord or Slack post shows (content, embeds, blocks)."""
    return json.dumps(getattr(post, "json", None) or getattr(post, "params", None), ensure_ascii=False)


async def test_posts_queued_while_discord_is_away_go_out_in_order_once_it_connects(tmp_path: Path) -> None:
    """Discord disconnected: a message, an announcement, another message and a question wait, then arrive in order, once."""
    alice, bob = Member(f"slack:{ALICE}", "Alice", is_staff=True), Member(f"slack:{BOB}", "Bob")
    async with fakes() as (slack, discord):
        settings = slack_settings(tmp_path / "live.db", discord__message_content=True)
        async with running_app(settings) as app:
            bolt = build_bolt(app.services.settings, base_url=slack.base_url)
            SlackAdapter(app, bolt)
            try:
                async with http_server(bolt, "127.0.0.1", 0, SECRET) as url, aiohttp.ClientSession() as session:
                    async with run_client(PhosphoreClient(app, guild_ready_timeout=0.05)):
                        bot = Both(app, slack, discord, url, session)
                        on_slack, on_discord = await bridged(bot)
                    s_thread, d_thread = str(on_slack.thread), str(on_discord.thread)
                    assert not app.services.delivery.ready(f"discord:{on_discord.space.split(':')[1]}")

                    async def stored(text: str) -> bool:
                        row = await app.services.db.fetch_one("SELECT 1 FROM live_messages WHERE text = ?", (text,))
                        return row is not None

                    async def member_says(text: str, ts: str) -> None:
                        await bot.slack_event(said(text, ts, s_thread))
                        await until(lambda: stored(text))  # Bolt handles the event after its HTTP answer

                    await member_says("avant l'annonce", "1700002000.000100")
                    posted = await app.dispatcher.invoke_text(SLACK, CHANNEL, alice, 'live post "Pause de 10 min"')
                    assert "2 salon(s)" in (posted.text or ""), posted.text
                    await member_says("après l'annonce", "1700002000.000200")
                    asked = await app.dispatcher.invoke_text(SLACK, s_thread, bob, 'live ask "Quel calendrier ?"')
                    assert "n°1" in (asked.text or ""), asked.text
                    await until(lambda: "Quel calendrier" in "".join(shown(c) for c in slack_posts(bot, s_thread)))
                    assert not discord_posts(bot, d_thread)  # nobody to send them through yet

                    async with run_client(PhosphoreClient(app, guild_ready_timeout=0.05)):
                        await until(
                            lambda: "Quel calendrier" in "".join(shown(c) for c in discord_posts(bot, d_thread))
                        )
                        await deps_of(app).stage.relay.idle()
                    posts = [shown(c) for c in discord_posts(bot, d_thread)]
            finally:
                await close_bolt(bolt)
    order = ["avant l'annonce", "Pause de 10 min", "après l'annonce", "Quel calendrier"]
    firsts = [next(i for i, text in enumerate(posts) if wanted in text) for wanted in order]
    assert firsts == sorted(firsts) and len(set(firsts)) == 4, posts  # each its own post, in the thread's order
    assert all(sum(wanted in text for text in posts) == 1 for wanted in order), posts  # once each
    assert "(Slack)" in posts[firsts[0]] and "▲" in posts[firsts[3]]  # a relayed line; a question card with its button


async def bridge(app: App, sent: RecordingDelivery) -> tuple[int, int]:
    """A thread started in #general, joined from #lyon (console), recorded by `sent`; both channel ids."""
    app.services.delivery.register("console", sent, INBOUND)
    dispatcher = app.dispatcher
    await dispatcher.invoke_text(HOME, "general", ALICE_HERE, 'event create "Rencontre TMN" --start "30 juin 9h30"'
                                 ' --end "17h" --onsite 10 --remote 20')  # fmt: skip
    code = CODE.search((await dispatcher.invoke_text(HOME, "general", ALICE_HERE, "live start 1")).text or "")
    assert code
    await dispatcher.invoke_text(HOME, "lyon", ALICE_HERE, f"live join {code.group(0)}")
    found = await deps_of(app).live.store.attached(HOME, "general")
    assert found is not None
    general, lyon = await deps_of(app).live.channels(found[0])
    return general.id, lyon.id


def texts(sent: RecordingDelivery, channel: str) -> list[str]:
    """The texts posted in a channel, in order."""
    return [reply.text or "" for _space, where, reply in sent.posts if where == channel and reply.text]


async def test_a_restart_between_commit_and_send_neither_loses_nor_doubles_an_announcement(settings: Settings) -> None:
    """Queued then the process stops before sending: the next one sends it once; one cut off mid-send is never re-sent."""
    first = RecordingDelivery()
    async with running_app(settings) as app:
        _general, lyon = await bridge(app, first)
        app.services.delivery.unregister("console", first)  # the process is about to die: nothing goes out any more
        said = await app.dispatcher.invoke_text(HOME, "general", ALICE_HERE, 'live post "Reprise à 14h"')
        assert "2 salon(s)" in (said.text or "")
        cut_off = await SqliteRelayStore(app.services.db).claim(lyon, app.services.clock.now())  # claimed, not sent
        assert cut_off is not None
    assert not [t for t in texts(first, "general") + texts(first, "lyon") if "Reprise" in t]

    second = RecordingDelivery()
    async with running_app(settings) as app:
        app.services.delivery.register("console", second, INBOUND)
        await until(lambda: any("Reprise à 14h" in t for t in texts(second, "general")))
        await deps_of(app).stage.relay.idle()
    assert [t for t in texts(second, "general") if "Reprise" in t] == ["📣 Annonce de l'équipe : Reprise à 14h"]
    assert not [t for t in texts(second, "lyon") if "Reprise" in t]  # it may have gone: unsure, never twice

    third = RecordingDelivery()
    async with running_app(settings) as app:
        app.services.delivery.register("console", third, INBOUND)
        await deps_of(app).stage.relay.idle()
        assert not await SqliteRelayStore(app.services.db).pending()
    assert not third.posts


async def test_an_announcement_keeps_its_place_among_relayed_messages(settings: Settings) -> None:
    """Messages said before and after an announcement are not packed together across it, in every channel."""
    sent = RecordingDelivery()
    async with running_app(settings) as app:
        await bridge(app, sent)
        app.services.delivery.unregister("console", sent)  # all of it waits, then goes in one drain

        def posted(text: str, message_id: str) -> InboundMessage:
            return InboundMessage(HOME, "lyon", None, ZOE, text, (), message_id, "posted", app.services.clock.now())

        await app.dispatcher.receive(posted("un", "x1"))
        await app.dispatcher.receive(posted("deux", "x2"))
        await app.dispatcher.invoke_text(HOME, "lyon", ALICE_HERE, 'live post "Pause"')
        await app.dispatcher.receive(posted("trois", "x3"))
        app.services.delivery.register("console", sent, INBOUND)
        await until(lambda: any("trois" in t for t in texts(sent, "general")))
        await deps_of(app).stage.relay.idle()
    assert [t for t in texts(sent, "general") if "Zoé" in t or "Pause" in t] == [
        "Zoé (Console) : un\nZoé (Console) : deux", "📣 Annonce de l'équipe : Pause", "Zoé (Console) : trois",
    ]  # fmt: skip
    assert [t for t in texts(sent, "lyon") if "Pause" in t] == ["📣 Annonce de l'équipe : Pause"]


async def test_a_relayed_message_names_the_antenna_its_author_follows_from(settings: Settings) -> None:
    """The copy's label carries the antenna of the author's remote sign-up to the thread's event; none without one."""
    sent = RecordingDelivery()
    async with running_app(settings) as app:
        await bridge(app, sent)
        await app.dispatcher.invoke_text(HOME, "general", ALICE_HERE, "event antenna Nantes")
        signed = await app.dispatcher.invoke_text(HOME, "lyon", ZOE, "event signup 1 --mode remote --antenna Nantes")
        assert "Nantes" in (signed.text or "") or signed.card is not None, signed.text
        now = app.services.clock.now()
        bob = Member("console:bob", "Bob")
        for who, text, message_id in ((ZOE, "Bonjour de Nantes", "x1"), (bob, "Bonjour d'ici", "x2")):
            await app.dispatcher.receive(InboundMessage(HOME, "lyon", None, who, text, (), message_id, "posted", now))
        await until(lambda: any("Bonjour d'ici" in t for t in texts(sent, "general")))
        await deps_of(app).stage.relay.idle()
    shown = "\n".join(texts(sent, "general"))
    assert "Zoé (Console, Nantes) : Bonjour de Nantes" in shown and "Bob (Console) : Bonjour d'ici" in shown
