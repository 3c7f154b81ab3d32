"""Indicators: an event's sign-ups, presence, no-shows, waitlists, surveys and ideas, as charts with their numbers."""

from __future__ import annotations

from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.ideas.domain import IdeaService
from bot.features.reports.commands import ReportDeps
from bot.features.reports.domain import ReportService
from bot.features.surveys.domain import SurveyService


def build(_kernel: Kernel, _store: object, built: Built) -> Unit:
    """The report service, reading the other features through their services."""
    events = built["events"].service
    surveys = built["surveys"].service if "surveys" in built else None
    ideas = built["ideas"].service if "ideas" in built else None
    assert isinstance(events, EventService)
    assert surveys is None or isinstance(surveys, SurveyService)
    assert ideas is None or isinstance(ideas, IdeaService)
    reports = ReportService(events, surveys, ideas)
    return Unit(service=reports, deps=ReportDeps(reports))


FEATURE = Feature("reports", __name__, build)
