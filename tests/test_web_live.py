"""The live page served by the bot itself, in real headless Chromium: a chat vote moves the page's bars, an upvote
from a personal link moves the chat's card, a revoked link stops, and the projector renders.

Needs Debian's `chromium` (`.ci/run` installs it; nothing is downloaded): skipped, saying why, without it.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.core.ports import Capabilities
from bot.web.server import web_app
from tests.helpers import Session
from tests.web_support import serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium installed (apt-get install chromium): browser tests skipped"
)
playwright_api = pytest.importorskip(
    "playwright.async_api", reason="playwright is not installed (pip install '.[test]')"
)

LINK = re.compile(r"/live/([A-Za-z0-9_-]+)")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@dataclass
class Live:
    """The bot with a running live thread, its page server and a browser."""

    bot: Session
    base: str
    browser: Any
    shared: str
    projector: str
    bob: str  # bob's personal link

    async def open(self, token: str, query: str = "") -> Any:
        """A tab on a link's page, once its stream delivered the first state."""
        tab = await (await self.browser.new_context()).new_page()
        await tab.goto(f"{self.base}/live/{token}{query}")
        await tab.wait_for_function("() => document.body.getAttribute('data-event-id') !== null", timeout=5000)
        return tab


@pytest.fixture
async def live(app: App, bot: Session) -> AsyncIterator[Live]:
    """An event, its live thread with a poll and a question, every link, the real page server, Chromium."""
    app.services.delivery.register("console", bot.sent, Capabilities(inbound=True, edits=True))
    await bot.say('/event create "Rencontre TMN" --start "1 juin 11h" --end "17h" --onsite 10 --remote 20')
    await bot.say("/live start 1")
    await bot.say('/live poll "Quel trimestre ?" "Automne" "Hiver"')
    await bot.say('/live ask "Qui finance la suite ?"')
    staff = LINK.findall((await bot.say("/live web")).text or "")
    (bob,) = LINK.findall((await bot.as_("bob").say("/live web")).text or "")
    async with serving(web_app(app)) as (base, browser):
        yield Live(bot, base, browser, staff[1], staff[2], bob)


def card_button(bot: Session, title: str, label: str) -> str:
    """The action id of a button on the latest posted card whose title contains `title`."""
    for _space, _channel, reply in reversed(bot.sent.posts):
        if reply.card and title in reply.card.title:
            return next(c.action_id for c in reply.card.controls if label in getattr(c, "label", ""))
    raise AssertionError(f"no card {title!r}")


async def test_a_chat_vote_moves_the_bars_within_2_s_without_reloading(live: Live) -> None:
    """Bob votes in the chat; the page opened on the shared link shows it without a reload."""
    tab = await live.open(live.shared)
    assert await tab.eval_on_selector_all("#poll progress", "bars => bars.map(b => b.value)") == [0, 0]
    await tab.evaluate("window.sameDocument = true")
    await live.bot.settle()
    vote = card_button(live.bot, "Quel trimestre", "Hiver")
    started = asyncio.get_running_loop().time()
    await live.bot.as_("bob").act(vote)
    await tab.wait_for_function(
        "() => [...document.querySelectorAll('#poll progress')].map(b => b.value).join() === '0,100'", timeout=2000
    )
    assert asyncio.get_running_loop().time() - started < 2
    assert await tab.evaluate("window.sameDocument") is True


async def test_an_upvote_from_a_personal_link_moves_the_chat_card(live: Live) -> None:
    """Bob upvotes on his page: it counts as his, and the question's card in the chat shows it."""
    tab = await live.open(live.bob)
    await tab.click("button.upvote")
    await tab.wait_for_selector("#live-toast:not([hidden])", timeout=3000)
    assert await tab.text_content("#live-toast") == "Vous soutenez la question n°1 (1 soutien)."
    await live.bot.sent.wait_until(
        lambda: any(
            "Question n°1" in card.title and (card.footer or "").startswith("▲ 1 soutien")
            for _r, card in live.bot.sent.edits
        )
    )
    again = await live.bot.as_("bob").act(card_button(live.bot, "Question n°1", "soutiens"))  # his own click undoes it
    assert "plus" in (again.text or "")


async def test_a_revoked_link_stops_and_the_projector_renders(live: Live) -> None:
    """The projector shows the poll and the QR code; after /live web revoke the same address is gone."""
    ARTIFACTS.mkdir(exist_ok=True)
    tab = await live.open(live.projector)
    assert await tab.locator("svg").count() >= 1  # the QR code of the shared link
    await tab.screenshot(path=str(ARTIFACTS / "projector-live.png"))
    await live.bot.say("/live web revoke")
    gone = await (await live.browser.new_context()).new_page()
    response = await gone.goto(f"{live.base}/live/{live.shared}")
    assert response is not None and response.status == 410
