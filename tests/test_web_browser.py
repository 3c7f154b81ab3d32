"""The live web page in real headless Chromium: live bars over Server-Sent Events, buttons, projector mode.

The tests serve the page with a tiny aiohttp app of their own (the contract's routes and headers, states pushed by
the test), so they check the page and its script whatever the server behind it. They need Debian's `chromium`
(`.ci/run` installs it) and never download a browser: without it they are skipped, saying why.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.web import page as page_module
from bot.web.page import render_gone, render_page
from tests.web_support import NEEDS_CHROMIUM, PageState, serving

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.async_api", reason="playwright is not installed (pip install '.[test]')")

STATIC = Path(__file__).resolve().parents[1] / "bot" / "web" / "static"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SHARED, PERSONAL, CSRF = "Shared0Token0Of0128bits", "Personal0Token0Of128bit", "csrf-of-the-personal-link"


def poll(*counts: int, closed: bool = False) -> dict[str, Any]:
    """The poll "Quel trimestre ?" with these counts."""
    total = sum(counts)
    labels = ["Octobre-décembre", "Janvier-mars", "Avril-juin"]
    options = [
        {"label": label, "count": n, "percent": round(100 * n / total) if total else 0}
        for label, n in zip(labels, counts, strict=True)
    ]
    return {"id": 12, "question": "Quel trimestre ?", "options": options, "voters": total, "closed": closed}


FIRST = PageState(
    lang="fr",
    event={"ref": 4, "title": "Rencontre TMN", "starts": "dimanche 30 juin 2030 à 09:30", "session": None},
    poll=poll(1, 1, 0),
    questions=[
        {"id": 31, "n": 2, "text": "Et la billetterie ?", "author": "Bob", "votes": 3, "answered": False},
        {"id": 30, "n": 1, "text": "Qui finance ?", "author": "", "votes": 1, "answered": False},
    ],
    antennas=[{"name": "Nantes", "count": 6}],
    messages=[{"name": "Carol", "platform": "Discord", "text": "Bonjour", "at": "2030-06-30T09:31:00"}],
)


@dataclass
class Hub:
    """The test's server: the current state, the open streams, what the page posted, the revoked tokens."""

    state: PageState = FIRST
    event_id: int = 1
    streams: list[asyncio.Queue[PageState | None]] = field(default_factory=list)
    posts: list[tuple[str, dict[str, str], dict[str, str]]] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    resumed_from: list[str | None] = field(default_factory=list)  # each stream's Last-Event-ID

    def push(self, state: PageState) -> None:
        """A change in the chat: every open page gets the new state."""
        self.state, self.event_id = state, self.event_id + 1
        for queue in self.streams:
            queue.put_nowait(state)

    def drop_streams(self) -> None:
        """A short network cut: every open stream ends."""
        for queue in self.streams:
            queue.put_nowait(None)

    def revoke(self, token: str) -> None:
        """`/live web revoke`: the link stops at once, its open streams end."""
        self.revoked.add(token)
        for queue in self.streams:
            queue.put_nowait(None)


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """The contract's headers on every response, so the page is tested under its real CSP."""
    response: web.StreamResponse = await handler(request)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def make_app(hub: Hub) -> web.Application:
    """The contract's routes over the hub."""

    async def page(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if token in hub.revoked or token not in (SHARED, PERSONAL):
            return web.Response(status=410, text=render_gone("fr"), content_type="text/html")
        personal = token == PERSONAL
        html = render_page(
            hub.state,
            present=request.query.get("present") == "1",
            personal=personal,
            csrf=CSRF if personal else None,
            lang="fr",
            url=f"{request.scheme}://{request.host}/live/{SHARED}",
        )
        return web.Response(text=html, content_type="text/html")

    async def events(request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] in hub.revoked:
            return web.Response(status=410, text="gone")
        hub.resumed_from.append(request.headers.get("Last-Event-ID"))
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        queue: asyncio.Queue[PageState | None] = asyncio.Queue()
        hub.streams.append(queue)
        try:
            await response.write(b"retry: 300\n\n")
            state: PageState | None = hub.state
            while state is not None:
                await response.write(f"event: state\nid: {hub.event_id}\ndata: {state.to_json()}\n\n".encode())
                state = await queue.get()
        finally:
            hub.streams.remove(queue)
        return response

    async def act(request: web.Request) -> web.Response:
        form = await request.post()
        hub.posts.append((request.match_info["action"], {k: str(v) for k, v in form.items()}, dict(request.headers)))
        return web.json_response({"ok": True, "message": "Vous soutenez la question n°2 (4 soutiens)."})

    async def static(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / request.match_info["name"])

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/live/{token}", page)
    app.router.add_get("/live/{token}/events", events)
    app.router.add_post("/live/{token}/{action:vote|upvote|ask}", act)
    app.router.add_get("/static/{name:live\\.(js|css)}", static)
    return app


@dataclass
class Served:
    """The running test server and a headless Chromium."""

    hub: Hub
    base: str
    browser: Any


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    hub = Hub()
    async with serving(make_app(hub)) as (base, browser):
        try:
            yield Served(hub, base, browser)
        finally:
            for queue in list(hub.streams):
                queue.put_nowait(None)


async def open_page(served: Served, token: str, query: str = "", **context: Any) -> tuple[Any, list[str]]:
    """A fresh tab on the page, once its stream delivered the first state; and the console's complaints."""
    tab = await (await served.browser.new_context(**context)).new_page()
    complaints: list[str] = []
    tab.on("console", lambda message: complaints.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: complaints.append(str(error)))
    await tab.goto(f"{served.base}/live/{token}{query}")
    await tab.wait_for_function("() => document.body.getAttribute('data-event-id') !== null", timeout=5000)
    return tab, complaints


async def test_bars_change_within_2_s_of_a_vote_without_reloading(served: Served) -> None:
    tab, complaints = await open_page(served, SHARED)
    assert await tab.eval_on_selector_all("#poll progress", "bars => bars.map(b => b.value)") == [50, 50, 0]
    await tab.evaluate("window.sameDocument = true")  # gone if the page reloads
    loop = asyncio.get_running_loop()
    started = loop.time()
    evil = "<img src=x onerror=alert(1)>"
    served.hub.push(
        replace(
            FIRST,
            poll=poll(3, 1, 0),
            questions=[*FIRST.questions, {"id": 32, "n": 3, "text": evil, "author": "", "votes": 0, "answered": True}],
        )
    )
    await tab.wait_for_function(
        "() => [...document.querySelectorAll('#poll progress')].map(b => b.value).join() === '75,25,0'", timeout=2000
    )
    assert loop.time() - started < 2
    assert await tab.evaluate("window.sameDocument") is True
    assert await tab.text_content("#poll-voters") == "4 votants"
    # Member text arrives as text, never as markup; the anonymous question shows no author.
    last = tab.locator("#questions li.q").nth(2)
    assert evil in (await last.text_content() or "")
    assert await tab.locator("#questions img").count() == 0
    assert "anonyme" in (await last.text_content() or "") and "✓ répondue" in (await last.text_content() or "")
    assert not complaints, complaints  # no Content-Security-Policy violation, no script error


async def test_the_upvote_button_posts_with_the_csrf_token_from_the_keyboard(served: Served) -> None:
    tab, complaints = await open_page(served, PERSONAL)
    await tab.focus("button.upvote[data-question='31']")
    await tab.keyboard.press("Enter")
    await tab.wait_for_selector("#live-toast:not([hidden])", timeout=2000)
    assert await tab.text_content("#live-toast") == "Vous soutenez la question n°2 (4 soutiens)."
    action, form, headers = served.hub.posts[-1]
    assert action == "upvote" and form == {"question": "31", "csrf": CSRF}
    assert headers["X-CSRF-Token"] == CSRF and headers["Sec-Fetch-Site"] == "same-origin"
    # The chat's card changes: the page follows, and keyboard focus stays on the button.
    served.hub.push(replace(FIRST, questions=[{**FIRST.questions[0], "votes": 4}, FIRST.questions[1]]))
    await tab.wait_for_function(
        "() => document.querySelector(\"button[data-question='31'] .votes-n\").textContent === '4'"
    )
    assert await tab.evaluate("document.activeElement.getAttribute('data-question')") == "31"
    # A vote and a question go through the same way.
    await tab.click("button.vote[data-option='2']")
    await tab.fill("#ask-text", "Et les antennes ?")
    await tab.check("input[name=anonymous]")
    await tab.click("#ask-form button[type=submit]")
    await tab.wait_for_function("() => document.querySelector('#ask-text').value === ''")
    assert [(a, f) for a, f, _ in served.hub.posts[1:]] == [
        ("vote", {"poll": "12", "option": "2", "csrf": CSRF}),
        ("ask", {"text": "Et les antennes ?", "anonymous": "1", "csrf": CSRF}),
    ]
    assert not complaints, complaints


async def test_after_a_short_disconnect_the_page_resumes_with_last_event_id_and_misses_nothing(served: Served) -> None:
    tab, complaints = await open_page(served, SHARED)
    seen = served.hub.event_id
    served.hub.drop_streams()
    await asyncio.sleep(0)  # the streams end before the vote below
    served.hub.push(replace(FIRST, poll=poll(1, 1, 2)))  # a vote while the page is cut off
    await tab.wait_for_function(
        "() => [...document.querySelectorAll('#poll progress')].map(b => b.value).join() === '25,25,50'", timeout=3000
    )
    assert served.hub.resumed_from == [None, str(seen)]
    assert await tab.evaluate("document.body.getAttribute('data-event-id')") == str(served.hub.event_id)
    assert not complaints, complaints


async def test_a_revoked_link_stops_working(served: Served) -> None:
    tab, _ = await open_page(served, SHARED)
    served.hub.revoke(SHARED)
    # The stream ends, reconnecting is refused, and the page shows why instead of stale figures.
    await tab.wait_for_selector("body.gone", timeout=10000)
    assert "Ce lien ne fonctionne plus" in (await tab.text_content("h1") or "")
    response = await tab.goto(f"{served.base}/live/{SHARED}")
    assert response.status == 410 and "/live web" in (await tab.text_content("main") or "")


async def test_projector_mode_renders_one_slide_at_a_time_with_the_qr_code(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(page_module, "SLIDE_SECONDS", 1)
    tab, complaints = await open_page(served, SHARED, "?present=1", viewport={"width": 1280, "height": 720})
    assert await tab.is_visible("#poll") and not await tab.is_visible("#questions")
    assert await tab.is_visible(".qr svg")
    font = await tab.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 28  # large type: readable from the back of the room
    ARTIFACTS.mkdir(exist_ok=True)
    await tab.screenshot(path=str(ARTIFACTS / "projector-poll.png"))
    await tab.wait_for_selector("#questions:not([hidden])", timeout=3000)
    assert not await tab.is_visible("#poll")
    await tab.screenshot(path=str(ARTIFACTS / "projector-questions.png"))
    assert not complaints, complaints


async def test_the_page_fits_a_phone(served: Served) -> None:
    tab, _ = await open_page(served, PERSONAL, viewport={"width": 360, "height": 740}, is_mobile=True)
    assert await tab.evaluate("document.documentElement.scrollWidth") <= 360
    box = await tab.locator("button.upvote").first.bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44  # a thumb's width
    ARTIFACTS.mkdir(exist_ok=True)
    await tab.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)


def test_the_first_state_is_json_the_page_can_read() -> None:
    assert json.loads(FIRST.to_json())["poll"]["options"][0]["percent"] == 50
