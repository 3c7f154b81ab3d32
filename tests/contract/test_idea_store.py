"""IdeaStore contract: what every idea store must do, whatever its database."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.core.errors import UserError
from bot.core.model import MessageRef
from bot.core.notices import Notice
from bot.features.ideas.domain import FLOOD_WINDOW, Idea, IdeaDraft, StatusChange, Wall
from bot.features.ideas.store import IdeaStore, LikeRule
from bot.store.database import Database

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
SPACE = "console:local"
OTHER = "slack:T1"
FLOOD = 10


@pytest.fixture
def ideas(store: Callable[[str], Any]) -> IdeaStore:
    """The idea store under test."""
    return store("ideas")


def member(space: str, name: str) -> str:
    """The member key of `name` on the platform of `space`."""
    return f"{space.split(':')[0]}:{name}"


def rule_for(space: str) -> LikeRule:
    """The like rule of a member of `space`: as the service's, ideas of that space, listed, on an open wall."""

    def rule(idea: Idea, wall: Wall) -> None:
        if idea.space != space or idea.withdrawn:
            raise UserError("idea.not_found", ref=idea.id)
        if idea.hidden:
            raise UserError("idea.hidden_no_likes", ref=idea.ref)
        if not wall.is_open(NOW):
            raise UserError("idea.wall_closed", wall=wall.ref)

    return rule


LIKE = rule_for(SPACE)


async def new_wall(
    ideas: IdeaStore, space: str = SPACE, categories: tuple[str, ...] = (), closes_at: datetime | None = None
) -> Wall:
    """A wall opened by alice in #general."""
    return await ideas.create_wall(space, "general", member(space, "alice"), "Vos idées ?", categories, closes_at, NOW)


def draft(wall: Wall, author: str = "bob", text: str = "Une idée", anonymous: bool = False) -> IdeaDraft:
    """A checked submission of `author` on `wall`."""
    name = None if anonymous else author
    return IdeaDraft(wall.space, wall.id, wall.channel, member(wall.space, author), name, text, None, anonymous)


async def submit(ideas: IdeaStore, wall: Wall, author: str = "bob", text: str = "Une idée", at: datetime = NOW) -> Idea:
    """Store an idea under the flood limit."""
    return await ideas.add_idea(draft(wall, author, text), at, at - FLOOD_WINDOW, FLOOD)


async def like(ideas: IdeaStore, idea: Idea, name: str, only_add: bool = False) -> tuple[Idea, bool]:
    """`name` of SPACE clicks Like on `idea`."""
    return await ideas.toggle_like(idea.id, member(SPACE, name), NOW, LIKE, only_add)


async def outbox(database: Database) -> list[tuple[str, str, str, dict[str, Any]]]:
    """The outbox rows as (space, member, kind, params), oldest first."""
    rows = await database.fetch_all("SELECT space, member, kind, params FROM outbox ORDER BY id")
    return [(row["space"], row["member"], row["kind"], json.loads(row["params"])) for row in rows]


async def history(database: Database, idea: Idea) -> list[tuple[str, str | None, str]]:
    """An idea's status history as (status, reason, by), oldest first."""
    rows = await database.fetch_all(
        "SELECT status, reason, changed_by FROM idea_status_history WHERE idea_id = ? ORDER BY id", (idea.id,)
    )
    return [(row["status"], row["reason"], row["changed_by"]) for row in rows]


def tell(idea: Idea, what: str, **params: Any) -> Notice:
    """The notice telling an idea's author of a moderation."""
    return Notice(idea.space, idea.author, f"idea.{what}", {"ref": idea.ref, **params})


# Walls


async def test_the_default_wall_is_created_once_per_space(ideas: IdeaStore) -> None:
    """Ref 0, made on first use even by many callers at once, one per space, listed after the others."""
    assert await ideas.find_wall(SPACE, 0) is None
    first, *again = await asyncio.gather(*(ideas.default_wall(SPACE, "general", NOW) for _ in range(5)))
    assert all(wall == first for wall in again)
    assert (first.ref, first.is_default, first.space, first.is_open(NOW)) == (0, True, SPACE, True)
    assert await ideas.default_wall(SPACE, "elsewhere", LATER) == first
    other = await ideas.default_wall(OTHER, "C1", NOW)
    assert other.id != first.id and other.ref == 0
    assert await ideas.find_wall(SPACE, 0) == first and await ideas.get_wall(first.id) == first
    opened = await new_wall(ideas)
    assert opened.ref == 1 and [wall.id for wall in await ideas.walls(SPACE)] == [opened.id, first.id]


