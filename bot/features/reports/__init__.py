"""Indicators: an event's sign-ups, presence, no-shows, waitlists, polls, surveys and ideas, as charts with numbers."""

from __future__ import annotations

from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.ideas.domain import IdeaService
from bot.features.live.domain import LiveService
from bot.features.polls.domain import PollService
from bot.features.reports.commands import ReportDeps
from bot.features.reports.domain import ReportService
from bot.features.surveys.domain import SurveyService


def build(_kernel: Kernel, _store: object, built: Built) -> Unit:
    """The report service, reading the other features through their services."""
    events = built["events"].service
    surveys = built["surveys"].service if "surveys" in built else None
    ideas = built["ideas"].service if "ideas" in built else None
    live = built["live"].service if "live" in built else None
    polls = built["polls"].service if "polls" in built else None
    assert isinstance(events, EventService)
    assert surveys is None or isinstance(surveys, SurveyService)
    assert ideas is None or isinstance(ideas, IdeaService)
    assert live is None or isinstance(live, LiveService)
    assert polls is None or isinstance(polls, PollService)
    reports = ReportService(events, surveys, ideas, live, polls)
    return Unit(service=reports, deps=ReportDeps(reports))


FEATURE = Feature("reports", __name__, build)
