"""Slack requests -> Invocation / Action, and Replies -> Web API calls; also the Delivery port for Slack."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler, async_default_handlers
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import audiences
from bot.adapters.slack.dm_channels import DmChannels
from bot.adapters.slack.manifest import slash_commands
from bot.adapters.slack.people import People
from bot.adapters.slack.render import home_view, message, modal_view, slack_text, view_errors, view_fields
from bot.app import App
from bot.commands.context import Context
from bot.config import ConfigError, Settings
from bot.core.model import Action, InboundKind, InboundMessage, Member, MessageRef
from bot.core.ports import Capabilities
from bot.features.polls.views import home_cards
from bot.i18n import Translator
from bot.ui import Attachment, Card, Reply

log = logging.getLogger(__name__)

SLACK_API = "https://slack.com/api/"
ACTION_IDS = re.compile(r"^[a-z_]+:[a-z_]+")  # stateless ids "feature:verb:…" (bot.ui.action_id)
FORM_IDS = re.compile(r"^cmd:")
RATE_LIMIT_RETRIES = 5  # a 429 is retried after Retry-After: Slack did not act on the request
EDIT_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)  # a 5xx on chat.update: Slack is struggling, back off (15 s at most)
# inbound: message.* events in the manifest; members: the channels:read, groups:read and usergroups:read scopes
CAPABILITIES = Capabilities(threads=True, inbound=True, edits=True, members=True)
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")  # a user mention in a member's message
ALT_TEXT_MAX = 1000  # files.getUploadURLExternal's alt_txt
MENTIONS_MAX = 20  # names looked up per message: a message full of mentions costs no more than this
POSTED_SUBTYPES = {None, "file_share", "thread_broadcast", "me_message"}  # a member's new message; others are noise
DRAIN_SECONDS = 10.0  # at a stop, how long requests already acked may take to finish


def build_bolt(settings: Settings, base_url: str = SLACK_API) -> AsyncApp:
    """The Bolt app: bot token, signing secret, 429s retried after Retry-After (call inside the loop)."""
    token = settings.secrets.get("SLACK_BOT_TOKEN")
    if not token:
        raise ConfigError("SLACK_BOT_TOKEN is not set (the xoxb- token of the Slack app)")
    # Bolt copies app.client's retry handlers and session into every per-request client. Without
    # a session slack_sdk opens one (and a TCP connection) per call: 4x slower under a vote burst.
    handlers = [*async_default_handlers(), AsyncRateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES)]
    session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
    client = AsyncWebClient(token=token, base_url=base_url, retry_handlers=handlers, session=session)
    # Each listener acks, then hands its work to a task of the adapter's own (SlackAdapter.later):
    # with process_before_response=False Bolt would instead poll for the ack every 10 ms.
    return AsyncApp(
        client=client,
        signing_secret=settings.secrets.get("SLACK_SIGNING_SECRET", ""),
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )


async def close_bolt(bolt: AsyncApp) -> None:
    """Close the Web API client's connections."""
    if bolt.client.session is not None:
        await bolt.client.session.close()


def upload(attachment: Attachment) -> dict[str, Any]:
    """One file of files_upload_v2, with its alt text when it is a picture that has one."""
    found: dict[str, Any] = {
        "content": attachment.content,
        "filename": attachment.filename,
        "title": attachment.filename,
    }
    if attachment.alt_text:
        found["alt_txt"] = attachment.alt_text[:ALT_TEXT_MAX]
    return found


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


@dataclass(frozen=True)
class PostFailure:
    """Why a message is not in the channel: a translation key and Slack's error code."""

    key: str
    error: str


NOT_MEMBER, OUTAGE, REFUSED = "slack.cannot_post", "slack.post.outage", "slack.post.refused"
NOT_MEMBER_ERRORS = frozenset({"not_in_channel", "channel_not_found"})


def post_failure(error: str, status: int) -> PostFailure:
    """Classify a failed chat.postMessage: invite the bot, wait for Slack, or Slack refused this message."""
    if error in NOT_MEMBER_ERRORS:
        return PostFailure(NOT_MEMBER, error)
    if status >= 500 or status == 429:
        return PostFailure(OUTAGE, error or str(status))
    return PostFailure(REFUSED, error or str(status))


