"""Slack requests -> Invocation / Action, and Replies -> Web API calls; also the Delivery port for Slack."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.manifest import slash_commands
from bot.adapters.slack.people import People
from bot.adapters.slack.render import home_view, message, modal_view, neutralize, view_errors, view_fields
from bot.app import App
from bot.commands.context import Context
from bot.config import ConfigError, Settings
from bot.core.model import Action, Member, MessageRef
from bot.features.polls.views import home_cards
from bot.ui import Card, Reply

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"
ACTION_IDS = re.compile(r"^[a-z_]+:[a-z_]+")  # stateless ids "feature:verb:…" (bot.ui.action_id)
FORM_IDS = re.compile(r"^cmd:")


def build_bolt(settings: Settings, base_url: str = SLACK_API) -> AsyncApp:
    """The Bolt app: bot token, signing secret, 429s retried after Retry-After (call inside the loop)."""
    token = settings.secrets.get("SLACK_BOT_TOKEN")
    if not token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (the xoxb- token of the Slack app)")
    # Bolt copies app.client's retry handlers and session into every per-request client. Without
    # a session slack_sdk opens one (and a TCP connection) per call: 4x slower under a vote burst.
    handlers = [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers, session=session)
    return AsyncApp(
        client=client,
        signing_secret=settings.secrets.get("SLACK_SIGNING_SECRET", ""),
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )


async def close_bolt(bolt: AsyncApp) -> None:
    """Close the Web API client's connections."""
    if bolt.client.session is not None:
        await bolt.client.session.close()


def team_of(body: dict[str, Any]) -> str:
    """The workspace id of an interaction or command payload."""
    return (body.get("team") or {}).get("id") or body.get("team_id") or (body.get("user") or {}).get("team_id", "")


def action_values(action: dict[str, Any]) -> tuple[str, ...]:
    """What a select sends with its action id (a button's id already says everything)."""
    chosen = action.get("selected_option")
    return (str(chosen["value"]),) if chosen else ()


def unescape(text: str) -> str:
    """Slash command text arrives with &, < and > escaped by Slack."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def guarded(work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Log listener failures instead of raising: over Socket Mode a raising listener gets no ack at all."""

    @functools.wraps(work)  # Bolt reads the wrapped listener's argument names to inject them
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await work(*args, **kwargs)
        except Exception:
            log.exception("slack listener %s failed", work.__name__)

    return run


