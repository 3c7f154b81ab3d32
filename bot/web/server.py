"""The live page's HTTP side: the page, its Server-Sent Events, the actions of personal links, static files.

One aiohttp application in the bot's process. Changes of a live thread reach it through the live
service's listeners; a `Hub` coalesces them per thread, rebuilds the page state once and wakes every
viewer's stream. Events carry monotonic ids per thread: a client reconnecting with an older
`Last-Event-ID` gets the current state at once (the state is idempotent, so nothing is missed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.core.errors import UserError
from bot.features.live.commands import LiveDeps
from bot.features.live.domain import LiveThread
from bot.i18n import Translator
from bot.ops.server import add_routes
from bot.web.links import Links, Opened
from bot.web.page import render_gone, render_page
from bot.web.state import PageReads, PageState, StateBuilder

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
HEARTBEAT = 15.0  # seconds between comment lines, so proxies keep the stream open
COALESCE = 0.1  # a burst of votes within this window becomes one state event
RATE_LIMIT = 20  # actions per link…
RATE_WINDOW = 60.0  # …per this many seconds
STATIC = {"js": "text/javascript", "css": "text/css"}  # /static/live.<ext>


@dataclass
class Feed:
    """One thread's latest state, its event id, and the viewers waiting for the next one."""

    version: int
    data: str | None = None
    state: PageState | None = None
    viewers: int = 0
    revocations: int = 0  # bumped by /live web revoke: streams re-check their link
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    pending: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Wake every waiting stream; the next wait uses a fresh event."""
        self.changed.set()
        self.changed = asyncio.Event()


class Hub:
    """Per-thread feeds: coalesced rebuilds after changes, woken streams."""

    def __init__(self, builder: StateBuilder, thread: Callable[[int], Any]) -> None:
        self.builder = builder
        self.thread = thread  # thread id -> awaitable LiveThread | None (read fresh: it may have stopped)
        self.feeds: dict[int, Feed] = {}
        self.closing = asyncio.Event()
        self.builds = 0
        self.tasks: set[asyncio.Task[None]] = set()  # rebuilds scheduled or running, ended before the bot stops

    def feed(self, thread_id: int) -> Feed:
        """The thread's feed; ids start at the current millisecond, so they keep growing across restarts."""
        found = self.feeds.get(thread_id)
        if found is None:
            found = self.feeds[thread_id] = Feed(int(time.time() * 1000))
        return found

    def changed(self, thread_id: int) -> None:
        """A live listener: a thread changed; rebuild soon if anyone watches it (coalesced)."""
        feed = self.feeds.get(thread_id)
        if feed is None or feed.viewers == 0:
            if feed is not None:
                feed.data = feed.state = None  # stale: the next viewer rebuilds
            return
        if feed.pending is None:
            feed.pending = asyncio.get_running_loop().create_task(self._rebuild_later(thread_id, feed))
            self.tasks.add(feed.pending)
            feed.pending.add_done_callback(self.tasks.discard)

    async def stop(self) -> None:
        """Cancel the rebuilds still waiting or running: the database closes after the server."""
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    def revoked(self, thread_id: int) -> None:
        """The thread's links were revoked: streams re-check theirs at once."""
        feed = self.feeds.get(thread_id)
        if feed is not None:
            feed.revocations += 1
            feed.wake()

    async def _rebuild_later(self, thread_id: int, feed: Feed) -> None:
        await asyncio.sleep(COALESCE)
        feed.pending = None  # changes from now on schedule their own rebuild
        try:
            live = await self.thread(thread_id)
            if live is not None:
                await self._refresh(live, feed)
        except Exception:
            log.exception("live page update failed thread=%s", thread_id)

    async def _refresh(self, live: LiveThread, feed: Feed) -> None:
        state = await self.builder.build(live)
        self.builds += 1
        data = state.to_json()
        if data != feed.data:
            feed.version += 1
            feed.data, feed.state = data, state
            feed.wake()

    async def current(self, live: LiveThread) -> Feed:
        """The thread's feed with a state no older than the last change."""
        feed = self.feed(live.id)
        if feed.data is None:
            await self._refresh(live, feed)
        return feed


@dataclass(frozen=True)
class Server:
    """What the routes use."""

    deps: LiveDeps
    links: Links
    hub: Hub
    builder: StateBuilder
    public_url: str
    hits: dict[str, deque[float]] = field(default_factory=dict)

    def lang(self, live: LiveThread | None) -> str:
        """The language of pages about a thread (the default one when no thread is known)."""
        return self.builder.lang(live) if live is not None else self.builder.spaces.default.locale

    def limited(self, token: str) -> bool:
        """Count one action of a link; whether it went over its rate limit."""
        now = time.monotonic()
        hits = self.hits.setdefault(token, deque())
        while hits and hits[0] <= now - RATE_WINDOW:
            hits.popleft()
        if len(hits) >= RATE_LIMIT:
            return True
        hits.append(now)
        return False


