"""The idea wall: members post ideas and like the ones worth digging into; staff sort them."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.ideas.commands import IdeaDeps
from bot.features.ideas.domain import FINAL_TOP, IdeaLimits, IdeaService
from bot.features.ideas.sqlite import SqliteIdeaStore
from bot.features.ideas.store import IdeaStore
from bot.features.ideas.views import idea_card, render_notice, top_card
from bot.features.polls.domain import PollService
from bot.i18n import Translator
from bot.scheduler import Source
from bot.ui import Card, Reply


def build(kernel: Kernel, store: IdeaStore, built: Built) -> Unit:
    """The idea service, its live idea cards and its wall-closing wake-ups."""
    settings = kernel.settings
    limits = IdeaLimits(
        settings["ideas.max_length"], settings["ideas.flood_per_minute"], settings["ideas.duplicate_threshold"]
    )
    ideas = IdeaService(store, kernel.cards, kernel.clock, limits, kernel.wakeups.wake_at, kernel.metrics)
    polls = built["polls"].service
    assert isinstance(polls, PollService)

    async def render(subject: str) -> Card | None:
        """The live card of "idea:ID", in its space's language."""
        idea = await store.get_idea(subject_id(subject))
        wall = None if idea is None else await store.get_wall(idea.wall_id)
        if idea is None or wall is None:
            return None
        return idea_card(idea, wall, Translator(kernel.spaces(idea.space).locale), kernel.clock.now())

    async def close_due() -> None:
        """Close idea walls whose time has come and post their final top list in their channel."""
        for wall in await ideas.close_due(kernel.delivery.ready):
            ranking = await ideas.top(wall, limit=FINAL_TOP)
            card = top_card(wall, ranking, Translator(kernel.spaces(wall.space).locale), final=True)
            await kernel.delivery.post(wall.space, wall.channel, Reply(card=card, public=True))

    async def start_indexing() -> None:
        """The words of ideas listed before the upgrade are indexed in the background (see IdeaService)."""
        ideas.start_indexing()

    return Unit(
        service=ideas,
        deps=IdeaDeps(ideas, polls),
        renderers={"idea": render},
        notices={"idea": render_notice},
        wakeups=(Source(close_due, store.next_closing_times),),
        on_start=(start_indexing,),
        on_stop=(ideas.stop_indexing,),
    )


FEATURE = Feature("ideas", __name__, build, store=SqliteIdeaStore)
