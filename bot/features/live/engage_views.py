"""How taking part looks: question cards, the top questions, the thread's poll copies, the header's and summary's figures."""

from __future__ import annotations

from collections.abc import Sequence

from bot.features.live.engage import Figures, Summary
from bot.features.live.questions import Question
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Field, Route

UPVOTE = Route("live", "upvote", Arg("question_id"))  # clicked again: taken back
ANSWERED = Route("live", "answered", Arg("question_id"))  # staff
# A live poll's copies vote through the live feature, which checks the click's channel is attached to the poll's thread.
LIVE_VOTE = Route("live", "vote", Arg("poll_id"), Arg("option", from_value=True))
PLATFORMS = {"slack": "Slack", "discord": "Discord", "console": "Console"}


def question_card(question: Question, _: Translator) -> Card:
    """A question as every attached thread shows it: text, who asked (never for anonymous ones), upvotes."""
    if question.hidden:
        return Card(title=_("live.question.title", number=question.number), text=(_("live.question.hidden_text"),))
    who = (
        _("live.question.anonymous")
        if question.anonymous
        else _(
            "live.question.by", name=question.name or "", platform=PLATFORMS.get(question.platform, question.platform)
        )
    )
    controls: tuple[Button, ...] = (Button(_("live.question.upvote"), UPVOTE.id(question.id), "primary"),)
    if not question.answered:
        controls += (Button(_("live.question.mark_answered"), ANSWERED.id(question.id)),)
    footer = _("live.question.votes", count=question.votes)
    if question.answered:
        footer += " · " + _("live.question.answered")
    return Card(
        title=_("live.question.title", number=question.number), text=(question.text, who), controls=controls,
        footer=footer,
    )  # fmt: skip


def question_line(question: Question, _: Translator) -> str:
    """ "n°3 · ▲ 12 · ✅ · text" for lists and the summary."""
    mark = " · " + _("live.question.answered") if question.answered else ""
    return _("live.question.line", number=question.number, count=question.votes, text=question.text) + mark


def questions_card(questions: Sequence[Question], _: Translator) -> Card:
    """`/live questions`: the most upvoted first."""
    if not questions:
        return Card(title=_("live.questions.title"), text=(_("live.questions.empty"),))
    return Card(title=_("live.questions.title"), text=("\n".join(question_line(q, _) for q in questions),))


def figures_fields(figures: Figures, _: Translator) -> tuple[Field, ...]:
    """The header's figures: sign-ups, antennas checked in, people taking part per platform."""
    fields = [Field(_("live.figures.signups"), _("live.figures.signups_value", onsite=figures.onsite,
                                                   remote=figures.remote))]  # fmt: skip
    if figures.antennas:
        antennas = " · ".join(_("live.figures.antenna", antenna=c.antenna, count=c.count) for c in figures.antennas)
        fields.append(Field(_("live.figures.antennas"), antennas))
    people = ", ".join(f"{PLATFORMS.get(p, p)} {n}" for p, n in figures.people)
    fields.append(Field(_("live.figures.people"), people or "—"))
    return tuple(fields)


def summary_fields(summary: Summary, _: Translator) -> tuple[Field, ...]:
    """The summary's figures: from where, how many messages, the top questions and the polls' results."""
    fields = list(figures_fields(summary.figures, _))
    fields.append(Field(_("live.summary.messages"), str(summary.messages)))
    top = "\n".join(question_line(q, _) for q in summary.questions)
    fields.append(Field(_("live.summary.questions", count=summary.asked), top or "—"))
    for result in summary.polls:
        poll, tally = result.poll, result.tally
        counts = " · ".join(f"{label} {tally.counts[i]}" for i, label in enumerate(poll.options))
        fields.append(Field(_("live.summary.poll", ref=poll.ref, question=poll.question),
                            _("live.summary.poll_value", counts=counts, count=tally.voters)))  # fmt: skip
    return tuple(fields)
