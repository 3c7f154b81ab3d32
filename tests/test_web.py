"""The live page's server side: links, tokens, security, actions from personal links, the SSE stream."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.app import App
from bot.core.ports import Capabilities
from bot.features.live.commands import LiveDeps
from bot.features.live.engage_views import LIVE_VOTE, UPVOTE
from bot.web.links import TOKEN_BYTES, new_token
from bot.web.server import CSP, RATE_LIMIT, web_app
from tests.helpers import Session

LINK = re.compile(r"/live/([A-Za-z0-9_-]+)")


@dataclass
class Page:
    """A running live thread, its links, and a client of the page server."""

    bot: Session
    client: TestClient[aiohttp.web.Request, aiohttp.web.Application]
    alice: str  # alice's personal token (staff)
    shared: str
    projector: str
    bob: str  # bob's personal token
    thread_id: int

    @property
    def origin(self) -> str:
        """The page server's own origin, as a browser sends it."""
        return str(self.client.make_url("")).rstrip("/")

    async def post(self, token: str, verb: str, data: dict[str, str], **headers: str) -> aiohttp.ClientResponse:
        """A same-origin POST from the page of `token`, with its CSRF token unless given."""
        page = await self.client.get(f"/live/{token}")
        html = await page.text()
        csrf = re.search(r'name="csrf"[^>]*value="([0-9a-f]+)"', html)
        sent = {"csrf": csrf.group(1) if csrf else "", **data}
        return await self.client.post(
            f"/live/{token}/{verb}",
            data=sent,
            headers={"Origin": self.origin, "Sec-Fetch-Site": "same-origin", **headers},
        )

    async def state(self) -> dict[str, object]:
        """The page's state as the stream's first event gives it."""
        async with self.client.get(f"/live/{self.shared}/events") as stream:
            return (await next_event(stream))[1]


def deps_of(app: App) -> LiveDeps:
    """The live feature's handler dependencies."""
    deps = app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    return deps


async def next_event(stream: aiohttp.ClientResponse, timeout: float = 2.0) -> tuple[str, dict[str, object]]:
    """The next `state` event of an SSE stream: its id and data (comment lines and `retry` skipped)."""
    while True:
        block = (await asyncio.wait_for(stream.content.readuntil(b"\n\n"), timeout)).decode()
        fields = dict(
            line.split(": ", 1) for line in block.strip().splitlines() if not line.startswith(":") and ": " in line
        )
        if fields.get("event") == "state":
            return fields["id"], json.loads(fields["data"])


@pytest.fixture
async def page(app: App, bot: Session) -> AsyncIterator[Page]:
    """An event with a live thread in #general, and the page server on 127.0.0.1."""
    app.services.delivery.register("console", bot.sent, Capabilities(inbound=True, edits=True))
    await bot.say('/event create "Rencontre TMN" --start "1 juin 11h" --end "17h" --onsite 10 --remote 20')
    await bot.say("/live start 1")
    staff = LINK.findall((await bot.say("/live web")).text or "")
    members = LINK.findall((await bot.as_("bob").say("/live web")).text or "")
    assert len(staff) == 3 and len(members) == 1, (staff, members)
    thread_id = (await deps_of(app).live.here("console:local", "general"))[0].id
    async with TestClient(TestServer(web_app(app), host="127.0.0.1")) as client:
        yield Page(bot, client, staff[0], staff[1], staff[2], members[0], thread_id)


async def test_tokens_are_long_random_and_each_link_has_its_own(page: Page) -> None:
    assert TOKEN_BYTES * 8 >= 128 and len(new_token()) >= 22 and new_token() != new_token()
    tokens = {page.alice, page.shared, page.projector, page.bob}
    assert len(tokens) == 4 and all(len(token) >= 22 for token in tokens)
    again = LINK.findall((await page.bot.as_("bob").say("/live web")).text or "")
    assert again == [page.bob]  # the same personal link until revoked


