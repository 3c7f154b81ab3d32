"""Inbound messages and threads through the core and the console: subscriptions, routing, capabilities."""

from __future__ import annotations

import logging
from contextlib import AbstractAsyncContextManager

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.errors import UserError
from bot.core.model import MessageRef
from bot.features import FEATURES
from bot.i18n import translate
from bot.ui import Reply
from tests import echo
from tests.echo.commands import Heard
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import START, ConsoleSession, member, running_app

SPACE = "console:local"


def echo_app(settings: Settings) -> AbstractAsyncContextManager[App]:
    """A started app with the echo feature added to the list, stopped afterwards."""
    return running_app(settings, features=(*FEATURES, echo.FEATURE))


def heard(app: App) -> Heard:
    """What the echo feature received."""
    return app.services.get(Heard)


async def test_a_plain_line_reaches_a_subscribed_feature_once(settings: Settings) -> None:
    """/echo watch subscribes the channel; a plain line is then a message posted there, routed once."""
    async with echo_app(settings) as app:
        console = ConsoleSession(app)
        assert await console.say("/echo watch") == "(privé) J'écoute ce salon.\n"
        assert await console.say("bonjour à tous") == ""
    [message] = heard(app).messages
    assert (message.space, message.channel, message.thread) == (SPACE, "general", None)
    assert (message.member, message.text, message.kind, message.attachments) == (
        member("alice", True),
        "bonjour à tous",
        "posted",
        (),
    )
    assert message.at == START and message.message_id


async def test_lines_where_nobody_listens_are_not_routed(settings: Settings) -> None:
    """Before /echo watch and after /echo unwatch, a plain line reaches no feature (the console says to type a command)."""
    async with echo_app(settings) as app:
        console = ConsoleSession(app)
        hint = translate("fr", "console.not_a_command")
        assert hint in await console.say("avant")
        await console.say("/echo watch", "pendant")
        assert await console.say("/echo unwatch") == "(privé) Je n'écoute plus ce salon.\n"
        assert hint in await console.say("après")
        await app.services.subscriptions.subscribe("echo", SPACE, "ailleurs")
        assert hint in await console.say("toujours pas")
    assert [m.text for m in heard(app).messages] == ["pendant"]


async def test_a_thread_subscription_hears_its_thread_only(settings: Settings) -> None:
    """/thread NAME posts later lines in that thread: a channel subscription hears it, a thread one hears only its own."""
    async with echo_app(settings) as app:
        await app.services.subscriptions.subscribe("echo", SPACE, "general", "atelier")
        console = ConsoleSession(app)
        assert "atelier" in await console.say("/thread atelier")
        await console.say("dans le fil", "/thread ailleurs", "autre fil", "/thread", "dans le salon")
        await console.say("/echo watch", "/thread atelier", "encore dans le fil")
    assert [(m.text, m.thread) for m in heard(app).messages] == [
        ("dans le fil", "atelier"),
        ("encore dans le fil", "atelier"),
    ]


async def test_subscriptions_survive_a_restart(settings: Settings) -> None:
    """Subscriptions are stored: a new process routes to the same channels and threads."""
    async with echo_app(settings) as app:
        await ConsoleSession(app).say("/echo watch")
        await app.services.subscriptions.subscribe("echo", SPACE, "general", "atelier")
        assert not await app.services.subscriptions.subscribe("echo", SPACE, "general")  # already there
    async with echo_app(settings) as app:
        subscriptions = app.services.subscriptions.of("echo")
        assert [(s.channel, s.thread) for s in subscriptions] == [("general", None), ("general", "atelier")]
        await ConsoleSession(app).say("après le redémarrage")
        assert [m.text for m in heard(app).messages] == ["après le redémarrage"]


@pytest.mark.logs_errors
async def test_a_failing_handler_is_logged_with_an_incident_and_the_console_goes_on(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """A handler that raises is logged with an incident id; the adapter and later messages are unaffected."""
    async with echo_app(settings) as app:
        heard(app).fail_on = "boum"
        console = ConsoleSession(app)
        await console.say("/echo watch")
        assert await console.say("boum") == ""
        await console.say("ensuite")
    assert [m.text for m in heard(app).messages] == ["ensuite"]
    [record] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage().startswith("incident ") and "feature=echo" in record.getMessage()


async def test_a_reply_for_a_thread_is_printed_in_it(settings: Settings) -> None:
    """Delivery.post with Reply(thread=…) lands in the thread: the console marks it, the ref names it."""
    async with echo_app(settings) as app:
        console = ConsoleSession(app)
        parent = await app.services.delivery.post(SPACE, "general", Reply(text="Fil du direct"))
        assert parent is not None
        thread = await app.services.delivery.open_thread(SPACE, "general", parent, "direct")
        assert thread == MessageRef(SPACE, "general", parent.message_id, "direct")
        ref = await app.services.delivery.post(SPACE, "general", Reply(text="Bienvenue", thread=thread.thread))
        assert ref is not None and ref.thread == "direct"
        assert (await console.say()).endswith("  ↳ [direct]\n  ↳ [direct] Bienvenue\n")


async def test_a_tracked_message_keeps_its_thread(settings: Settings) -> None:
    """A live card posted in a thread is found again in that thread (Discord edits it there)."""
    async with echo_app(settings) as app:
        await app.services.cards.attach("poll:1", MessageRef(SPACE, "general", "m9", "direct"))
        assert await app.services.cards.messages.refs("poll:1") == [MessageRef(SPACE, "general", "m9", "direct")]


async def test_a_platform_without_the_capability_gets_a_clear_message(settings: Settings) -> None:
    """A feature needing inbound messages or threads where the adapter lacks them refuses in the member's language."""
    async with echo_app(settings) as app:
        app.services.delivery.register("slack", RecordingDelivery())  # posts, edits and DMs only
        assert app.services.delivery.capabilities("slack:T1").edits
        assert not app.services.delivery.capabilities("discord:1").edits  # no adapter running there
        reply = await app.dispatcher.invoke_text("slack:T1", "C1", member("bob", platform="slack"), "echo watch", "en")
        assert reply.text == translate("en", "capability.missing.inbound")
        assert not app.services.subscriptions.of("echo")
        with pytest.raises(UserError) as refused:
            await app.services.delivery.open_thread("slack:T1", "C1", MessageRef("slack:T1", "C1", "1.2"), "direct")
        assert refused.value.key == "capability.missing.threads"
