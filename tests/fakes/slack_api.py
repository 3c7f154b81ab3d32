"""Loopback fake of the Slack Web API and Socket Mode websocket, for tests and benchmarks."""

from __future__ import annotations

import asyncio
import inspect
import itertools
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias
from urllib.parse import parse_qsl, urlencode

import aiohttp
from aiohttp import WSMsgType, web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

__all__ = [
    "JSON_FIELDS",
    "FakeSlack",
    "SlackCall",
    "SocketPayloadType",
    "block_actions_body",
    "block_actions_payload",
    "event_callback_body",
    "event_callback_payload",
    "fake_slack",
    "post_signed",
    "serve_bolt_app",
    "sign",
    "slash_command_body",
    "slash_command_payload",
    "socket_mode_handler",
    "view_submission_body",
    "view_submission_payload",
]

# Form/query fields that Slack clients send as JSON-encoded strings; recorded decoded.
JSON_FIELDS: frozenset[str] = frozenset(
    {
        "attachments",
        "blocks",
        "files",
        "metadata",
        "option_groups",
        "options",
        "outputs",
        "unfurls",
        "user_auth_blocks",
        "view",
    }
)

# Port 9 (discard) on loopback: refuses at once, so a forgotten response_url never leaves the box.
UNROUTED_RESPONSE_URL = "http://127.0.0.1:9/commands/unrouted"
DEFAULT_TRIGGER_ID = "13345224609.738474920.8088930838d88f008e0"

SocketPayloadType: TypeAlias = Literal["slash_commands", "interactive", "events_api"]
Answer: TypeAlias = dict[str, Any]


@dataclass(frozen=True)
class SlackCall:
    """One recorded request to the fake (Web API method, upload or response_url)."""

    method: str
    params: dict[str, Any] = field(hash=False)
    token: str | None
    at: float = field(default_factory=time.perf_counter, compare=False, repr=False)  # when the fake received it


Handler: TypeAlias = Callable[[SlackCall], Answer | Awaitable[Answer | None] | None]


@dataclass
class _Failure:
    """A scripted error answer for the next calls of a method."""

    error: str
    status: int
    headers: dict[str, str]
    remaining: int


def _truthy(value: Any) -> bool:
    """Interpret a Slack boolean parameter sent as JSON, form or query value."""
    return value is True or (isinstance(value, (str, int)) and str(value).lower() in {"1", "true"})