APP_KEY = web.AppKey("phosphore_web", Server)


def web_app(app: Any) -> web.Application:
    """The live pages of a running Phosphore `App` (bot.app.App), as an aiohttp application."""
    deps = app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    builder = StateBuilder(deps.stage.engage, app.services.spaces, PageReads(app.services.db))
    hub = Hub(builder, deps.live.store.get)
    deps.live.listeners.append(hub.changed)
    deps.links.revocations.append(hub.revoked)
    server = Server(deps, deps.links, hub, builder, deps.web_url)
    application = web.Application(client_max_size=64 * 1024)
    application[APP_KEY] = server
    application.on_response_prepare.append(_secure)
    application.on_shutdown.append(_shutdown)
    application.router.add_get("/live/{token}", page)
    application.router.add_get("/live/{token}/events", events)
    application.router.add_post("/live/{token}/vote", vote)
    application.router.add_post("/live/{token}/upvote", upvote)
    application.router.add_post("/live/{token}/ask", ask)
    application.router.add_get("/static/live.{ext}", static)
    add_routes(application, app)  # /healthz and /metrics: probed where the pages are served
    return application


async def _secure(_request: web.Request, response: web.StreamResponse) -> None:
    """Every response, errors and streams included, carries the security headers."""
    response.headers.update(SECURITY_HEADERS)


async def _shutdown(application: web.Application) -> None:
    """End the open streams so the server can stop."""
    server = application[APP_KEY]
    server.hub.closing.set()
    for feed in server.hub.feeds.values():
        feed.wake()
    deps = server.deps
    with contextlib.suppress(ValueError):
        deps.live.listeners.remove(server.hub.changed)
    await server.hub.stop()
    with contextlib.suppress(ValueError):
        deps.links.revocations.remove(server.hub.revoked)


async def gone(server: Server, token: str) -> web.Response:
    """A clear page for a link that does not work: 410 if it once did, else 404."""
    status = 410 if await server.links.known(token) else 404
    return web.Response(text=render_gone(server.lang(None)), status=status, content_type="text/html",
                        headers={"Cache-Control": "no-store"})  # fmt: skip


async def page(request: web.Request) -> web.Response:
    """GET /live/{token}: the page, in projector mode with ?present=1 (or on a projector link)."""
    server = request.app[APP_KEY]
    token = request.match_info["token"]
    opened = await server.links.open(token)
    if opened is None:
        return await gone(server, token)
    feed = await server.hub.current(opened.live)
    assert feed.state is not None
    lang = server.lang(opened.live)
    present = request.query.get("present") == "1" or opened.link.kind == "projector"
    personal = opened.link.personal
    csrf = server.links.csrf(opened.link) if personal else None
    url = ""
    if present:  # the projector shows the shared (read-only) link as a QR code for the people in the room
        shared, _projector = await server.links.public(opened.live)
        url = f"{server.public_url.rstrip('/')}/live/{shared.token}"
    html = render_page(feed.state, present=present, personal=personal, csrf=csrf, lang=lang, url=url)
    return web.Response(text=html, content_type="text/html", headers={"Cache-Control": "no-store"})


def _event(feed: Feed) -> bytes:
    return f"id: {feed.version}\nevent: state\ndata: {feed.data}\n\n".encode()


async def events(request: web.Request) -> web.StreamResponse:
    """GET /live/{token}/events: the state now (unless the client has it), then each new state, heartbeats."""
    server = request.app[APP_KEY]
    token = request.match_info["token"]
    opened = await server.links.open(token)
    if opened is None:
        return await gone(server, token)
    hub = server.hub
    feed = hub.feed(opened.live.id)
    feed.viewers += 1
    try:
        await hub.current(opened.live)
        response = web.StreamResponse(headers={
            "Content-Type": "text/event-stream", "Cache-Control": "no-store", "X-Accel-Buffering": "no",
        })  # fmt: skip
        await response.prepare(request)
        await response.write(b"retry: 1000\n\n")
        sent = request.headers.get("Last-Event-ID", "")
        revocations = feed.revocations
        while not hub.closing.is_set():
            if sent != str(feed.version) and feed.data is not None:
                await response.write(_event(feed))
                sent = str(feed.version)
            stopped = feed.state is not None and feed.state.stopped
            if feed.revocations != revocations or (stopped and opened.link.personal):
                revocations = feed.revocations
                if await server.links.open(token) is None:
                    break  # revoked, or a personal link of a stopped thread: the page shows it is gone
            waiting = feed.changed
            try:
                await asyncio.wait_for(waiting.wait(), HEARTBEAT)
            except TimeoutError:
                await response.write(b": heartbeat\n\n")
        return response
    except (ConnectionResetError, asyncio.CancelledError):
        raise
    finally:
        feed.viewers -= 1


class Refused(Exception):
    """An action refused before it reaches the live services: status and catalog key."""

    def __init__(self, status: int, key: str) -> None:
        super().__init__(key)
        self.status = status
        self.key = key