def message_of(event: dict[str, Any]) -> tuple[InboundKind, dict[str, Any]] | None:
    """What a message event did, and the message it is about; None for bots, joins and other notices."""
    subtype = event.get("subtype")
    if subtype == "message_changed":
        kind: InboundKind = "edited"
        message = event.get("message") or {}
    elif subtype == "message_deleted":
        kind, message = "deleted", event.get("previous_message") or {}
    elif subtype in POSTED_SUBTYPES:
        kind, message = "posted", event
    else:
        return None  # bot_message, channel_join, …
    if message.get("subtype") == "bot_message" or not message.get("user"):
        return None
    return kind, message


def thread_of(message: dict[str, Any]) -> str | None:
    """The thread a message sits in: its parent's ts (a thread's parent itself sits in the channel)."""
    thread = message.get("thread_ts")
    return str(thread) if thread and thread != message.get("ts") else None


def guarded(work: Callable[..., Awaitable[None]]) -> Callable[..., Awaitable[None]]:
    """Log listener failures instead of raising: over Socket Mode a raising listener gets no ack at all."""

    @functools.wraps(work)  # Bolt reads the wrapped listener's argument names to inject them
    async def run(*args: Any, **kwargs: Any) -> None:
        try:
            await work(*args, **kwargs)
        except Exception:
            log.exception("slack listener %s failed", work.__name__)

    return run


class DropRetries(AsyncMiddleware):
    """Ack and ignore Slack's retries: Bolt never de-duplicates them, and a vote must not toggle twice.

    Slack retries only Events API deliveries (X-Slack-Retry-Num over HTTP, retry_attempt over
    Socket Mode, which Bolt turns into the same header); the first delivery was processed, and
    every event we handle (app_home_opened) is idempotent. A command or click carrying the
    header would be a replay, so it is dropped too; so is a repeated message event, which must
    reach the features listening to its channel once. A middleware class rather than a function:
    Bolt calls it as is, without building the arguments of a function middleware for every request.
    """

    async def async_process(
        self, *, req: AsyncBoltRequest, resp: BoltResponse, next: Callable[[], Awaitable[BoltResponse]]
    ) -> BoltResponse | None:
        """Answer a retry at once; let anything else through."""
        retry = (req.headers.get("x-slack-retry-num") or ["0"])[0]
        if retry not in ("", "0"):
            log.info("dropped a Slack retry (attempt %s)", retry)
            return BoltResponse(status=200, body="")
        await next()
        return resp