async def test_unknown_revoked_and_expired_links_get_a_clear_page(page: Page) -> None:
    unknown = await page.client.get("/live/" + new_token())
    assert unknown.status == 404 and "/live web" in await unknown.text()
    assert (await page.client.get(f"/live/{page.shared}")).status == 200
    reply = await page.bot.as_("bob").say("/live web revoke")
    assert "équipe" in (reply.text or "")  # staff only
    reply = await page.bot.say("/live web revoke")
    assert "4 liens révoqués" in (reply.text or ""), reply.text
    for token in (page.shared, page.projector, page.bob):
        gone = await page.client.get(f"/live/{token}")
        text = await gone.text()
        assert gone.status == 410 and "Traceback" not in text and "/live web" in text
        assert gone.headers["Content-Type"].startswith("text/html")
        assert (await page.client.get(f"/live/{token}/events")).status == 410
    fresh = LINK.findall((await page.bot.say("/live web")).text or "")
    assert fresh and page.shared not in fresh and (await page.client.get(f"/live/{fresh[1]}")).status == 200


async def test_a_personal_link_stops_with_the_thread_the_shared_one_shows_it_stopped(page: Page) -> None:
    await page.bot.say("/live stop")
    assert (await page.client.get(f"/live/{page.bob}")).status == 410
    assert (await page.post(page.bob, "vote", {"poll": "1", "option": "0"})).status == 410
    assert (await page.client.get(f"/live/{page.shared}")).status == 200
    assert (await page.state())["stopped"] is True


async def test_every_response_carries_the_security_headers(page: Page) -> None:
    for path in (f"/live/{page.shared}", f"/live/{new_token()}", "/static/live.js", "/static/live.css", "/nope"):
        response = await page.client.get(path)
        assert response.headers["Content-Security-Policy"] == CSP, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "max-age" in (await page.client.get("/static/live.js")).headers["Cache-Control"]
    async with page.client.get(f"/live/{page.shared}/events") as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        assert stream.headers["Content-Security-Policy"] == CSP
    present = await page.client.get(f"/live/{page.shared}?present=1")
    assert present.status == 200 and "present" in await present.text()


async def test_actions_need_a_personal_link_the_csrf_token_and_the_same_origin(page: Page) -> None:
    await page.bot.say('/live ask "Et le budget ?"')
    question = await page.state()
    qid = str(question["questions"][0]["id"])  # type: ignore[index]
    shared = await page.post(page.shared, "upvote", {"question": qid})
    assert shared.status == 403 and "lecture seule" in (await shared.json())["message"]
    no_token = await page.post(page.bob, "upvote", {"question": qid, "csrf": ""})
    assert no_token.status == 403 and not (await no_token.json())["ok"]
    forged = await page.post(page.bob, "upvote", {"question": qid, "csrf": "0" * 64})
    assert forged.status == 403
    foreign = await page.post(page.bob, "upvote", {"question": qid}, Origin="https://evil.example")
    assert foreign.status == 403
    cross = await page.post(page.bob, "upvote", {"question": qid}, **{"Sec-Fetch-Site": "cross-site"})
    assert cross.status == 403
    other = await page.post(page.alice, "upvote", {"question": qid, "csrf": ""})
    assert other.status == 403
    assert (await page.state())["questions"][0]["votes"] == 0  # type: ignore[index]
    ok = await page.post(page.bob, "upvote", {"question": qid})
    body = await ok.json()
    assert ok.status == 200 and body["ok"] and "n°1" in body["message"], body


async def test_a_personal_link_acts_as_its_member_once_across_chat_and_page(page: Page) -> None:
    bob = page.bot.as_("bob")
    await page.bot.say('/live poll "Quel atelier ?" "Danse" "Théâtre"')
    poll_id = (await deps_of(page.bot.app).stage.engage.store.polls(page.thread_id))[-1]
    await bob.act(LIVE_VOTE.id(poll_id, 0))  # bob votes in the chat
    state = await page.state()
    assert state["poll"]["options"][0]["count"] == 1 and state["poll"]["voters"] == 1  # type: ignore[index]
    again = await page.post(page.bob, "vote", {"poll": str(poll_id), "option": "0"})  # …then from the page: a toggle
    assert (await again.json())["message"] == "Vote retiré."
    assert (await page.state())["poll"]["voters"] == 0  # type: ignore[index]
    voted = await page.post(page.bob, "vote", {"poll": str(poll_id), "option": "1"})
    assert "Théâtre" in (await voted.json())["message"]
    assert (await page.state())["poll"]["options"][1]["count"] == 1  # type: ignore[index]
    reply = await bob.act(LIVE_VOTE.id(poll_id, 1))  # the chat sees the page's vote: a second click takes it back
    assert (await page.state())["poll"]["voters"] == 0, reply.text  # type: ignore[index]
    bad = await page.post(page.bob, "vote", {"poll": str(poll_id), "option": "nine"})
    assert bad.status == 400 and not (await bad.json())["ok"]