async def test_walls_are_numbered_per_space_and_keep_their_categories(ideas: IdeaStore) -> None:
    """Each space numbers its walls from 1; a reference finds only its own space's wall."""
    first = await new_wall(ideas, categories=("Lieu", "Format", "Écologie"))
    other = await new_wall(ideas, OTHER)
    second = await new_wall(ideas, closes_at=NOW + timedelta(hours=1))
    assert (first.ref, other.ref, second.ref) == (1, 1, 2)
    assert first.categories == ("Lieu", "Format", "Écologie") and second.categories == ()
    assert (first.prompt, first.channel, first.is_default, first.closed_at) == ("Vos idées ?", "general", False, None)
    assert second.closes_at == NOW + timedelta(hours=1) and first.created_at == NOW
    assert await ideas.find_wall(SPACE, 1) == first and await ideas.get_wall(other.id) == other
    assert await ideas.find_wall("discord:9", 1) is None and await ideas.find_wall(OTHER, 2) is None
    assert await ideas.walls(SPACE) == [second, first] and await ideas.walls(OTHER) == [other]
    assert await ideas.get_wall(9999) is None


async def test_a_wall_closes_once_and_is_due_at_its_time(ideas: IdeaStore) -> None:
    """Due walls are open ones whose time has come; closing happens once; a closed wall takes no idea."""
    soon = await new_wall(ideas, closes_at=NOW + timedelta(hours=1))
    later = await new_wall(ideas, closes_at=NOW + timedelta(hours=2))
    elsewhere = await new_wall(ideas, OTHER, closes_at=NOW + timedelta(hours=1))
    await new_wall(ideas)  # never closes by itself
    assert sorted(await ideas.next_closing_times()) == [NOW + timedelta(hours=1), NOW + timedelta(hours=2)]
    assert await ideas.due_walls(NOW + timedelta(minutes=59)) == []
    assert {wall.id for wall in await ideas.due_walls(NOW + timedelta(hours=1))} == {soon.id, elsewhere.id}
    with pytest.raises(UserError, match=r"idea\.wall_closed"):  # its time has come, even before it is closed
        await submit(ideas, soon, at=NOW + timedelta(hours=1))

    closed = await ideas.close_wall(soon.id, NOW + timedelta(hours=1))
    assert closed is not None and closed.closed_at == NOW + timedelta(hours=1) and not closed.is_open(NOW)
    assert await ideas.close_wall(soon.id, NOW + timedelta(hours=2)) is None
    assert await ideas.get_wall(soon.id) == closed
    assert {wall.id for wall in await ideas.due_walls(NOW + timedelta(hours=3))} == {elsewhere.id, later.id}
    assert await ideas.close_wall(elsewhere.id, NOW) is not None
    assert await ideas.next_closing_times() == [later.closes_at]
    with pytest.raises(UserError, match=r"idea\.wall_closed"):
        await submit(ideas, soon)
    assert await ideas.wall_ideas(soon.id) == []


# Ideas


async def test_ideas_are_numbered_per_space_and_read_back_whole(ideas: IdeaStore) -> None:
    """Refs per space (apart from wall refs); every field comes back; an anonymous idea carries no name."""
    wall, other_wall = await new_wall(ideas, categories=("Lieu",)), await new_wall(ideas, OTHER)
    first = await ideas.add_idea(IdeaDraft(SPACE, wall.id, "general", "console:bob", "Bob", "Un atelier son", "Lieu",
                                           False), NOW, NOW - FLOOD_WINDOW, FLOOD)  # fmt: skip
    other = await submit(ideas, other_wall)
    second = await ideas.add_idea(draft(wall, "carol", "En secret", anonymous=True), LATER, NOW, FLOOD)
    assert (first.ref, other.ref, second.ref) == (1, 1, 2)
    assert (first.space, first.wall_id, first.channel, first.author, first.author_name) == (
        SPACE, wall.id, "general", "console:bob", "Bob")  # fmt: skip
    assert (first.text, first.category, first.status, first.likes, first.created_at) == (
        "Un atelier son", "Lieu", "new", 0, NOW)  # fmt: skip
    assert first.listed and not (first.anonymous or first.hidden or first.withdrawn or first.merged_into_ref)
    assert (second.anonymous, second.author, second.author_name, second.byline()) == (
        True, "console:carol", None, None)  # fmt: skip
    assert await ideas.find_idea(SPACE, 2) == second and await ideas.get_idea(other.id) == other
    assert await ideas.find_idea("discord:9", 1) is None and await ideas.get_idea(9999) is None
    assert await ideas.wall_ideas(wall.id) == [first, second]
    assert await ideas.author_ideas(SPACE, "console:carol") == [second]
    assert await ideas.author_ideas(SPACE, "console:bob") == [first]


