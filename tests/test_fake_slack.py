"""The loopback Slack fake works with the real slack-bolt AsyncApp over HTTP and Socket Mode."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.slack_api import (
    FakeSlack,
    SlackCall,
    block_actions_body,
    block_actions_payload,
    event_callback_body,
    event_callback_payload,
    fake_slack,
    post_signed,
    serve_bolt_app,
    sign,
    slash_command_body,
    slash_command_payload,
    socket_mode_handler,
    view_submission_body,
    view_submission_payload,
)

SECRET = "phosphore-signing-secret"
TEAM = "T0PHOSPH"
USER = "U0ALICE"
CHANNEL = "C0GENERAL"


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    """A started fake for one test."""
    async with fake_slack() as f:
        yield f


def make_app(fake: FakeSlack, *, process_before_response: bool = False) -> AsyncApp:
    """A Bolt AsyncApp whose Web API client talks to the fake."""
    return AsyncApp(
        client=AsyncWebClient(token="xoxb-test", base_url=fake.base_url),
        signing_secret=SECRET,
        process_before_response=process_before_response,
    )


def methods(fake: FakeSlack) -> list[str]:
    """Recorded method names in order."""
    return [c.method for c in fake.calls()]


# ------------------------------------------------------------------ the fake on its own


async def test_records_json_form_and_query_calls(fake: FakeSlack) -> None:
    """JSON, form and GET calls are recorded with merged, decoded params and the bearer token."""
    client = fake.client()
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    first = await client.chat_postMessage(channel=CHANNEL, text="hi", blocks=blocks)
    second = await client.api_call(
        "chat.postMessage", data={"channel": CHANNEL, "text": "form", "blocks": json.dumps(blocks)}
    )
    await client.conversations_replies(channel=CHANNEL, ts=first["ts"])
    url = f"{fake.base_url}users.info?user={USER}&token=xoxb-query"
    async with aiohttp.ClientSession() as session, session.get(url) as resp:
        assert (await resp.json())["user"]["id"] == USER

    posts = fake.calls("chat.postMessage")
    assert [c.params["blocks"] for c in posts] == [blocks, blocks]
    assert posts[1].params["text"] == "form"
    assert {c.token for c in posts} == {"xoxb-test"}
    assert first["ts"] < second["ts"] and first["channel"] == CHANNEL
    assert first["message"]["text"] == "hi" and first["message"]["bot_id"] == fake.bot_id
    replies = fake.calls("conversations.replies")[0]
    assert replies == SlackCall("conversations.replies", {"channel": CHANNEL, "ts": first["ts"]}, "xoxb-test")
    assert fake.calls("users.info")[0].token == "xoxb-query"


async def test_messages_threads_and_updates_are_stored(fake: FakeSlack) -> None:
    """Posted, updated and threaded messages come back through conversations.replies."""
    client = fake.client()
    parent = await client.chat_postMessage(channel=CHANNEL, text="Poll: lunch?")
    await client.chat_postMessage(channel=CHANNEL, text="vote", thread_ts=parent["ts"])
    updated = await client.chat_update(channel=CHANNEL, ts=parent["ts"], text="Poll: lunch? (3 votes)")
    assert updated["ts"] == parent["ts"] and updated["message"]["text"].endswith("(3 votes)")

    replies = await client.conversations_replies(channel=CHANNEL, ts=parent["ts"])
    assert [m["text"] for m in replies["messages"]] == ["Poll: lunch? (3 votes)", "vote"]
    ephemeral = await client.chat_postEphemeral(channel=CHANNEL, user=USER, text="only you")
    assert ephemeral["message_ts"] > parent["ts"]
    await client.chat_delete(channel=CHANNEL, ts=parent["ts"])
    assert parent["ts"] not in fake.messages[CHANNEL]
    with pytest.raises(SlackApiError) as err, pytest.warns(UserWarning, match="text"):
        await client.chat_postMessage(channel=CHANNEL)
    assert err.value.response["error"] == "no_text"


async def test_users_dm_and_usergroups(fake: FakeSlack) -> None:
    """users.info honours include_locale; conversations.open and usergroups are configurable."""
    fake.users[USER] = {"locale": "fr-FR", "real_name": "Alice Martin"}
    fake.usergroups["S0ORGA"] = [USER, "U0BOB"]
    client = fake.client()

    with_locale = await client.users_info(user=USER, include_locale=True)
    without = await client.users_info(user=USER)
    assert with_locale["user"]["locale"] == "fr-FR" and with_locale["user"]["real_name"] == "Alice Martin"
    assert "locale" not in without["user"]
    dm = await client.conversations_open(users=USER)
    assert dm["channel"]["id"].startswith("D")
    assert (await client.conversations_open(users=[USER]))["channel"]["id"] == dm["channel"]["id"]
    members = await client.usergroups_users_list(usergroup="S0ORGA")
    assert members["users"] == [USER, "U0BOB"]


async def test_views_and_unknown_methods(fake: FakeSlack) -> None:
    """views.* return a view with an id; unknown methods answer ok and are recorded."""
    client = fake.client()
    opened = await client.views_open(trigger_id="t", view={"type": "modal", "callback_id": "poll_create"})
    view_id = opened["view"]["id"]
    updated = await client.views_update(view_id=view_id, view={"type": "modal", "callback_id": "poll_create"})
    pushed = await client.views_push(trigger_id="t", view={"type": "modal"})
    home = await client.views_publish(user_id=USER, view={"type": "home", "blocks": []})
    home_again = await client.views_publish(user_id=USER, view={"type": "home", "blocks": []})
    assert updated["view"]["id"] == view_id and opened["view"]["callback_id"] == "poll_create"
    assert pushed["view"]["id"] != view_id
    assert home["view"]["type"] == "home" and home["view"]["id"] == home_again["view"]["id"]
    assert fake.calls("views.open")[0].params["view"]["callback_id"] == "poll_create"
    assert (await client.api_call("reactions.add", json={"name": "tada"}))["ok"] is True
    assert fake.calls("reactions.add")[0].params == {"name": "tada"}


async def test_files_upload_v2_round_trip(fake: FakeSlack) -> None:
    """files_upload_v2 goes through getUploadURLExternal, the loopback upload URL and completeUploadExternal."""
    client = fake.client()
    result = await client.files_upload_v2(content="id,title\n1,Lunch", filename="export.csv", channel=CHANNEL)
    file_id = result["file"]["id"]
    assert fake.uploads[file_id] == b"id,title\n1,Lunch"
    assert result["file"]["name"] == "export.csv"
    assert methods(fake) == ["files.getUploadURLExternal", "upload_url", "files.completeUploadExternal"]
    complete = fake.calls("files.completeUploadExternal")[0]
    assert complete.params["files"][0]["id"] == file_id and complete.params["channel_id"] == CHANNEL


async def test_fail_is_observable_by_a_client_call(fake: FakeSlack) -> None:
    """fail() answers the next N calls with the status, error and headers, then recovers."""
    fake.fail("chat.update", status=429, headers={"Retry-After": "7"}, times=2)
    client = fake.client()
    for _ in range(2):
        with pytest.raises(SlackApiError) as err:
            await client.chat_update(channel=CHANNEL, ts="1700000000.000100", text="x")
        assert err.value.response.status_code == 429
        assert err.value.response["error"] == "ratelimited"
        assert err.value.response.headers["Retry-After"] == "7"
    assert (await client.chat_update(channel=CHANNEL, ts="1700000000.000100", text="x"))["ok"] is True
    assert len(fake.calls("chat.update")) == 3

    fake.fail("chat.postMessage", error="channel_not_found", status=200)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0GONE", text="x")
    assert err.value.response.status_code == 200 and err.value.response["error"] == "channel_not_found"


async def test_on_overrides_an_answer(fake: FakeSlack) -> None:
    """on() replaces the default answer; async handlers work; None falls back to the default."""
    seen: list[SlackCall] = []

    async def replies(call: SlackCall) -> dict[str, Any]:
        seen.append(call)
        return {"ok": True, "messages": [{"ts": call.params["ts"], "text": "scripted"}]}

    fake.on("conversations.replies", replies)
    fake.on("chat.postMessage", lambda call: None)
    client = fake.client()
    got = await client.conversations_replies(channel=CHANNEL, ts="1.2")
    assert got["messages"][0]["text"] == "scripted" and seen[0].params["ts"] == "1.2"
    assert (await client.chat_postMessage(channel=CHANNEL, text="x"))["ts"]
    fake.on("conversations.replies", None)
    assert (await client.conversations_replies(channel=CHANNEL, ts="1.2"))["messages"] == []


async def test_wait_for_wakes_on_the_call_and_times_out_clearly(fake: FakeSlack) -> None:
    """wait_for returns as soon as the call lands and explains what was recorded on timeout."""
    client = fake.client()
    waiter = asyncio.create_task(
        fake.wait_for("chat.postMessage", lambda c: c.params.get("text") == "second", timeout=5.0)
    )
    await client.chat_postMessage(channel=CHANNEL, text="first")
    await client.chat_postMessage(channel=CHANNEL, text="second")
    found = await waiter
    assert [c.params["text"] for c in found] == ["second"]
    assert len(await fake.wait_for("chat.postMessage", count=2, timeout=1.0)) == 2

    with pytest.raises(AssertionError, match=r"chat\.update.*recorded: chat\.postMessage, chat\.postMessage"):
        await fake.wait_for("chat.update", timeout=0.05)


# ------------------------------------------------------------------ Bolt over HTTP


async def test_http_signed_slash_command_posts_a_message(fake: FakeSlack) -> None:
    """A signed slash command reaches the handler, which acks and then posts through the fake."""
    app = make_app(fake)

    @app.command("/poll")
    async def poll(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text=f"Poll: {command['text']}")

    body = slash_command_body("/poll", "Lunch?", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
    async with serve_bolt_app(app) as url:
        status, text = await post_signed(url, body, SECRET)
        assert (status, text) == (200, "")
        [post] = await fake.wait_for("chat.postMessage")
    # Bolt's per-request client adds the request's team_id to every call.
    assert post.params == {"channel": CHANNEL, "text": "Poll: Lunch?", "team_id": TEAM}
    assert post.token == "xoxb-test"
    assert methods(fake) == ["auth.test", "chat.postMessage"]


async def test_http_bad_signature_is_rejected_before_any_handler(fake: FakeSlack) -> None:
    """A wrong secret or a stale timestamp gets 401 and no handler runs."""
    app = make_app(fake)
    ran: list[str] = []

    @app.command("/poll")
    async def poll(ack: AsyncAck) -> None:
        ran.append("poll")
        await ack()

    body = slash_command_body("/poll", "x", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
    async with serve_bolt_app(app) as url:
        assert (await post_signed(url, body, "wrong-secret"))[0] == 401
        assert (await post_signed(url, body, SECRET, timestamp=int(time.time()) - 301))[0] == 401
        async with aiohttp.ClientSession() as session:
            headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(SECRET, body + "tampered")}
            async with session.post(url, data=body, headers=headers) as resp:
                assert resp.status == 401
    assert ran == []
    assert set(methods(fake)) <= {"auth.test"}


async def test_http_block_actions_reach_a_regex_action(fake: FakeSlack) -> None:
    """A button click payload is routed to app.action(re.compile("^poll:"))."""
    app = make_app(fake)

    @app.action(re.compile("^poll:"))
    async def vote(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_update(
            channel=body["container"]["channel_id"],
            ts=body["container"]["message_ts"],
            text=f"{body['user']['id']} voted {action['value']} via {action['action_id']}",
        )

    body = block_actions_body(
        "poll:vote:2", "2", user_id=USER, team_id=TEAM, channel_id=CHANNEL, message_ts="1700000000.000100"
    )
    async with serve_bolt_app(app) as url:
        assert (await post_signed(url, body, SECRET))[0] == 200
        [update] = await fake.wait_for("chat.update")
    assert update.params == {
        "channel": CHANNEL,
        "ts": "1700000000.000100",
        "text": f"{USER} voted 2 via poll:vote:2",
        "team_id": TEAM,
    }


async def test_http_view_submission_errors_come_back_in_the_ack(fake: FakeSlack) -> None:
    """ack(response_action="errors") is the HTTP response body of a view_submission."""
    app = make_app(fake, process_before_response=True)

    @app.view("poll_create")
    async def create(ack: AsyncAck, view: dict[str, Any]) -> None:
        question = view["state"]["values"]["question"]["input"]["value"]
        await ack(response_action="errors", errors={"question": f"too short: {question!r}"})

    state = {"question": {"input": {"type": "plain_text_input", "value": "?"}}}
    body = view_submission_body("poll_create", state, user_id=USER, team_id=TEAM, private_metadata="C0GENERAL")
    async with serve_bolt_app(app) as url:
        status, text = await post_signed(url, body, SECRET)
    assert status == 200
    assert json.loads(text) == {"response_action": "errors", "errors": {"question": "too short: '?'"}}


async def test_http_respond_posts_to_a_recorded_response_url(fake: FakeSlack) -> None:
    """respond() goes to the loopback response_url and is recorded as "response_url"."""
    app = make_app(fake)

    @app.command("/poll")
    async def poll(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await respond(text="Only you can see this", response_type="ephemeral")

    response_url = fake.response_url()
    body = slash_command_body("/poll", "", user_id=USER, team_id=TEAM, channel_id=CHANNEL, response_url=response_url)
    async with serve_bolt_app(app) as url:
        assert (await post_signed(url, body, SECRET))[0] == 200
        [reply] = await fake.wait_for("response_url")
    assert reply.params["text"] == "Only you can see this"
    assert reply.params["_url"] == response_url


async def test_response_url_failures_and_handlers_are_scripted(fake: FakeSlack) -> None:
    """fail("response_url") answers an error status once; on("response_url") runs before the answer."""
    seen: list[str] = []
    fake.on("response_url", lambda call: seen.append(call.params["text"]))
    fake.fail("response_url", error="expired_url", status=404)
    async with aiohttp.ClientSession() as session:
        for text in ("first", "second"):
            async with session.post(fake.response_url(), json={"text": text}) as resp:
                assert (resp.status, await resp.text()) == ((404, "expired_url") if text == "first" else (200, "ok"))
    assert seen == ["first", "second"] == [c.params["text"] for c in fake.calls("response_url")]


async def test_http_process_before_response_finishes_work_before_replying(fake: FakeSlack) -> None:
    """With process_before_response=True the handler's API calls are done when the POST returns."""
    app = make_app(fake, process_before_response=True)

    @app.command("/poll")
    async def poll(ack: AsyncAck, client: AsyncWebClient) -> None:
        await ack("working")
        await client.chat_postMessage(channel=CHANNEL, text="done")

    body = slash_command_body("/poll", "", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
    async with serve_bolt_app(app) as url:
        assert await post_signed(url, body, SECRET) == (200, "working")
        assert [c.params["text"] for c in fake.calls("chat.postMessage")] == ["done"]


async def test_http_bolt_does_not_deduplicate_retries(fake: FakeSlack) -> None:
    """Bolt runs the listener again for X-Slack-Retry-Num retries: the app must deduplicate."""
    app = make_app(fake)
    retry_headers: list[Sequence[str] | None] = []

    @app.event("app_mention")
    async def mention(event: dict[str, Any], request: AsyncBoltRequest, client: AsyncWebClient) -> None:
        retry_headers.append(request.headers.get("x-slack-retry-num"))
        await client.chat_postMessage(channel=event["channel"], text="hello")

    event = {"type": "app_mention", "user": USER, "text": "<@U0BOT> hi", "channel": CHANNEL, "ts": "1.000001"}
    body = event_callback_body(event, team_id=TEAM, event_id="Ev0RETRY")
    async with serve_bolt_app(app) as url:
        assert (await post_signed(url, body, SECRET))[0] == 200
        retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
        assert (await post_signed(url, body, SECRET, headers=retry))[0] == 200
        await fake.wait_for("chat.postMessage", count=2)
    assert len(retry_headers) == 2 and None in retry_headers and ["1"] in retry_headers


# ------------------------------------------------------------------ Bolt over Socket Mode


async def test_socket_mode_slash_command_is_acked_and_posts(fake: FakeSlack) -> None:
    """The handler connects via apps.connections.open, acks the envelope and posts a message."""
    app = make_app(fake)

    @app.command("/poll")
    async def poll(ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.chat_postMessage(channel=command["channel_id"], text=f"Poll: {command['text']}")

    async with socket_mode_handler(app, fake):
        payload = slash_command_payload("/poll", "Lunch?", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
        ack = await fake.socket_send("slash_commands", payload)
        [post] = await fake.wait_for("chat.postMessage")
    assert set(ack) == {"envelope_id"}  # an empty ack() carries no payload
    assert post.params == {"channel": CHANNEL, "text": "Poll: Lunch?", "team_id": TEAM}
    [opened] = fake.calls("apps.connections.open")
    assert opened.token == "xapp-test"
    assert not fake.socket_connected


async def test_socket_mode_ack_payloads_and_unhandled_envelopes(fake: FakeSlack) -> None:
    """ack(text) comes back as {"payload": {"text"}}; JSON acks as dicts; unmatched envelopes get no ack."""
    app = make_app(fake)

    @app.command("/help")
    async def help_(ack: AsyncAck) -> None:
        await ack("Usage: /poll <question>")

    @app.action(re.compile("^poll:"))
    async def vote(ack: AsyncAck) -> None:
        await ack()

    @app.view("poll_create")
    async def create(ack: AsyncAck) -> None:
        await ack(response_action="clear")

    async with socket_mode_handler(app, fake):
        text_ack = await fake.socket_send(
            "slash_commands", slash_command_payload("/help", "", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
        )
        click = block_actions_payload(
            "poll:vote:1", "1", user_id=USER, team_id=TEAM, channel_id=CHANNEL, message_ts="1.000001"
        )
        click_ack = await fake.socket_send("interactive", click)
        view_ack = await fake.socket_send(
            "interactive", view_submission_payload("poll_create", {}, user_id=USER, team_id=TEAM)
        )
        unknown = event_callback_payload({"type": "reaction_added", "user": USER}, team_id=TEAM)
        envelope_id = await fake.socket_emit("events_api", unknown)
        with pytest.raises(AssertionError, match="no ack for envelope"):
            await fake.wait_socket_ack(envelope_id, timeout=0.2)
    assert text_ack["payload"] == {"text": "Usage: /poll <question>"}
    assert "payload" not in click_ack
    assert view_ack["payload"] == {"response_action": "clear"}


async def test_socket_mode_retry_attempt_becomes_a_header(fake: FakeSlack) -> None:
    """Envelope retry_attempt/retry_reason reach listeners as x-slack-retry-num/-reason headers."""
    app = make_app(fake)
    seen: list[tuple[Sequence[str] | None, Sequence[str] | None]] = []

    @app.event("app_mention")
    async def mention(request: AsyncBoltRequest, client: AsyncWebClient) -> None:
        seen.append((request.headers.get("x-slack-retry-num"), request.headers.get("x-slack-retry-reason")))
        await client.chat_postMessage(channel=CHANNEL, text="hello")

    event = {"type": "app_mention", "user": USER, "text": "<@U0BOT> hi", "channel": CHANNEL, "ts": "1.000001"}
    payload = event_callback_payload(event, team_id=TEAM)
    async with socket_mode_handler(app, fake):
        await fake.socket_send("events_api", payload, retry_attempt=1, retry_reason="timeout")
        await fake.wait_for("chat.postMessage")
    assert seen == [(["1"], ["timeout"])]


async def test_socket_mode_reconnects_on_disconnect_message(fake: FakeSlack) -> None:
    """A {"type": "disconnect"} frame makes the client fetch a new URL and reconnect."""
    app = make_app(fake)

    @app.command("/poll")
    async def poll(ack: AsyncAck) -> None:
        await ack("pong")

    async with socket_mode_handler(app, fake):
        await fake.socket_disconnect()
        await fake.wait_socket_connected(count=2)
        await fake.wait_for("apps.connections.open", count=2)
        payload = slash_command_payload("/poll", "", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
        assert (await fake.socket_send("slash_commands", payload))["payload"] == {"text": "pong"}


async def test_socket_mode_listener_error_after_ack_sends_no_ack(fake: FakeSlack) -> None:
    """A listener that acks then raises gets no Socket Mode ack at all (Bolt only acks status 200)."""
    app = make_app(fake, process_before_response=True)

    @app.command("/boom")
    async def boom(ack: AsyncAck) -> None:
        await ack("accepted")
        raise RuntimeError("listener bug")

    async with socket_mode_handler(app, fake):
        payload = slash_command_payload("/boom", "", user_id=USER, team_id=TEAM, channel_id=CHANNEL)
        envelope_id = await fake.socket_emit("slash_commands", payload)
        with pytest.raises(AssertionError, match="no ack for envelope"):
            await fake.wait_socket_ack(envelope_id, timeout=0.3)