class FakeSlack:
    """In-process Slack Web API + Socket Mode server on 127.0.0.1 with call recording and scripting."""

    def __init__(
        self,
        *,
        team_id: str = "T0PHOSPH",
        team: str = "Phosphore Test",
        team_domain: str = "phosphore-test",
        bot_user_id: str = "U0BOT",
        bot_id: str = "B0BOT",
        app_id: str = "A0PHOSPH",
    ) -> None:
        """Configure the workspace identity the fake reports."""
        self.team_id = team_id
        self.team = team
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, list[str]] = {}
        self.usergroup_handles: dict[str, str] = {}  # user group id -> its handle (usergroups.list)
        self.channels: dict[str, dict[str, Any]] = {}  # channel id -> {"name": …, "members": [user ids]}
        self.page_size: int | None = None  # Slack may return fewer items than `limit` asked for: set to cap pages
        self.messages: dict[str, dict[str, dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        self.socket_messages: list[dict[str, Any]] = []
        self.socket_acks: dict[str, dict[str, Any]] = {}
        self._calls: list[SlackCall] = []
        self._cond = asyncio.Condition()
        self._failures: dict[str, list[_Failure]] = {}
        self._handlers: dict[str, Handler] = {}
        self._ts = itertools.count(100)
        self._ids = itertools.count(1)
        self._pending_files: dict[str, dict[str, Any]] = {}
        self._home_views: dict[str, str] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_hellos = 0
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._defaults: dict[str, Callable[[SlackCall], Answer]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "usergroups.users.list": self._usergroups_users_list,
            "usergroups.list": self._usergroups_list,
            "conversations.members": self._conversations_members,
            "conversations.list": self._conversations_list,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> FakeSlack:
        """Start the aiohttp server on 127.0.0.1 with an ephemeral port."""
        if self._runner is not None:
            raise RuntimeError("FakeSlack already started")
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/socket", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        app.router.add_post("/response/{rid}", self._response_url)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        return self

    async def stop(self) -> None:
        """Close open websockets and stop the server (close Socket Mode clients first)."""
        for ws in list(self._sockets):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"fake stopping")
        if self._runner is not None:
            await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> FakeSlack:
        """Start on entering the context."""
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        """Stop on leaving the context."""
        await self.stop()

    @property
    def port(self) -> int:
        """The listening port."""
        if self._port is None:
            raise RuntimeError("FakeSlack not started")
        return self._port

    @property
    def url(self) -> str:
        """Root URL, e.g. http://127.0.0.1:PORT."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        """Web API base URL for AsyncWebClient (the trailing slash is required)."""
        return f"{self.url}/api/"

    def client(self, token: str = "xoxb-test") -> AsyncWebClient:
        """An AsyncWebClient pointed at this fake."""
        return AsyncWebClient(token=token, base_url=self.base_url)

    def response_url(self) -> str:
        """A fresh loopback response_url; POSTs to it are recorded as method "response_url"."""
        return f"{self.url}/response/{next(self._ids)}"

    # ---------------------------------------------------------------- recording

    def calls(self, method: str | None = None) -> list[SlackCall]:
        """Recorded calls, optionally only those of one method."""
        return [c for c in self._calls if method is None or c.method == method]

    def clear(self) -> None:
        """Forget recorded calls and socket messages (state such as messages and users is kept)."""
        self._calls.clear()
        self.socket_messages.clear()
        self.socket_acks.clear()

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[SlackCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[SlackCall]:
        """Wait until at least `count` calls of `method` (matching `predicate`) are recorded; return them all."""

        def matching() -> list[SlackCall]:
            return [c for c in self.calls(method) if predicate is None or predicate(c)]

        if not await self._wait(lambda: len(matching()) >= count, timeout):
            found = matching()
            recorded = ", ".join(c.method for c in self._calls) or "nothing"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} x {method}"
                f"{' matching predicate' if predicate else ''} (got {len(found)}); recorded: {recorded}"
            )
        return matching()

    async def _wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait on the condition until `ready()` holds; False on timeout."""
        async with self._cond:
            try:
                await asyncio.wait_for(self._cond.wait_for(ready), timeout)
            except TimeoutError:
                return False
        return True

    async def _notify(self) -> None:
        """Wake every waiter."""
        async with self._cond:
            self._cond.notify_all()

    async def _record(self, call: SlackCall) -> None:
        """Store a call and wake waiters."""
        self._calls.append(call)
        await self._notify()

    # ---------------------------------------------------------------- scripting

    def fail(
        self,
        method: str,
        error: str = "ratelimited",
        status: int = 429,
        headers: Mapping[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` answer `{"ok": false, "error": error}` with `status`."""
        if headers is None:
            headers = {"Retry-After": "1"} if status == 429 else {}
        self._failures.setdefault(method, []).append(_Failure(error, status, dict(headers), times))

    def on(self, method: str, handler: Handler | None) -> None:
        """Override the answer of `method` (handler may be async; returning None falls back to the default)."""
        if handler is None:
            self._handlers.pop(method, None)
        else:
            self._handlers[method] = handler

    def _take_failure(self, method: str) -> _Failure | None:
        """Consume one scripted failure for `method`, if any."""
        queue = self._failures.get(method)
        if not queue:
            return None
        failure = queue[0]
        failure.remaining -= 1
        if failure.remaining <= 0:
            queue.pop(0)
        return failure

    # ---------------------------------------------------------------- HTTP endpoints

    async def _api(self, request: web.Request) -> web.StreamResponse:
        """Handle /api/<method>: record, then answer a scripted failure, an override or the default."""
        method = request.match_info["method"]
        params = await self._read_params(request)
        auth = request.headers.get("Authorization", "")
        token = auth[7:] if auth.startswith("Bearer ") else params.get("token")
        call = SlackCall(method=method, params=params, token=token)
        await self._record(call)
        failure = self._take_failure(method)
        if failure is not None:
            return web.json_response(
                {"ok": False, "error": failure.error}, status=failure.status, headers=failure.headers
            )
        answer: Answer | None = None
        handler = self._handlers.get(method)
        if handler is not None:
            result = handler(call)
            answer = await result if inspect.isawaitable(result) else result
        if answer is None:
            default = self._defaults.get(method)
            answer = default(call) if default is not None else {"ok": True}
        return web.json_response(answer)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """Merge query string, form and JSON body; decode JSON-encoded fields."""
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.body_exists:
            ctype = request.content_type
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    params[key] = value.file.read() if isinstance(value, web.FileField) else value
            else:
                raw = await request.text()
                if raw.lstrip().startswith("{"):
                    body = json.loads(raw)
                    if isinstance(body, dict):
                        params.update(body)
                elif raw:
                    params.update(dict(parse_qsl(raw, keep_blank_values=True)))
        for key in JSON_FIELDS & params.keys():
            value = params[key]
            if isinstance(value, str) and value[:1] in ("[", "{"):
                with suppress(ValueError):
                    params[key] = json.loads(value)
        return params

    async def _upload(self, request: web.Request) -> web.Response:
        """Accept the raw file POST to an upload_url from files.getUploadURLExternal."""
        file_id = request.match_info["file_id"]
        data = await request.read()
        self.uploads[file_id] = data
        await self._record(SlackCall("upload_url", {"file_id": file_id, "size": len(data)}, None))
        # slack_sdk reads text/plain answers as text, like files.slack.com's "OK - <size>".
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _response_url(self, request: web.Request) -> web.Response:
        """Accept a response_url POST (respond()); recorded with the URL under "_url".

        `fail("response_url", …)` scripts an error status; `on("response_url", handler)` runs the
        handler before the answer (what it returns is ignored: Slack answers "ok").
        """
        raw = await request.text()
        try:
            body = json.loads(raw) if raw.lstrip().startswith("{") else dict(parse_qsl(raw))
        except ValueError:
            body = {"_raw": raw}
        call = SlackCall("response_url", {**body, "_url": str(request.url)}, None)
        await self._record(call)
        handler = self._handlers.get("response_url")
        if handler is not None:
            result = handler(call)
            if inspect.isawaitable(result):
                await result
        failure = self._take_failure("response_url")
        if failure is not None:
            return web.Response(status=failure.status, text=failure.error, headers=failure.headers)
        return web.Response(text="ok", content_type="text/html")

    # ---------------------------------------------------------------- default answers

    def _next_ts(self) -> str:
        """A unique, increasing message ts like Slack's "1700000000.000100"."""
        n = next(self._ts)
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _new_id(self, prefix: str) -> str:
        """A unique Slack-looking id such as V00000001."""
        return f"{prefix}{next(self._ids):08d}"

    def dm_channel(self, user_id: str) -> str:
        """The DM channel id the fake uses for a user (stable)."""
        return "D" + (user_id[1:] if user_id[:1] in ("U", "W") else user_id)

    def _bot_message(self, channel: str, ts: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """The message object Slack echoes for a bot post or update."""
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "app_id": self.app_id,
            "team": self.team_id,
            "text": params.get("text", ""),
            "ts": ts,
        }
        for key in ("blocks", "attachments", "thread_ts", "metadata"):
            if params.get(key) is not None:
                message[key] = params[key]
        return message

    def _auth_test(self, call: SlackCall) -> Answer:
        """auth.test: the bot identity Bolt's authorization middleware needs."""
        return {
            "ok": True,
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team,
            "user": "phosphore",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, call: SlackCall) -> Answer:
        """apps.connections.open: this fake's own websocket URL."""
        ticket = uuid.uuid4()
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/socket?ticket={ticket}&app_id={self.app_id}"}

    def _chat_post_message(self, call: SlackCall) -> Answer:
        """chat.postMessage: store and echo the message with a fresh ts."""
        p = call.params
        channel = str(p.get("channel") or "")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return {"ok": False, "error": "no_text"}
        if channel[:1] in ("U", "W"):
            channel = self.dm_channel(channel)  # Slack posts to the user's DM
        ts = self._next_ts()
        message = self._bot_message(channel, ts, p)
        self.messages.setdefault(channel, {})[ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _chat_update(self, call: SlackCall) -> Answer:
        """chat.update: replace the stored message (created if the fake never saw it)."""
        p = call.params
        channel, ts = str(p.get("channel", "")), str(p.get("ts", ""))
        message = self._bot_message(channel, ts, p)
        old = self.messages.setdefault(channel, {}).get(ts, {})
        if "thread_ts" in old:
            message["thread_ts"] = old["thread_ts"]
        message["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self.messages[channel][ts] = message
        return {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}

    def _chat_post_ephemeral(self, call: SlackCall) -> Answer:
        """chat.postEphemeral: only a message_ts, as Slack answers."""
        return {"ok": True, "message_ts": self._next_ts()}

    def _chat_delete(self, call: SlackCall) -> Answer:
        """chat.delete: drop the stored message."""
        channel, ts = str(call.params.get("channel", "")), str(call.params.get("ts", ""))
        self.messages.get(channel, {}).pop(ts, None)
        return {"ok": True, "channel": channel, "ts": ts}

    def _conversations_open(self, call: SlackCall) -> Answer:
        """conversations.open: a stable D… channel per user (G… for several users)."""
        users = call.params.get("users") or ""
        ids = users if isinstance(users, list) else [u for u in str(users).split(",") if u]
        if call.params.get("channel"):
            channel_id = str(call.params["channel"])
        elif len(ids) == 1:
            channel_id = self.dm_channel(ids[0])
        else:
            channel_id = "G" + "".join(sorted(i[1:] for i in ids))[:10]
        return {"ok": True, "no_op": True, "already_open": True, "channel": {"id": channel_id}}

    def _thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Stored parent + replies of a thread, oldest first."""
        stored = self.messages.get(channel, {})
        found = [m for m in stored.values() if m["ts"] == ts or m.get("thread_ts") == ts]
        return sorted(found, key=lambda m: float(m["ts"]))

    def _conversations_replies(self, call: SlackCall) -> Answer:
        """conversations.replies: stored thread messages (empty if unknown)."""
        msgs = self._thread(str(call.params.get("channel", "")), str(call.params.get("ts", "")))
        return {"ok": True, "messages": msgs, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _conversations_history(self, call: SlackCall) -> Answer:
        """conversations.history: stored top-level channel messages, newest first."""
        stored = self.messages.get(str(call.params.get("channel", "")), {}).values()
        top = [m for m in stored if m.get("thread_ts") in (None, m["ts"])]
        msgs = sorted(top, key=lambda m: float(m["ts"]), reverse=True)
        return {"ok": True, "messages": msgs, "has_more": False, "response_metadata": {"next_cursor": ""}}

    def _users_info(self, call: SlackCall) -> Answer:
        """users.info: `fake.users[id]` over a default profile; `locale` only with include_locale=true."""
        user_id = str(call.params.get("user", ""))
        user: dict[str, Any] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "real_name": user_id,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "tz": "Europe/Paris",
            "tz_label": "Central European Time",
            "tz_offset": 3600,
            "locale": "en-US",
            "profile": {"real_name": user_id, "display_name": user_id.lower()},
        }
        user.update(self.users.get(user_id, {}))
        # Real Slack omits `locale` unless the caller opts in with include_locale=true.
        if not _truthy(call.params.get("include_locale")):
            user.pop("locale", None)
        return {"ok": True, "user": user}

    def _usergroups_users_list(self, call: SlackCall) -> Answer:
        """usergroups.users.list: `fake.usergroups[id]` (empty if unset)."""
        return {"ok": True, "users": list(self.usergroups.get(str(call.params.get("usergroup", "")), []))}

    def _usergroups_list(self, call: SlackCall) -> Answer:
        """usergroups.list: the user groups of `fake.usergroups`, with their handles."""
        groups = [{"id": gid, "handle": self.usergroup_handles.get(gid, gid.lower()), "name": self.usergroup_handles.get(gid, gid)}
                  for gid in self.usergroups]  # fmt: skip
        return {"ok": True, "usergroups": groups}

    def _page(self, items: list[Any], call: SlackCall, default: int = 100) -> tuple[list[Any], str]:
        """One page of a cursor-paged list: Slack's `limit` and `cursor` (an offset here); the next cursor or ""."""
        start = int(str(call.params.get("cursor") or "0"))
        limit = int(str(call.params.get("limit") or default))
        end = start + min(limit, self.page_size or limit)
        return items[start:end], (str(end) if end < len(items) else "")

    def _conversations_members(self, call: SlackCall) -> Answer:
        """conversations.members: `fake.channels[id]["members"]`, paged by cursor; channel_not_found otherwise."""
        channel = self.channels.get(str(call.params.get("channel", "")))
        if channel is None:
            return {"ok": False, "error": "channel_not_found"}
        members, cursor = self._page(list(channel.get("members", [])), call)
        return {"ok": True, "members": members, "response_metadata": {"next_cursor": cursor}}

    def _conversations_list(self, call: SlackCall) -> Answer:
        """conversations.list: `fake.channels` (id and name), paged by cursor."""
        every = [{"id": cid, "name": c.get("name", cid.lower())} for cid, c in self.channels.items()]
        channels, cursor = self._page(every, call)
        return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": cursor}}

    def _make_view(self, view: Any, view_id: str, default_type: str = "modal") -> dict[str, Any]:
        """A view object as Slack returns it, keeping what the caller sent."""
        sent: dict[str, Any] = view if isinstance(view, dict) else {}
        full: dict[str, Any] = {
            "id": view_id,
            "team_id": self.team_id,
            "type": default_type,
            "blocks": [],
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "clear_on_close": False,
            "notify_on_close": False,
            "root_view_id": view_id,
            "previous_view_id": None,
            "app_id": self.app_id,
            "bot_id": self.bot_id,
        }
        full.update(sent)
        full["id"] = view_id
        self.views[view_id] = full
        return full

    def _views_open(self, call: SlackCall) -> Answer:
        """views.open / views.push: a new view id."""
        return {"ok": True, "view": self._make_view(call.params.get("view"), self._new_id("V"))}

    def _views_update(self, call: SlackCall) -> Answer:
        """views.update: keep the given view_id (or the one with that external_id)."""
        view_id = call.params.get("view_id")
        external_id = call.params.get("external_id")
        if not view_id and external_id:
            view_id = next((k for k, v in self.views.items() if v.get("external_id") == external_id), None)
        return {"ok": True, "view": self._make_view(call.params.get("view"), str(view_id or self._new_id("V")))}

    def _views_publish(self, call: SlackCall) -> Answer:
        """views.publish: the user's Home tab view."""
        user_id = str(call.params.get("user_id", ""))
        if user_id not in self._home_views:
            self._home_views[user_id] = self._new_id("V")
        home_id = self._home_views[user_id]
        return {"ok": True, "view": self._make_view(call.params.get("view"), home_id, default_type="home")}

    def _files_get_upload_url(self, call: SlackCall) -> Answer:
        """files.getUploadURLExternal: a loopback upload URL for a new file id."""
        file_id = self._new_id("F")
        self._pending_files[file_id] = {"name": call.params.get("filename", ""), "length": call.params.get("length")}
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, call: SlackCall) -> Answer:
        """files.completeUploadExternal: file objects for the uploaded ids."""
        files = call.params.get("files") or []
        out = []
        for f in files if isinstance(files, list) else []:
            file_id = str(f.get("id", ""))
            meta = self._pending_files.get(file_id, {})
            out.append(
                {
                    "id": file_id,
                    "name": meta.get("name", ""),
                    "title": f.get("title") or meta.get("name", ""),
                    "size": len(self.uploads.get(file_id, b"")),
                    "permalink": f"https://{self.team_domain}.slack.com/files/{self.bot_user_id}/{file_id}",
                }
            )
        return {"ok": True, "files": out}

    # ---------------------------------------------------------------- Socket Mode

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """The Socket Mode websocket: say hello, then collect acks."""
        # autoping=True answers the SDK's "sdk-ping-pong:<t>" pings; without pongs it reconnects as stale.
        ws = web.WebSocketResponse(autoping=True, timeout=2.0)
        await ws.prepare(request)
        self._sockets.append(ws)
        try:
            await ws.send_str(
                json.dumps(
                    {
                        "type": "hello",
                        "num_connections": len(self._sockets),
                        "debug_info": {
                            "host": "applink-fake",
                            "build_number": 1,
                            "approximate_connection_time": 18060,
                        },
                        "connection_info": {"app_id": self.app_id},
                    }
                )
            )
            self._socket_hellos += 1
            await self._notify()
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    data = json.loads(msg.data)
                except ValueError:
                    data = {"_raw": msg.data}
                self.socket_messages.append(data)
                if isinstance(data, dict) and "envelope_id" in data:
                    self.socket_acks[data["envelope_id"]] = data
                await self._notify()
        finally:
            self._sockets.remove(ws)
            await self._notify()
        return ws

    @property
    def socket_connected(self) -> bool:
        """True while a Socket Mode client is connected."""
        return bool(self._sockets)

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode connections were greeted since start."""
        return self._socket_hellos

    async def wait_socket_connected(self, timeout: float = 5.0, count: int = 1) -> None:
        """Wait until `count` connections have been greeted and one is open."""
        if not await self._wait(lambda: self._socket_hellos >= count and bool(self._sockets), timeout):
            raise AssertionError(
                f"no Socket Mode connection after {timeout}s (greeted {self._socket_hellos}, wanted {count}); "
                f"recorded: {', '.join(c.method for c in self._calls) or 'nothing'}"
            )

    async def socket_emit(
        self,
        payload_type: SocketPayloadType,
        payload: Mapping[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> str:
        """Send one envelope to the newest connection without waiting; return its envelope_id."""
        if not self._sockets:
            raise AssertionError("no Socket Mode client is connected")
        envelope_id = str(uuid.uuid4())
        if accepts_response_payload is None:
            accepts_response_payload = payload_type == "slash_commands" or payload.get("type") in (
                "view_submission",
                "block_suggestion",
            )
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "payload": dict(payload),
            "type": payload_type,
            "accepts_response_payload": accepts_response_payload,
        }
        if payload_type == "events_api" or retry_attempt is not None:
            envelope["retry_attempt"] = retry_attempt or 0
            envelope["retry_reason"] = retry_reason or ""
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    async def wait_socket_ack(self, envelope_id: str, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the client's ack of one envelope."""
        if not await self._wait(lambda: envelope_id in self.socket_acks, timeout):
            raise AssertionError(
                f"no ack for envelope {envelope_id} after {timeout}s "
                "(Bolt sends none when no listener matched or the listener failed before ack)"
            )
        return self.socket_acks[envelope_id]

    async def socket_send(
        self,
        payload_type: SocketPayloadType,
        payload: Mapping[str, Any],
        *,
        timeout: float = 5.0,
        accepts_response_payload: bool | None = None,
        retry_attempt: int | None = None,
        retry_reason: str | None = None,
    ) -> dict[str, Any]:
        """Send one envelope and return the client's ack message ({"envelope_id", ["payload"]})."""
        envelope_id = await self.socket_emit(
            payload_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            retry_attempt=retry_attempt,
            retry_reason=retry_reason,
        )
        return await self.wait_socket_ack(envelope_id, timeout)

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Ask the client to reconnect, as Slack does periodically ({"type": "disconnect"})."""
        if not self._sockets:
            raise AssertionError("no Socket Mode client is connected")
        payload = {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake"}}
        await self._sockets[-1].send_str(json.dumps(payload))


# -------------------------------------------------------------------- request bodies


def _team(team_id: str, team_domain: str) -> dict[str, str]:
    """The `team` object of interaction payloads."""
    return {"id": team_id, "domain": team_domain}


def _user(user_id: str, team_id: str, user_name: str, locale: str | None) -> dict[str, Any]:
    """The `user` object of interaction payloads."""
    user: dict[str, Any] = {"id": user_id, "username": user_name, "name": user_name, "team_id": team_id}
    if locale is not None:
        user["locale"] = locale
    return user


def slash_command_payload(
    command: str,
    text: str = "",
    *,
    user_id: str,
    team_id: str,
    channel_id: str,
    trigger_id: str = DEFAULT_TRIGGER_ID,
    user_name: str = "alice",
    response_url: str = UNROUTED_RESPONSE_URL,
    channel_name: str = "general",
    team_domain: str = "phosphore-test",
    api_app_id: str = "A0PHOSPH",
) -> dict[str, str]:
    """Slash command fields as Slack sends them (all strings); the Socket Mode payload as is."""
    return {
        "token": "fake-verification-token",
        "team_id": team_id,
        "team_domain": team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def slash_command_body(*args: Any, **kwargs: Any) -> str:
    """Slash command as the form-encoded HTTP body Slack POSTs (arguments of slash_command_payload)."""
    return urlencode(slash_command_payload(*args, **kwargs))


def block_actions_payload(
    action_id: str,
    value: str | None,
    *,
    user_id: str,
    team_id: str,
    channel_id: str,
    message_ts: str,
    block_id: str = "actions",
    action_type: str = "button",
    selected_option: Mapping[str, Any] | None = None,
    locale: str | None = None,
    message: Mapping[str, Any] | None = None,
    user_name: str = "alice",
    trigger_id: str = DEFAULT_TRIGGER_ID,
    response_url: str = UNROUTED_RESPONSE_URL,
    team_domain: str = "phosphore-test",
    api_app_id: str = "A0PHOSPH",
) -> dict[str, Any]:
    """A block_actions payload for a click on a message element (Slack omits user locale unless given)."""
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": value or "", "emoji": True}
        if value is not None:
            action["value"] = value
    elif selected_option is not None:
        action["selected_option"] = dict(selected_option)
    elif value is not None:
        action["selected_option"] = {"text": {"type": "plain_text", "text": value, "emoji": True}, "value": value}
    msg: dict[str, Any] = {"type": "message", "text": "", "ts": message_ts, "bot_id": "B0BOT", "blocks": []}
    msg.update(message or {})
    return {
        "type": "block_actions",
        "user": _user(user_id, team_id, user_name, locale),
        "api_app_id": api_app_id,
        "token": "fake-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": _team(team_id, team_domain),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "general"},
        "message": msg,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def block_actions_body(*args: Any, **kwargs: Any) -> str:
    """block_actions as the `payload=<json>` form body Slack POSTs (arguments of block_actions_payload)."""
    return urlencode({"payload": json.dumps(block_actions_payload(*args, **kwargs))})


def view_submission_payload(
    callback_id: str,
    state_values: Mapping[str, Mapping[str, Any]],
    *,
    user_id: str,
    team_id: str,
    private_metadata: str = "",
    view_id: str = "V0SUBMIT",
    blocks: list[dict[str, Any]] | None = None,
    user_name: str = "alice",
    trigger_id: str = DEFAULT_TRIGGER_ID,
    team_domain: str = "phosphore-test",
    api_app_id: str = "A0PHOSPH",
) -> dict[str, Any]:
    """A view_submission payload; state_values is {block_id: {action_id: {"type": …, "value": …}}}."""
    return {
        "type": "view_submission",
        "team": _team(team_id, team_domain),
        "user": _user(user_id, team_id, user_name, None),
        "api_app_id": api_app_id,
        "token": "fake-verification-token",
        "trigger_id": trigger_id,
        "view": {
            "id": view_id,
            "team_id": team_id,
            "type": "modal",
            "blocks": blocks or [],
            "private_metadata": private_metadata,
            "callback_id": callback_id,
            "state": {"values": {k: dict(v) for k, v in state_values.items()}},
            "hash": "1700000000.fakehash",
            "title": {"type": "plain_text", "text": "Phosphore", "emoji": True},
            "clear_on_close": False,
            "notify_on_close": False,
            "close": None,
            "submit": {"type": "plain_text", "text": "Submit", "emoji": True},
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": api_app_id,
            "external_id": "",
            "app_installed_team_id": team_id,
            "bot_id": "B0BOT",
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_submission_body(*args: Any, **kwargs: Any) -> str:
    """view_submission as the `payload=<json>` form body Slack POSTs (arguments of view_submission_payload)."""
    return urlencode({"payload": json.dumps(view_submission_payload(*args, **kwargs))})


def event_callback_payload(
    event: Mapping[str, Any],
    *,
    team_id: str,
    event_id: str | None = None,
    api_app_id: str = "A0PHOSPH",
    bot_user_id: str = "U0BOT",
) -> dict[str, Any]:
    """An Events API event_callback wrapper (the Socket Mode events_api payload)."""
    return {
        "token": "fake-verification-token",
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": team_id, "user_id": bot_user_id, "is_bot": True, "is_enterprise_install": False}
        ],
        "is_ext_shared_channel": False,
    }


def event_callback_body(
    event: Mapping[str, Any],
    *,
    team_id: str,
    event_id: str | None = None,
) -> str:
    """An Events API event_callback as the JSON body Slack POSTs."""
    return json.dumps(event_callback_payload(event, team_id=team_id, event_id=event_id))


def sign(secret: str, body: str | bytes, timestamp: int | None = None) -> dict[str, str]:
    """X-Slack-Request-Timestamp and X-Slack-Signature headers for a body."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    assert signature is not None
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


# -------------------------------------------------------------------- factories for tests and benchmarks


@asynccontextmanager
async def fake_slack(**identity: str) -> AsyncIterator[FakeSlack]:
    """A started FakeSlack, stopped on exit (kwargs: FakeSlack identity)."""
    async with FakeSlack(**identity) as fake:
        yield fake


@asynccontextmanager
async def serve_bolt_app(app: AsyncApp, path: str = "/slack/events") -> AsyncIterator[str]:
    """Serve a Bolt AsyncApp over HTTP on 127.0.0.1:0 with slack_bolt's aiohttp adapter; yield its URL."""

    async def endpoint(request: web.Request) -> web.Response:
        """Translate aiohttp <-> Bolt."""
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    web_app = web.Application()
    web_app.router.add_post(path, endpoint)
    runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}{path}"
    finally:
        await runner.cleanup()


async def post_signed(
    url: str,
    body: str,
    signing_secret: str,
    *,
    timestamp: int | None = None,
    headers: Mapping[str, str] | None = None,
    session: aiohttp.ClientSession | None = None,
    timeout: float = 5.0,
) -> tuple[int, str]:
    """POST a body signed like Slack (JSON if it starts with "{", else form); return (status, text)."""
    content_type = "application/json" if body.lstrip().startswith("{") else "application/x-www-form-urlencoded"
    all_headers = {"Content-Type": content_type, **sign(signing_secret, body, timestamp), **(headers or {})}
    own = session is None
    client = session or aiohttp.ClientSession()
    try:
        async with client.post(
            url, data=body.encode(), headers=all_headers, timeout=aiohttp.ClientTimeout(total=timeout)
        ) as resp:
            return resp.status, await resp.text()
    finally:
        if own:
            await client.close()


@asynccontextmanager
async def socket_mode_handler(
    app: AsyncApp,
    fake: FakeSlack,
    *,
    app_token: str = "xapp-test",
    ping_interval: float = 10,
    timeout: float = 5.0,
) -> AsyncIterator[AsyncSocketModeHandler]:
    """A connected AsyncSocketModeHandler (via apps.connections.open on `fake`), closed on exit."""
    # SocketModeClient builds its aiohttp session and message-processor task in __init__:
    # it must be created inside the running loop.
    handler = AsyncSocketModeHandler(app, app_token=app_token, ping_interval=ping_interval)
    client = handler.client
    try:
        # connect() retries forever (sleeping ping_interval) when apps.connections.open fails: bound it.
        await asyncio.wait_for(handler.connect_async(), timeout)
        await fake.wait_socket_connected(timeout)
        yield handler
    finally:
        await handler.close_async()
        # close_async() cancels its background tasks without awaiting them: reap them here.
        tasks = [t for t in (client.message_processor, client.current_session_monitor, client.message_receiver) if t]
        await asyncio.gather(*tasks, return_exceptions=True)