async def test_30_concurrent_submissions_of_one_member_keep_exactly_the_flood_limit(ideas: IdeaStore) -> None:
    """The flood check and the insert are one step: 10 stored, 20 refused, others unaffected, then free again."""
    wall = await new_wall(ideas)
    results = await asyncio.gather(*(submit(ideas, wall, text=f"Idée {i}") for i in range(30)),
                                   return_exceptions=True)  # fmt: skip
    stored = [result for result in results if isinstance(result, Idea)]
    refused = [result for result in results if isinstance(result, UserError)]
    assert len(stored) == FLOOD and len(refused) == 20 and all(e.key == "idea.flood" for e in refused)
    assert sorted(idea.ref for idea in stored) == list(range(1, FLOOD + 1))
    assert len(await ideas.author_ideas(SPACE, "console:bob")) == FLOOD
    assert (await submit(ideas, wall, "carol")).ref == FLOOD + 1  # the limit is per member
    with pytest.raises(UserError, match=r"idea\.flood"):
        await submit(ideas, wall, at=NOW + FLOOD_WINDOW - timedelta(seconds=1))
    assert (await submit(ideas, wall, at=NOW + FLOOD_WINDOW)).ref == FLOOD + 2


# Drafts


async def test_a_draft_is_held_back_then_turned_into_an_idea_once(ideas: IdeaStore) -> None:
    """A draft is not an idea; its author alone, in its space, turns it into one, once, even clicking twice."""
    wall = await new_wall(ideas)
    draft_id = await ideas.save_draft(draft(wall, "carol", "Anonyme", anonymous=True), NOW - timedelta(days=1), NOW)
    assert await ideas.wall_ideas(wall.id) == []
    for space, author in ((SPACE, "console:bob"), (OTHER, "console:carol")):
        with pytest.raises(UserError, match=r"idea\.draft_gone"):
            await ideas.add_draft(space, author, draft_id, NOW, NOW - FLOOD_WINDOW, FLOOD)
    results = await asyncio.gather(
        *(ideas.add_draft(SPACE, "console:carol", draft_id, LATER, NOW, FLOOD) for _ in range(2)),
        return_exceptions=True,
    )
    (idea,) = [result for result in results if isinstance(result, Idea)]
    assert [r.key for r in results if isinstance(r, UserError)] == ["idea.draft_gone"]
    assert (idea.text, idea.author, idea.author_name, idea.anonymous, idea.created_at) == (
        "Anonyme", "console:carol", None, True, LATER)  # fmt: skip
    assert await ideas.wall_ideas(wall.id) == [idea]


async def test_a_refused_draft_is_kept_and_a_dropped_one_is_gone(ideas: IdeaStore) -> None:
    """A flood refusal keeps the draft for later; dropping is its author's; old drafts are purged."""
    wall = await new_wall(ideas)
    for i in range(FLOOD):
        await submit(ideas, wall, text=f"Idée {i}")
    draft_id = await ideas.save_draft(draft(wall), NOW - timedelta(days=1), NOW)
    with pytest.raises(UserError, match=r"idea\.flood"):
        await ideas.add_draft(SPACE, "console:bob", draft_id, NOW, NOW - FLOOD_WINDOW, FLOOD)
    later = await ideas.add_draft(SPACE, "console:bob", draft_id, NOW + FLOOD_WINDOW, NOW, FLOOD)
    assert later.ref == FLOOD + 1

    hers = await ideas.save_draft(draft(wall, "carol"), NOW - timedelta(days=1), NOW)
    await ideas.drop_draft(SPACE, "console:bob", hers)  # not his: nothing happens
    await ideas.drop_draft(OTHER, "console:carol", hers)
    dropped = await ideas.save_draft(draft(wall, "carol"), NOW - timedelta(days=1), NOW)
    await ideas.drop_draft(SPACE, "console:carol", dropped)
    await ideas.drop_draft(SPACE, "console:carol", dropped)  # twice is harmless
    with pytest.raises(UserError, match=r"idea\.draft_gone"):
        await ideas.add_draft(SPACE, "console:carol", dropped, LATER, LATER, FLOOD)
    assert (await ideas.add_draft(SPACE, "console:carol", hers, LATER, LATER, FLOOD)).author == "console:carol"

    old = await ideas.save_draft(draft(wall, "carol"), NOW - timedelta(days=1), NOW)
    await ideas.save_draft(draft(wall, "dave"), NOW + timedelta(seconds=1), NOW + timedelta(days=1))
    with pytest.raises(UserError, match=r"idea\.draft_gone"):
        await ideas.add_draft(SPACE, "console:carol", old, LATER, LATER, FLOOD)


