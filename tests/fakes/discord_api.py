"""Loopback fake of Discord's REST API and gateway for offline discord.py tests."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import aiohttp
import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

__all__ = ["DiscordCall", "FakeDiscord", "run_client"]

JsonDict = dict[str, Any]
API_PREFIX = "/api/v10"
DISCORD_EPOCH_MS = 1_420_070_400_000
DEFAULT_APP_ID = 1_330_000_000_000_000_001
# discord.py only parses a body as JSON when Content-Type is exactly this (no "; charset=utf-8").
JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}
EPHEMERAL = 1 << 6
LOADING = 1 << 7
COMPONENTS_V2 = 1 << 15
DEFAULT_EVERYONE_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_application_commands=True,
).value
DEFAULT_APP_PERMISSIONS = discord.Permissions(
    DEFAULT_EVERYONE_PERMISSIONS
    | discord.Permissions(manage_messages=True, manage_threads=True, create_private_threads=True).value
).value

RouteHandler = Callable[["_Request", "re.Match[str]"], Awaitable[tuple[int, Any]]]


@dataclass(frozen=True)
class DiscordCall:
    """One REST request received by the fake (path is relative to /api/v10)."""

    method: str
    path: str
    json: Any
    query: Mapping[str, str]
    files: tuple[str, ...] = ()
    status: int = 200
    response: Any = field(default=None, compare=False, repr=False)
    at: float = field(default=0.0, compare=False, repr=False)


@dataclass(frozen=True)
class _Upload:
    """One file part of a multipart request."""

    field_name: str
    filename: str
    data: bytes
    content_type: str | None


@dataclass
class _Request:
    """A parsed REST request."""

    method: str
    path: str
    json: Any
    query: Mapping[str, str]
    uploads: list[_Upload]


@dataclass
class _Failure:
    """A scripted error answer."""

    method: str
    path_prefix: str
    status: int
    body: JsonDict
    headers: dict[str, str]
    remaining: int | None


@dataclass
class _InteractionState:
    """What the fake knows about an interaction it built or dispatched."""

    payload: JsonDict
    dispatched_at: float | None = None
    acknowledged: bool = False


MESSAGE_CONTENT_INTENT = 1 << 15  # the privileged intent a portal may not have granted


class _Conn:
    """One gateway websocket connection."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        """Wrap a prepared websocket."""
        self.ws = ws
        self.session: _Session | None = None
        self.dropped = False
        self._lock = asyncio.Lock()

    async def send(self, text: str) -> bool:
        """Send one frame; False if the socket is gone."""
        async with self._lock:
            if self.ws.closed:
                return False
            try:
                await self.ws.send_str(text)
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return False
            return True


@dataclass
class _Session:
    """A gateway session (survives a drop so that RESUME can replay)."""

    session_id: str
    conn: _Conn | None = None
    seq: int = 0
    log: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=2000))
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class _ErrorCollector(logging.Handler):
    """Keeps discord.py's ERROR log records so that timeouts can show them."""

    def __init__(self, sink: list[str]) -> None:
        """Collect into sink."""
        super().__init__(level=logging.ERROR)
        self.sink = sink
        self.setFormatter(logging.Formatter("%(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        """Store the formatted record with the last line of its traceback."""
        text = self.format(record).strip().splitlines()
        self.sink.append(text[0] if len(text) == 1 else f"{text[0]} ... {text[-1]}")


def _now_iso() -> str:
    """Current time in Discord's ISO 8601 format."""
    return datetime.now(UTC).isoformat()


def _form_error(field_name: str, code: str, message: str) -> JsonDict:
    """Discord's 50035 'Invalid Form Body' error body."""
    return {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {field_name: {"_errors": [{"code": code, "message": message}]}},
    }


def _option_type(value: Any) -> int:
    """Application command option type for a plain Python value."""
    if isinstance(value, bool):
        return 5
    if isinstance(value, int):
        return 4
    if isinstance(value, float):
        return 10
    if isinstance(value, str):
        return 3
    raise TypeError(f"cannot infer an option type for {value!r}: pass a raw option dict")


def _walk_components(components: Sequence[Any]) -> Iterator[JsonDict]:
    """Every component dict, nested ones included."""
    for comp in components:
        if not isinstance(comp, Mapping):
            continue
        yield dict(comp)
        for key in ("components", "items"):
            inner = comp.get(key)
            if isinstance(inner, list):
                yield from _walk_components(inner)
        for key in ("component", "accessory"):
            inner = comp.get(key)
            if isinstance(inner, Mapping):
                yield from _walk_components([inner])


class FakeDiscord:
    """A loopback Discord: REST under /api/v10 plus the gateway websocket, on 127.0.0.1."""

    def __init__(
        self,
        *,
        app_id: int = DEFAULT_APP_ID,
        bot_user_id: int | None = None,
        bot_name: str = "Phosphore",
        heartbeat_interval_ms: int = 45_000,
        interaction_deadline: float | None = 3.0,
        auto_patch: bool = True,
    ) -> None:
        """Configure ids; nothing listens until start()."""
        self.app_id = app_id
        self.bot_user_id = bot_user_id if bot_user_id is not None else app_id
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.interaction_deadline = interaction_deadline
        self.auto_patch = auto_patch
        self.bot_user: JsonDict = {
            "id": str(self.bot_user_id),
            "username": bot_name,
            "global_name": bot_name,
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "public_flags": 0,
            "flags": 0,
            "verified": True,
            "mfa_enabled": False,
        }
        self.port = 0
        self.messages: dict[int, JsonDict] = {}
        self.commands: dict[int | None, list[JsonDict]] = {}
        self.uploads: dict[str, bytes] = {}
        self.identifies: list[JsonDict] = []
        self.privileged_intents = True  # False: the portal has Message Content off, IDENTIFY asking for it gets 4014
        self.connections = 0
        self.resumes = 0
        self.logged_errors: list[str] = []
        self._calls: list[DiscordCall] = []
        self._cond = asyncio.Condition()
        self._failures: list[_Failure] = []
        self._guilds: dict[int, JsonDict] = {}
        self._users: dict[int, JsonDict] = {self.bot_user_id: self._public_user(self.bot_user)}
        self._channels: dict[int, JsonDict] = {}
        self._dm_channels: dict[int, int] = {}
        self._interactions: dict[int, _InteractionState] = {}
        self._tokens: dict[str, int] = {}
        self._originals: dict[str, int] = {}
        self._callback_waiters: dict[int, asyncio.Future[DiscordCall]] = {}
        self._sessions: dict[str, _Session] = {}
        self._conns: set[_Conn] = set()
        self._counter = 0
        self._runner: web.AppRunner | None = None
        self._log_handler = _ErrorCollector(self.logged_errors)
        self._exit_stack: contextlib.ExitStack | None = None
        self._routes: list[tuple[str, re.Pattern[str], RouteHandler]] = self._build_routes()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._handle_rest)
        app.router.add_get("/gateway", self._handle_gateway)
        app.router.add_get("/gateway/", self._handle_gateway)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        logging.getLogger("discord").addHandler(self._log_handler)

    async def stop(self) -> None:
        """Close every websocket and the server."""
        logging.getLogger("discord").removeHandler(self._log_handler)
        for conn in list(self._conns):
            conn.dropped = True
            await conn.ws.close(code=1001)
        for fut in self._callback_waiters.values():
            fut.cancel()
        self._callback_waiters.clear()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        """Start, and patch discord.py unless auto_patch is False."""
        await self.start()
        self._exit_stack = contextlib.ExitStack()
        if self.auto_patch:
            self._exit_stack.enter_context(self.patch_discord())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Restore discord.py and stop."""
        if self._exit_stack is not None:
            self._exit_stack.close()
            self._exit_stack = None
        await self.stop()

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """The value for discord.http.Route.BASE."""
        return f"{self.base_url}{API_PREFIX}"

    @property
    def gateway_url(self) -> str:
        """ws://127.0.0.1:PORT/gateway/"""
        return f"ws://127.0.0.1:{self.port}/gateway/"

    @contextlib.contextmanager
    def patch_discord(self) -> Iterator[None]:
        """Point discord.py's REST base and default gateway at this fake, then restore them."""
        if not self.port:
            raise RuntimeError("start() the fake before patching discord.py")
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    # ------------------------------------------------------------------ world setup

    def snowflake(self) -> int:
        """A fresh, unique, time-based snowflake."""
        self._counter += 1
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (self._counter & 0x3FFFFF)

    def add_user(
        self, user_id: int, username: str | None = None, *, global_name: str | None = None, bot: bool = False
    ) -> JsonDict:
        """Register (or replace) a user and return its payload."""
        user: JsonDict = {
            "id": str(user_id),
            "username": username or f"user{user_id}",
            "global_name": global_name if global_name is not None else (username or f"User {user_id}"),
            "discriminator": "0",
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }
        self._users[user_id] = user
        return dict(user)

    def user_payload(self, user_id: int) -> JsonDict:
        """The user's payload, registering a default one if unknown."""
        return dict(self._users.get(user_id) or self.add_user(user_id))

    def add_guild(
        self,
        guild_id: int,
        channels: Sequence[int | Mapping[str, Any]] = (),
        roles: Sequence[int | Mapping[str, Any]] = (),
        members: Sequence[int | Mapping[str, Any]] = (),
        *,
        name: str | None = None,
        locale: str = "fr",
        owner_id: int | None = None,
    ) -> JsonDict:
        """Register a guild (with @everyone and the bot as member) sent on every IDENTIFY."""
        gid = str(guild_id)
        everyone: JsonDict = self._role(guild_id, {"id": guild_id, "name": "@everyone", "position": 0})
        everyone["permissions"] = str(DEFAULT_EVERYONE_PERMISSIONS)
        guild: JsonDict = {
            "id": gid,
            "name": name or f"guild-{guild_id}",
            "icon": None,
            "owner_id": str(owner_id) if owner_id is not None else None,
            "preferred_locale": locale,
            "features": [],
            "roles": [everyone],
            "channels": [],
            "threads": [],
            "members": {},
            "emojis": [],
            "stickers": [],
            "unavailable": False,
            "large": False,
            "joined_at": _now_iso(),
        }
        for index, raw in enumerate(roles, start=1):
            role = self._role(guild_id, raw if isinstance(raw, Mapping) else {"id": raw}, index)
            guild["roles"].append(role)
        for index, raw in enumerate(channels):
            channel = self._guild_channel(guild_id, raw if isinstance(raw, Mapping) else {"id": raw}, index)
            guild["channels"].append(channel["id"])
            self._channels[int(channel["id"])] = channel
        self._guilds[guild_id] = guild
        self.add_member(guild_id, self.bot_user_id)
        for raw in members:
            if isinstance(raw, Mapping):
                self.add_member(guild_id, **dict(raw))
            else:
                self.add_member(guild_id, raw)
        return self.guild_payload(guild_id)

    def add_member(
        self,
        guild_id: int,
        id: int,
        *,
        roles: Sequence[int] = (),
        username: str | None = None,
        global_name: str | None = None,
        nick: str | None = None,
        bot: bool = False,
    ) -> JsonDict:
        """Add a member to a registered guild."""
        user = (
            self.user_payload(id)
            if username is None and global_name is None and not bot
            else self.add_user(id, username, global_name=global_name, bot=bot)
        )
        member: JsonDict = {
            "user": user,
            "roles": [str(r) for r in roles],
            "nick": nick,
            "avatar": None,
            "flags": 0,
            "joined_at": _now_iso(),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "communication_disabled_until": None,
        }
        self._guilds[guild_id]["members"][id] = member
        return dict(member)

    def remove_member(self, guild_id: int, user_id: int) -> None:
        """A member leaves (or is removed from) a guild: GET /guilds/{id}/members/{user} answers 404 from now on."""
        self._guilds[guild_id]["members"].pop(user_id, None)

    def guild_payload(self, guild_id: int) -> JsonDict:
        """The GUILD_CREATE payload for a registered guild."""
        guild = self._guilds[guild_id]
        members = list(guild["members"].values())
        payload = {k: v for k, v in guild.items() if k not in ("channels", "members")}
        payload["channels"] = [self._channels[int(cid)] for cid in guild["channels"]]
        payload["members"] = members
        payload["member_count"] = len(members)
        return json.loads(json.dumps(payload))

    def channel_payload(self, channel_id: int) -> JsonDict | None:
        """A registered channel (guild channel, thread or DM)."""
        channel = self._channels.get(channel_id)
        return dict(channel) if channel is not None else None

    def dm_channel_id(self, user_id: int) -> int:
        """The DM channel id the fake uses for a user (stable, allocated on first use)."""
        cid = self._dm_channels.get(user_id)
        if cid is None:
            cid = self.snowflake()
            self._dm_channels[user_id] = cid
            self._channels[cid] = {
                "id": str(cid),
                "type": 1,
                "recipients": [self.user_payload(user_id)],
                "last_message_id": None,
                "flags": 0,
            }
        return cid

    def original_response(self, token: str) -> JsonDict | None:
        """The stored @original message of an interaction token."""
        mid = self._originals.get(token)
        return self.messages.get(mid) if mid is not None else None

    def _role(self, guild_id: int, raw: Mapping[str, Any], position: int = 0) -> JsonDict:
        """A role payload with defaults."""
        role: JsonDict = {
            "name": f"role-{raw['id']}",
            "permissions": "0",
            "position": position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        role.update(raw)
        role["id"] = str(raw["id"])
        return role

    def _guild_channel(self, guild_id: int, raw: Mapping[str, Any], position: int) -> JsonDict:
        """A guild channel payload with defaults."""
        channel: JsonDict = {
            "type": 0,
            "name": f"channel-{raw['id']}",
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "rate_limit_per_user": 0,
            "last_message_id": None,
            "flags": 0,
        }
        channel.update(raw)
        channel["id"] = str(raw["id"])
        channel["guild_id"] = str(guild_id)
        return channel

    @staticmethod
    def _public_user(user: Mapping[str, Any]) -> JsonDict:
        """The public part of a user payload."""
        keys = ("id", "username", "global_name", "discriminator", "avatar", "bot", "public_flags")
        return {k: user[k] for k in keys if k in user}

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        path_prefix: str,
        status: int,
        code: int,
        message: str,
        times: int | None = 1,
        headers: Mapping[str, str] | None = None,
        *,
        retry_after: float = 0.0,
    ) -> None:
        """Answer the next `times` matching requests (None: all) with a Discord error."""
        body: JsonDict = {"code": code, "message": message}
        extra: dict[str, str] = {}
        if status == 429:
            body.update(retry_after=retry_after, **{"global": False})
            # discord.py treats a 429 without a Via header as a Cloudflare ban and raises at once.
            extra = {"Via": "1.1 google", "Retry-After": str(max(1, round(retry_after)))}
        extra.update(headers or {})
        self._failures.append(_Failure(method.upper(), path_prefix, status, body, extra, times))

    def clear_failures(self) -> None:
        """Drop every scripted failure."""
        self._failures.clear()

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        """The first scripted failure matching this request, consuming one use."""
        for failure in self._failures:
            if failure.method in (method, "*") and path.startswith(failure.path_prefix):
                if failure.remaining is not None:
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                return failure
        return None

    # ------------------------------------------------------------------ recorded calls

    def calls(self, method: str | None = None, path_prefix: str | None = None) -> list[DiscordCall]:
        """Recorded REST calls, optionally filtered."""
        return [c for c in self._calls if self._matches(c, method, path_prefix)]

    def clear_calls(self) -> None:
        """Forget recorded REST calls."""
        self._calls.clear()

    @staticmethod
    def _matches(call: DiscordCall, method: str | None, path_prefix: str | None) -> bool:
        """Whether a call matches a method and path prefix."""
        return (method is None or call.method == method.upper()) and (
            path_prefix is None or call.path.startswith(path_prefix)
        )

    async def wait_for(
        self,
        method: str | None,
        path_prefix: str,
        predicate: Callable[[DiscordCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,
    ) -> list[DiscordCall]:
        """Wait until at least `count` matching calls were recorded; return all matching calls."""
        matched: list[DiscordCall] = []
        cursor = 0

        def scan() -> bool:
            """Look only at calls recorded since the last wake-up."""
            nonlocal cursor
            cursor = min(cursor, len(self._calls))
            for call in self._calls[cursor:]:
                if self._matches(call, method, path_prefix) and (predicate is None or predicate(call)):
                    matched.append(call)
            cursor = len(self._calls)
            return len(matched) >= count

        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(scan), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} x {method} {path_prefix}"
                f" (matched {len(matched)}).\n{self.describe()}"
            ) from None
        return matched

    async def wait_connected(self, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until READY or RESUMED was sent `count` times in total."""
        try:
            async with self._cond:
                await asyncio.wait_for(self._cond.wait_for(lambda: self.connections >= count), timeout)
        except TimeoutError:
            raise AssertionError(
                f"timed out after {timeout}s waiting for gateway connection #{count}"
                f" (have {self.connections}).\n{self.describe()}"
            ) from None

    def describe(self, last: int = 25) -> str:
        """Recent calls and discord.py errors, for assertion messages."""
        lines = [f"recorded calls ({len(self._calls)}, last {last}):"]
        lines += [f"  {c.status} {c.method} {c.path} {json.dumps(c.json)[:200]}" for c in self._calls[-last:]]
        if self.logged_errors:
            lines.append("discord.py errors:")
            lines += [f"  {e}" for e in self.logged_errors[-10:]]
        return "\n".join(lines)

    async def _notify(self) -> None:
        """Wake wait_for / wait_connected waiters."""
        async with self._cond:
            self._cond.notify_all()

    # ------------------------------------------------------------------ REST

    def _build_routes(self) -> list[tuple[str, re.Pattern[str], RouteHandler]]:
        """The route table: (method, full-match regex, handler)."""
        table: list[tuple[str, str, RouteHandler]] = [
            ("GET", r"/users/@me", self._get_me),
            ("POST", r"/users/@me/channels", self._create_dm),
            ("GET", r"/users/(\d+)", self._get_user),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway),
            ("GET", r"/applications/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("GET", r"/applications/(\d+)/guilds/(\d+)/commands", self._get_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_commands),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._interaction_callback),
            ("GET", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/(@original|\d+)", self._webhook_message),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._webhook_execute),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("PATCH", r"/channels/(\d+)", self._edit_channel),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages/(\d+)", self._channel_message),
            ("PATCH", r"/channels/(\d+)/messages/(\d+)", self._channel_message),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)", self._channel_message),
            ("POST", r"/channels/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("PUT", r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", self._no_content),
            ("DELETE", r"/channels/(\d+)/messages/(\d+)/reactions/([^/]+)/@me", self._no_content),
            ("PUT", r"/channels/(\d+)/thread-members/@me", self._no_content),
            ("GET", r"/guilds/(\d+)", self._get_guild),
            ("GET", r"/guilds/(\d+)/channels", self._get_guild_channels),
            ("GET", r"/guilds/(\d+)/members", self._list_members),
            ("GET", r"/guilds/(\d+)/members/(\d+)", self._get_member),
        ]
        return [(m, re.compile(p), h) for m, p, h in table]

    async def _handle_rest(self, request: web.Request) -> web.StreamResponse:
        """Parse, answer and record one REST request."""
        path = request.path[len(API_PREFIX) :] or "/"
        body, uploads = await self._read_body(request)
        req = _Request(request.method, path, body, dict(request.query), uploads)
        headers: dict[str, str] = {}
        failure = self._take_failure(req.method, path)
        if failure is not None:
            status, answer = failure.status, dict(failure.body)
            headers = dict(failure.headers)
        else:
            status, answer = await self._route(req)
        call = DiscordCall(
            method=req.method,
            path=path,
            json=body,
            query=dict(req.query),
            files=tuple(u.filename for u in uploads),
            status=status,
            response=answer,
            at=time.perf_counter(),
        )
        self._calls.append(call)
        self._resolve_callback_waiter(call)
        await self._notify()
        if answer is None:
            return web.Response(status=status, headers=headers)
        return web.Response(
            status=status,
            body=json.dumps(answer, separators=(",", ":")).encode(),
            headers={**headers, **JSON_HEADERS},
        )

    async def _route(self, req: _Request) -> tuple[int, Any]:
        """Dispatch to a route handler; unknown routes get Discord's 404 shape."""
        for method, pattern, handler in self._routes:
            if method != req.method:
                continue
            match = pattern.fullmatch(req.path)
            if match is None:
                continue
            try:
                return await handler(req, match)
            except Exception as exc:
                self.logged_errors.append(f"fake: {req.method} {req.path} failed: {exc!r}")
                return 400, {"code": 50035, "message": f"Invalid Form Body (fake: {exc!r})"}
        return 404, {"code": 0, "message": "404: Not Found"}

    @staticmethod
    async def _read_body(request: web.Request) -> tuple[Any, list[_Upload]]:
        """JSON body, or multipart payload_json plus uploaded files."""
        if request.content_type.startswith("multipart/"):
            payload: Any = None
            uploads: list[_Upload] = []
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, aiohttp.BodyPartReader):
                    continue
                data = bytes(await part.read())
                if part.name == "payload_json":
                    payload = json.loads(data)
                elif part.filename is not None:
                    uploads.append(_Upload(part.name or "", part.filename, data, part.headers.get("Content-Type")))
            return payload, uploads
        raw = await request.read()
        if not raw:
            return None, []
        try:
            return json.loads(raw), []
        except ValueError:
            return raw.decode(errors="replace"), []

    # --- users, application, gateway info

    async def _get_me(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /users/@me"""
        return 200, dict(self.bot_user)

    async def _get_user(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /users/{id}"""
        return 200, self.user_payload(int(m[1]))

    async def _create_dm(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """POST /users/@me/channels"""
        user_id = int(req.json["recipient_id"])
        return 200, dict(self._channels[self.dm_channel_id(user_id)])

    async def _get_application(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /oauth2/applications/@me"""
        return 200, {
            "id": str(self.app_id),
            "name": self.bot_user["username"],
            "description": "",
            "icon": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "owner": self._public_user(self.bot_user),
            "verify_key": "0" * 64,
            "flags": 0,
            "bot": self._public_user(self.bot_user),
        }

    async def _get_gateway(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /gateway and /gateway/bot"""
        limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
        return 200, {"url": self.gateway_url, "shards": 1, "session_start_limit": limit}

    async def _get_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /applications/{app}/commands and the guild variant."""
        if int(m[1]) != self.app_id:
            return 404, {"code": 10002, "message": "Unknown Application"}
        scope = int(m[2]) if m.lastindex and m.lastindex >= 2 else None
        return 200, list(self.commands.get(scope, []))

    async def _put_commands(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """PUT /applications/{app}/commands and the guild variant (bulk overwrite)."""
        if int(m[1]) != self.app_id:
            return 404, {"code": 10002, "message": "Unknown Application"}
        scope = int(m[2]) if m.lastindex and m.lastindex >= 2 else None
        previous = {(c["name"], c.get("type", 1)): c["id"] for c in self.commands.get(scope, [])}
        stored: list[JsonDict] = []
        for raw in req.json or []:
            cmd: JsonDict = {
                "type": 1,
                "description": "",
                "options": [],
                "default_member_permissions": None,
                "nsfw": False,
                "name_localizations": None,
                "description_localizations": None,
            }
            cmd.update(raw)
            key = (cmd["name"], cmd["type"])
            cmd["id"] = previous.get(key) or str(self.snowflake())
            cmd["application_id"] = str(self.app_id)
            cmd["version"] = str(self.snowflake())
            if scope is not None:
                cmd["guild_id"] = str(scope)
            stored.append(cmd)
        self.commands[scope] = stored
        return 200, list(stored)

    # --- interactions and webhooks

    async def _interaction_callback(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """POST /interactions/{id}/{token}/callback"""
        iid, token = int(m[1]), m[2]
        state = self._interactions.get(iid)
        expired = (
            state is not None
            and self.interaction_deadline is not None
            and state.dispatched_at is not None
            and time.perf_counter() - state.dispatched_at > self.interaction_deadline
        )
        if state is None or state.payload["token"] != token or state.dispatched_at is None or expired:
            return 404, {"code": 10062, "message": "Unknown interaction"}
        if state.acknowledged:
            return 400, {"code": 40060, "message": "Interaction has already been acknowledged."}
        body: JsonDict = req.json or {}
        ctype = int(body.get("type", 0))
        data: JsonDict = body.get("data") or {}
        payload = state.payload
        source_message = payload.get("message")
        if ctype in (6, 7) and source_message is None:
            return 400, _form_error("type", "INTERACTION_CALLBACK_TYPE_INVALID", "This interaction has no message.")
        if ctype == 9 and payload["type"] == 5:
            return 400, _form_error("type", "INTERACTION_CALLBACK_TYPE_INVALID", "A modal cannot open a modal.")
        if ctype in (4, 7):
            error = self._validate_message(data)
            if error is not None:
                return 400, error
        if ctype == 9:
            error = self._validate_modal(data)
            if error is not None:
                return 400, error
        state.acknowledged = True
        flags = int(data.get("flags") or 0)
        channel_id = int(payload.get("channel_id") or payload["channel"]["id"])
        message: JsonDict | None = None
        if ctype in (4, 5):
            msg_flags = flags | (LOADING if ctype == 5 else 0)
            content = data if ctype == 4 else {}
            message = self._store_message(channel_id, content, req.uploads, flags=msg_flags, webhook=True)
            self._originals[token] = int(message["id"])
        elif ctype in (6, 7) and source_message is not None:
            mid = int(source_message["id"])
            self._originals[token] = mid
            if ctype == 7:
                message = self._update_message(mid, data, req.uploads, base=source_message)
        if req.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        interaction: JsonDict = {
            "id": str(iid),
            "type": payload["type"],
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": bool(flags & EPHEMERAL),
        }
        resource: JsonDict = {"type": ctype}
        if message is not None:
            interaction["response_message_id"] = message["id"]
            resource["message"] = message
        return 200, {"interaction": interaction, "resource": resource}

    def _interaction_by_token(self, app_id: str, token: str) -> _InteractionState | None:
        """The interaction owning a webhook token, if the app id matches."""
        iid = self._tokens.get(token)
        if int(app_id) != self.app_id or iid is None:
            return None
        return self._interactions.get(iid)

    async def _webhook_execute(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """POST /webhooks/{app}/{token} (follow-up messages)."""
        state = self._interaction_by_token(m[1], m[2])
        if state is None or not state.acknowledged:
            return 404, {"code": 10015, "message": "Unknown Webhook"}
        data: JsonDict = req.json or {}
        error = self._validate_message(data)
        if error is not None:
            return 400, error
        payload = state.payload
        channel_id = int(payload.get("channel_id") or payload["channel"]["id"])
        message = self._store_message(channel_id, data, req.uploads, flags=int(data.get("flags") or 0), webhook=True)
        if req.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    async def _webhook_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{@original|id}"""
        state = self._interaction_by_token(m[1], m[2])
        if state is None:
            return 404, {"code": 10015, "message": "Unknown Webhook"}
        mid = self._originals.get(m[2]) if m[3] == "@original" else int(m[3])
        if mid is None or mid not in self.messages:
            return 404, {"code": 10008, "message": "Unknown Message"}
        return await self._message_verb(req, mid)

    async def _message_verb(self, req: _Request, mid: int) -> tuple[int, Any]:
        """GET/PATCH/DELETE on a stored message."""
        if req.method == "GET":
            return 200, self.messages[mid]
        if req.method == "DELETE":
            del self.messages[mid]
            return 204, None
        data: JsonDict = req.json or {}
        error = self._validate_message(data)
        if error is not None:
            return 400, error
        return 200, self._update_message(mid, data, req.uploads)

    # --- channels and messages

    async def _get_channel(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /channels/{id}"""
        channel = self._channels.get(int(m[1]))
        if channel is None:
            return 404, {"code": 10003, "message": "Unknown Channel"}
        return 200, dict(channel)

    async def _edit_channel(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """PATCH /channels/{id} (rename, archive/lock a thread)."""
        channel = self._channels.get(int(m[1]))
        if channel is None:
            return 404, {"code": 10003, "message": "Unknown Channel"}
        data: JsonDict = req.json or {}
        meta = channel.get("thread_metadata")
        for key, value in data.items():
            if meta is not None and key in ("archived", "locked", "auto_archive_duration", "invitable"):
                meta[key] = value
                if key == "archived":
                    meta["archive_timestamp"] = _now_iso()
            else:
                channel[key] = value
        return 200, dict(channel)

    async def _create_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """POST /channels/{id}/messages"""
        channel_id = int(m[1])
        if channel_id not in self._channels:
            return 404, {"code": 10003, "message": "Unknown Channel"}
        data: JsonDict = req.json or {}
        error = self._validate_message(data)
        if error is not None:
            return 400, error
        return 200, self._store_message(channel_id, data, req.uploads, flags=int(data.get("flags") or 0))

    async def _channel_message(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET/PATCH/DELETE /channels/{id}/messages/{mid}"""
        mid = int(m[2])
        message = self.messages.get(mid)
        if message is None or message["channel_id"] != m[1]:
            return 404, {"code": 10008, "message": "Unknown Message"}
        return await self._message_verb(req, mid)

    async def _create_thread(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """POST /channels/{id}/threads and /channels/{id}/messages/{mid}/threads"""
        parent = self._channels.get(int(m[1]))
        if parent is None or "guild_id" not in parent:
            return 404, {"code": 10003, "message": "Unknown Channel"}
        data: JsonDict = req.json or {}
        name = str(data.get("name", ""))
        if not 1 <= len(name) <= 100:
            return 400, _form_error("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
        if m.lastindex and m.lastindex >= 2:
            # A thread started from a message has the same id as that message.
            thread_id, thread_type = int(m[2]), 11
            if thread_id not in self.messages:
                return 404, {"code": 10008, "message": "Unknown Message"}
        else:
            thread_id, thread_type = self.snowflake(), int(data.get("type") or 12)
        now = _now_iso()
        thread: JsonDict = {
            "id": str(thread_id),
            "type": thread_type,
            "guild_id": parent["guild_id"],
            "parent_id": parent["id"],
            "owner_id": str(self.bot_user_id),
            "name": name,
            "last_message_id": None,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": int(data.get("rate_limit_per_user") or 0),
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": int(data.get("auto_archive_duration") or 4320),
                "archive_timestamp": now,
                "locked": False,
                "create_timestamp": now,
                "invitable": bool(data.get("invitable", True)),
            },
        }
        self._channels[thread_id] = thread
        if self._sessions:  # Discord tells the creator's sessions (GUILDS intent) so clients cache the thread
            await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return 201, dict(thread)

    async def _no_content(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """Routes answered with an empty 204."""
        return 204, None

    # --- guilds

    async def _get_guild(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /guilds/{id}"""
        if int(m[1]) not in self._guilds:
            return 404, {"code": 10004, "message": "Unknown Guild"}
        payload = self.guild_payload(int(m[1]))
        payload.pop("channels")
        payload.pop("members")
        return 200, payload

    async def _get_guild_channels(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /guilds/{id}/channels"""
        if int(m[1]) not in self._guilds:
            return 404, {"code": 10004, "message": "Unknown Guild"}
        return 200, self.guild_payload(int(m[1]))["channels"]

    async def _list_members(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /guilds/{id}/members?limit=&after=: members by id above `after`, `limit` (1..1000) at most."""
        guild = self._guilds.get(int(m[1]))
        if guild is None:
            return 404, {"code": 10004, "message": "Unknown Guild"}
        limit = max(1, min(1000, int(req.query.get("limit", "1"))))
        after = int(req.query.get("after", "0"))
        ids = sorted(uid for uid in guild["members"] if uid > after)[:limit]
        return 200, [dict(guild["members"][uid]) for uid in ids]

    async def _get_member(self, req: _Request, m: re.Match[str]) -> tuple[int, Any]:
        """GET /guilds/{id}/members/{user}"""
        guild = self._guilds.get(int(m[1]))
        if guild is None:
            return 404, {"code": 10004, "message": "Unknown Guild"}
        member = guild["members"].get(int(m[2]))
        if member is None:
            return 404, {"code": 10007, "message": "Unknown Member"}
        return 200, dict(member)

    # --- message store

    def _attachments(self, channel_id: int, data: Mapping[str, Any], uploads: Sequence[_Upload]) -> list[JsonDict]:
        """Attachment payloads for uploaded files (matched to data.attachments by index)."""
        result: list[JsonDict] = []
        for upload in uploads:
            index = upload.field_name.removeprefix("files[").removesuffix("]")
            meta: dict[str, Any] = next((a for a in data.get("attachments") or [] if str(a.get("id")) == index), {})
            aid = self.snowflake()
            url = f"{self.base_url}/attachments/{channel_id}/{aid}/{upload.filename}"
            self.uploads[upload.filename] = upload.data
            result.append(
                {
                    "id": str(aid),
                    "filename": meta.get("filename") or upload.filename,
                    "description": meta.get("description"),
                    "size": len(upload.data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": upload.content_type or "application/octet-stream",
                }
            )
        return result

    def _store_message(
        self,
        channel_id: int,
        data: Mapping[str, Any],
        uploads: Sequence[_Upload],
        *,
        flags: int = 0,
        webhook: bool = False,
    ) -> JsonDict:
        """Create, store and return a message authored by the bot."""
        mid = self.snowflake()
        channel = self._channels.get(channel_id, {})
        message: JsonDict = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "type": 0,
            "content": data.get("content") or "",
            "embeds": list(data.get("embeds") or []),
            "components": list(data.get("components") or []),
            "attachments": self._attachments(channel_id, data, uploads),
            "author": self._public_user(self.bot_user),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": bool(data.get("tts")),
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": flags,
        }
        if "guild_id" in channel:
            message["guild_id"] = channel["guild_id"]
        if webhook:
            message["webhook_id"] = str(self.app_id)
            message["application_id"] = str(self.app_id)
        for key in ("message_reference", "poll", "sticker_ids"):
            if key in data:
                message[key] = data[key]
        self.messages[mid] = message
        if channel:
            channel["last_message_id"] = str(mid)
        return message

    def _update_message(
        self, mid: int, data: Mapping[str, Any], uploads: Sequence[_Upload], base: Mapping[str, Any] | None = None
    ) -> JsonDict:
        """Apply an edit to a stored message (creating it from `base` if unknown)."""
        message = self.messages.get(mid)
        if message is None:
            message = json.loads(json.dumps(base or {}))
            self.messages[mid] = message
        for key in ("content", "embeds", "components"):
            if key in data:
                message[key] = data[key] if data[key] is not None else ([] if key != "content" else "")
        if "flags" in data and data["flags"] is not None:
            message["flags"] = int(data["flags"])
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        if "attachments" in data or uploads:
            keep = {str(a.get("id")) for a in data.get("attachments") or []}
            old = [a for a in message.get("attachments", []) if a["id"] in keep]
            message["attachments"] = old + self._attachments(int(message["channel_id"]), data, uploads)
        message["edited_timestamp"] = _now_iso()
        return message

    @staticmethod
    def _validate_message(data: Mapping[str, Any]) -> JsonDict | None:
        """Discord's 400 for a few message limits, or None."""
        content = data.get("content")
        if isinstance(content, str) and len(content) > 2000:
            return _form_error("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
        if len(data.get("embeds") or []) > 10:
            return _form_error("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
        components = data.get("components") or []
        if not int(data.get("flags") or 0) & COMPONENTS_V2:
            if len(components) > 5:
                return _form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
            for row in components:
                if len(row.get("components") or []) > 5:
                    return _form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        for comp in _walk_components(components):
            if len(str(comp.get("custom_id") or "")) > 100:
                return _form_error("custom_id", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
            if len(comp.get("options") or []) > 25:
                return _form_error("options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
            if comp.get("type") == 2 and len(str(comp.get("label") or "")) > 80:
                return _form_error("label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
        return None

    @staticmethod
    def _validate_modal(data: Mapping[str, Any]) -> JsonDict | None:
        """Discord's 400 for a few modal limits, or None."""
        if not 1 <= len(str(data.get("title") or "")) <= 45:
            return _form_error("title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
        if not data.get("custom_id"):
            return _form_error("custom_id", "BASE_TYPE_REQUIRED", "This field is required")
        if len(data.get("components") or []) > 5:
            return _form_error("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
        return None

    # ------------------------------------------------------------------ gateway

    async def _handle_gateway(self, request: web.Request) -> web.StreamResponse:
        """One gateway websocket: HELLO, IDENTIFY/RESUME, heartbeats, member requests."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = _Conn(ws)
        self._conns.add(conn)
        try:
            hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}, "s": None, "t": None}
            await conn.send(json.dumps(hello))
            async for msg in ws:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    await self._on_gateway_frame(conn, json.loads(msg.data))
        finally:
            self._conns.discard(conn)
            session = conn.session
            if session is not None and session.conn is conn:
                session.conn = None
                # A client closing with 1000 ends its session; any other close stays resumable.
                if not conn.dropped and ws.close_code in (1000, 1001):
                    self._sessions.pop(session.session_id, None)
        return ws

    async def _on_gateway_frame(self, conn: _Conn, frame: JsonDict) -> None:
        """React to one client opcode."""
        op, data = frame.get("op"), frame.get("d") or {}
        if op == 1:
            await conn.send('{"op":11,"d":null,"s":null,"t":null}')
        elif op == 2:
            await self._identify(conn, data)
        elif op == 6:
            await self._resume(conn, data)
        elif op == 8:
            await self._request_members(conn, data)

    async def _identify(self, conn: _Conn, data: JsonDict) -> None:
        """Start a session: READY then one GUILD_CREATE per guild (or 4014 for intents the portal did not grant)."""
        self.identifies.append(data)
        if not self.privileged_intents and int(data.get("intents", 0)) & MESSAGE_CONTENT_INTENT:
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        session = _Session(session_id=uuid.uuid4().hex, conn=conn)
        conn.session = session
        ready: JsonDict = {
            "v": 10,
            "user": dict(self.bot_user),
            "guilds": [{"id": str(gid), "unavailable": True} for gid in self._guilds],
            "session_id": session.session_id,
            "resume_gateway_url": self.gateway_url,
            "session_type": "normal",
            "application": {"id": str(self.app_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "user_settings": {},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        async with session.lock:
            await self._emit_locked(session, "READY", ready)
            for gid in self._guilds:
                await self._emit_locked(session, "GUILD_CREATE", self.guild_payload(gid))
        self._sessions[session.session_id] = session
        self.connections += 1
        await self._notify()

    async def _resume(self, conn: _Conn, data: JsonDict) -> None:
        """Resume a session and replay what it missed, or invalidate it."""
        session = self._sessions.get(str(data.get("session_id")))
        if session is None:
            await conn.send('{"op":9,"d":false,"s":null,"t":null}')
            return
        conn.session = session
        async with session.lock:
            since = int(data.get("seq") or 0)
            for seq, text in list(session.log):
                if seq > since:
                    await conn.send(text)
            session.conn = conn
            await self._emit_locked(session, "RESUMED", {})
        self.connections += 1
        self.resumes += 1
        await self._notify()

    async def _request_members(self, conn: _Conn, data: JsonDict) -> None:
        """Answer REQUEST_GUILD_MEMBERS with one GUILD_MEMBERS_CHUNK."""
        guild = self._guilds.get(int(data["guild_id"]))
        members = list(guild["members"].values()) if guild else []
        if data.get("user_ids"):
            wanted = {str(u) for u in (data["user_ids"] if isinstance(data["user_ids"], list) else [data["user_ids"]])}
            members = [mb for mb in members if mb["user"]["id"] in wanted]
        elif data.get("query"):
            members = [mb for mb in members if mb["user"]["username"].startswith(str(data["query"]))]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk = {
            "guild_id": str(data["guild_id"]),
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "nonce": data.get("nonce"),
        }
        if conn.session is not None:
            async with conn.session.lock:
                await self._emit_locked(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    async def _emit_locked(self, session: _Session, event: str, data: Any) -> None:
        """Send one DISPATCH with the next sequence number (caller holds session.lock)."""
        session.seq += 1
        text = json.dumps({"op": 0, "t": event, "s": session.seq, "d": data}, separators=(",", ":"))
        session.log.append((session.seq, text))
        if session.conn is not None:
            await session.conn.send(text)

    async def dispatch(self, event_name: str, data: JsonDict) -> int:
        """Send a DISPATCH to every gateway session (buffered for replay if one is disconnected)."""
        if event_name == "INTERACTION_CREATE":
            self._register_interaction(data).dispatched_at = time.perf_counter()
        sessions = list(self._sessions.values())
        if not sessions:
            raise AssertionError(f"no gateway session to dispatch {event_name} to.\n{self.describe()}")
        for session in sessions:
            async with session.lock:
                await self._emit_locked(session, event_name, data)
        return len(sessions)

    async def disconnect_all(self, code: int = 4000) -> None:
        """Drop every gateway connection (sessions stay resumable)."""
        for conn in list(self._conns):
            conn.dropped = True
            await conn.ws.close(code=code)

    # ------------------------------------------------------------------ members' messages

    async def member_says(
        self, channel_id: int, user_id: int, content: str, *, attachments: Sequence[str] = ()
    ) -> JsonDict:
        """A member posts in a guild channel or thread: stored, then MESSAGE_CREATE to every session."""
        channel = self._channels[channel_id]
        guild_id = int(channel["guild_id"])
        mid = self.snowflake()
        message: JsonDict = {
            "id": str(mid),
            "channel_id": str(channel_id),
            "guild_id": str(guild_id),
            "type": 0,
            "content": content,
            "embeds": [],
            "components": [],
            "attachments": [
                {
                    "id": str(self.snowflake()),
                    "filename": url.rsplit("/", 1)[-1],
                    "size": 1,
                    "url": url,
                    "proxy_url": url,
                }
                for url in attachments
            ],
            "author": self.user_payload(user_id),
            "member": {k: v for k, v in self._guilds[guild_id]["members"][user_id].items() if k != "user"},
            **self._mentions(guild_id, content),
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": 0,
        }
        self.messages[mid] = message
        channel["last_message_id"] = str(mid)
        await self.dispatch("MESSAGE_CREATE", message)
        return json.loads(json.dumps(message))

    def _mentions(self, guild_id: int, content: str) -> JsonDict:
        """The users and roles a message's text mentions, as Discord sends them along with it."""
        members = self._guilds[guild_id]["members"]
        users = [int(found) for found in dict.fromkeys(re.findall(r"<@!?(\d+)>", content))]
        return {
            "mentions": [
                {**self.user_payload(user), "member": {k: v for k, v in members[user].items() if k != "user"}}
                if user in members
                else self.user_payload(user)
                for user in users
            ],
            "mention_roles": list(dict.fromkeys(re.findall(r"<@&(\d+)>", content))),
        }

    async def member_edits(self, message_id: int, content: str) -> JsonDict:
        """A member edits a message: MESSAGE_UPDATE with the whole message, as Discord sends it."""
        message = self.messages[message_id]
        message.update(
            content=content, edited_timestamp=_now_iso(), **self._mentions(int(message["guild_id"]), content)
        )
        await self.dispatch("MESSAGE_UPDATE", message)
        return json.loads(json.dumps(message))

    async def member_deletes(self, message_id: int) -> None:
        """A message is deleted: MESSAGE_DELETE names only ids, no author."""
        message = self.messages.pop(message_id)
        ids = {"id": message["id"], "channel_id": message["channel_id"], "guild_id": message["guild_id"]}
        await self.dispatch("MESSAGE_DELETE", ids)

    # ------------------------------------------------------------------ interactions

    def _register_interaction(self, payload: JsonDict) -> _InteractionState:
        """Remember an interaction so that its callback and webhook token are recognised."""
        iid = int(payload["id"])
        state = self._interactions.get(iid)
        if state is None:
            state = self._interactions[iid] = _InteractionState(payload)
            self._tokens[payload["token"]] = iid
        return state

    def _interaction_base(
        self,
        itype: int,
        data: JsonDict,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        locale: str,
        roles: Sequence[int],
        permissions: str,
    ) -> JsonDict:
        """The keys every INTERACTION_CREATE needs."""
        iid = self.snowflake()
        channel = self._channels.get(channel_id)
        channel_obj: JsonDict = (
            dict(channel) if channel is not None else {"id": str(channel_id), "type": 0 if guild_id else 1}
        )
        payload: JsonDict = {
            "id": str(iid),
            "type": itype,
            "application_id": str(self.app_id),
            "token": f"fake-interaction-token-{iid}",
            "version": 1,
            "attachment_size_limit": 10 * 1024 * 1024,
            "channel_id": str(channel_id),
            "channel": channel_obj,
            "locale": locale,
            "app_permissions": str(DEFAULT_APP_PERMISSIONS),
            "entitlements": [],
            "entitlement_sku_ids": [],
            "data": data,
        }
        if guild_id is not None:
            guild = self._guilds.get(guild_id)
            known = guild["members"].get(user_id) if guild else None
            member: JsonDict = (
                dict(known)
                if known
                else {
                    "user": self.user_payload(user_id),
                    "roles": [],
                    "nick": None,
                    "avatar": None,
                    "flags": 0,
                    "joined_at": _now_iso(),
                    "premium_since": None,
                    "deaf": False,
                    "mute": False,
                    "pending": False,
                    "communication_disabled_until": None,
                }
            )
            if roles:
                member["roles"] = [str(r) for r in roles]
            member["permissions"] = permissions
            guild_locale = guild["preferred_locale"] if guild else "en-US"
            payload.update(
                guild_id=str(guild_id),
                guild_locale=guild_locale,
                guild={"id": str(guild_id), "locale": guild_locale, "features": []},
                member=member,
                context=0,
                authorizing_integration_owners={"0": str(guild_id)},
            )
        else:
            payload.update(
                user=self.user_payload(user_id),
                context=1,
                authorizing_integration_owners={"1": str(user_id)},
            )
        return payload

    def slash_interaction(
        self,
        name: str,
        options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        locale: str = "fr",
        subcommand: str | None = None,
        roles: Sequence[int] = (),
        permissions: str = "0",
        command_guild_id: int | None = None,
        resolved: Mapping[str, Any] | None = None,
        command_type: int = 1,
    ) -> JsonDict:
        """An application command INTERACTION_CREATE payload ("group sub" nests a subcommand group)."""
        if options is None:
            opts: list[JsonDict] = []
        elif isinstance(options, Mapping):
            opts = [{"name": k, "type": _option_type(v), "value": v} for k, v in options.items()]
        else:
            opts = [dict(o) for o in options]
        if subcommand:
            parts = subcommand.split()
            opts = [{"name": parts[-1], "type": 1, "options": opts}]
            if len(parts) == 2:
                opts = [{"name": parts[0], "type": 2, "options": opts}]
        data: JsonDict = {
            "id": str(self._command_id(name, command_guild_id)),
            "name": name,
            "type": command_type,
            "options": opts,
        }
        if command_guild_id is not None:
            data["guild_id"] = str(command_guild_id)
        if resolved:
            data["resolved"] = dict(resolved)
        payload = self._interaction_base(
            2,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            roles=roles,
            permissions=permissions,
        )
        self._register_interaction(payload)
        return payload

    def _command_id(self, name: str, scope: int | None) -> int:
        """The synced command's id if tree.sync() ran, else a fresh snowflake."""
        for cmd in self.commands.get(scope, []):
            if cmd["name"] == name:
                return int(cmd["id"])
        return self.snowflake()

    def component_interaction(
        self,
        custom_id: str,
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        message_id: int,
        component_type: int = 2,
        values: Sequence[str] | None = None,
        locale: str = "en-US",
        roles: Sequence[int] = (),
        permissions: str = "0",
        resolved: Mapping[str, Any] | None = None,
    ) -> JsonDict:
        """A component click/select payload; `message` is the stored message or a synthesized one."""
        message = self.messages.get(message_id)
        if message is not None:
            if not any(c.get("custom_id") == custom_id for c in _walk_components(message.get("components", []))):
                raise ValueError(f"message {message_id} has no component with custom_id {custom_id!r}")
            message = json.loads(json.dumps(message))
        else:
            message = self._synthetic_message(message_id, channel_id, guild_id, custom_id, component_type, values)
        data: JsonDict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None or component_type != 2:
            data["values"] = list(values or [])
        if resolved:
            data["resolved"] = dict(resolved)
        payload = self._interaction_base(
            3,
            data,
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            roles=roles,
            permissions=permissions,
        )
        payload["message"] = message
        self._register_interaction(payload)
        return payload

    def _synthetic_message(
        self,
        message_id: int,
        channel_id: int,
        guild_id: int | None,
        custom_id: str,
        component_type: int,
        values: Sequence[str] | None,
    ) -> JsonDict:
        """A bot message holding one component with this custom_id (DynamicItem needs it there)."""
        component: JsonDict = {"type": component_type, "custom_id": custom_id}
        if component_type == 2:
            component.update(style=1, label="button")
        elif component_type == 3:
            component["options"] = [{"label": v, "value": v} for v in (values or ["a"])]
        message: JsonDict = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": 0,
            "content": "",
            "embeds": [],
            "attachments": [],
            "components": [{"type": 1, "components": [component]}],
            "author": self._public_user(self.bot_user),
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": _now_iso(),
            "edited_timestamp": None,
            "flags": 0,
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        return message

    def modal_submit_interaction(
        self,
        custom_id: str,
        fields: Mapping[str, str],
        *,
        guild_id: int | None,
        channel_id: int,
        user_id: int,
        message_id: int | None = None,
        locale: str = "en-US",
        roles: Sequence[int] = (),
        permissions: str = "0",
    ) -> JsonDict:
        """A modal submission payload: one text input row per field."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]} for key, value in fields.items()
        ]
        payload = self._interaction_base(
            5,
            {"custom_id": custom_id, "components": rows},
            guild_id=guild_id,
            channel_id=channel_id,
            user_id=user_id,
            locale=locale,
            roles=roles,
            permissions=permissions,
        )
        if message_id is not None and message_id in self.messages:
            payload["message"] = json.loads(json.dumps(self.messages[message_id]))
        self._register_interaction(payload)
        return payload

    async def interact(self, payload: JsonDict, timeout: float = 5.0) -> DiscordCall:
        """Dispatch an INTERACTION_CREATE and return the recorded callback request."""
        iid = int(payload["id"])
        loop = asyncio.get_running_loop()
        future: asyncio.Future[DiscordCall] = loop.create_future()
        self._callback_waiters[iid] = future
        try:
            await self.dispatch("INTERACTION_CREATE", payload)
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            name = payload.get("data", {}).get("name") or payload.get("data", {}).get("custom_id")
            raise AssertionError(
                f"no callback for interaction {iid} ({name!r}) within {timeout}s.\n{self.describe()}"
            ) from None
        finally:
            self._callback_waiters.pop(iid, None)

    def _resolve_callback_waiter(self, call: DiscordCall) -> None:
        """Complete interact() when its interaction's callback arrives."""
        if call.method != "POST" or not call.path.startswith("/interactions/"):
            return
        parts = call.path.split("/")
        if len(parts) >= 3 and parts[2].isdigit():
            future = self._callback_waiters.get(int(parts[2]))
            if future is not None and not future.done():
                future.set_result(call)


@contextlib.asynccontextmanager
async def run_client(
    client: discord.Client, token: str = "fake-token", *, ready_timeout: float = 5.0
) -> AsyncIterator[asyncio.Task[None]]:
    """Run client.start() as a task until ready; close it and surface its errors on exit."""
    async with client:  # sets up the loop and the ready event, so wait_until_ready() works at once
        task: asyncio.Task[None] = asyncio.create_task(client.start(token), name="discord-client-start")
        try:
            ready = asyncio.create_task(client.wait_until_ready())
            done, _ = await asyncio.wait({ready, task}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED)
            if ready not in done:
                ready.cancel()
                if task in done:
                    task.result()
                    raise AssertionError("client.start() returned before the client was ready")
                raise AssertionError(f"client not ready within {ready_timeout}s")
            yield task
        finally:
            await client.close()
            error = await _settle(task)
        if error is not None:
            raise error


async def _settle(task: asyncio.Task[None], timeout: float = 5.0) -> BaseException | None:
    """Wait for the start task to end; its exception (if any)."""
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        task.cancel()
        return AssertionError(f"client.start() did not end within {timeout}s after close()")
    if task.cancelled():
        return None
    return task.exception()
