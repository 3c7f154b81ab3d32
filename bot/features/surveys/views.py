"""How a survey looks: the private message each recipient answers in, and the staff card."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.notices import Notice
from bot.features.surveys.domain import Progress, Question, QuestionResult, Survey, questions_of, shown
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Control, Field, Reply, ResultBar, Route, Select, SelectOption, moment

BUTTONS_MAX = 5  # more values than this become a select menu (one row of a private message either way)

# A button carries its value; a menu sends it as its chosen value.
PICK = Route("survey", "pick", Arg("survey_id"), Arg("question"), Arg("value", from_value=True))
WRITE = Route("survey", "write", Arg("survey_id"), Arg("question"))


def value_labels(question: Question) -> list[tuple[int, str]]:
    """(value, label) of what a recipient can click for a question."""
    if question.kind in ("rating", "nps"):
        return [(n, str(n)) for n in question.values]
    return list(enumerate(question.options))


def question_controls(survey_id: int, question: Question, _: Translator) -> tuple[Control, ...]:
    """One row per question: buttons for a few values, a menu for more, a button opening a form for words."""
    if question.kind == "text":
        return (Button(_("survey.ask.write", number=question.number), WRITE.id(survey_id, question.number)),)
    labels = value_labels(question)
    if len(labels) <= BUTTONS_MAX:
        return tuple(Button(label, PICK.id(survey_id, question.number, value)) for value, label in labels)
    options = tuple(SelectOption(label, str(value)) for value, label in labels)
    return (Select(_("survey.ask.choose", number=question.number), PICK.id(survey_id, question.number), options),)


def question_line(question: Question, _: Translator) -> str:
    """ "2. How was the day? (1 to 5)" in the reader's language."""
    return _(f"survey.ask.line.{question.kind}", number=question.number, text=question.text)


def ask_card(notice: Notice, _: Translator) -> Card:
    """The private message of a survey: every question with its controls."""
    params = dict(notice.params)
    survey_id, questions = int(params["survey_id"]), questions_of(params)
    intro = _("survey.ask.nudge") if notice.kind == "survey.ask.nudge" else _("survey.ask.intro")
    text = [intro, *(question_line(q, _) for q in questions)]
    if params.get("anonymous"):
        text.append(_("survey.ask.anonymous"))
    text.append(_("survey.ask.usage", ref=params["ref"]))
    controls = tuple(control for q in questions for control in question_controls(survey_id, q, _))
    return Card(title=_("survey.ask.title", ref=params["ref"], title=params["title"]), text=tuple(text),
                controls=controls)  # fmt: skip


def render_notice(notice: Notice, _: Translator) -> Reply:
    """A survey's private message (first sending and nudges)."""
    return Reply(card=ask_card(notice, _))


def progress_fields(progress: Progress, _: Translator, tz: ZoneInfo) -> tuple[Field, ...]:
    """Sent, answered, rate, and the nudges."""
    rate = f"{round(progress.rate * 100)} %"
    fields = [
        Field(_("survey.card.sent"), str(progress.recipients)),
        Field(_("survey.card.answered"), _("survey.card.answered_value", count=progress.answered, rate=rate)),
    ]
    nudges = [moment(at, tz, _.locale) for at in progress.nudges_planned]
    fields.append(Field(_("survey.card.nudges"), _("survey.card.nudges_value", sent=progress.nudges_sent,
                                                   planned=", ".join(nudges) or "—")))  # fmt: skip
    return tuple(fields)


def staff_card(survey: Survey, progress: Progress, _: Translator, tz: ZoneInfo) -> Card:
    """The staff card: the questions and the response rate, kept live as answers come in."""
    state = _("survey.card.closed") if survey.closed_at is not None else _("survey.card.open")
    lines = [question_line(q, _) for q in survey.questions] or [_("survey.card.no_questions", ref=survey.ref)]
    if survey.anonymous:
        lines.append(_("survey.card.anonymous"))
    bar = ResultBar(_("survey.card.rate"), progress.answered, progress.rate)
    return Card(title=_("survey.card.title", ref=survey.ref, title=survey.title), text=tuple(lines),
                fields=progress_fields(progress, _, tz), bars=(bar,) if progress.recipients else (),
                footer=state)  # fmt: skip


def results_card(
    survey: Survey, progress: Progress, results: list[QuestionResult], _: Translator, tz: ZoneInfo
) -> Card:
    """Every question's aggregates: bars per value, the mean or the NPS, ranked days, texts."""
    text: list[str] = []
    for found in results:
        q = found.question
        head = f"{question_line(q, _)} — {_('survey.results.answers', count=found.answers)}"
        if found.hidden:
            text.append(f"{head}\n{_('survey.results.too_few', min=3)}")
            continue
        body = [head]
        if found.score is not None:
            key = "survey.results.nps" if q.kind == "nps" else "survey.results.mean"
            body.append(_(key, score=_number(found.score, _.locale)))
        if found.counts:
            body += [f"{label} — {count}" for label, count in found.counts]
        body += [f"• {answer}" for answer in found.texts]
        text.append("\n".join(body))
    return Card(title=_("survey.results.title", ref=survey.ref, title=survey.title), text=tuple(text),
                fields=progress_fields(progress, _, tz))  # fmt: skip


def _number(value: float, locale: str) -> str:
    """A score with a decimal comma in French."""
    text = f"{value:g}"
    return text.replace(".", ",") if locale == "fr" else text


def answer_text(survey: Survey, question: Question, value: str, _: Translator) -> str:
    """What a recipient reads after answering: the answer as stored, or that it was withdrawn."""
    if not value:
        return _("survey.answer.withdrawn", ref=survey.ref, number=question.number)
    return _("survey.answer.recorded", ref=survey.ref, number=question.number, answer=shown(question, value))