async def test_a_draft_id_is_never_given_again(ideas: IdeaStore) -> None:
    """A button of a used or dropped draft never reaches a later draft of the same member, even the newest one."""
    wall = await new_wall(ideas)
    used = await ideas.save_draft(draft(wall, text="Un atelier son"), NOW, NOW)
    await ideas.add_draft(SPACE, "console:bob", used, NOW, NOW - FLOOD_WINDOW, FLOOD)
    dropped = await ideas.save_draft(draft(wall, text="Un atelier vidéo"), NOW, NOW)
    await ideas.drop_draft(SPACE, "console:bob", dropped)
    latest = await ideas.save_draft(draft(wall, text="Un atelier lumière"), NOW, NOW)
    assert len({used, dropped, latest}) == 3
    for stale in (used, dropped):  # a second click on an old hint card
        with pytest.raises(UserError, match=r"idea\.draft_gone"):
            await ideas.add_draft(SPACE, "console:bob", stale, NOW, NOW - FLOOD_WINDOW, FLOOD)
    posted = await ideas.add_draft(SPACE, "console:bob", latest, NOW, NOW - FLOOD_WINDOW, FLOOD)
    assert [idea.text for idea in await ideas.wall_ideas(wall.id)] == ["Un atelier son", posted.text]


# Likes


async def test_a_like_toggles_and_the_rule_is_checked_inside(ideas: IdeaStore) -> None:
    """Click to like, click again to take it back, `only_add` never takes back; a refused click changes nothing."""
    wall = await new_wall(ideas)
    idea = await submit(ideas, wall)
    liked, on = await like(ideas, idea, "carol")
    assert on and liked.likes == 1 and liked.id == idea.id
    liked, on = await like(ideas, idea, "carol")
    assert not on and liked.likes == 0
    for _ in range(2):
        liked, on = await like(ideas, idea, "carol", only_add=True)
        assert on and liked.likes == 1
    with pytest.raises(UserError, match=r"idea\.not_found"):
        await ideas.toggle_like(9999, "console:carol", NOW, LIKE)
    await ideas.hide(idea.id, None, [], NOW)
    with pytest.raises(UserError, match=r"idea\.hidden_no_likes"):
        await like(ideas, idea, "carol")
    assert (await ideas.get_idea(idea.id)).likes == 1


async def test_300_concurrent_likes_by_distinct_members_are_all_counted(ideas: IdeaStore) -> None:
    """Exactly 300 likes, and each click was answered with the count right after it."""
    idea = await submit(ideas, await new_wall(ideas))
    results = await asyncio.gather(*(like(ideas, idea, f"m{i:03d}") for i in range(300)))
    assert all(on for _, on in results)
    assert sorted(after.likes for after, _ in results) == list(range(1, 301))
    assert (await ideas.get_idea(idea.id)).likes == 300


async def test_a_like_on_a_merged_idea_goes_to_its_target(ideas: IdeaStore) -> None:
    """Clicks on a merged card land on the idea it was merged into, through a second merge too."""
    wall = await new_wall(ideas)
    source, target, last = [await submit(ideas, wall, text=t) for t in ("A", "B", "C")]
    await like(ideas, source, "bob")
    await ideas.merge(source.id, target.id, [], NOW)
    after, on = await like(ideas, source, "carol")
    assert on and after.id == target.id and after.likes == 2
    after, on = await like(ideas, source, "bob")  # bob's like moved to the target: this takes it back
    assert not on and after.id == target.id and after.likes == 1
    assert (await ideas.get_idea(source.id)).likes == 0
    await ideas.merge(target.id, last.id, [], NOW)
    after, on = await like(ideas, source, "dave")
    assert on and after.id == last.id and after.likes == 2
    assert (await ideas.get_idea(source.id)).merged_into_ref == last.ref


# Intents


