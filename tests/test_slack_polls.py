"""The poll flow on Slack, through the real Bolt AsyncApp and the loopback fake Slack."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from bot.ui import Reply
from tests.slack_support import ALICE, BOB, CHANNEL, TEAM, blocks_text, shows, slack_bot


async def test_slash_command_posts_a_poll_with_buttons(tmp_path: Path) -> None:
    """/poll create posts the card with one button per option, and tracks the message."""
    async with slack_bot(tmp_path) as bot:
        assert await bot.command('create "Déjeuner ?" "Pizza" "Sushi"') == (200, "")
        [post] = await bot.fake.wait_for("chat.postMessage")
        assert post.params["channel"] == CHANNEL
        [actions] = [b for b in post.params["blocks"] if b["type"] == "actions"]
        assert [(e["type"], e["text"]["text"], e["action_id"]) for e in actions["elements"]] == [
            ("button", "Pizza", "poll:vote:1:0"),
            ("button", "Sushi", "poll:vote:1:1"),
        ]
        assert "#1 · Déjeuner ?" in blocks_text(post.params["blocks"])
        assert post.params["team_id"] == TEAM  # the per-request client of Bolt


async def test_fifty_concurrent_clicks_count_fifty_and_edits_are_coalesced(tmp_path: Path) -> None:
    """50 members click at once: 50 votes, the last chat.update shows 50, few chat.update calls."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        voters = [f"U{n:04d}" for n in range(50)]
        started = time.monotonic()
        answers = await asyncio.gather(*(bot.click(f"poll:vote:{poll_id}:0", user, ts) for user in voters))
        assert {status for status, _ in answers} == {200}
        await bot.fake.wait_for("chat.postEphemeral", count=50)  # each one is sent after its vote committed
        await bot.fake.wait_for("chat.update", shows("50 votants"))
        elapsed = time.monotonic() - started
        await bot.app.services.cards.drain()
        tally = await bot.app.services.polls.store.tally(poll_id)
        assert tally.counts == (50, 0) and tally.voters == 50
        updates = bot.fake.calls("chat.update")
        assert shows("50 votants")(updates[-1])
        assert {(u.params["channel"], u.params["ts"]) for u in updates} == {(CHANNEL, ts)}
        interval = bot.app.services.cards.interval
        assert len(updates) <= elapsed / interval + 2, (len(updates), elapsed)


async def test_a_click_is_confirmed_privately_in_an_ephemeral_message(tmp_path: Path) -> None:
    """The voter gets chat.postEphemeral with their choices; selects send their value."""
    async with slack_bot(tmp_path) as bot:
        options = " ".join(f'"Option {n}"' for n in range(7))  # more than 5 options: a select menu
        poll_id, ts = await bot.create_poll(f'"Which?" {options}')
        assert (await bot.click(f"poll:vote:{poll_id}", BOB, ts, value="3"))[0] == 200
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert note.params["user"] == BOB and note.params["channel"] == CHANNEL
        assert "Option 3" in note.params["text"]


async def test_modal_flow_inline_errors_then_a_posted_poll(tmp_path: Path) -> None:
    """A bare /poll opens the form; an invalid submission gets inline errors; a valid one posts the poll."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "fr-FR"}
        assert await bot.command("") == (200, "")
        [opened] = await bot.fake.wait_for("views.open")
        view = opened.params["view"]
        assert view["callback_id"] == "cmd:poll.create"
        assert [b["block_id"] for b in view["blocks"]] == [
            "question",
            "options",
            "multi",
            "anonymous",
            "results",
            "closes",
        ]
        assert json.loads(view["private_metadata"]) == {"channel": CHANNEL}

        state: dict[str, Any] = {
            "question": {"value": {"type": "plain_text_input", "value": "Lunch?"}},
            "options": {"value": {"type": "plain_text_input", "value": "Pizza"}},
            "anonymous": {"value": {"type": "checkboxes", "selected_options": []}},
        }
        status, text = await bot.submit("cmd:poll.create", state)
        assert status == 200
        assert json.loads(text) == {
            "response_action": "errors",
            "errors": {"options": "Un sondage a besoin d'au moins 2 options."},
        }
        assert bot.fake.calls("chat.postMessage") == []

        state["options"]["value"]["value"] = "Pizza\nSushi\n"
        state["anonymous"]["value"]["selected_options"] = [{"value": "true"}]
        assert await bot.submit("cmd:poll.create", state) == (200, "")
        [post] = await bot.fake.wait_for("chat.postMessage")
        assert "anonyme" in blocks_text(post.params["blocks"])


async def test_a_retried_click_does_not_count_twice(tmp_path: Path) -> None:
    """The same click delivered again with X-Slack-Retry-Num: 1 is acked and ignored (no un-vote)."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts))[0] == 200
        await bot.fake.wait_for("chat.postEphemeral")
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert await bot.click(f"poll:vote:{poll_id}:0", BOB, ts, headers=retry) == (200, "")
        assert (await bot.click(f"poll:vote:{poll_id}:1", ALICE, ts))[0] == 200  # a marker after the retry
        await bot.fake.wait_for("chat.postEphemeral", count=2)
        await bot.app.services.cards.drain()
        assert await bot.app.services.polls.store.choices(poll_id, f"slack:{BOB}") == (0,)
        assert [c.params["user"] for c in bot.fake.calls("chat.postEphemeral")] == [BOB, ALICE]


