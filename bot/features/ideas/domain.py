"""The idea wall: the rules for walls, ideas, likes, moderation, exports and ideas-to-poll."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from rapidfuzz import fuzz, process, utils

from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.exports import BOM, COMMA, to_csv
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.model import Member
from bot.core.notices import Notice
from bot.core.refs import parse_ref
from bot.core.text import compare_key, is_blank, visible
from bot.features.ideas.store import IdeaStore
from bot.features.polls.domain import OPTION_MAX, OPTIONS_MAX, OPTIONS_MIN, QUESTION_MAX

log = logging.getLogger(__name__)

STATUSES = ("new", "exploring", "retained", "done", "declined")
DEFAULT_WALL_REF = 0
PROMPT_MAX = QUESTION_MAX
REASON_MAX = 500
CATEGORY_MAX = 40
CATEGORIES_MAX = 10
PAGE_SIZE = 10
REFRESH_CHUNK = 200  # posted idea cards touched per turn of the loop when their wall closes
TOP_MAX = 25
FINAL_TOP = 10  # ideas in the ranking posted when a wall closes
FLOOD_WINDOW = timedelta(minutes=1)
# How a moderation reaches the author, as known when it is confirmed (the notice is sent after the commit):
# "author" is told privately, "anonymous" too without being named, "own" is staff acting on their own idea.
Telling = Literal["author", "anonymous", "own"]
NOTICE_TEXT_WIDTH = 80  # the idea's text as quoted in a notice to its author
DRAFT_LIFETIME = timedelta(days=1)
# The duplicate hint compares a submission with the ideas sharing a word with it: for each of its
# SEARCH_WORDS longest words, the SIMILAR_PER_WORD newest ideas carrying that word (at most a few hundred).
STEM = 5  # letters a word is known by, so that plurals and feminines meet ("atelier", "ateliers")
WORD_MIN = 3  # shorter words ("de", "un") say little about an idea
SEARCH_WORDS = 12
SIMILAR_PER_WORD = 50
EXPORT_CHUNK = 1000  # ideas read, and written as CSV, at a time
BACKLOG_BATCH = 100  # ideas whose words are indexed per write after the upgrade: a short hold on the writer


def idea_subject(idea_id: int) -> str:
    """The key an idea's cards are tracked under."""
    return f"idea:{idea_id}"


@dataclass(frozen=True)
class IdeaLimits:
    """The configurable limits of the idea wall (settings `ideas.*`)."""

    max_length: int = 1000
    flood_per_minute: int = 10
    duplicate_threshold: int = 80  # 0..100 similarity score; 0 turns the hint off


def fold(word: str) -> str:
    """A word compared loosely: no case, accents, spaces or punctuation ("À explorer" = "a-explorer")."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@dataclass(frozen=True)
class Wall:
    """A wall of ideas under a prompt; ref 0 is the space's default wall."""

    id: int
    space: str
    ref: int
    channel: str
    prompt: str
    categories: tuple[str, ...]
    is_default: bool
    closes_at: datetime | None
    closed_at: datetime | None
    created_at: datetime

    def is_open(self, now: datetime) -> bool:
        """Whether ideas and likes are still taken at `now`."""
        return self.closed_at is None and (self.closes_at is None or now < self.closes_at)

    def closing_moment(self, now: datetime) -> datetime:
        """When a wall closed at `now` actually closed: its deadline if that has already passed."""
        return min(now, self.closes_at) if self.closes_at is not None else now

    def category(self, typed: str | None) -> str | None:
        """The wall's category a member meant (case and accents as typed do not matter much), or an error."""
        if not typed or not typed.strip():
            return None
        if not self.categories:
            raise UserError("idea.no_categories", field="category", wall=self.ref)
        wanted = fold(typed)
        exact = [label for label in self.categories if fold(label) == wanted]
        starts = [label for label in self.categories if fold(label).startswith(wanted)]
        found = exact or starts
        if len(found) != 1:
            raise UserError(
                "idea.unknown_category", field="category", category=typed.strip(), choices=", ".join(self.categories)
            )
        return found[0]


@dataclass(frozen=True)
class IdeaDraft:
    """An idea as submitted, already checked: what gets stored."""

    space: str
    wall_id: int
    channel: str
    author: str
    author_name: str | None  # None when anonymous: no name is ever recorded
    text: str
    category: str | None
    anonymous: bool


