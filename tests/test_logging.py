"""Logs: our level for our loggers only, libraries quiet unless asked, no token at any level."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable

import pytest

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from tests.fakes.discord_api import FakeDiscord, run_client

GUILD, CHANNEL, ALICE, BOB = (
    1_300_000_000_000_000_001,
    1_300_000_000_000_000_101,
    1_300_000_000_000_000_301,
    1_300_000_000_000_000_302,
)
MANAGE_GUILD = "32"
# Shaped like a real bot token (user id . timestamp . HMAC), so the pattern is what is tested.
BOT_TOKEN = "MTMwMDAwMDAwMDAwMDAwMDAwMQ.GaBcDe.x1Y2z3A4b5C6d7E8f9G0h1I2j3K4l5M6n7O8p9"


async def vote_on_discord(app: App) -> list[str]:
    """Alice opens a poll, Bob votes, through discord.py and the fake; the interaction tokens used."""
    async with FakeDiscord() as fake:
        fake.add_guild(GUILD, channels=[{"id": CHANNEL, "name": "général"}],
                       members=[{"id": ALICE, "username": "alice"}, {"id": BOB, "username": "bob"}])  # fmt: skip
        async with run_client(PhosphoreClient(app, guild_ready_timeout=0.05), BOT_TOKEN):
            create = fake.slash_interaction("poll", {"question": "Pizza ou sushi ?", "option": "Pizza; Sushi"},
                                            subcommand="create", user_id=ALICE, guild_id=GUILD, channel_id=CHANNEL,
                                            permissions=MANAGE_GUILD)  # fmt: skip
            call = await fake.interact(create)
            message_id = int(call.response["resource"]["message"]["id"])
            click = fake.component_interaction("poll:vote:1:1", message_id=message_id, user_id=BOB,
                                               guild_id=GUILD, channel_id=CHANNEL)  # fmt: skip
            confirmation = await fake.interact(click)
            assert "Sushi" in str(confirmation.json["data"].get("content"))
        return [create["token"], click["token"]]


async def test_debug_is_ours_only_and_shows_no_vote(app: App, logs: Callable[[str, str], io.StringIO]) -> None:
    """`bot.log_level = debug`: our loggers at DEBUG, libraries still at WARNING, so no payload shows who chose what."""
    out = logs("debug", "warning")
    assert logging.getLogger("bot.adapters.discord.client").isEnabledFor(logging.DEBUG)
    tokens = await vote_on_discord(app)
    text = out.getvalue()
    chatty = [line for line in text.splitlines() if line.split(" ")[2:3] in (["DEBUG"], ["INFO"])]
    assert all(line.split(" ")[3].startswith("bot.") for line in chatty), text
    assert "Sushi" not in text and BOT_TOKEN not in text and not any(token in text for token in tokens), text


async def test_no_token_in_library_debug_logs(app: App, logs: Callable[[str, str], io.StringIO]) -> None:
    """Even with the libraries at DEBUG, the bot token and the interaction tokens never reach a log line."""
    out = logs("debug", "debug")
    tokens = await vote_on_discord(app)
    text = out.getvalue()
    assert " DEBUG discord.gateway" in text and "INTERACTION_CREATE" in text  # the events are logged…
    gateway = [line for line in text.splitlines() if " discord.gateway: " in line]
    assert gateway and not any("Pizza" in line or str(BOB) in line for line in gateway)  # …by name, not payload…
    assert BOT_TOKEN not in text and BOT_TOKEN.split(".")[2] not in text  # …and no secret anywhere
    assert not any(token in text for token in tokens), [line for line in text.splitlines() if tokens[0] in line][:3]


@pytest.mark.logs_errors
def test_redaction_of_slack_tokens_and_urls(logs: Callable[[str, str], io.StringIO]) -> None:
    """Slack tokens, Authorization headers and webhook URLs are redacted wherever they appear, tracebacks included."""
    out = logs("debug", "warning")
    log = logging.getLogger("bot.test")
    log.warning("calling with token=%s and app token %s", "xoxb-1234-5678-abcdef", "xapp-1-A0-123-abc")
    log.warning("headers {'Authorization': 'Bearer xoxp-9-9'} url https://h/api/webhooks/123/secretwebhooktoken?wait=1")
    try:
        raise RuntimeError("failed for xoxb-999-888-zzz")
    except RuntimeError:
        log.exception("boom")
    text = out.getvalue()
    for secret in ("1234-5678-abcdef", "A0-123-abc", "xoxp-9-9", "secretwebhooktoken", "999-888-zzz"):
        assert secret not in text, text
    assert "/webhooks/123/[redacted]" in text and "RuntimeError" in text


def test_redaction_of_database_passwords(logs: Callable[[str, str], io.StringIO]) -> None:
    """A PostgreSQL URL's password, or libpq's `password=…`, never reaches a log line, whoever logs it."""
    out = logs("debug", "debug")
    logging.getLogger("psycopg.pool").warning("error connecting to postgresql://bot:s3cret-1@db:5432/phosphore")
    logging.getLogger("bot.test").warning("conninfo host=db user=bot password=s3cret-2 dbname=phosphore")
    text = out.getvalue()
    assert "s3cret" not in text, text
    assert "postgresql://bot:[redacted]@db:5432/phosphore" in text and "password=[redacted] dbname" in text
