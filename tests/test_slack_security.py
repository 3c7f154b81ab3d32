"""Requests Slack did not sign, clicks naming another workspace's poll, and who counts as staff."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.slack.signing import RecentSignatures
from tests.fakes.slack_api import block_actions_body, sign, slash_command_body
from tests.slack_support import ALICE, BOB, CHANNEL, OTHER_TEAM, SECRET, TEAM, slack_bot


async def test_unsigned_requests_get_401_and_change_nothing(tmp_path: Path) -> None:
    """A wrong signature, a stale timestamp or missing headers: 401, no handler, no poll."""
    async with slack_bot(tmp_path) as bot:
        body = slash_command_body("/poll", 'create "Q" "A" "B"', user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        wrong = {**form, **sign("not-the-secret", body)}
        stale = {**form, **sign(SECRET, body, timestamp=int(time.time()) - 301)}
        tampered = {**form, **sign(SECRET, body.replace("create", "close"))}
        for headers in (wrong, stale, tampered, form):
            async with bot.session.post(bot.url, data=body.encode(), headers=headers) as resp:
                assert resp.status == 401
        assert {call.method for call in bot.fake.calls()} <= {"auth.test"}
        assert await bot.app.services.polls.open_polls(f"slack:{TEAM}") == []


async def test_healthz_answers_without_a_signature(tmp_path: Path) -> None:
    """GET /healthz is for the hosting platform."""
    async with slack_bot(tmp_path) as bot, bot.session.get(bot.url.replace("/slack/events", "/healthz")) as resp:
        assert resp.status == 200 and await resp.json() == {"ok": True}


async def test_a_crafted_action_id_naming_another_workspaces_poll_is_refused(tmp_path: Path) -> None:
    """A click in workspace A naming a poll of workspace B: "not found", and no vote anywhere."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll(team=OTHER_TEAM)
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, team=TEAM))[0] == 200
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert f"#{poll_id}" in note.params["text"] and "No poll" in note.params["text"]
        tally = await bot.app.services.polls.store.tally(poll_id)
        assert tally.voters == 0
        await bot.app.services.cards.drain()
        assert bot.fake.calls("chat.update") == []


async def test_malformed_action_ids_are_answered_not_crashed(tmp_path: Path) -> None:
    """Garbage after poll:vote: gets the "button not valid" notice."""
    async with slack_bot(tmp_path) as bot:
        assert (await bot.click("poll:vote:abc:zz", BOB, "1.000001"))[0] == 200
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert "not valid" in note.params["text"]


async def test_non_staff_cannot_create_polls(tmp_path: Path) -> None:
    """Only staff create polls by default; the refusal is private."""
    async with slack_bot(tmp_path) as bot:
        await bot.command('create "Q" "A" "B"', user=BOB)
        [note] = await bot.fake.wait_for("response_url")
        assert note.params["response_type"] == "ephemeral" and "staff" in note.params["text"].lower()
        assert bot.fake.calls("chat.postMessage") == []


@pytest.mark.parametrize("how", ["usergroup", "admin", "owner"])
async def test_staff_from_a_user_group_or_workspace_admins(tmp_path: Path, how: str) -> None:
    """Staff may come from the configured user group or from Slack's admin/owner flags."""
    values: dict[str, Any] = {
        "slack__staff_users": (),
        "slack__staff_usergroup": "S0STAFF",
        "slack__admins_are_staff": True,
    }
    async with slack_bot(tmp_path, **values) as bot:
        if how == "usergroup":
            bot.fake.usergroups["S0STAFF"] = [BOB]
        else:
            bot.fake.users[BOB] = {f"is_{how}": True}
        await bot.command('create "Q" "A" "B"', user=BOB)
        await bot.fake.wait_for("chat.postMessage")


async def test_admins_are_not_staff_when_so_configured(tmp_path: Path) -> None:
    """slack.admins_are_staff = false: an admin outside the list and the group is refused."""
    async with slack_bot(tmp_path, slack__staff_users=(), slack__admins_are_staff=False) as bot:
        bot.fake.users[BOB] = {"is_admin": True}
        await bot.command('create "Q" "A" "B"', user=BOB)
        await bot.fake.wait_for("response_url")
        assert bot.fake.calls("chat.postMessage") == []


