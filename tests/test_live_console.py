"""Rehearsing a live thread in the console across spaces and platforms: `/space`, per-space members, placed output."""

from __future__ import annotations

import re
from contextlib import AbstractAsyncContextManager
from pathlib import Path

from bot.app import App
from bot.config import Settings
from bot.features import FEATURES
from bot.i18n import translate
from bot.ui import Reply
from tests import echo
from tests.echo.commands import Heard
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import ConsoleSession, member, running_app
from tests.test_process import running

SCRIPT = Path(__file__).parent / "scripts" / "live_two_spaces.txt"
CODE = re.compile(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}")
HEADER = "🔴 En direct · #1 · Rencontre TMN"
SUMMARY = "Bilan du direct · #1 · Rencontre TMN"


def rehearse(db: Path) -> str:
    """Pipe the script into `phosphore run` line by line, typing the join code it printed; the whole output."""
    with running(db) as bot:
        for line in SCRIPT.read_text(encoding="utf-8").splitlines():
            if "{code}" in line and not line.startswith("#"):
                bot.wait_for("/live join LIVE-")  # the reply to /live start, printed before this line is read
                found = CODE.search("".join(bot.seen))
                assert found, bot.seen
                line = line.replace("{code}", found.group(0))
            bot.type(line)
        assert bot.process.stdin is not None
        bot.process.stdin.close()  # the end of the pipe ends the session
        code, rest, err = bot.finish()
        assert code == 0, err
        return "".join(bot.seen) + rest


def after(out: str, marker: str) -> str:
    """The output from the first line that is `marker` on."""
    return out[out.index(marker) :]


def test_a_script_rehearses_one_live_thread_across_two_spaces(tmp_path: Path) -> None:
    """Started in the console, joined from a Discord server the console plays, stopped: both sides show it all."""
    out = rehearse(tmp_path / "phosphore.db")
    # The Discord side gets its header, and the thread opened under it, each said where they are.
    joined = after(out, "alice [discord:demo #salon]> /live join LIVE-")
    assert f"[discord:demo #salon]\n┌ {HEADER}\n" in joined
    assert "[discord:demo #salon ↳ Rencontre TMN]\n" in joined
    assert "(privé) Ce salon suit maintenant le fil en direct #1" in joined
    # Members act in the space they are in: bob is a Discord member there, alice staff in both.
    assert "bob [discord:demo #salon ↳ Rencontre TMN]> Bonjour depuis Nantes" in out
    assert "Vous êtes maintenant discord:alice (équipe) dans [discord:demo #salon]." in out
    listed = after(out, "alice [discord:demo #salon ↳ Rencontre TMN]> /live channels")
    assert "1. Console · console:local · general" in listed and "2. Discord · discord:demo · salon" in listed
    # The header is kept up to date everywhere: both copies now count both platforms.
    assert "↻ [discord:demo #salon] 🔴 En direct · #1 · Rencontre TMN" in out
    # Stopping in the console posts the summary on both sides, in the Discord thread too.
    stopped = after(out, "alice [console:local #general]> /live stop")
    assert f"[console:local #general]\n┌ {SUMMARY}\n│ Suivi depuis : Console (1), Discord (1)\n" in stopped
    assert f"[discord:demo #salon ↳ Rencontre TMN]\n┌ {SUMMARY}\n" in stopped
    assert "Fil #1 terminé : le bilan est publié dans 2 salon(s)." in stopped
    assert translate("fr", "console.not_a_command") not in out  # plain lines in the thread went to the live feature
    assert "@everyone" not in out.replace("> Bienvenue à Nantes @everyone", "")  # nothing the bot posts pings


def echo_app(settings: Settings) -> AbstractAsyncContextManager[App]:
    """A started app with the echo feature, which records what members post where it listens."""
    return running_app(settings, features=(*FEATURES, echo.FEATURE))


