"""The page's view of the contract's PageState: plain JSON values, so page tests set any state they need."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest
from aiohttp import web


@dataclass(frozen=True)
class PageState:
    """What `bot.web.state.PageState.to_json()` gives, field for field (the page reads only that JSON)."""

    lang: str
    event: dict[str, Any]
    poll: dict[str, Any] | None
    questions: list[dict[str, Any]]
    antennas: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    ideas: list[dict[str, Any]] = field(default_factory=list)
    stopped: bool = False

    def to_json(self) -> str:
        """The state as the server streams it."""
        return json.dumps(asdict(self), ensure_ascii=False)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")  # Debian's; never a downloaded browser
NEEDS_CHROMIUM = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium): browser tests skipped"
)


@asynccontextmanager
async def serving(application: web.Application) -> AsyncIterator[tuple[str, Any]]:
    """`application` served on 127.0.0.1 and a headless Chromium: the base URL and the browser."""
    from playwright.async_api import async_playwright

    runner = web.AppRunner(application, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM)
            try:
                yield f"http://{host}:{port}", browser
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