class SlackAdapter:
    """Wires Bolt listeners to the dispatcher and implements the Delivery port with the Web API."""

    def __init__(self, app: App, bolt: AsyncApp) -> None:
        self.app = app
        self.bolt = bolt
        self.commands = slash_commands(app.services.settings, app.services.registry)
        self.people = People(app.services.settings)
        self._wanted: dict[tuple[str, str], Card] = {}
        self._edit_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._dm_channels: dict[str, str] = {}  # user id -> DM channel id
        bolt.middleware(self.drop_retries)
        for name in self.commands:
            bolt.command(name)(guarded(self.on_command))
        bolt.action(ACTION_IDS)(guarded(self.on_action))
        bolt.view(FORM_IDS)(guarded(self.on_submit))
        bolt.event("app_home_opened")(guarded(self.on_home))
        app.services.delivery.register("slack", self)

    @property
    def client(self) -> AsyncWebClient:
        """The app-level Web API client (live edits and notices happen outside any request)."""
        return self.bolt.client

    # ------------------------------------------------------------------ incoming

    async def drop_retries(self, request: AsyncBoltRequest, next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        """Ack and ignore Slack's retries: Bolt never de-duplicates them, and a vote must not toggle twice.

        Slack retries only Events API deliveries (X-Slack-Retry-Num over HTTP, retry_attempt over
        Socket Mode, which Bolt turns into the same header); the first delivery was processed, and
        every event we handle (app_home_opened) is idempotent. A command or click carrying the
        header would be a replay, so it is dropped too.
        """
        retry = (request.headers.get("x-slack-retry-num") or ["0"])[0]
        if retry not in ("", "0"):
            log.info("dropped a Slack retry (attempt %s)", retry)
            return BoltResponse(status=200, body="")
        await next()
        return None

    def _context(self, space: str, channel: str, member: Member, locale: str | None) -> Context:
        return self.app.dispatcher.context(space, channel, member, locale)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        """A slash command: ack at once, run the typed text like the console, then show the reply."""
        await ack()
        space, channel = f"slack:{command['team_id']}", command["channel_id"]
        member, locale = await self.people.member(client, command["team_id"], command["user_id"], command.get("user_name"))
        group = self.commands[command["command"]]
        text = unescape(command.get("text") or "").strip()
        line = f"{group} {text}" if text else self.default_line(group)
        reply = await self.app.dispatcher.invoke_text(space, channel, member, line, locale, can_open_modal=True)
        await self.show(client, reply, space, channel, member, locale, command.get("trigger_id"))

    def default_line(self, group: str) -> str:
        """A bare `/poll` opens the group's form command (poll creation) when it has one."""
        forms = [command for command in self.app.services.registry.in_group(group) if command.form]
        return forms[0].path if forms else group

    async def on_action(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        """A click or a select: ack, then the dispatcher commits the vote and answers privately."""
        await ack()
        team = team_of(body)
        space = f"slack:{team}"
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        user = body["user"]
        member, locale = await self.people.member(client, team, user["id"], user.get("username"))
        act = Action(space, channel, member, action["action_id"], action_values(action), {}, locale)
        reply = await self.app.dispatcher.act(act)
        await self.show(client, reply, space, channel, member, locale, body.get("trigger_id"))

    async def on_submit(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient) -> None:
        """A modal submission: inline errors in the ack keep the modal open; anything else closes it."""
        team = team_of(body)
        space = f"slack:{team}"
        channel = json.loads(view.get("private_metadata") or "{}").get("channel", "")
        user = body["user"]
        member, locale = await self.people.member(client, team, user["id"], user.get("username"))
        fields = view_fields(view["state"]["values"])
        reply = await self.app.dispatcher.act(Action(space, channel, member, view["callback_id"], (), fields, locale))
        if reply.field_errors:
            await ack(response_action="errors", errors=view_errors(view, reply.field_errors))
            return
        await ack()
        await self.show(client, reply, space, channel, member, locale, None)

    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """The App Home tab: my open polls and my votes, published for this member."""
        if event.get("tab", "home") != "home":
            return
        team = team_of(body)
        space = f"slack:{team}"
        member, locale = await self.people.member(client, team, event["user"])
        ctx = self._context(space, "", member, locale)
        mine, votes = await self.app.services.polls.member_summary(space, member)
        view = home_view(ctx._("slack.home.title"), home_cards(mine, votes, ctx._))
        await client.views_publish(user_id=member.user_id, view=view)

    # ------------------------------------------------------------------ replies

    async def show(
        self,
        client: AsyncWebClient,
        reply: Reply,
        space: str,
        channel: str,
        member: Member,
        locale: str | None,
        trigger_id: str | None,
    ) -> None:
        """Open a modal, post a public card (kept live), or answer privately."""
        _ = self._context(space, channel, member, locale)._
        if reply.modal is not None and trigger_id:
            view = modal_view(reply.modal, _("slack.modal.cancel"), {"channel": channel})
            await client.views_open(trigger_id=trigger_id, view=view)
        elif reply.public and channel:
            ref = await self._post(client, space, channel, reply)
            if ref is not None:
                await self.app.dispatcher.posted(reply, ref)
            else:
                await self._private(client, space, channel, member, Reply(text=_("slack.cannot_post")))
        else:
            await self._private(client, space, channel, member, reply)

    async def _post(self, client: AsyncWebClient, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post in a channel; None when Slack refuses (a private channel the bot is not in)."""
        try:
            ts = await self._send(client, channel, reply)
        except SlackApiError as error:
            log.warning("chat.postMessage failed channel=%s error=%s", channel, error.response.get("error"))
            return None
        return MessageRef(space, channel, ts) if ts else None

    async def _send(self, client: AsyncWebClient, channel: str, reply: Reply) -> str | None:
        """A message, then the files (files_upload_v2); the message ts, if a message was posted."""
        ts = None
        if reply.card is not None or (reply.text and not reply.files):
            posted = await client.chat_postMessage(channel=channel, **message(reply.text, reply.card))
            ts = posted["ts"]
        if reply.files:
            comment: dict[str, Any] = {"initial_comment": neutralize(reply.text)} if reply.text and reply.card is None else {}
            uploads = [{"content": f.content, "filename": f.filename, "title": f.filename} for f in reply.files]
            await client.files_upload_v2(channel=channel, file_uploads=uploads, **comment)
        return ts

    async def _private(self, client: AsyncWebClient, space: str, channel: str, member: Member, reply: Reply) -> None:
        """An ephemeral message; files, or a place the bot cannot post in, go by DM instead."""
        if not reply.files and channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=member.user_id, **message(reply.text, reply.card))
                return
            except SlackApiError as error:
                log.info("chat.postEphemeral failed channel=%s error=%s", channel, error.response.get("error"))
        await self._direct(client, member.user_id, reply)

    async def _direct(self, client: AsyncWebClient, user_id: str, reply: Reply) -> bool:
        """Post in the DM between the bot and a user."""
        try:
            channel = self._dm_channels.get(user_id)
            if channel is None:  # conversations.open is rate-limited: a reminder fan-out opens each DM once
                opened = await client.conversations_open(users=user_id)
                channel = self._dm_channels[user_id] = opened["channel"]["id"]
            await self._send(client, channel, reply)
        except SlackApiError as error:
            log.warning("direct message failed user=%s error=%s", user_id, error.response.get("error"))
            return False
        return True

    # ------------------------------------------------------------------ Delivery port

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post a public message in a channel (closing announcements)."""
        return await self._post(self.client, space, channel, reply)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """chat.update, one at a time per message, always with the newest card.

        slack_sdk retries a 429 after Retry-After with the same body; edits that arrive meanwhile
        wait on the lock and only the newest of them is sent, so the message ends on the last state.
        """
        key = (ref.channel, ref.message_id)
        self._wanted[key] = card
        lock = self._edit_locks.setdefault(key, asyncio.Lock())
        async with lock:
            newest = self._wanted.pop(key, None)
            if newest is None:
                return  # an edit that queued after us already sent the newest card
            try:
                await self.client.chat_update(channel=ref.channel, ts=ref.message_id, **message(None, newest))
            except SlackApiError as error:
                log.warning("chat.update failed channel=%s error=%s", ref.channel, error.response.get("error"))

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """A DM to a member (reminders, notices)."""
        return await self._direct(self.client, member.split(":", 1)[1], reply)
