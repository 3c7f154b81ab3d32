"""Polls: staff open them in channels, members vote with a click, results live or at closing."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.polls.commands import PollDeps
from bot.features.polls.domain import PollService
from bot.features.polls.sqlite import SqlitePollStore
from bot.features.polls.store import PollStore
from bot.features.polls.views import final_card, poll_card
from bot.i18n import Translator
from bot.scheduler import Source
from bot.ui import Card, Reply


def build(kernel: Kernel, store: PollStore, _built: Built) -> Unit:
    """The poll service, its live card and its closing wake-ups."""
    polls = PollService(store, kernel.cards, kernel.clock, kernel.spaces, kernel.wakeups.wake_at, kernel.metrics)

    async def render(subject: str) -> Card | None:
        """The live card of "poll:ID", in its space's language."""
        poll = await store.get_poll(subject_id(subject))
        if poll is None:
            return None
        space = kernel.spaces(poll.space)
        return poll_card(poll, await polls.tally(poll), Translator(space.locale), space.tz, kernel.clock.now())

    async def close_due() -> None:
        """Close polls whose time has come: freeze their cards and post the final results."""
        for poll in await polls.close_due(kernel.delivery.ready):
            await kernel.cards.flush_now(poll.subject)
            space = kernel.spaces(poll.space)
            card = final_card(poll, await polls.tally(poll), Translator(space.locale), space.tz, kernel.clock.now())
            await kernel.delivery.post(poll.space, poll.channel, Reply(card=card, public=True))

    return Unit(
        service=polls,
        deps=PollDeps(polls, kernel.cards),
        renderers={"poll": render},
        wakeups=(Source(close_due, store.next_closing_times),),
    )


FEATURE = Feature("polls", __name__, build, store=SqlitePollStore)
