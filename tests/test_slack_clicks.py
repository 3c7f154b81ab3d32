"""A vote click on Slack: acked at once, committed, then confirmed through its response_url."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from pathlib import Path

from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.server import socket_mode
from bot.core.model import Member
from bot.features.polls.domain import PollDraft
from tests.fakes.slack_api import SlackCall, block_actions_payload, fake_slack
from tests.helpers import running_app
from tests.slack_support import ALICE, BOB, CHANNEL, TEAM, SlackBot, slack_bot, slack_settings


def hold(bot: SlackBot, method: str) -> asyncio.Event:
    """Make the fake keep every `method` call waiting until the returned event is set."""
    release = asyncio.Event()

    async def wait(call: SlackCall) -> None:
        await release.wait()

    bot.fake.on(method, wait)
    return release


async def voters(bot: SlackBot, poll_id: int) -> int:
    """How many members have a vote on the poll, as committed."""
    return (await bot.app.services.polls.store.tally(poll_id)).voters


async def test_a_click_is_acked_before_its_vote_is_handled(tmp_path: Path) -> None:
    """The POST is answered while the handler still waits on Slack (users.info), well within 3 s."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        release = hold(bot, "users.info")
        answer = bot.fake.response_url()
        assert await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, response_url=answer, timeout=2.0) == (200, "")
        await bot.fake.wait_for("users.info")
        assert await voters(bot, poll_id) == 0 and bot.fake.calls("response_url") == []
        release.set()
        [confirmation] = await bot.fake.wait_for("response_url")
        assert "Pizza" in confirmation.params["text"]
        assert await voters(bot, poll_id) == 1


async def test_the_confirmation_is_sent_once_the_vote_is_on_disk(tmp_path: Path) -> None:
    """When a confirmation reaches Slack, another connection to the database already reads its vote."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        members = {bot.fake.response_url(): f"U0V{n}" for n in range(5)}  # each click's response_url -> clicker
        seen: dict[str, set[str]] = {}

        def read_votes(call: SlackCall) -> None:
            with closing(sqlite3.connect(tmp_path / "slack.db")) as conn:
                rows = conn.execute("SELECT voter FROM votes WHERE poll_id = ?", (poll_id,)).fetchall()
            seen.setdefault(call.params["_url"], {voter for (voter,) in rows})  # the first answer counts

        bot.fake.on("response_url", read_votes)
        clicks = [bot.click(f"poll:vote:{poll_id}:0", user, ts, response_url=url) for url, user in members.items()]
        assert {status for status, _ in await asyncio.gather(*clicks)} == {200}
        await bot.fake.wait_for("response_url", count=len(members))
        for url, user in members.items():
            assert f"slack:{user}" in seen[url], (user, seen[url])


async def test_a_click_is_answered_privately_without_replacing_its_card(tmp_path: Path) -> None:
    """Through the click's response_url: ephemeral, the poll's message left as it is, no other call."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        answer = bot.fake.response_url()
        assert (await bot.click(f"poll:vote:{poll_id}:1", BOB, ts, response_url=answer))[0] == 200
        [confirmation] = await bot.fake.wait_for("response_url")
        assert confirmation.params["_url"] == answer
        assert confirmation.params["response_type"] == "ephemeral"
        assert confirmation.params["replace_original"] is False
        assert "Sushi" in confirmation.params["text"]
        await bot.adapter.drain()
        assert bot.fake.calls("chat.postEphemeral") == [] and bot.fake.calls("conversations.open") == []


async def test_an_expired_response_url_falls_back_to_an_ephemeral_message(tmp_path: Path) -> None:
    """Slack refuses the response_url (used up, or older than 30 minutes): chat.postEphemeral, once."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        bot.fake.fail("response_url", error="expired_url", status=404)
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, response_url=bot.fake.response_url()))[0] == 200
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert note.params["user"] == BOB and "Pizza" in note.params["text"]
        await bot.adapter.drain()
        assert len(bot.fake.calls("response_url")) == 1 and len(bot.fake.calls("chat.postEphemeral")) == 1


async def test_a_refused_click_is_still_answered(tmp_path: Path) -> None:
    """A click on an option the poll does not have: the member is told, through the response_url."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[BOB] = {"locale": "en-US"}
        poll_id, ts = await bot.create_poll()
        assert (await bot.click(f"poll:vote:{poll_id}:7", BOB, ts, response_url=bot.fake.response_url()))[0] == 200
        [answer] = await bot.fake.wait_for("response_url")
        assert answer.params["text"] == "This option does not exist in this poll."
        assert await voters(bot, poll_id) == 0


async def test_a_stop_waits_for_the_clicks_already_acked(tmp_path: Path) -> None:
    """drain() returns once an acked click has committed its vote and sent its confirmation."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        release = hold(bot, "users.info")
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, response_url=bot.fake.response_url()))[0] == 200
        draining = asyncio.create_task(bot.adapter.drain())
        await bot.fake.wait_for("users.info")
        assert not draining.done()
        release.set()
        await asyncio.wait_for(draining, 5.0)
        assert await voters(bot, poll_id) == 1 and len(bot.fake.calls("response_url")) == 1


async def test_a_click_over_socket_mode_is_acked_and_confirmed(tmp_path: Path) -> None:
    """Socket Mode: the envelope is acked, the vote committed and confirmed through the response_url."""
    async with fake_slack() as fake, running_app(slack_settings(tmp_path / "socket.db")) as app:
        poll = await app.services.polls.create(
            f"slack:{TEAM}", CHANNEL, Member(f"slack:{ALICE}", "alice", is_staff=True), PollDraft("Lunch?", ("A", "B"))
        )
        bolt = build_bolt(app.services.settings, base_url=fake.base_url)
        adapter = SlackAdapter(app, bolt)
        try:
            async with socket_mode(bolt, "xapp-test"):
                await fake.wait_socket_connected()
                payload = block_actions_payload(
                    f"poll:vote:{poll.id}:1",
                    None,
                    user_id=BOB,
                    team_id=TEAM,
                    channel_id=CHANNEL,
                    message_ts="1700000000.000100",
                    response_url=fake.response_url(),
                )
                ack = await fake.socket_send("interactive", payload)
                [confirmation] = await fake.wait_for("response_url")
                await adapter.drain()
        finally:
            await close_bolt(bolt)
        assert set(ack) == {"envelope_id"}
        assert "B" in confirmation.params["text"]
        assert await app.services.polls.store.choices(poll.id, f"slack:{BOB}") == (1,)