async def test_rate_limited_edit_is_retried_and_ends_on_the_newest_state(tmp_path: Path) -> None:
    """A 429 on chat.update is retried after Retry-After; edits queued meanwhile land newest last."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        bot.fake.fail("chat.update", headers={"Retry-After": "0"})
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts))[0] == 200
        await bot.fake.wait_for("chat.update")  # the 429
        assert (await bot.click(f"poll:vote:{poll_id}:1", ALICE, ts))[0] == 200
        await bot.fake.wait_for("chat.update", shows("2 votants"))
        await bot.app.services.cards.drain()
        final = bot.fake.messages[CHANNEL][ts]
        assert "2 votants" in blocks_text(final["blocks"])


async def test_concurrent_edits_of_one_message_send_the_newest_card_last(tmp_path: Path) -> None:
    """Two edits racing with a 429 on the first: the stored message shows the second card."""
    from bot.core.model import MessageRef
    from bot.ui import Card

    async with slack_bot(tmp_path) as bot:
        bot.fake.fail("chat.update", headers={"Retry-After": "0"})
        ref = MessageRef(f"slack:{TEAM}", CHANNEL, "1700000000.000900")
        first = asyncio.create_task(bot.adapter.edit(ref, Card(title="old")))
        await bot.fake.wait_for("chat.update")
        await asyncio.gather(
            first, bot.adapter.edit(ref, Card(title="middle")), bot.adapter.edit(ref, Card(title="new"))
        )
        assert blocks_text(bot.fake.messages[CHANNEL][ref.message_id]["blocks"]) == "*new*"


@pytest.mark.parametrize(
    ("locale", "slack_locale", "rules", "voters", "confirmed"),
    [
        ("fr", "fr-FR", "Un seul choix", "1 votant", "votre vote est enregistré"),
        ("en", "en-US", "Single choice", "1 voter", "your vote is recorded"),
    ],
)
async def test_the_same_flow_in_french_and_in_english(
    tmp_path: Path, locale: str, slack_locale: str, rules: str, voters: str, confirmed: str
) -> None:
    """Card, live update and private confirmation follow the workspace and member languages."""
    async with slack_bot(tmp_path, spaces={f"slack:{TEAM}": {"locale": locale}}) as bot:
        bot.fake.users[BOB] = {"locale": slack_locale}
        bot.fake.users[ALICE] = {"locale": slack_locale}
        poll_id, ts = await bot.create_poll()
        [post] = bot.fake.calls("chat.postMessage")
        assert rules in blocks_text(post.params["blocks"])
        assert (await bot.click(f"poll:vote:{poll_id}:1", BOB, ts))[0] == 200
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert confirmed in note.params["text"].lower()
        await bot.fake.wait_for("chat.update", shows(voters))


async def test_member_locale_overrides_the_workspace_default(tmp_path: Path) -> None:
    """In a French workspace, a member whose Slack is in English is answered in English."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[BOB] = {"locale": "en-GB"}
        poll_id, ts = await bot.create_poll()
        await bot.click(f"poll:vote:{poll_id}:0", BOB, ts)
        [note] = await bot.fake.wait_for("chat.postEphemeral")
        assert "recorded" in note.params["text"]
        [info] = [c for c in bot.fake.calls("users.info") if c.params["user"] == BOB]
        assert info.params["include_locale"] in (True, "true", "1")


async def test_app_home_lists_my_open_polls_and_my_votes(tmp_path: Path) -> None:
    """app_home_opened publishes the member's Home tab."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "fr-FR"}
        poll_id, ts = await bot.create_poll()
        await bot.click(f"poll:vote:{poll_id}:1", ALICE, ts)
        await bot.fake.wait_for("chat.postEphemeral")
        assert (await bot.event({"type": "app_home_opened", "user": ALICE, "tab": "home", "channel": "D0A"}))[0] == 200
        [published] = await bot.fake.wait_for("views.publish")
        assert published.params["user_id"] == ALICE
        text = blocks_text(published.params["view"]["blocks"])
        assert "Mes sondages ouverts" in text and "#1 · Lunch?" in text
        assert "#1 · Lunch? — Sushi" in text


async def test_export_is_uploaded_to_the_members_dm(tmp_path: Path) -> None:
    """/poll export sends the CSV with files_upload_v2 to the DM with the bot."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        await bot.click(f"poll:vote:{poll_id}:0", BOB, ts)
        await bot.fake.wait_for("chat.postEphemeral")
        assert (await bot.command("export 1"))[0] == 200
        [done] = await bot.fake.wait_for("files.completeUploadExternal")
        assert done.params["channel_id"] == bot.fake.dm_channel(ALICE)
        [content] = bot.fake.uploads.values()
        assert content.decode().startswith("\ufeffpoll;question;option;votes")  # a French workspace
        assert "U0BOB" in content.decode() or "u0bob" in content.decode()