def _same_origin(request: web.Request, public_url: str) -> bool:
    """Cross-site POSTs are refused: Sec-Fetch-Site when the browser sends it, and Origin when present."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is None:
        return site is not None  # a browser that sends neither is too old to trust with an action
    allowed = {f"{request.scheme}://{request.host}", public_url.rstrip("/")}
    public = urlsplit(public_url)
    allowed.add(f"{public.scheme}://{public.netloc}")
    return origin.rstrip("/") in allowed


async def _acting(request: web.Request) -> tuple[Server, Opened, dict[str, str]]:
    """The personal link an action comes from, checked: link, origin, CSRF token, rate limit."""
    server = request.app[APP_KEY]
    opened = await server.links.open(request.match_info["token"])
    if opened is None:
        raise Refused(410, "live.web.gone")
    if not opened.link.personal:
        raise Refused(403, "live.web.read_only")
    if not _same_origin(request, server.public_url):
        raise Refused(403, "live.web.forbidden")
    form = {key: str(value) for key, value in (await request.post()).items()}
    sent = request.headers.get("X-CSRF-Token") or form.get("csrf", "")
    if not server.links.check_csrf(opened.link, sent):
        raise Refused(403, "live.web.forbidden")
    if server.limited(opened.link.token):
        raise Refused(429, "live.web.too_many")
    return server, opened, form


def _number(form: dict[str, str], name: str) -> int:
    try:
        return int(form.get(name, ""))
    except ValueError:
        raise UserError("live.web.bad_request") from None


async def _act(request: web.Request, do: Callable[[Server, Opened, dict[str, str], Translator], Any]) -> web.Response:
    """Run an action of a personal link; answer JSON {"ok", "message"} in the thread's language."""
    server: Server | None = None
    _ = Translator(None)
    try:
        server, opened, form = await _acting(request)
        _ = Translator(server.lang(opened.live))
        message = await do(server, opened, form, _)
        return web.json_response({"ok": True, "message": message}, headers={"Cache-Control": "no-store"})
    except Refused as refused:
        server = request.app[APP_KEY]
        _ = Translator(server.lang(None))
        return web.json_response({"ok": False, "message": _(refused.key)}, status=refused.status)
    except UserError as error:
        return web.json_response({"ok": False, "message": _(error.key, **error.params)}, status=400)


async def vote(request: web.Request) -> web.Response:
    """POST /live/{token}/vote (poll, option): as a click on the poll's card in the chat (a second one toggles)."""

    async def do(server: Server, opened: Opened, form: dict[str, str], _: Translator) -> str:
        poll_id, option = _number(form, "poll"), _number(form, "option")
        poll, choices = await server.deps.stage.engage.vote_in(opened.live, opened.link.acting(), poll_id, option)
        chosen = ", ".join(poll.options[i] for i in choices if 0 <= i < len(poll.options))
        return _("live.web.voted", choices=chosen) if choices else _("live.web.unvoted")

    return await _act(request, do)


async def upvote(request: web.Request) -> web.Response:
    """POST /live/{token}/upvote (question): as ▲ on the question's card."""

    async def do(server: Server, opened: Opened, form: dict[str, str], _: Translator) -> str:
        question_id = _number(form, "question")
        engage = server.deps.stage.engage
        question, on = await engage.upvote_in(opened.live, opened.link.acting(), question_id)
        return _("live.upvoted" if on else "live.unvoted", number=question.number, count=question.votes)

    return await _act(request, do)


async def ask(request: web.Request) -> web.Response:
    """POST /live/{token}/ask (text, anonymous): as /live ask; the card goes to every attached thread."""

    async def do(server: Server, opened: Opened, form: dict[str, str], _: Translator) -> str:
        anonymous = form.get("anonymous", "") in ("1", "on", "true", "yes")
        stage = server.deps.stage
        question = await stage.engage.ask_in(opened.live, None, opened.link.acting(), form.get("text", ""), anonymous)
        await stage.published(opened.live)
        return _("live.asked_anonymous" if anonymous else "live.asked", number=question.number)

    return await _act(request, do)


async def static(request: web.Request) -> web.Response:
    """GET /static/live.js|live.css, cached for an hour."""
    ext = request.match_info["ext"]
    if ext not in STATIC:
        raise web.HTTPNotFound()
    body = (resources.files("bot.web") / "static" / f"live.{ext}").read_bytes()
    return web.Response(body=body, content_type=STATIC[ext], headers={"Cache-Control": "public, max-age=3600"})


async def start_web(app: Any, host: str, port: int) -> web.AppRunner | None:
    """Serve the live pages beside the adapters; None (logged) when the port cannot be opened."""
    runner = web.AppRunner(web_app(app), access_log=None)  # tokens are in paths: keep them out of logs
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        log.error("live pages not served: cannot listen on %s:%s (%s)", host, port, error)
        await runner.cleanup()
        return None
    log.info("live pages served on %s:%s", host, port)
    return runner
