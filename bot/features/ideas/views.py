"""How the idea wall looks, in the neutral UI model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.notices import Notice
from bot.features.ideas.domain import Idea, Wall, shorten
from bot.i18n import Translator
from bot.ui import Arg, Button, Card, Control, Field, Reply, Route, moment

LINE_WIDTH = 120  # an idea's text in listings; the card shows it whole

LIKE = Route("idea", "like", Arg("idea_id"))
PAGE = Route("idea", "page", Arg("wall_id"), Arg("number"))
INSTEAD = Route("idea", "instead", Arg("draft_id"), Arg("idea_id"))  # like the similar idea, drop the draft
FORCE = Route("idea", "force", Arg("draft_id"))  # submit the held-back draft anyway


def wall_title(wall: Wall, _: Translator) -> str:
    """The wall's prompt, or the default wall's name."""
    return _("idea.wall.default_prompt") if wall.is_default else wall.prompt


def wall_line(wall: Wall, _: Translator, tz: ZoneInfo, now: datetime) -> str:
    """ "#2 · Les types d'activités ? · clôture le …" for wall lists."""
    parts = [_("idea.wall.line", ref=wall.ref, prompt=wall_title(wall, _))]
    if wall.categories:
        parts.append(", ".join(wall.categories))
    if wall.closed_at is not None or not wall.is_open(now):
        parts.append(_("idea.wall.closed"))
    elif wall.closes_at is not None:
        parts.append(_("idea.wall.closes_on", when=moment(wall.closes_at, tz, _.locale)))
    return " · ".join(parts)


def state_notice(idea: Idea, _: Translator) -> str | None:
    """Why an idea is not on the wall any more, if it is not."""
    if idea.withdrawn:
        return _("idea.card.withdrawn")
    if idea.merged_into_ref is not None:
        return _("idea.card.merged", into=idea.merged_into_ref)
    if idea.hidden:
        return _("idea.card.hidden")
    return None


def idea_card(idea: Idea, wall: Wall, _: Translator, now: datetime) -> Card:
    """An idea's card: its text, category, status, author unless anonymous, and the Like toggle while open."""
    notice = state_notice(idea, _)
    is_open = wall.is_open(now)
    fields = [Field(_("idea.card.status"), _(f"idea.status.{idea.status}"))]
    if idea.category:
        fields.insert(0, Field(_("idea.card.category"), idea.category))
    if idea.byline():
        fields.append(Field(_("idea.card.author"), idea.byline() or ""))
    controls: tuple[Control, ...] = ()
    if notice is None and is_open:
        controls = (Button(_("idea.card.like"), LIKE.id(idea.id), "primary"),)
    footer = "idea.card.likes_open" if is_open else "idea.card.likes_closed"
    return Card(
        title=_("idea.card.title", ref=idea.ref, wall=shorten(wall_title(wall, _), 150)),
        text=(notice,) if notice else (idea.text,),
        fields=() if notice else tuple(fields),
        controls=controls,
        footer=_(footer, count=idea.likes),
    )


def idea_line(idea: Idea, _: Translator) -> str:
    """One line of a listing: reference, text, likes, and the category and status when they say something."""
    parts = [_("idea.line", ref=idea.ref, text=shorten(idea.text, LINE_WIDTH), count=idea.likes)]
    if idea.category:
        parts.append(idea.category)
    if idea.status != "new":
        parts.append(_(f"idea.status.{idea.status}"))
    return " · ".join(parts)


def top_card(wall: Wall, ideas: Sequence[Idea], _: Translator, final: bool = False) -> Card:
    """The ranking of a wall; `final` when it is the closing announcement."""
    lines = [f"{rank}. {idea_line(idea, _)}" for rank, idea in enumerate(ideas, start=1)]
    title = "idea.top.final_title" if final else "idea.top.title"
    return Card(
        title=_(title, wall=shorten(wall_title(wall, _), 150)),
        text=("\n".join(lines) if lines else _("idea.top.empty"),),
        footer=_("idea.top.footer", ref=wall.ref),
    )


def page_card(wall: Wall, ideas: Sequence[Idea], number: int, pages: int, _: Translator) -> Card:
    """One page of a wall's ideas, with buttons to the previous and next pages."""
    controls = []
    if number > 1:
        controls.append(Button(_("idea.list.previous"), PAGE.id(wall.id, number - 1)))
    if number < pages:
        controls.append(Button(_("idea.list.next"), PAGE.id(wall.id, number + 1)))
    return Card(
        title=_("idea.list.title", wall=shorten(wall_title(wall, _), 150)),
        text=("\n".join(idea_line(idea, _) for idea in ideas) if ideas else _("idea.list.empty"),),
        controls=tuple(controls),
        footer=_("idea.list.footer", page=number, pages=pages),
    )


def mine_card(ideas: Sequence[Idea], _: Translator) -> Card:
    """A member's own ideas, anonymous ones marked for them alone."""
    lines = []
    for idea in ideas:
        line = idea_line(idea, _)
        if idea.anonymous:
            line += " · " + _("idea.mine.anonymous")
        notice = state_notice(idea, _)
        lines.append(f"{line} · {notice}" if notice else line)
    return Card(title=_("idea.mine.title", count=len(ideas)), text=("\n".join(lines) or _("idea.mine.empty"),))


def hint_card(similar: Idea, draft_id: int, _: Translator) -> Card:
    """ "A similar idea is already on the wall": like it instead, or submit anyway."""
    return Card(
        title=_("idea.hint.title"),
        text=(_("idea.hint.text"), idea_line(similar, _)),
        controls=(
            Button(_("idea.hint.like_instead"), INSTEAD.id(draft_id, similar.id), "primary"),
            Button(_("idea.hint.submit_anyway"), FORCE.id(draft_id)),
        ),
    )


def render_notice(notice: Notice, _: Translator) -> Reply:
    """A private notice to an idea's author ("idea.status", "idea.hidden", "idea.merged"), in the reader's language."""
    params = dict(notice.params)
    reason = params.pop("reason", None)
    if "status" in params:
        params["status"] = _(f"idea.status.{params['status']}")
    lines = [_(f"idea.told.{notice.kind.split('.', 1)[1]}", **params)]
    if reason:
        lines.append(_("idea.told.reason", reason=reason))
    return Reply(text="\n".join(lines))