class SlackAdapter:
    """Wires Bolt listeners to the dispatcher and implements the Delivery port with the Web API."""

    def __init__(self, app: App, bolt: AsyncApp) -> None:
        self.app = app
        self.bolt = bolt
        self.commands = slash_commands(app.services.settings, app.services.registry)
        self.people = People(app.services.settings)
        self._wanted: dict[tuple[str, str], Card] = {}
        self.edit_retry_delays: tuple[float, ...] = EDIT_RETRY_DELAYS
        self._edit_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.dm_channels = DmChannels(app.services.db)
        self._tasks: set[asyncio.Task[None]] = set()
        bolt.use(DropRetries())
        # Bolt tries listeners in this order, each costing a matcher call: clicks, the most frequent
        # requests by far, come first.
        bolt.action(ACTION_IDS)(guarded(self.on_action))
        bolt.view(FORM_IDS)(guarded(self.on_submit))
        for name in self.commands:
            bolt.command(name)(guarded(self.on_command))
        bolt.event("app_home_opened")(guarded(self.on_home))
        bolt.event("message")(guarded(self.on_message))  # every subtype: edits and deletions too
        app.services.delivery.register("slack", self, CAPABILITIES)

    @property
    def client(self) -> AsyncWebClient:
        """The app-level Web API client (live edits and notices happen outside any request)."""
        return self.bolt.client

    @property
    def session(self) -> aiohttp.ClientSession:
        """The Web API client's HTTP session, shared by the answers sent to response_urls."""
        session = self.bolt.client.session
        if session is None:
            raise RuntimeError("the Bolt app was not built by build_bolt (its client has no shared session)")
        return session

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run a request's work after its ack, in a task of our own, kept until done (drain waits for it)."""
        task = asyncio.create_task(work, name=f"slack {getattr(work, '__qualname__', 'request')}")
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        """Forget a finished task; log its failure (nobody awaits it)."""
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed after its ack", task.get_name(), exc_info=task.exception())

    async def drain(self, timeout: float = DRAIN_SECONDS) -> None:
        """Let the requests already acked finish (a vote being committed, its confirmation on its way)."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)

    # ------------------------------------------------------------------ incoming

    def _context(self, space: str, channel: str, member: Member, locale: str | None) -> Context:
        return self.app.dispatcher.context(space, channel, member, locale)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], client: AsyncWebClient) -> None:
        """A slash command: ack at once; run it after."""
        await ack()
        self.later(self.run_command(command, client))

    async def run_command(self, command: dict[str, Any], client: AsyncWebClient) -> None:
        """Run the typed text like the console, then show the reply."""
        space, channel = f"slack:{command['team_id']}", command["channel_id"]
        member, locale = await self.people.member(
            client, command["team_id"], command["user_id"], command.get("user_name")
        )
        group = self.commands[command["command"]]
        text = unescape(command.get("text") or "").strip()
        line = f"{group} {text}" if text else self.default_line(group)
        reply = await self.app.dispatcher.invoke_text(space, channel, member, line, locale, can_open_modal=True)
        typed = f"{command['command']} {text}".strip()
        trigger, response_url = command.get("trigger_id"), command.get("response_url")
        await self.show(client, reply, space, channel, member, locale, trigger, typed, response_url)

    def default_line(self, group: str) -> str:
        """A bare `/poll` opens the group's form command (poll creation) when it has one."""
        forms = [command for command in self.app.services.registry.in_group(group) if command.form]
        return forms[0].path if forms else group

    async def on_action(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        """A click or a select: ack at once; act on it after."""
        await ack()
        self.later(self.act(body, action, client))

    async def act(self, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient) -> None:
        """The dispatcher acts (a vote is committed), then the member is answered privately."""
        team = team_of(body)
        space = f"slack:{team}"
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
        user = body["user"]
        member, locale = await self.people.member(client, team, user["id"], user.get("username"))
        act = Action(space, channel, member, action["action_id"], action_values(action), {}, locale)
        reply = await self.app.dispatcher.act(act)
        trigger, response_url = body.get("trigger_id"), body.get("response_url")
        await self.show(client, reply, space, channel, member, locale, trigger, response_url=response_url)

    async def on_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
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
        self.later(self.show(client, reply, space, channel, member, locale, None))

    async def on_home(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
        """The App Home tab opened (Bolt acks events once this returns): publish it after."""
        self.later(self.publish_home(event, body, client))

    async def publish_home(self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient) -> None:
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

    async def on_message(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, context: AsyncBoltContext
    ) -> None:
        """A message event (Bolt acks events once this returns): hand it to the features after."""
        self.later(self.receive(event, body, client, context.bot_user_id))

    async def receive(
        self, event: dict[str, Any], body: dict[str, Any], client: AsyncWebClient, bot_user_id: str | None
    ) -> None:
        """A member posted, edited or deleted a message: the features listening there get it (never our own)."""
        found = message_of(event)
        if found is None:
            return
        kind, message = found
        if message["user"] == bot_user_id:
            return  # Bolt already drops most of our own events; an edit of our message names us only inside
        team = team_of(body)
        member, _ = await self.people.member(client, team, message["user"])
        files = tuple(str(f["url_private"]) for f in message.get("files") or () if f.get("url_private"))
        text = "" if kind == "deleted" else unescape(message.get("text") or "")
        at = datetime.fromtimestamp(float(event.get("event_ts") or message.get("ts") or 0), UTC)
        message_id = str(message.get("ts") or event.get("deleted_ts") or "")
        mentions: dict[
            str, str
        ] = {}  # names of the people mentioned, from the cached profiles (a copy elsewhere shows them)
        for user_id in list(dict.fromkeys(MENTION.findall(text)))[:MENTIONS_MAX]:
            mentions[f"slack:{user_id}"] = (await self.people.profile(client, team, user_id, user_id)).name
        inbound = InboundMessage(f"slack:{team}", event["channel"], thread_of(message), member, text, files, message_id,
                                 kind, at, mentions)  # fmt: skip
        await self.app.dispatcher.receive(inbound)

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
        typed: str | None = None,
        response_url: str | None = None,
    ) -> None:
        """Open a modal, post a public card (kept live), or answer privately.

        `typed` is the slash command as typed; `response_url` the request's, for private answers.
        """
        _ = self._context(space, channel, member, locale)._
        if reply.modal is not None and trigger_id:
            view = modal_view(reply.modal, _("slack.modal.cancel"), {"channel": channel})
            if not await self._open_form(client, trigger_id, view):
                text = "\n".join((_("slack.form_failed"), reply.modal.usage))
                await self._private(client, space, channel, member, Reply(text=text), response_url)
        elif reply.public and channel:
            ref, failure = await self._try_post(client, space, channel, reply)
            if ref is not None:
                await self.app.dispatcher.posted(reply, ref)
            else:
                text = await self._not_posted(reply, failure, typed, _)
                await self._private(client, space, channel, member, Reply(text=text), response_url)
        else:
            await self._private(client, space, channel, member, reply, response_url)

    @staticmethod
    async def _open_form(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> bool:
        """views.open; False when Slack refuses it (a trigger older than 3 s, a view it rejects, Slack failing)."""
        try:
            await client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as error:
            log.warning("views.open failed error=%s", error.response.get("error"))
            return False
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("views.open failed error=%s", type(error).__name__)
            return False
        return True

    async def _not_posted(self, reply: Reply, failure: PostFailure, typed: str | None, _: Translator) -> str:
        """Why a public reply is not in the channel; a poll nobody can see is withdrawn, the command given back."""
        lines = [_(failure.key, error=failure.error)]
        withdrawn = await self._withdraw(reply.subject)
        if withdrawn is not None:
            lines.append(_("slack.post.poll_withdrawn", ref=withdrawn))
        if typed:
            lines.append(_("slack.post.again", command=typed))
        return "\n".join(lines)

    async def _withdraw(self, subject: str | None) -> int | None:
        """Close the poll of a message that could not be posted (its buttons are the only way to vote); its ref."""
        kind, _, number = (subject or "").partition(":")
        if kind != "poll" or not number.isdigit():
            return None
        closed = await self.app.services.polls.store.close_poll(int(number), self.app.services.clock.now())
        return None if closed is None else closed.ref

    async def _post(self, client: AsyncWebClient, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post in a channel; None when Slack refuses or fails."""
        return (await self._try_post(client, space, channel, reply))[0]

    async def _try_post(
        self, client: AsyncWebClient, space: str, channel: str, reply: Reply
    ) -> tuple[MessageRef | None, PostFailure]:
        """Post in a channel: the message, or None and why (a channel the bot is not in, or Slack failing)."""
        try:
            ts = await self._send(client, channel, reply)
        except SlackApiError as error:
            failure = post_failure(error.response.get("error") or "", error.response.status_code)
        except (aiohttp.ClientError, TimeoutError) as error:
            failure = PostFailure(OUTAGE, type(error).__name__)
        else:
            return (MessageRef(space, channel, ts, reply.thread) if ts else None), PostFailure(REFUSED, "no_message")
        log.warning("chat.postMessage failed channel=%s error=%s", channel, failure.error)
        return None, failure

    async def _send(self, client: AsyncWebClient, channel: str, reply: Reply) -> str | None:
        """A message, then the files (files_upload_v2); the message ts, if a message was posted."""
        ts = None
        if reply.card is not None or (reply.text and not reply.files):
            # verbatim: the live relay made the text inert for Slack already (its bold name included)
            payload = {"text": reply.text} if reply.verbatim else message(reply.text, reply.card)
            posted = await client.chat_postMessage(channel=channel, thread_ts=reply.thread, **payload)
            ts = posted["ts"]
        if reply.files:
            comment: dict[str, Any] = (
                {"initial_comment": slack_text(reply.text)} if reply.text and reply.card is None else {}
            )
            uploads = [upload(f) for f in reply.files]
            await client.files_upload_v2(channel=channel, thread_ts=reply.thread, file_uploads=uploads, **comment)
        return ts

    async def _private(
        self,
        client: AsyncWebClient,
        space: str,
        channel: str,
        member: Member,
        reply: Reply,
        response_url: str | None = None,
    ) -> None:
        """Through the response_url, else an ephemeral message; files, or failures, go by DM instead."""
        if not reply.files and response_url and await self._respond(response_url, reply):
            return
        if not reply.files and channel:
            try:
                await client.chat_postEphemeral(channel=channel, user=member.user_id, **message(reply.text, reply.card))
                return
            except SlackApiError as error:
                log.info("chat.postEphemeral failed channel=%s error=%s", channel, error.response.get("error"))
        await self._direct(client, space, member.user_id, reply)

    async def _respond(self, response_url: str, reply: Reply) -> bool:
        """An ephemeral answer through the response_url: it works where the bot is no member (private channels, DMs).

        Posted on the shared session: Bolt's respond() opens a new HTTP session for every answer.
        A click's answer must not replace the card clicked (replace_original), only join it.
        """
        payload = {"response_type": "ephemeral", "replace_original": False, **message(reply.text, reply.card)}
        try:
            async with self.session.post(response_url, json=payload) as answer:
                status, body = answer.status, await answer.text()
        except (aiohttp.ClientError, TimeoutError) as error:
            log.info("response_url failed error=%s", type(error).__name__)
            return False
        if status != 200:
            log.info("response_url failed status=%s body=%s", status, body[:100])
        return status == 200

    async def _direct(self, client: AsyncWebClient, space: str, user_id: str, reply: Reply) -> bool:
        """Post in the DM between the bot and a user."""
        try:
            channel = await self.dm_channels.channel(client, space.split(":", 1)[1], user_id)
            await self._send(client, channel, reply)
        except SlackApiError as error:
            log.warning("direct message failed user=%s error=%s", user_id, error.response.get("error"))
            return False
        return True

    # ------------------------------------------------------------------ Delivery port

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post a public message in a channel (closing announcements), in `reply.thread` when set."""
        return await self._post(self.client, space, channel, reply)

    async def open_thread(self, space: str, channel: str, parent: MessageRef, name: str) -> MessageRef | None:
        """On Slack a thread is its parent message: replies name the parent's ts (`name` is not shown)."""
        return MessageRef(space, channel, parent.message_id, parent.thread or parent.message_id)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """chat.update, one at a time per message, always with the newest card.

        slack_sdk retries a 429 after Retry-After with the same body; a 5xx is retried here after a
        bounded backoff. Edits that arrive meanwhile wait on the lock and only the newest of them is
        sent, so the message ends on the last state.
        """
        key = (ref.channel, ref.message_id)
        self._wanted[key] = card
        lock = self._edit_locks.setdefault(key, asyncio.Lock())
        async with lock:
            for delay in (*self.edit_retry_delays, None):
                newest = self._wanted.pop(key, None)
                if newest is None:
                    return  # an edit that queued after us already sent the newest card
                if await self._update(ref, newest, final=delay is None):
                    return
                # Slack failed on its side: try again later, with whatever card is newest by then.
                self._wanted.setdefault(key, newest)
                if delay is not None:
                    await asyncio.sleep(delay)

    async def _update(self, ref: MessageRef, card: Card, final: bool) -> bool:
        """One chat.update; True when done (sent, or failed for good), False to try again (5xx, 429, network)."""
        try:
            await self.client.chat_update(channel=ref.channel, ts=ref.message_id, **message(None, card))
            return True
        except SlackApiError as error:
            transient = error.response.status_code >= 500 or error.response.status_code == 429
            reason = error.response.get("error")
        except (aiohttp.ClientError, TimeoutError) as error:
            transient, reason = True, type(error).__name__
        giving_up = final or not transient
        log.warning("chat.update failed channel=%s error=%s%s", ref.channel, reason, " (gave up)" if giving_up else "")
        return giving_up

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """chat.update with a new text (the live relay mirroring a member's edit)."""
        payload = {"text": reply.text} if reply.verbatim else message(reply.text, None)
        try:
            await self.client.chat_update(channel=ref.channel, ts=ref.message_id, **payload)
        except SlackApiError as error:
            log.warning("chat.update failed channel=%s error=%s", ref.channel, error.response.get("error"))

    async def delete(self, ref: MessageRef) -> None:
        """chat.delete (the live relay mirroring a member's deletion)."""
        try:
            await self.client.chat_delete(channel=ref.channel, ts=ref.message_id)
        except SlackApiError as error:
            log.warning("chat.delete failed channel=%s error=%s", ref.channel, error.response.get("error"))

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """A DM to a member (reminders, notices)."""
        return await self._direct(self.client, space, member.split(":", 1)[1], reply)

    # ------------------------------------------------------------------ Members port

    async def channel_members(self, space: str, channel: str) -> list[Member] | None:
        """The people in a channel (bots and deactivated accounts left out)."""
        return await audiences.channel_members(self.client, channel)

    async def group_members(self, space: str, group: str) -> list[Member] | None:
        """The people in a user group (bots and deactivated accounts left out)."""
        return await audiences.group_members(self.client, group)
