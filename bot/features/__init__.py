"""The features of the bot, each one folder; the app collects them from this one list, in build order."""

from __future__ import annotations

from bot.feature import Feature
from bot.features import events, help, ideas, live, polls, reports, schedule, surveys

# A feature may use the services of those listed before it (schedule uses events and polls, surveys events and ideas,
# reports events, surveys and ideas).
FEATURES: tuple[Feature, ...] = (
    help.FEATURE,
    polls.FEATURE,
    ideas.FEATURE,
    events.FEATURE,
    schedule.FEATURE,
    live.FEATURE,
    surveys.FEATURE,
    reports.FEATURE,
)