async def test_mentions_in_member_text_never_ping(tmp_path: Path) -> None:
    """A question with <!channel> and a user mention is posted inert, with &, <, > escaped."""
    async with slack_bot(tmp_path) as bot:
        # Slack escapes &, < and > in slash command text.
        await bot.command('create "Tea &amp; cake &lt;!channel&gt; &lt;@U0BOB|bob&gt;?" "Yes" "No"')
        [post] = await bot.fake.wait_for("chat.postMessage")
        raw = json.dumps(post.params)
        assert "<!channel>" not in raw and "<@U0BOB" not in raw
        assert "Tea &amp; cake @\u200bchannel @bob?" in blocks_text(post.params["blocks"])


async def test_private_messages_open_each_dm_once(tmp_path: Path) -> None:
    """A reminder fan-out opens a member's DM channel once (conversations.open is rate-limited), then reuses it."""
    async with slack_bot(tmp_path) as bot:
        space = f"slack:{TEAM}"
        for text in ("Rappel J-7", "Rappel J-1"):
            assert await bot.app.services.delivery.send_private(space, f"slack:{BOB}", Reply(text=text))
        posts = await bot.fake.wait_for("chat.postMessage", count=2)
        assert len(bot.fake.calls("conversations.open")) == 1
        assert {call.params["channel"] for call in posts} == {bot.fake.dm_channel(BOB)}


@pytest.mark.parametrize("status", [500, 503])
async def test_an_edit_failing_with_a_server_error_is_retried_until_the_card_is_right(
    tmp_path: Path, status: int
) -> None:
    """chat.update answers 5xx twice: the edit is sent again after a short backoff and the card ends right."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        bot.fake.fail("chat.update", error="internal_error", status=status, times=2)
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts))[0] == 200
        await bot.fake.wait_for("chat.update", count=3)
        await bot.app.services.cards.drain()
        assert "1 votant" in blocks_text(bot.fake.messages[CHANNEL][ts]["blocks"])


async def test_edit_retries_are_bounded(tmp_path: Path) -> None:
    """Slack down for good: the edit gives up after a few tries, with a warning and no error."""
    async with slack_bot(tmp_path) as bot:
        poll_id, ts = await bot.create_poll()
        tries = len(bot.adapter.edit_retry_delays) + 1
        bot.fake.fail("chat.update", error="internal_error", status=500, times=tries + 5)
        assert (await bot.click(f"poll:vote:{poll_id}:0", BOB, ts))[0] == 200
        await bot.fake.wait_for("chat.update", count=tries)
        await bot.app.services.cards.drain()
        assert len(bot.fake.calls("chat.update")) == tries


@pytest.mark.parametrize("status", [500, 503])
async def test_a_slack_outage_when_posting_a_poll_is_explained_and_leaves_no_invisible_open_poll(
    tmp_path: Path, status: int
) -> None:
    """chat.postMessage fails on Slack's side: the member learns it was Slack, the poll is withdrawn, the command is given back."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "en-US"}
        bot.fake.fail("chat.postMessage", error="internal_error", status=status)
        assert (await bot.command('create "Lunch?" "Pizza" "Sushi"'))[0] == 200
        [note] = await bot.fake.wait_for("response_url")
        text = note.params["text"]
        assert "Slack" in text and "invite" not in text.lower()
        assert "#1" in text and '/poll create "Lunch?" "Pizza" "Sushi"' in text
        assert await bot.app.services.polls.open_polls(f"slack:{TEAM}") == []


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
async def test_a_channel_the_bot_cannot_post_in_asks_for_an_invite_and_withdraws_the_poll(
    tmp_path: Path, error: str
) -> None:
    """Slack refuses the channel: "invite me first", and no open poll is left behind to pile up on a retry."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": "en-US"}
        bot.fake.fail("chat.postMessage", error=error, status=200)
        assert (await bot.command('create "Lunch?" "Pizza" "Sushi"'))[0] == 200
        [note] = await bot.fake.wait_for("response_url")
        assert "Invite me" in note.params["text"]
        assert await bot.app.services.polls.open_polls(f"slack:{TEAM}") == []
