"""300 members like the same idea at once: every like counted, the card edits coalesced."""

from __future__ import annotations

import asyncio
import time

from bot.app import App
from bot.core.model import Action
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import member

SPACE = "console:local"
MEMBERS = 300


async def test_300_concurrent_likes_one_coalesced_card_stream(app: App) -> None:
    """Exactly 300 likes; a handful of edits of the one card, the last showing 300."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    reply = await app.dispatcher.invoke_text(SPACE, "general", member("bob"), 'idea submit "Un mur des apprentissages"')
    ref = await delivery.post(SPACE, "general", reply)
    assert ref is not None and reply.subject
    await app.dispatcher.posted(reply, ref)
    like = reply.card.controls[0].action_id

    started = time.perf_counter()
    replies = await asyncio.gather(
        *(app.dispatcher.act(Action(SPACE, "general", member(f"m{n}"), like)) for n in range(MEMBERS))
    )
    elapsed = time.perf_counter() - started
    assert all(r.text and r.text.startswith("Vous aimez l'idée #1") for r in replies)
    counts = sorted(int(r.text.split("(")[1].split()[0]) for r in replies if r.text)
    assert counts == list(range(1, MEMBERS + 1))  # each like saw its own committed count

    await app.services.cards.drain()
    idea = await app.services.ideas.store.get_idea(int(reply.subject.split(":")[1]))
    assert idea is not None and idea.likes == MEMBERS
    assert all(edit_ref == ref for edit_ref, _ in delivery.edits)
    assert 1 <= len(delivery.edits) <= 20 and len(delivery.edits) == app.services.cards.edits
    assert delivery.edits[-1][1].footer == "300 j'aime · cliquez pour aimer, recliquez pour retirer"
    print(
        f"\n{MEMBERS} likes in {elapsed * 1000:.0f} ms, {app.services.db.commits} commits, "
        f"{len(delivery.edits)} card edits"
    )
