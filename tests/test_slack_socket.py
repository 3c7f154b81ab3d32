"""Socket Mode: the adapter connects to a loopback websocket, acks a slash command envelope, posts the poll."""

from __future__ import annotations

from pathlib import Path

from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import socket_mode
from tests.fakes.slack_api import fake_slack, slash_command_payload
from tests.helpers import running_app
from tests.slack_support import ALICE, CHANNEL, TEAM, blocks_text, slack_settings


async def test_socket_mode_slash_command_is_acked_and_the_poll_posted(tmp_path: Path) -> None:
    """apps.connections.open with the xapp- token, an envelope acked, chat.postMessage with the card."""
    async with fake_slack() as fake, running_app(slack_settings(tmp_path / "socket.db")) as app:
        bolt = build_bolt(app.services.settings, base_url=fake.base_url)
        SlackAdapter(app, bolt)
        async with socket_mode(bolt, "xapp-test"):
            await fake.wait_socket_connected()
            payload = slash_command_payload(
                "/poll", 'create "Lunch?" "Pizza" "Sushi"', user_id=ALICE, team_id=TEAM, channel_id=CHANNEL
            )
            ack = await fake.socket_send("slash_commands", payload)
            [post] = await fake.wait_for("chat.postMessage")
        await app.services.cards.drain()
        await close_bolt(bolt)
    assert set(ack) == {"envelope_id"}
    assert "Lunch?" in blocks_text(post.params["blocks"])
    [opened] = fake.calls("apps.connections.open")
    assert opened.token == "xapp-test"
    assert not fake.socket_connected


async def test_socket_mode_modal_errors_come_back_in_the_envelope_ack(tmp_path: Path) -> None:
    """Over Socket Mode, inline modal errors travel in the ack's payload."""
    from tests.fakes.slack_api import view_submission_payload

    async with fake_slack() as fake, running_app(slack_settings(tmp_path / "socket.db")) as app:
        bolt = build_bolt(app.services.settings, base_url=fake.base_url)
        SlackAdapter(app, bolt)
        state = {"question": {"value": {"type": "plain_text_input", "value": "   "}}}
        payload = view_submission_payload(
            "cmd:poll.create",
            state,
            user_id=ALICE,
            team_id=TEAM,
            private_metadata='{"channel":"C0GENERAL"}',
            blocks=[{"type": "input", "block_id": "question"}],
        )
        async with socket_mode(bolt, "xapp-test"):
            await fake.wait_socket_connected()
            ack = await fake.socket_send("interactive", payload)
        await close_bolt(bolt)
    assert ack["payload"]["response_action"] == "errors"
    assert set(ack["payload"]["errors"]) == {"question"}
