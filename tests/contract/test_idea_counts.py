"""IdeaStore contract: the like counts and listed counts kept by the store always equal a recount."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.features.ideas.domain import Idea, IdeaDraft, Wall, idea_words
from bot.features.ideas.store import IdeaStore
from bot.store.sqlite.database import Database

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
SPACE = "console:local"


@pytest.fixture
def ideas(store: Callable[[str], Any]) -> IdeaStore:
    """The idea store under test."""
    return store("ideas")


def anyone(_idea: Idea, _wall: Wall) -> None:
    """A like rule that lets every like through (the counts are what is tested here)."""


async def recount(database: Database) -> dict[int, int]:
    """Each idea's likes, counted from the likes themselves."""
    rows = await database.fetch_all(
        "SELECT i.id, (SELECT COUNT(*) FROM idea_likes l WHERE l.idea_id = i.id) AS likes FROM ideas i"
    )
    return {row["id"]: row["likes"] for row in rows}


async def kept(ideas: IdeaStore, wall: Wall) -> dict[int, int]:
    """Each idea's like count as the store keeps it."""
    return {idea.id: idea.likes for idea in await ideas.wall_ideas(wall.id)}


async def test_counts_equal_a_recount_after_300_concurrent_likes_and_unlikes_and_merges(
    ideas: IdeaStore, database: Database
) -> None:
    """300 likes and unlikes at once on five ideas, then merges and more clicks: counts match the likes."""
    wall = await ideas.create_wall(SPACE, "general", "console:alice", "Vos idées ?", (), None, NOW)
    stored = [
        await ideas.add_idea(
            IdeaDraft(SPACE, wall.id, "general", "console:bob", "bob", f"Idée {n}", None, False), NOW, NOW, 99
        )
        for n in range(5)
    ]
    rng = random.Random(14)
    clicks = [(rng.choice(stored), f"console:m{rng.randrange(40)}", rng.random() < 0.2) for _ in range(300)]
    answers = await asyncio.gather(*(ideas.toggle_like(i.id, who, NOW, anyone, only) for i, who, only in clicks))
    assert await kept(ideas, wall) == await recount(database)
    assert any(not liked for _, liked in answers) and any(liked for _, liked in answers)  # both ways happened

    # Merges while members keep clicking, the clicks on a merged idea landing on its target.
    first, second, third, fourth, fifth = stored
    more = [(rng.choice(stored), f"console:m{rng.randrange(60)}") for _ in range(100)]
    results = await asyncio.gather(
        ideas.merge(second.id, first.id, [], NOW),
        *(ideas.toggle_like(i.id, who, NOW, anyone) for i, who in more[:50]),
        ideas.merge(third.id, fourth.id, [], NOW),
        *(ideas.toggle_like(i.id, who, NOW, anyone) for i, who in more[50:]),
        ideas.merge(fourth.id, first.id, [], NOW),
        return_exceptions=True,
    )
    assert not [r for r in results if isinstance(r, BaseException)]
    counts = await kept(ideas, wall)
    assert counts == await recount(database)
    assert counts[second.id] == counts[third.id] == counts[fourth.id] == 0

    # The listed count follows ideas in and out of the listings.
    await ideas.hide(fifth.id, None, [], NOW)
    with pytest.raises(UserError):
        await ideas.merge(first.id, fifth.id, [], NOW)  # refused: nothing changes
    listed = [idea for idea in await ideas.wall_ideas(wall.id) if idea.listed]
    assert [idea.id for idea in listed] == [first.id] and await ideas.listed_count(wall.id) == 1
    assert (await ideas.top_ideas(wall.id, None, 10)) == listed


async def test_the_hint_finds_listed_ideas_by_their_current_words(ideas: IdeaStore) -> None:
    """Candidates share a word with the text; an edit changes what finds an idea; leaving the listings hides it."""
    wall = await ideas.create_wall(SPACE, "general", "console:alice", "Vos idées ?", (), None, NOW)
    other = await ideas.create_wall(SPACE, "general", "console:alice", "Ailleurs ?", (), None, NOW)

    async def add(target: Wall, text: str) -> Idea:
        return await ideas.add_idea(
            IdeaDraft(SPACE, target.id, "general", "console:bob", "bob", text, None, False), NOW, NOW, 99
        )

    async def found(text: str) -> list[str]:
        return [i.text for i in await ideas.similar_candidates(wall.id, idea_words(text), 50)]

    concert, ateliers, spectacle, hidden, withdrawn = [
        await add(wall, text)
        for text in ("Un concert le soir", "Des ateliers", "Un spectacle", "Concerts cachés", "Concert retiré")
    ]
    await add(other, "Un concert ailleurs")  # another wall's idea is never a candidate
    await ideas.hide(hidden.id, None, [], NOW)
    await ideas.withdraw(withdrawn.id, NOW)
    assert await found("concerts") == ["Un concert le soir"]
    assert await found("ATELIER !") == ["Des ateliers"]
    assert await found("le soir un concert") == ["Un concert le soir"]  # the same words: found by the whole text

    await ideas.edit_text(concert.id, "Une fanfare", NOW)
    assert await found("concerts") == [] and await found("fanfares") == ["Une fanfare"]
    await ideas.merge(ateliers.id, spectacle.id, [], NOW)
    assert await found("ateliers") == [] and await found("spectacles") == ["Un spectacle"]
    assert await ideas.listed_count(wall.id) == 2 and await ideas.listed_count(other.id) == 1