async def test_a_slash_command_retry_is_acked_and_ignored(tmp_path: Path) -> None:
    """A command delivered with X-Slack-Retry-Num is not run a second time."""
    async with slack_bot(tmp_path) as bot:
        assert (await bot.command('create "Q" "A" "B"', headers={"X-Slack-Retry-Num": "2"})) == (200, "")
        assert (await bot.command('create "Q2" "A" "B"'))[0] == 200  # a first delivery, to have a marker
        await bot.fake.wait_for("chat.postMessage")
        await bot.app.services.cards.drain()
        assert [poll.question for poll in await bot.app.services.polls.open_polls(f"slack:{TEAM}")] == ["Q2"]
        assert len(bot.fake.calls("chat.postMessage")) == 1


def _signed(body: bytes, secret: str = SECRET, timestamp: str | None = None) -> dict[str, str]:
    """Slack's signature headers over raw bytes (even bytes that are not UTF-8)."""
    ts = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


FORM = "application/x-www-form-urlencoded"
MALFORMED = {
    "payload not JSON": (FORM, b"payload=%7Bnot-json"),
    "payload JSON not an object": (FORM, b"payload=%5B1%2C2%5D"),
    "JSON body broken": ("application/json", b'{"type": "event_callback", '),
    "JSON body not an object": ("application/json", b"[1, 2]"),
    "invalid UTF-8": (FORM, b"command=%2Fpoll&text=\xff\xfe\xfd"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
async def test_malformed_requests_get_4xx_and_no_error_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    """Unsigned garbage gets 401 before it is parsed; signed garbage gets 400; nothing logs an ERROR."""
    content_type, body = MALFORMED[case]
    async with slack_bot(tmp_path) as bot:
        form = {"Content-Type": content_type}
        attempts = [
            ({**form}, 401),
            ({**form, **_signed(body, secret="not-the-secret")}, 401),
            ({**form, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, 401),
            ({**form, **_signed(body, timestamp="12e3")}, 401),
            ({**form, **_signed(body)}, 400),
        ]
        for headers, status in attempts:
            async with bot.session.post(bot.url, data=body, headers=headers) as resp:
                assert resp.status == status, headers
        assert {call.method for call in bot.fake.calls()} <= {"auth.test"}
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_a_replayed_click_is_acked_and_does_not_toggle_the_vote_off(tmp_path: Path) -> None:
    """The very same signed click sent twice within Slack's 5 minutes: the second is ignored."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        vote = f"poll:vote:{poll_id}:0"
        body = block_actions_body(vote, None, user_id=BOB, team_id=TEAM, channel_id=CHANNEL, message_ts=ts)
        now = int(time.time())
        assert (await bot.send(body, timestamp=now))[0] == 200
        await bot.fake.wait_for("chat.postEphemeral")
        assert await bot.send(body, timestamp=now) == (200, "")
        assert (await bot.click(f"poll:vote:{poll_id}:1", ALICE, ts))[0] == 200  # a marker after the replay
        await bot.fake.wait_for("chat.postEphemeral", count=2)
        await bot.app.services.cards.drain()
        assert await bot.app.services.polls.store.choices(poll_id, f"slack:{BOB}") == (0,)
        assert [c.params["user"] for c in bot.fake.calls("chat.postEphemeral")] == [BOB, ALICE]


async def test_a_replayed_command_creates_no_second_poll(tmp_path: Path) -> None:
    """A signed /poll create replayed as is: one poll, one message."""
    async with slack_bot(tmp_path) as bot:
        body = slash_command_body("/poll", 'create "Q" "A" "B"', user_id=ALICE, team_id=TEAM, channel_id=CHANNEL)
        now = int(time.time())
        assert (await bot.send(body, timestamp=now))[0] == 200
        assert await bot.send(body, timestamp=now) == (200, "")
        assert (await bot.command('create "Q2" "A" "B"'))[0] == 200  # a marker after the replay
        await bot.fake.wait_for("chat.postMessage", count=2)
        await bot.app.services.cards.drain()
        assert sorted(poll.question for poll in await bot.app.services.polls.open_polls(f"slack:{TEAM}")) == ["Q", "Q2"]
        assert len(bot.fake.calls("chat.postMessage")) == 2


def test_replay_memory_forgets_requests_once_a_copy_would_be_stale() -> None:
    """Memory stays bounded: a signature is kept only while its timestamp is within Slack's window."""
    recent = RecentSignatures(window=300)
    assert recent.first_time("v0=a", 1_000, now=1_000)
    assert not recent.first_time("v0=a", 1_000, now=1_299)
    assert recent.first_time("v0=b", 1_250, now=1_301)  # "a" is forgotten: a copy of it would now get 401
    assert len(recent) == 1