async def test_a_member_posts_in_the_space_channel_and_thread_they_are_in(settings: Settings) -> None:
    """After /space, plain lines and commands come from that space's member, in its channel and thread."""
    async with echo_app(settings) as app:
        console = ConsoleSession(app)
        assert "discord:alice (équipe) dans [discord:demo #salon]" in await console.say("/space discord:demo #salon")
        assert app.services.delivery.capabilities("discord:demo").inbound  # the console stands in for Discord
        await console.say("/echo watch", "/as bob", "/thread atelier", "dans le fil")
        await console.say("/space slack:T1", "/echo watch", "sur Slack")
    messages = app.services.get(Heard).messages
    assert [(m.space, m.channel, m.thread, m.member, m.text) for m in messages] == [
        ("discord:demo", "salon", "atelier", member("bob", platform="discord"), "dans le fil"),
        ("slack:T1", "general", None, member("bob", platform="slack"), "sur Slack"),
    ]


async def test_posts_say_where_they_are_once_several_spaces_are_played(app: App) -> None:
    """One space: output as before; from the second space on, every post, thread and edit names its place."""
    console = ConsoleSession(app)
    delivery = app.services.delivery
    await delivery.post("console:local", "general", Reply(text="ici"))
    assert await console.say() == "ici\n"
    await delivery.post("console:local", "lyon", Reply(text="ailleurs"))
    assert await console.say() == "[console:local #lyon] ailleurs\n"
    await console.say("/space discord:demo")
    parent = await delivery.post("discord:demo", "general", Reply(text="en-tête"))
    assert parent is not None
    thread = await delivery.open_thread("discord:demo", "general", parent, "Direct")
    assert thread is not None and thread.thread == "Direct"
    await delivery.post("discord:demo", "general", Reply(text="dans le fil", thread="Direct"))
    await delivery.post("console:local", "general", Reply(text="là-bas"))
    assert await console.say() == (
        "[discord:demo #general] en-tête\n[discord:demo #general ↳ Direct]\n"
        "[discord:demo #general ↳ Direct] dans le fil\n[console:local #general] là-bas\n"
    )
    await delivery.send_private("discord:demo", "discord:bob", Reply(text="psst"))
    assert await console.say() == "→ discord:bob (privé) : psst\n"


async def test_a_click_acts_in_the_space_its_card_was_shown(app: App) -> None:
    """/click reaches the cards of the space the member is in, never another space's."""
    console = ConsoleSession(app)
    await console.say('/poll create "Q ?" "A" "B"', "/space discord:demo")
    assert translate("fr", "console.click_no_card") in await console.say("/click 1")
    await console.say('/poll create "Sur Discord ?" "Oui" "Non"', "/as bob")
    out = await console.say("/click 1")
    assert "Clic sur [1] Oui de « #1 · Sur Discord ? »" in out and "votre vote est enregistré" in out
    await console.say("/space console:local")
    assert "Clic sur [2] B de « #1 · Q ? »" in await console.say("/click 2")


async def test_a_platform_served_by_its_real_adapter_is_not_played(app: App) -> None:
    """When the Slack adapter runs in the process, its spaces are real: /space refuses to play them."""
    real = RecordingDelivery()
    app.services.delivery.register("slack", real)
    console = ConsoleSession(app)
    out = await console.say("/space slack:T1")
    assert "L'adaptateur slack tourne dans ce processus" in out
    assert console.adapter.space == "console:local"
    await app.services.delivery.post("slack:T1", "C1", Reply(text="vrai"))
    assert await console.say() == "" and real.posts  # still the real adapter's


async def test_space_usage(app: App) -> None:
    """A malformed space or channel is explained, and nothing changes."""
    console = ConsoleSession(app)
    for line in ("/space", "/space teams:x", "/space discord:", "/space discord:demo #a b", "/space discord:demo #é!"):
        assert "Usage : /space PLATEFORME:ESPACE [#salon]" in await console.say(line), line
    assert (console.adapter.space, console.adapter.channel) == ("console:local", "general")
    assert "/space discord:demo [#salon]" in await console.say("/help")