async def test_an_upvote_and_a_question_from_the_page_count_as_in_the_chat(page: Page) -> None:
    bob = page.bot.as_("bob")
    await page.bot.say('/live ask "Et le budget ?"')
    qid = (await page.state())["questions"][0]["id"]  # type: ignore[index]
    await page.post(page.bob, "upvote", {"question": str(qid)})
    reply = await bob.act(UPVOTE.id(qid))  # bob's second click, in the chat, takes the page's upvote back
    assert "ne soutenez plus" in (reply.text or ""), reply.text
    asked = await page.post(page.bob, "ask", {"text": "Qui finance ?", "anonymous": "1"})
    assert (await asked.json())["ok"]
    state = await page.state()
    texts = {q["text"]: q for q in state["questions"]}  # type: ignore[attr-defined]
    assert texts["Qui finance ?"]["author"] == ""  # anonymous stays anonymous
    await page.post(page.bob, "ask", {"text": "Et après ?"})
    named = {q["text"]: q for q in (await page.state())["questions"]}  # type: ignore[attr-defined]
    assert named["Et après ?"]["author"] == "bob"
    raw = json.dumps(await page.state())
    assert "console:" not in raw and "bob" in raw  # names, never member ids


async def test_actions_are_rate_limited_per_link(page: Page) -> None:
    statuses = [(await page.post(page.bob, "upvote", {"question": "999"})).status for _ in range(RATE_LIMIT + 1)]
    assert statuses[:RATE_LIMIT] == [400] * RATE_LIMIT
    limited = await page.post(page.bob, "upvote", {"question": "999"})
    assert limited.status == 429 and "minute" in (await limited.json())["message"]
    assert (await page.post(page.alice, "upvote", {"question": "999"})).status == 400  # another link is not limited


async def test_the_stream_pushes_a_chat_vote_within_two_seconds_and_resumes_with_last_event_id(page: Page) -> None:
    await page.bot.say('/live poll "Quel atelier ?" "Danse" "Théâtre"')
    poll_id = (await deps_of(page.bot.app).stage.engage.store.polls(page.thread_id))[-1]
    async with page.client.get(f"/live/{page.shared}/events") as stream:
        first_id, first = await next_event(stream)
        assert first["poll"]["voters"] == 0  # type: ignore[index]
        loop = asyncio.get_running_loop()
        began = loop.time()
        await page.bot.as_("carol").act(LIVE_VOTE.id(poll_id, 1))
        second_id, second = await next_event(stream, timeout=2.0)
        assert loop.time() - began < 2.0
        assert int(second_id) > int(first_id)
        assert second["poll"]["options"][1]["count"] == 1  # type: ignore[index]
    await page.bot.as_("dan").act(LIVE_VOTE.id(poll_id, 0))  # while disconnected
    headers = {"Last-Event-ID": second_id}
    async with page.client.get(f"/live/{page.shared}/events", headers=headers) as stream:
        third_id, third = await next_event(stream, timeout=1.0)  # at once: the client was behind
        assert int(third_id) > int(second_id) and third["poll"]["voters"] == 2  # type: ignore[index]
    async with page.client.get(f"/live/{page.shared}/events", headers={"Last-Event-ID": third_id}) as stream:
        with pytest.raises(TimeoutError):
            await next_event(stream, timeout=0.5)  # up to date: nothing until the next change


async def test_revoking_closes_open_streams(page: Page) -> None:
    async with page.client.get(f"/live/{page.bob}/events") as stream:
        await next_event(stream)
        await page.bot.say("/live web revoke")
        rest = await asyncio.wait_for(stream.content.read(), 2.0)
        assert b"event: state" not in rest
