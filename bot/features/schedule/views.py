"""How scheduled messages look: reminders, follow-up questions and notes to authors, with their buttons' routes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.notices import Notice
from bot.features.events.domain import Event, Signup
from bot.features.events.views import status_text, when
from bot.features.polls.domain import Poll, Tally
from bot.features.polls.views import poll_card
from bot.features.schedule.domain import RATINGS, STEPS, FollowupSetup, Step
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Field, Reply, Route

RATE = Route("followup", "rate", Arg("event_id"), Arg("rating"))
ANSWER = Route("followup", "answer", Arg("event_id"))  # opens the form for the written answer


def reminder_head(event: Event, _: Translator) -> str:
    """ "Rappel : #3 Rencontre, lundi 29 juin à 9:30"."""
    return _("schedule.reminder.head", ref=event.ref, title=event.title, start=when(event.starts_at, event, _))


def reminder_reply(event: Event, signup: Signup, _: Translator) -> Reply:
    """A reminder: when and where, how the member attends (or their waitlist position), the link if remote."""
    lines = [reminder_head(event, _), status_text(event, signup, _)]
    if event.venue and signup.mode == "onsite" and signup.holds_place:
        lines.append(_("schedule.reminder.venue", venue=event.venue))
    return Reply(text="\n".join(lines))


def followup_text(event: Event, step: Step, _: Translator, question: str | None = None) -> str:
    """A follow-up's question: staff's own, or the default one in the reader's language."""
    return question or _(f"schedule.followup.{step}.text", title=event.title)


def followup_reply(event: Event, step: Step, _: Translator, question: str | None = None) -> Reply:
    """The day-after card (ratings and a text) or the month-later question; `question` replaces the default."""
    title = _("event.card.title", ref=event.ref, title=event.title)
    answer = Button(_(f"schedule.followup.{step}.button"), ANSWER.id(event.id), "primary")
    text = (followup_text(event, step, _, question),)
    if step == "month":
        return Reply(card=Card(title=title, text=text, controls=(answer,)))
    stars = tuple(Button(str(n), RATE.id(event.id, n)) for n in RATINGS)
    return Reply(card=Card(title=title, text=text, controls=(*stars, answer)))


def followups_card(
    event: Event, setup: FollowupSetup, checkin_used: bool, reached: int, _: Translator, saved: bool
) -> Card:
    """Staff view of an event's follow-ups: each question (own or default), the audience, how many it reaches now."""
    fields = [
        Field(_(f"schedule.followups.{step}", origin=_("schedule.followups.own" if setup.text(step) else
                                                        "schedule.followups.default")),
              followup_text(event, step, _, setup.text(step)))
        for step in STEPS
    ]  # fmt: skip
    checkin = _("schedule.followups.checkin_used" if checkin_used else "schedule.followups.checkin_unused")
    fields += [Field(_("schedule.followups.audience"), _(f"schedule.followups.audience_{setup.audience}")),
               Field(_("schedule.followups.reach"), _("schedule.followups.reach_count", count=reached, checkin=checkin))]  # fmt: skip
    note = _("schedule.followups.saved") if saved else _("schedule.followups.how", ref=event.ref)
    return Card(
        title=_("schedule.followups.title", ref=event.ref, title=event.title), text=(note,), fields=tuple(fields)
    )


def render_notice(notice: Notice, _: Translator) -> Reply:
    """The note telling a message's author whom it missed, or may have missed (a stop cut the send off)."""
    what, p = notice.kind.split(".", 1)[1], notice.params
    return Reply(text=_(f"schedule.notice.{what}", ref=p["ref"], title=p["title"], names=", ".join(p["names"])))


class SchedulePresenter:
    """The schedule's messages in a given language (the domain's Presenter port)."""

    def reminder(self, event: Event, signup: Signup, locale: str) -> Reply:
        """A reminder for one member."""
        return reminder_reply(event, signup, Translator(locale))

    def reminder_head(self, event: Event, locale: str) -> Reply:
        """A reminder's first line alone."""
        return Reply(text=reminder_head(event, Translator(locale)))

    def followup(self, event: Event, step: Step, locale: str, question: str | None = None) -> Reply:
        """A follow-up question: staff's own `question`, or the default one."""
        return followup_reply(event, step, Translator(locale), question)

    def poll(self, poll: Poll, tally: Tally, locale: str, tz: ZoneInfo, now: datetime) -> Card:
        """A scheduled poll's card, as it opens."""
        return poll_card(poll, tally, Translator(locale), tz, now)
