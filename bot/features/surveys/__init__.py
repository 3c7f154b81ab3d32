"""Surveys sent privately to an event's attendees, a channel's members or a group: several kinds of question, a live response rate, nudges."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.ideas.domain import IdeaService
from bot.features.surveys.commands import SurveyDeps
from bot.features.surveys.domain import SurveyService
from bot.features.surveys.sqlite import SqliteSurveyStore
from bot.features.surveys.store import SurveyStore
from bot.features.surveys.views import render_notice, staff_card
from bot.i18n import Translator
from bot.scheduler import Source
from bot.ui import Card


def build(kernel: Kernel, store: SurveyStore, built: Built) -> Unit:
    """The survey service, its staff card, the private messages (through the outbox) and the nudges' wake-ups."""
    events = built["events"].service if "events" in built else None
    ideas = built["ideas"].service if "ideas" in built else None
    assert events is None or isinstance(events, EventService)
    assert ideas is None or isinstance(ideas, IdeaService)
    surveys = SurveyService(store, kernel.cards, kernel.clock, kernel.wakeups.wake_at)

    async def render(subject: str) -> Card | None:
        """The staff card of "survey:ID", in its space's language."""
        survey = await store.get_survey(subject_id(subject))
        if survey is None:
            return None
        space = kernel.spaces(survey.space)
        return staff_card(survey, await store.progress(survey.id), Translator(space.locale), space.tz)

    return Unit(
        service=surveys,
        deps=SurveyDeps(surveys, events, ideas, kernel.delivery),
        renderers={"survey": render},
        notices={"survey": render_notice},
        wakeups=(Source(surveys.nudge_due, surveys.pending),),
    )


FEATURE = Feature("surveys", __name__, build, store=SqliteSurveyStore)