@dataclass(frozen=True)
class Idea:
    """A stored idea with its like count; `author_name` is None when it is anonymous."""

    id: int
    space: str
    ref: int
    wall_id: int
    channel: str
    author: str
    author_name: str | None
    anonymous: bool
    text: str
    category: str | None
    status: str
    hidden: bool
    hidden_reason: str | None
    withdrawn: bool
    merged_into_ref: int | None
    likes: int
    created_at: datetime
    updated_at: datetime

    @property
    def subject(self) -> str:
        """The key its cards are tracked under."""
        return idea_subject(self.id)

    @property
    def listed(self) -> bool:
        """Whether it shows in listings (not hidden, withdrawn or merged away)."""
        return not (self.hidden or self.withdrawn or self.merged_into_ref is not None)

    def byline(self) -> str | None:
        """Who to show as its author: nobody when anonymous."""
        return None if self.anonymous else self.author_name


@dataclass(frozen=True)
class StatusChange:
    """One step of an idea's status history."""

    status: str
    reason: str | None
    by: str


@dataclass(frozen=True)
class Submitted:
    """The outcome of a submission: the new idea, or a similar one and the held-back draft."""

    idea: Idea | None = None
    similar: Idea | None = None
    draft_id: int | None = None


def clean_text(text: str, max_length: int, field: str = "text") -> str:
    """Trim an idea; refuse it empty or too long."""
    text = visible(text)
    if is_blank(text):
        raise UserError("idea.text_empty", field=field)
    if len(text) > max_length:
        raise UserError("idea.text_too_long", field=field, max=max_length, length=len(text))
    return text


def clean_reason(reason: str | None) -> str | None:
    """An optional moderation reason, trimmed and bounded."""
    if reason is None or not reason.strip():
        return None
    if len(reason.strip()) > REASON_MAX:
        raise UserError("idea.reason_too_long", field="reason", max=REASON_MAX)
    return reason.strip()


def parse_categories(text: str | None) -> tuple[str, ...]:
    """Categories typed as "a, b; c" or one per line, without duplicates."""
    labels = [label.strip() for label in re.split(r"[,;\n]", text or "") if label.strip()]
    unique = tuple(dict.fromkeys(labels))
    if len(unique) > CATEGORIES_MAX:
        raise UserError("idea.too_many_categories", field="categories", max=CATEGORIES_MAX)
    for label in unique:
        if len(label) > CATEGORY_MAX:
            raise UserError("idea.category_too_long", field="categories", category=label[:20] + "…", max=CATEGORY_MAX)
    return unique


def shorten(text: str, width: int) -> str:
    """One line of at most `width` characters, cut at a word boundary with an ellipsis."""
    line = " ".join(text.split())
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    if " " in cut and cut.rfind(" ") > width // 2:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.-") + "…"


def poll_labels(ideas: Sequence[Idea]) -> list[str]:
    """Poll options from ideas: one line each, within the option limit, distinct even after cutting."""
    labels = [shorten(idea.text, OPTION_MAX) for idea in ideas]
    seen = Counter(compare_key(label) for label in labels)
    distinct = []
    for idea, label in zip(ideas, labels, strict=True):
        if seen[compare_key(label)] > 1:
            suffix = f" (#{idea.ref})"
            label = shorten(idea.text, OPTION_MAX - len(suffix)) + suffix
        distinct.append(label)
    return distinct


ACCENTS = re.compile(r"[\u0300-\u036f]")  # combining marks, once letters are decomposed


def stem(word: str) -> str:
    """A lowercase word as the duplicate hint looks it up: without a final s or x, cut to STEM letters."""
    if len(word) > WORD_MIN and word[-1] in "sx":
        word = word[:-1]
    return word[:STEM]


def idea_words(text: str) -> tuple[str, ...]:
    """What finds an idea again: its whole text (words in any order) as one key, then its words, longest first.

    The key makes an idea typed again always found, however common its words; the words find the near ones.
    """
    tokens = utils.default_process(text).split()  # as the similarity score sees the text
    whole = hashlib.blake2b(" ".join(sorted(tokens)).encode(), digest_size=8).hexdigest()
    folded = ACCENTS.sub("", unicodedata.normalize("NFD", " ".join(sorted(tokens, key=len, reverse=True))))
    stems = dict.fromkeys(stem(token) for token in folded.split())
    return ("=" + whole, *(word for word in stems if len(word) >= WORD_MIN))