async def test_edit_and_withdraw(ideas: IdeaStore) -> None:
    """Editing replaces the text; withdrawing happens once; a missing idea is not found."""
    idea = await submit(ideas, await new_wall(ideas))
    edited = await ideas.edit_text(idea.id, "Une meilleure idée", LATER)
    assert (edited.text, edited.updated_at, edited.created_at) == ("Une meilleure idée", LATER, NOW)
    withdrawn = await ideas.withdraw(idea.id, LATER)
    assert withdrawn.withdrawn and not withdrawn.listed
    with pytest.raises(UserError, match=r"idea\.not_found"):
        await ideas.withdraw(idea.id, LATER)
    for attempt in (
        ideas.edit_text(9999, "x", NOW),
        ideas.withdraw(9999, NOW),
        ideas.set_status(9999, StatusChange("done", None, "console:alice"), [], NOW),
        ideas.hide(9999, None, [], NOW),
        ideas.merge(9999, idea.id, [], NOW),
        ideas.merge(idea.id, 9999, [], NOW),
    ):
        with pytest.raises(UserError, match=r"idea\.not_found"):
            await attempt


async def test_set_status_records_the_step_and_its_notice_with_it(ideas: IdeaStore, database: Database) -> None:
    """One commit holds the new status, its history step and its notice; the same status again writes nothing."""
    idea = await submit(ideas, await new_wall(ideas))
    notice = tell(idea, "status", status="exploring", reason="à creuser")
    commits = database.commits
    changed = await ideas.set_status(idea.id, StatusChange("exploring", "à creuser", "console:alice"), [notice], LATER)
    assert database.commits == commits + 1
    assert (changed.status, changed.updated_at) == ("exploring", LATER)
    assert await history(database, idea) == [("new", None, "console:bob"), ("exploring", "à creuser", "console:alice")]
    assert await outbox(database) == [(SPACE, "console:bob", "idea.status", {"ref": 1, "status": "exploring",
                                                                             "reason": "à creuser"})]  # fmt: skip
    with pytest.raises(UserError, match=r"idea\.same_status"):
        await ideas.set_status(idea.id, StatusChange("exploring", None, "console:alice"), [notice], LATER)
    assert len(await history(database, idea)) == 2 and len(await outbox(database)) == 1


async def test_hide_records_its_notice_and_happens_once(ideas: IdeaStore, database: Database) -> None:
    """A hidden idea is kept with its reason and likes, off the listings; hiding it again writes nothing."""
    idea = await submit(ideas, await new_wall(ideas))
    await like(ideas, idea, "carol")
    hidden = await ideas.hide(idea.id, "hors sujet", [tell(idea, "hidden", reason="hors sujet")], LATER)
    assert (hidden.hidden, hidden.hidden_reason, hidden.likes, hidden.listed) == (True, "hors sujet", 1, False)
    assert await ideas.wall_ideas(idea.wall_id) == [hidden]
    with pytest.raises(UserError, match=r"idea\.already_hidden"):
        await ideas.hide(idea.id, "encore", [tell(idea, "hidden", reason="encore")], LATER)
    assert await outbox(database) == [(SPACE, "console:bob", "idea.hidden", {"ref": 1, "reason": "hors sujet"})]
    assert (await ideas.get_idea(idea.id)).hidden_reason == "hors sujet"


async def test_merge_counts_a_member_who_liked_both_once(ideas: IdeaStore, database: Database) -> None:
    """Likes are united on the target, each member once; the source points at it; its notice goes with it."""
    wall = await new_wall(ideas)
    source, target = await submit(ideas, wall, text="A"), await submit(ideas, wall, "carol", "B")
    for idea, names in ((source, ("bob", "carol", "erin")), (target, ("carol", "dave"))):
        for name in names:
            await like(ideas, idea, name)
    merged = await ideas.merge(source.id, target.id, [tell(source, "merged", into=target.ref)], LATER)
    assert merged.id == target.id and merged.likes == 4
    gone = await ideas.get_idea(source.id)
    assert gone is not None and (gone.merged_into_ref, gone.likes, gone.listed) == (target.ref, 0, False)
    assert await outbox(database) == [(SPACE, "console:bob", "idea.merged", {"ref": 1, "into": 2})]
    with pytest.raises(UserError, match=r"idea\.merge_unlisted"):  # already merged: refused, nothing written
        await ideas.merge(source.id, target.id, [tell(source, "merged", into=target.ref)], LATER)
    with pytest.raises(UserError, match=r"idea\.merge_unlisted"):
        await ideas.merge(target.id, source.id, [tell(target, "merged", into=source.ref)], LATER)
    assert len(await outbox(database)) == 1 and (await ideas.get_idea(target.id)).likes == 4


