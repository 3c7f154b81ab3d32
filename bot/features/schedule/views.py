"""How scheduled messages look: reminders and follow-up questions, with the routes of their buttons."""

from __future__ import annotations

from typing import Literal

from bot.features.events.domain import Event, Signup
from bot.features.events.views import status_text, when
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Reply, Route

Step = Literal["day", "month"]
RATINGS = (1, 2, 3, 4, 5)

RATE = Route("followup", "rate", Arg("event_id"), Arg("rating"))
ANSWER = Route("followup", "answer", Arg("event_id"))  # opens the form for the written answer


def reminder_reply(event: Event, signup: Signup, _: Translator) -> Reply:
    """A reminder: when and where, how the member attends (or their waitlist position), the link if remote."""
    head = _("schedule.reminder.head", ref=event.ref, title=event.title, start=when(event.starts_at, event, _))
    lines = [head, status_text(event, signup, _)]
    if event.venue and signup.mode == "onsite" and signup.holds_place:
        lines.append(_("schedule.reminder.venue", venue=event.venue))
    return Reply(text="\n".join(lines))


def followup_reply(event: Event, step: Step, _: Translator) -> Reply:
    """The day-after card (ratings and a text) or the month-later question."""
    title = _("event.card.title", ref=event.ref, title=event.title)
    answer = Button(_(f"schedule.followup.{step}.button"), ANSWER.id(event.id), "primary")
    if step == "month":
        return Reply(card=Card(title=title, text=(_("schedule.followup.month.text", title=event.title),),
                               controls=(answer,)))  # fmt: skip
    stars = tuple(Button(str(n), RATE.id(event.id, n)) for n in RATINGS)
    return Reply(card=Card(title=title, text=(_("schedule.followup.day.text", title=event.title),),
                           controls=(*stars, answer)))  # fmt: skip
