"""Run the Slack adapter: Socket Mode when an app-level token is set, else HTTP on $PORT."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp

from bot.adapters.slack.adapter import SlackAdapter, build_bolt, close_bolt
from bot.adapters.slack.signing import RequestGuard, bolt_request
from bot.app import App
from bot.config import ConfigError
from bot.ops.server import add_routes

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"  # Bolt's conventional path: commands, interactivity and events


def web_app(bolt: AsyncApp, signing_secret: str, app: App | None = None) -> web.Application:
    """POST /slack/events (signature, replay and body checked before Bolt), GET /healthz and, with `app`, /metrics."""
    guard = RequestGuard(signing_secret)

    async def events(request: web.Request) -> web.Response:
        """Check the raw request, then translate aiohttp <-> Bolt."""
        raw = await request.read()
        timestamp = guard.signed_at(request.headers, raw)
        if timestamp is None:
            return web.Response(status=401, text="invalid request signature")
        if guard.is_replay(request.headers, timestamp):
            log.info("ignored a replayed Slack request")
            return web.Response(status=200, text="")
        bolt_req = bolt_request(raw, request.query_string, request.headers)
        if bolt_req is None:
            return web.Response(status=400, text="malformed request")
        return await to_aiohttp_response(await bolt.async_dispatch(bolt_req))

    async def healthz(request: web.Request) -> web.Response:
        """Liveness for the hosting platform."""
        return web.json_response({"ok": True})

    application = web.Application()
    application.router.add_post(EVENTS_PATH, events)
    if app is None:
        application.router.add_get("/healthz", healthz)
    else:  # behind a load balancer, this port is the one probed: the database and scheduler checks
        add_routes(application, app)
    return application


@asynccontextmanager
async def http_server(
    bolt: AsyncApp, host: str, port: int, signing_secret: str, app: App | None = None
) -> AsyncIterator[str]:
    """Serve the Bolt app over HTTP (with `app`'s health and metrics); yield the events URL (port 0: a free one)."""
    runner = web.AppRunner(web_app(bolt, signing_secret, app), access_log=None, shutdown_timeout=5.0)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    bound_host, bound_port = runner.addresses[0][:2]
    try:
        yield f"http://{bound_host}:{bound_port}{EVENTS_PATH}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def socket_mode(bolt: AsyncApp, app_token: str) -> AsyncIterator[AsyncSocketModeHandler]:
    """A connected Socket Mode handler, closed on exit."""
    # The SDK's client creates its session and tasks in __init__: build it inside the running loop.
    handler = AsyncSocketModeHandler(bolt, app_token=app_token)
    client = handler.client
    try:
        await handler.connect_async()
        yield handler
    finally:
        await handler.close_async()
        # close_async() cancels the client's background tasks without awaiting them: reap them.
        tasks = [t for t in (client.message_processor, client.current_session_monitor, client.message_receiver) if t]
        await asyncio.gather(*tasks, return_exceptions=True)


async def serve(app: App) -> None:
    """Run until cancelled: Socket Mode if SLACK_APP_TOKEN is set, else HTTP with signed requests."""
    settings = app.services.settings
    app_token = settings.secrets.get("SLACK_APP_TOKEN")
    bolt = build_bolt(settings)  # raises first when the bot token is missing
    adapter: SlackAdapter | None = None
    try:
        signing_secret = settings.secrets.get("SLACK_SIGNING_SECRET", "")
        if not app_token and not signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is not set (needed to check requests in HTTP mode)")
        adapter = SlackAdapter(app, bolt)
        # Everything loaded so far lives as long as the process: keep it out of full collections,
        # whose pauses (100 ms and more with Bolt, aiohttp and Babel loaded) hold every pending ack.
        gc.collect()
        gc.freeze()
        if app_token:
            async with socket_mode(bolt, app_token):
                log.warning("Slack adapter connected in Socket Mode")
                await asyncio.Event().wait()
        async with http_server(bolt, settings["slack.host"], settings["slack.port"], signing_secret, app) as url:
            log.warning("Slack adapter listening on %s", url)
            await asyncio.Event().wait()
    finally:
        if adapter is not None:
            await adapter.drain()
            await app.detach("slack", adapter)
        await close_bolt(bolt)
