"""How a live thread looks: its header in every attached channel, its lists and its summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from bot.features.events.domain import Event
from bot.features.events.views import when
from bot.features.live.domain import LiveChannel, LiveThread
from bot.features.live.engage import Figures, Summary
from bot.features.live.engage_views import figures_fields, summary_fields
from bot.i18n import Translator
from bot.ui import Card, Field

PLATFORM_NAMES = {"slack": "Slack", "discord": "Discord", "console": "Console"}


def platform_name(platform: str) -> str:
    """ "Slack", "Discord", "Console"."""
    return PLATFORM_NAMES.get(platform, platform.capitalize())


def header_card(
    live: LiveThread, event: Event, channels: Sequence[LiveChannel], _: Translator, figures: Figures | None = None
) -> Card:
    """The header above the thread in each attached channel, kept up to date (with who takes part from where)."""
    title = _("live.header.title", ref=event.ref, title=event.title)
    text = [_("live.header.when", start=when(event.starts_at, event, _))]
    text.append(_("live.header.stopped") if not live.running else _("live.header.how"))
    platforms = Counter(platform_name(channel.platform) for channel in channels)
    where = ", ".join(f"{name} ({count})" for name, count in sorted(platforms.items()))
    fields = (Field(_("live.header.channels"), where or "—"),) + (figures_fields(figures, _) if figures else ())
    return Card(title=title, text=tuple(text), fields=fields)


def channels_card(live: LiveThread, channels: Sequence[LiveChannel], tz_now: datetime, _: Translator) -> Card:
    """`/live channels`: the attached channels, numbered for /live detach."""
    lines = [
        _("live.channels.item", number=n, platform=platform_name(c.platform), space=c.space, channel=c.channel)
        for n, c in enumerate(channels, 1)
    ]
    return Card(title=_("live.channels.title", ref=live.ref, count=len(channels)), text=("\n".join(lines),))


def summary_card(
    live: LiveThread, event: Event, channels: Sequence[LiveChannel], _: Translator, summary: Summary | None = None
) -> Card:
    """What the thread was, posted when it stops: who followed from where, what was said, asked and voted."""
    platforms = Counter(platform_name(channel.platform) for channel in channels)
    where = ", ".join(f"{name} ({count})" for name, count in sorted(platforms.items()))
    return Card(
        title=_("live.summary.title", ref=event.ref, title=event.title),
        fields=(Field(_("live.header.channels"), where or "—"),) + (summary_fields(summary, _) if summary else ()),
    )
