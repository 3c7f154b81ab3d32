"""How a poll looks, in the neutral UI model."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.features.polls.domain import Poll, Tally
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Control, ResultBar, Route, Select, SelectOption, moment

BUTTONS_MAX = 5  # more options than this become a select menu

# A button carries its option; a menu sends it as its chosen value.
VOTE = Route("poll", "vote", Arg("poll_id"), Arg("option", from_value=True))


def vote_controls(poll: Poll, route: Route = VOTE) -> tuple[Control, ...]:
    """Buttons for a few options, a select for many; `route` names the clicks (another feature's, to vote from elsewhere)."""
    if len(poll.options) <= BUTTONS_MAX:
        return tuple(Button(label, route.id(poll.id, position)) for position, label in enumerate(poll.options))
    options = tuple(SelectOption(label, str(position)) for position, label in enumerate(poll.options))
    return (Select("—", route.id(poll.id), options),)


def rules_line(poll: Poll, _: Translator, tz: ZoneInfo, now: datetime) -> str:
    """ "Choix unique · anonyme · ferme le …" in the reader's language."""
    parts = [_("poll.card.single") if poll.max_choices == 1 else _("poll.card.multi", max=poll.max_choices)]
    if poll.anonymous:
        parts.append(_("poll.card.anonymous"))
    if poll.closed_at is not None:
        parts.append(_("poll.card.closed_on", when=moment(poll.closed_at, tz, _.locale)))
    elif poll.closes_at is not None:
        parts.append(_("poll.card.closes_on", when=moment(poll.closes_at, tz, _.locale)))
    return " · ".join(parts)


def poll_card(poll: Poll, tally: Tally, _: Translator, tz: ZoneInfo, now: datetime, route: Route = VOTE) -> Card:
    """The card of a poll: live results or a promise of results, and vote controls (clicks on `route`) while open."""
    is_open = poll.is_open(now)
    bars: tuple[ResultBar, ...] = ()
    text = [rules_line(poll, _, tz, now)]
    if poll.results_visible(now):
        bars = tuple(ResultBar(label, tally.counts[i], tally.share(i)) for i, label in enumerate(poll.options))
    else:
        text.append(_("poll.card.results_at_close"))
        if is_open:
            text.append("\n".join(f"• {label}" for label in poll.options))
    state = "poll.card.voters_open" if is_open else "poll.card.voters_closed"
    return Card(
        title=_("poll.card.title", ref=poll.ref, question=poll.question),
        text=tuple(text),
        bars=bars,
        controls=vote_controls(poll, route) if is_open else (),
        footer=_(state, count=tally.voters),
    )


def final_card(poll: Poll, tally: Tally, _: Translator, tz: ZoneInfo, now: datetime) -> Card:
    """The announcement posted when a poll closes."""
    card = poll_card(poll, tally, _, tz, now)
    return Card(
        title=_("poll.final.title", ref=poll.ref, question=poll.question),
        text=card.text,
        bars=card.bars,
        footer=card.footer,
    )


def choices_text(poll: Poll, choices: tuple[int, ...], _: Translator) -> str:
    """ "Tes choix : A, B" or "Aucun choix"."""
    if not choices:
        return _("poll.vote.none", ref=poll.ref)
    return _("poll.vote.current", ref=poll.ref, choices=", ".join(poll.options[i] for i in choices))


def home_cards(mine: list[Poll], votes: list[tuple[Poll, tuple[int, ...]]], _: Translator) -> tuple[Card, ...]:
    """A member's overview: their open polls, then their latest votes (the Slack App Home)."""
    own = [_("poll.list.item", ref=poll.ref, question=poll.question) for poll in mine]
    voted = [
        _(
            "poll.home.vote_item",
            ref=poll.ref,
            question=poll.question,
            choices=", ".join(poll.options[i] for i in choices),
        )
        for poll, choices in votes
    ]
    return (
        Card(title=_("poll.home.mine.title"), text=("\n".join(own) if own else _("poll.home.mine.empty"),)),
        Card(title=_("poll.home.votes.title"), text=("\n".join(voted) if voted else _("poll.home.votes.empty"),)),
    )