def most_similar(text: str, ideas: Sequence[Idea], threshold: int) -> Idea | None:
    """The listed idea most like `text`, if its similarity reaches `threshold` (0 turns this off)."""
    if threshold <= 0:
        return None
    choices = {idea.id: idea.text for idea in ideas if idea.listed}
    best = process.extractOne(
        text, choices, scorer=fuzz.token_sort_ratio, processor=utils.default_process, score_cutoff=threshold
    )
    if best is None:
        return None
    return next(idea for idea in ideas if idea.id == best[2])


def author_notices(idea: Idea, by: Member, what: str, **params: Any) -> tuple[tuple[Notice, ...], Telling]:
    """What a moderation tells the author privately ("idea.<what>"), and how; nothing when it is their own act."""
    if idea.author == by.key:
        return (), "own"
    values = {"ref": idea.ref, "text": shorten(idea.text, NOTICE_TEXT_WIDTH), **params}
    return (Notice(idea.space, idea.author, f"idea.{what}", values),), "anonymous" if idea.anonymous else "author"


EXPORT_HEADER = (
    "wall",
    "prompt",
    "idea",
    "text",
    "category",
    "author",
    "anonymous",
    "likes",
    "status",
    "hidden",
    "merged_into",
    "created_at",
    "updated_at",
)


def export_rows(walls: dict[int, Wall], ideas: Sequence[Idea], sep: str = COMMA, first: bool = True) -> str:
    """The export format: one row per idea, no author for anonymous ones; the BOM and header before the `first` chunk."""
    if first:
        return to_csv([[EXPORT_HEADER, *export_lines(walls, ideas)]], sep)
    return to_csv([export_lines(walls, ideas)], sep).removeprefix(BOM)


def export_lines(walls: dict[int, Wall], ideas: Sequence[Idea]) -> list[list[object]]:
    """One row of the export per idea, no author for anonymous ones."""
    return [
        [
            walls[i.wall_id].ref,
            walls[i.wall_id].prompt,
            f"#{i.ref}",
            i.text,
            i.category or "",
            i.byline() or "",
            "yes" if i.anonymous else "no",
            i.likes,
            i.status,
            "yes" if i.hidden else "no",
            f"#{i.merged_into_ref}" if i.merged_into_ref else "",
            i.created_at.isoformat(),
            i.updated_at.isoformat(),
        ]
        for i in ideas
    ]


def log_failure(task: asyncio.Task[int]) -> None:
    """Say when background indexing failed: nobody awaits it to see."""
    if not task.cancelled() and (error := task.exception()) is not None:
        log.error("indexing the words of older ideas failed; the next start goes on", exc_info=error)


