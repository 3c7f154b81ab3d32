"""GET /healthz and GET /metrics, added to each HTTP server of the bot and served alone on `ops.port`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from bot.core.metrics import COUNTERS, QUEUES_HELP
from bot.ops.health import TIMEOUT, health

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

PREFIX = "phosphore_"


class AppCollector(Collector):
    """The app's counters, its queues' depths (read just before each scrape) and its database commits."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.depths: dict[tuple[str, str], int] = {}

    def collect(self) -> Iterator[Metric]:
        """Every metric family, in Prometheus' model."""
        metrics = self.app.services.metrics
        for name, (text, labels) in COUNTERS.items():
            family = CounterMetricFamily(PREFIX + name, text, labels=labels)
            for values, count in sorted(metrics.counts[name].items()):
                family.add_metric(values, count)
            yield family
        queues = GaugeMetricFamily(PREFIX + "queue_depth", QUEUES_HELP, labels=("queue", "platform"))
        for (queue, platform), depth in sorted(self.depths.items()):
            queues.add_metric((queue, platform), depth)
        yield queues
        yield CounterMetricFamily(PREFIX + "db_commits", "Group transactions committed by this process",
                                  value=self.app.services.db.commits)  # fmt: skip
        yield GaugeMetricFamily(PREFIX + "scheduled_wakeups", "Wake-ups scheduled in this process",
                                value=len(self.app.services.wakeups.pending()))  # fmt: skip


def add_routes(application: web.Application, app: App) -> None:
    """Serve GET /healthz and GET /metrics for `app` on `application` (its own registry: no global state)."""
    registry = CollectorRegistry(auto_describe=False)
    collector = AppCollector(app)
    registry.register(collector)
    ProcessCollector(registry=registry)  # CPU, memory, open files of this process

    async def healthz(_request: web.Request) -> web.Response:
        """200 when the database answers and the scheduler runs, 503 otherwise; JSON saying which."""
        ok, body = await health(app)
        return web.json_response(body, status=200 if ok else 503, headers={"Cache-Control": "no-store"})

    async def metrics(_request: web.Request) -> web.Response:
        """The Prometheus text format."""
        try:
            collector.depths = await asyncio.wait_for(app.services.metrics.queue_depths(), TIMEOUT)
        except Exception:  # the counters still matter when the database does not answer; /healthz says why
            log.warning("metrics: queue depths not read", exc_info=True)
            collector.depths = {}
        return web.Response(body=generate_latest(registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    application.router.add_get("/healthz", healthz)
    application.router.add_get("/metrics", metrics)


async def start_ops(app: App, host: str, port: int) -> web.AppRunner | None:
    """Serve /healthz and /metrics alone on `port`; None (logged) when the port cannot be opened."""
    application = web.Application()
    add_routes(application, app)
    runner = web.AppRunner(application, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        log.error("health and metrics not served: cannot listen on %s:%s (%s)", host, port, error)
        await runner.cleanup()
        return None
    log.info("health and metrics served on %s:%s", host, port)
    return runner