async def test_notices_exist_only_with_their_committed_change(ideas: IdeaStore, database: Database) -> None:
    """Intents written in the same group commit: the refused one leaves no notice, the others keep theirs."""
    wall = await new_wall(ideas)
    first, second = await submit(ideas, wall, text="A"), await submit(ideas, wall, "carol", "B")
    results = await asyncio.gather(
        ideas.set_status(first.id, StatusChange("done", None, "console:alice"), [tell(first, "status")], LATER),
        ideas.set_status(second.id, StatusChange("new", None, "console:alice"), [tell(second, "status")], LATER),
        ideas.hide(second.id, None, [tell(second, "hidden")], LATER),
        return_exceptions=True,
    )
    assert isinstance(results[1], UserError) and results[1].key == "idea.same_status"
    assert [(row[1], row[2]) for row in await outbox(database)] == [("console:bob", "idea.status"),
                                                                    ("console:carol", "idea.hidden")]  # fmt: skip
    assert [step[0] for step in await history(database, second)] == ["new"]


async def test_another_space_idea_is_never_returned(ideas: IdeaStore) -> None:
    """Reads by space see only that space; a like from another space is refused and changes nothing."""
    wall = await new_wall(ideas)
    here = await submit(ideas, wall)
    there = await submit(ideas, await new_wall(ideas, OTHER), "bob")
    assert here.ref == there.ref == 1
    assert await ideas.find_idea(SPACE, 1) == here and await ideas.find_idea(OTHER, 1) == there
    assert await ideas.author_ideas(OTHER, "console:bob") == [] and await ideas.author_ideas(SPACE, "slack:bob") == []
    assert await ideas.wall_ideas(here.wall_id) == [here]
    assert [wall.space for wall in await ideas.walls(OTHER)] == [OTHER]
    with pytest.raises(UserError, match=r"idea\.not_found"):
        await ideas.toggle_like(here.id, "slack:eve", NOW, rule_for(OTHER))
    assert (await ideas.get_idea(here.id)).likes == 0
    draft_id = await ideas.save_draft(draft(wall), NOW, NOW)
    with pytest.raises(UserError, match=r"idea\.draft_gone"):
        await ideas.add_draft(OTHER, "console:bob", draft_id, NOW, NOW - FLOOD_WINDOW, FLOOD)


async def test_the_posted_ideas_of_a_wall_are_those_shown_in_a_message(
    ideas: IdeaStore, store: Callable[[str], Any]
) -> None:
    """Only ideas with a message showing them count, those of this wall only, each once, in order."""
    wall, other = await new_wall(ideas), await new_wall(ideas)
    first, second, third = [await submit(ideas, wall, name, f"Idée {name}") for name in ("bob", "carol", "dan")]
    elsewhere = await submit(ideas, other, "erin", "Ailleurs")
    messages = store("messages")
    for number, idea in enumerate((third, first, third, elsewhere)):
        await messages.attach(idea.subject, MessageRef(SPACE, "general", f"m{number}"), NOW)
    await messages.attach(f"poll:{second.id}", MessageRef(SPACE, "general", "p1"), NOW)  # the same id, not an idea
    assert await ideas.posted_ideas(wall.id) == [first.id, third.id]
    assert await ideas.posted_ideas(other.id) == [elsewhere.id]


async def test_ideas_counted_between_two_instants_with_those_retained(ideas: IdeaStore) -> None:
    """Reports count a space's ideas posted in [since, until), withdrawn ones left out, and those retained or done."""
    wall = await ideas.default_wall(SPACE, "general", NOW)
    kept, retained, done, gone = [
        await submit(ideas, wall, who, f"Idée de {who}") for who in ("bob", "carol", "dan", "erin")
    ]
    await ideas.set_status(retained.id, StatusChange("retained", None, "console:alice"), [], NOW)
    await ideas.set_status(done.id, StatusChange("done", None, "console:alice"), [], NOW)
    await ideas.withdraw(gone.id, NOW)
    await submit(ideas, await ideas.default_wall(OTHER, "C1", NOW), "zoe", "Ailleurs")
    assert kept.created_at == NOW
    assert await ideas.count_between(SPACE, NOW, NOW + timedelta(seconds=1)) == (3, 2)
    assert await ideas.count_between(SPACE, NOW + timedelta(seconds=1), NOW + timedelta(days=1)) == (0, 0)