class IdeaService:
    """Everything members and staff do with the idea wall, whatever the platform."""

    def __init__(
        self,
        store: IdeaStore,
        live: LiveCards,
        clock: Clock,
        limits: IdeaLimits = IdeaLimits(),
        wake_at: Callable[[datetime], None] = lambda _moment: None,
        metrics: Metrics | None = None,
    ) -> None:
        self.store = store
        self.live = live
        self.clock = clock
        self.limits = limits
        self.wake_at = wake_at  # a wall with a closing time must be closed then
        self.indexing: asyncio.Task[int] | None = None
        self.metrics = metrics or Metrics()

    # Walls

    async def open_wall(
        self, space: str, channel: str, by: Member, prompt: str, categories: str | None, closes_at: datetime | None
    ) -> Wall:
        """Open a wall in a channel (staff)."""
        prompt = prompt.strip()
        if not prompt:
            raise UserError("idea.prompt_empty", field="subject")
        if len(prompt) > PROMPT_MAX:
            raise UserError("idea.prompt_too_long", field="subject", max=PROMPT_MAX)
        if closes_at is not None and closes_at <= self.clock.now():
            raise UserError("idea.closes_in_past", field="closes")
        labels = parse_categories(categories)
        wall = await self.store.create_wall(space, channel, by.key, prompt, labels, closes_at, self.clock.now())
        if wall.closes_at is not None:
            self.wake_at(wall.closes_at)
        return wall

    async def wall(self, space: str, channel: str, ref: str | int | None) -> Wall:
        """The wall a member means: the one named, else the newest open wall of this channel, else the default."""
        if ref is not None and str(ref).strip():
            number = parse_ref(ref, "idea.bad_wall_ref")
            found = await self.store.find_wall(space, number)
            if number == DEFAULT_WALL_REF and found is None:
                return await self.store.default_wall(space, channel, self.clock.now())
            if found is None:
                raise UserError("idea.wall_not_found", field="wall", ref=number)
            return found
        now = self.clock.now()
        here = [
            w for w in await self.store.walls(space) if w.channel == channel and not w.is_default and w.is_open(now)
        ]
        return here[0] if here else await self.store.default_wall(space, channel, now)

    async def walls(self, space: str) -> list[Wall]:
        """Every wall of a space, newest first."""
        return await self.store.walls(space)

    async def close_wall(self, space: str, ref: str | int) -> Wall:
        """Close a wall now (staff): ideas freeze; the default wall never closes."""
        wall = await self.wall(space, "", ref)
        if wall.is_default:
            raise UserError("idea.default_wall_never_closes")
        closed = await self.store.close_wall(wall.id, wall.closing_moment(self.clock.now()))
        if closed is None:
            raise UserError("idea.wall_already_closed", wall=wall.ref)
        await self._refresh_wall(closed)
        return closed

    async def close_due(self, ready: Callable[[str], bool]) -> list[Wall]:
        """Close every wall whose closing time has come, in spaces whose adapter can announce it."""
        now = self.clock.now()
        closed = []
        for wall in [due for due in await self.store.due_walls(now) if ready(due.space)]:
            done = await self.store.close_wall(wall.id, wall.closing_moment(now))
            if done is not None:
                await self._refresh_wall(done)
                closed.append(done)
        return closed

    async def _refresh_wall(self, wall: Wall) -> None:
        """A closed wall's posted idea cards lose their buttons, at the live cards' pace.

        Only ideas shown in a message have one to edit (a large wall's ideas are mostly never posted);
        they are touched REFRESH_CHUNK per turn of the loop.
        """
        posted = await self.store.posted_ideas(wall.id)
        for start in range(0, len(posted), REFRESH_CHUNK):
            if start:
                await asyncio.sleep(0)
            for idea_id in posted[start : start + REFRESH_CHUNK]:
                self.live.touch(idea_subject(idea_id))

    # Submitting

    async def submit(
        self,
        space: str,
        channel: str,
        author: Member,
        text: str,
        wall_ref: str | None = None,
        category: str | None = None,
        anonymous: bool = False,
    ) -> Submitted:
        """Check and store an idea; hold it back as a draft when a similar idea is already on the wall."""
        text = clean_text(text, self.limits.max_length)
        wall = await self.wall(space, channel, wall_ref)
        self._check_open(wall)
        draft = IdeaDraft(
            space,
            wall.id,
            channel,
            author.key,
            None if anonymous else author.name,
            text,
            wall.category(category),
            anonymous,
        )
        similar = await self._similar(wall, text)
        now = self.clock.now()
        if similar is not None:
            return Submitted(similar=similar, draft_id=await self.store.save_draft(draft, now - DRAFT_LIFETIME, now))
        return Submitted(
            idea=await self.store.add_idea(draft, now, self._flood_since(now), self.limits.flood_per_minute)
        )

    async def _similar(self, wall: Wall, text: str) -> Idea | None:
        """A listed idea of the wall like `text`, looked for among the ideas sharing its words."""
        threshold = self.limits.duplicate_threshold
        if threshold <= 0:
            return None
        words = idea_words(text)[: 1 + SEARCH_WORDS]
        return most_similar(text, await self.store.similar_candidates(wall.id, words, SIMILAR_PER_WORD), threshold)

    async def submit_draft(self, space: str, author: Member, draft_id: int) -> Idea:
        """ "Submit anyway": store the held-back draft (its author only; once)."""
        now = self.clock.now()
        return await self.store.add_draft(
            space, author.key, draft_id, now, self._flood_since(now), self.limits.flood_per_minute
        )

    async def drop_draft(self, space: str, author: Member, draft_id: int) -> None:
        """ "Like it instead": the draft is not needed any more."""
        await self.store.drop_draft(space, author.key, draft_id)

    def _flood_since(self, now: datetime) -> datetime:
        """Ideas submitted after this instant count towards the flood limit."""
        return now - FLOOD_WINDOW

    def _check_open(self, wall: Wall) -> None:
        """Refuse changes on a closed wall."""
        if not wall.is_open(self.clock.now()):
            raise UserError("idea.wall_closed", wall=wall.ref)

    # Finding

    async def get(self, space: str, ref: str | int) -> Idea:
        """An idea of this space by its reference, or a clear error."""
        number = parse_ref(ref, "idea.bad_ref")
        idea = await self.store.find_idea(space, number)
        if idea is None or idea.withdrawn:
            raise UserError("idea.not_found", ref=number)
        return idea

    async def by_id(self, space: str, idea_id: int) -> Idea:
        """An idea named by a button; another space's idea is refused as if it did not exist."""
        idea = await self.store.get_idea(idea_id)
        if idea is None or idea.space != space or idea.withdrawn:
            raise UserError("idea.not_found", ref=idea_id)
        return idea

    async def wall_by_id(self, space: str, wall_id: int) -> Wall:
        """A wall named by a button, checked against the space."""
        wall = await self.store.get_wall(wall_id)
        if wall is None or wall.space != space:
            raise UserError("idea.wall_not_found", ref=wall_id)
        return wall

    async def top(self, wall: Wall, category: str | None = None, limit: int = 10) -> list[Idea]:
        """The most liked listed ideas of a wall (ties: older first)."""
        return await self.store.top_ideas(wall.id, wall.category(category), limit)

    async def page(self, wall: Wall, number: int) -> tuple[list[Idea], int]:
        """One page of a wall's listed ideas, newest first, and the number of pages."""
        pages = max(1, -(-await self.store.listed_count(wall.id) // PAGE_SIZE))
        number = min(max(1, number), pages)
        return await self.store.newest_ideas(wall.id, (number - 1) * PAGE_SIZE, PAGE_SIZE), pages

    async def mine(self, space: str, member: Member) -> list[Idea]:
        """A member's own ideas (anonymous ones included), newest first."""
        return [idea for idea in await self.store.author_ideas(space, member.key) if not idea.withdrawn]

    # Liking

    async def like(self, space: str, member: Member, idea_id: int, only_add: bool = False) -> tuple[Idea, bool]:
        """Toggle a member's like (or just add it); return the idea with its count, once committed."""
        now = self.clock.now()

        def rule(idea: Idea, wall: Wall) -> None:
            if idea.space != space or idea.withdrawn:
                raise UserError("idea.not_found", ref=idea_id)
            if idea.hidden:
                raise UserError("idea.hidden_no_likes", ref=idea.ref)
            if not wall.is_open(now):
                raise UserError("idea.wall_closed", wall=wall.ref)

        idea, liked = await self.store.toggle_like(idea_id, member.key, now, rule, only_add)
        self.metrics.count("likes", space)
        self.live.touch(idea.subject)
        return idea, liked

    # Authors and staff

    async def edit(self, space: str, ref: str, by: Member, text: str) -> Idea:
        """Change an idea's text: its author while the wall is open, or staff (a typo) at any time."""
        idea = await self.get(space, ref)
        text = clean_text(text, self.limits.max_length)
        if not by.is_staff:
            await self._check_author(idea, by)
        return self._touched(await self.store.edit_text(idea.id, text, self.clock.now()))

    async def withdraw(self, space: str, ref: str, by: Member) -> Idea:
        """An author takes back their own idea while the wall is open."""
        idea = await self.get(space, ref)
        await self._check_author(idea, by)
        return self._touched(await self.store.withdraw(idea.id, self.clock.now()))

    async def _check_author(self, idea: Idea, by: Member) -> None:
        """Only the author, and only while the wall is open."""
        if idea.author != by.key:
            raise UserError("idea.not_yours", ref=idea.ref)
        self._check_open(await self.wall_by_id(idea.space, idea.wall_id))

    async def count_between(self, space: str, since: datetime, until: datetime) -> tuple[int, int]:
        """Ideas posted in [since, until) and not withdrawn, and how many of them were retained (or done)."""
        return await self.store.count_between(space, since, until)

    async def set_status(
        self, space: str, ref: str, by: Member, status: str, reason: str | None
    ) -> tuple[Idea, Telling]:
        """Move an idea along new → exploring → retained → done / declined (staff); its author is told."""
        if status not in STATUSES:
            raise UserError("idea.bad_status", field="status", status=status)
        idea = await self.get(space, ref)
        if idea.status == status:
            raise UserError("idea.same_status", ref=idea.ref)
        reason = clean_reason(reason)
        notices, telling = author_notices(idea, by, "status", status=status, reason=reason)
        change = StatusChange(status, reason, by.key)
        return self._touched(await self.store.set_status(idea.id, change, notices, self.clock.now())), telling

    async def hide(self, space: str, ref: str, by: Member, reason: str | None) -> tuple[Idea, Telling]:
        """Hide an idea from listings (staff); it is kept, and its author is told why."""
        idea = await self.get(space, ref)
        if idea.hidden:
            raise UserError("idea.already_hidden", ref=idea.ref)
        reason = clean_reason(reason)
        notices, telling = author_notices(idea, by, "hidden", reason=reason)
        return self._touched(await self.store.hide(idea.id, reason, notices, self.clock.now())), telling

    async def merge(self, space: str, source_ref: str, target_ref: str, by: Member) -> tuple[Idea, Telling]:
        """Merge a duplicate into another idea of its wall (staff): likes united, each member once."""
        source, target = await self.get(space, source_ref), await self.get(space, target_ref)
        if source.id == target.id:
            raise UserError("idea.merge_self", ref=source.ref)
        if source.wall_id != target.wall_id:
            raise UserError("idea.merge_other_wall", ref=source.ref, into=target.ref)
        if not (source.listed and target.listed):
            raise UserError("idea.merge_unlisted", ref=source.ref, into=target.ref)
        notices, telling = author_notices(source, by, "merged", into=target.ref)
        merged = await self.store.merge(source.id, target.id, notices, self.clock.now())
        self.live.touch(source.subject)
        return self._touched(merged), telling

    def _touched(self, idea: Idea) -> Idea:
        """A changed idea, its cards refreshed at the live cards' pace."""
        self.live.touch(idea.subject)
        return idea

    # Exports and polls

    async def export_csv(self, space: str, wall_ref: str | None = None, sep: str = COMMA) -> str:
        """CSV of a space's ideas (one wall, or all), withdrawn ones left out; columns split by `sep`."""
        walls = [await self.wall(space, "", wall_ref)] if wall_ref else await self.store.walls(space)
        by_id = {wall.id: wall for wall in walls}
        parts = [export_rows(by_id, [], sep)]
        for wall in reversed(walls):
            after: Idea | None = None
            # A chunk at a time, written off the event loop: a large wall never holds up other members.
            while chunk := await self.store.wall_ideas(wall.id, after, EXPORT_CHUNK):
                after = chunk[-1]
                kept = [idea for idea in chunk if not idea.withdrawn]
                parts.append(await asyncio.to_thread(export_rows, by_id, kept, sep, False))
        return "".join(parts)

    async def index_backlog(self) -> int:
        """Index the words of the ideas listed before words were indexed, a batch per write; how many."""
        done = 0
        while indexed := await self.store.index_backlog(BACKLOG_BATCH):
            done += indexed
        if done:
            log.info("indexed the words of %d ideas listed before the upgrade", done)
        return done

    def start_indexing(self) -> None:
        """Index the backlog in the background: once, after the upgrade, a while on a large wall; the bot serves
        meanwhile and the duplicate hint finds those ideas as their words arrive."""
        self.indexing = asyncio.get_running_loop().create_task(self.index_backlog())
        self.indexing.add_done_callback(log_failure)

    async def stop_indexing(self) -> None:
        """Stop where it is: a batch is one write, and the next start goes on from there."""
        if self.indexing is not None:
            self.indexing.cancel()
            await asyncio.gather(self.indexing, return_exceptions=True)

    def poll_choices(self, ideas: Sequence[Idea]) -> list[str]:
        """The top ideas as poll options, cut to the poll limits."""
        if len(ideas) < OPTIONS_MIN:
            raise UserError("idea.to_poll.too_few", min=OPTIONS_MIN)
        return poll_labels(ideas[:OPTIONS_MAX])
