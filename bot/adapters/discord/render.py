"""Neutral UI -> Discord embeds, components and modals, as pure functions within Discord's limits."""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

import discord

from bot.ui import (
    Attachment,
    Button,
    Card,
    Modal,
    Moment,
    Reply,
    Select,
    SelectOption,
    TextInput,
    fallbacks,
    render_moments,
    text_bar,
)

# Discord's documented limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
TITLE_MAX, DESCRIPTION_MAX, FIELDS_MAX, FIELD_NAME_MAX, FIELD_VALUE_MAX = 256, 4096, 25, 256, 1024
FOOTER_MAX, EMBED_TOTAL_MAX, CONTENT_MAX = 2048, 6000, 2000
ALT_TEXT_MAX = 1024  # an attachment's description
ROWS_MAX, ROW_WIDTH, OPTIONS_MAX, CUSTOM_ID_MAX = 5, 5, 25, 100
BUTTON_LABEL_MAX, OPTION_TEXT_MAX, PLACEHOLDER_MAX = 80, 100, 150
MODAL_TITLE_MAX, MODAL_INPUTS_MAX, LABEL_MAX, INPUT_PLACEHOLDER_MAX = 45, 5, 45, 100
TEXT_INPUT_MAX = 4000
NAME_MAX, DESCRIPTION_TEXT_MAX = 32, 100  # application command names and descriptions
LIST_SEPARATORS = re.compile(r"[;|]")
# The links escape_markdown leaves alone (discord.utils), so that we leave them alone too.
URL = r"<[^: >]+:/[^ >]+>|(?:https?|steam)://[^\s<]+[^<.,:;\"'\]\s]"
# escape_markdown escapes only the first bracket of a masked link "[text](https://…)": escape every
# bracket outside URLs, stepping over escape pairs ("\\", "\[") so none is split; no link can form then.
LINK_PARTS = re.compile(rf"\\.|(?P<url>{URL})|[\[\]]")
# escape_markdown escapes any "#" starting a line, but only "# ", "## " and "### " make a heading ("#12" is a reference).
NOT_A_HEADING = re.compile(r"^\\(#{1,3})(?=[^#\s]|$)", re.MULTILINE)
# "<t:UNIX:F>" is Discord's timestamp, shown in each viewer's own time zone: only the bot's moments may make one.
TIMESTAMP = re.compile(r"<(?=t:)")
HALF_TIMESTAMP = re.compile(r"<t:[^>\s]*$")
STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def escape(text: str) -> str:
    """Member text shown as typed: no formatting, heading, spoiler or masked link of theirs renders."""
    escaped = NOT_A_HEADING.sub(r"\1", discord.utils.escape_markdown(text))
    return TIMESTAMP.sub(r"\\<", LINK_PARTS.sub(_escape_link_part, escaped))


def timestamp(found: Moment) -> str:
    """A moment as Discord's timestamp: full date and time in the viewer's zone and language."""
    return f"<t:{found.unix}:F>"


def rich(text: str) -> str:
    """Neutral text where Discord renders markdown and timestamps (content, descriptions, field values)."""
    return render_moments(text, escape, timestamp)


HEADING_LINE = re.compile(r"^\*([^*\n]+)\*$", re.MULTILINE)


def bot_markup(text: str) -> str:
    """The bot's own neutral markup as Discord's: `*heading*` lines in bold (Discord's `*x*` is italics), `code` kept."""
    return render_moments(HEADING_LINE.sub(r"**\1**", text), lambda part: part, timestamp)


def flat(text: str) -> str:
    """Neutral text where Discord shows no timestamp (titles, footers, field names): moments in the space's zone."""
    return escape(fallbacks(text))


def _escape_link_part(found: re.Match[str]) -> str:
    """A bracket escaped; an escape pair or a URL as it is."""
    part = found[0]
    return part if found["url"] or part.startswith("\\") else "\\" + part


def clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters, ending with an ellipsis when something was cut."""
    return text if len(text) <= limit else HALF_TIMESTAMP.sub("", text[: limit - 1]).rstrip() + "…"


def bar_lines(card: Card) -> str:
    """One line per result: label, a bar of blocks, count and percentage."""
    return "\n".join(
        f"**{flat(bar.label)}**\n`{text_bar(bar.share)}` {bar.count} · {bar.percent} %" for bar in card.bars
    )


def embed(card: Card) -> discord.Embed:
    """The card as an embed: text and bars in the description, fields, footer; every limit respected.

    Every text of a card may hold member text (a question, an idea, a name): it is escaped; only the
    formatting added here (bold labels, bars in code) renders.
    """
    title = clip(flat(card.title), TITLE_MAX)
    footer = clip(flat(card.footer), FOOTER_MAX) if card.footer else None
    fields = [
        (clip(flat(f.name), FIELD_NAME_MAX), clip(rich(f.value) or "—", FIELD_VALUE_MAX))
        for f in card.fields[:FIELDS_MAX]
    ]
    budget = EMBED_TOTAL_MAX - len(title) - len(footer or "") - sum(len(n) + len(v) for n, v in fields)
    if budget < 0:  # fields alone overflow the 6,000 total: keep as many as fit whole
        kept, used = [], len(title) + len(footer or "")
        for name, value in fields:
            if used + len(name) + len(value) > EMBED_TOTAL_MAX:
                break
            kept.append((name, value))
            used += len(name) + len(value)
        fields, budget = kept, EMBED_TOTAL_MAX - used
    blocks = [block for block in (*map(bot_markup if card.markup else rich, card.text), bar_lines(card)) if block]
    description = clip("\n\n".join(blocks), min(DESCRIPTION_MAX, max(budget, 0))) or None
    result = discord.Embed(title=title, description=description, colour=discord.Colour.blurple())
    for name, value in fields:
        result.add_field(name=name, value=value, inline=len(value) <= 40)
    if footer:
        result.set_footer(text=footer)
    return result


def button(control: Button, row: int, home: str = "") -> discord.ui.Button[Any]:
    """A button whose custom_id is the action id (plus `home`, the server suffix of a DM's buttons)."""
    return discord.ui.Button(
        label=clip(fallbacks(control.label), BUTTON_LABEL_MAX) or "·",
        custom_id=(control.action_id + home)[:CUSTOM_ID_MAX],
        style=STYLES[control.style],
        row=row,
    )


def select(control: Select, row: int, home: str = "") -> discord.ui.Select[Any]:
    """A select menu of at most 25 options."""
    return discord.ui.Select(
        placeholder=clip(fallbacks(control.placeholder), PLACEHOLDER_MAX),
        custom_id=(control.action_id + home)[:CUSTOM_ID_MAX],
        options=[
            discord.SelectOption(
                label=clip(fallbacks(option.label), OPTION_TEXT_MAX) or "·",
                value=option.value[:OPTION_TEXT_MAX],
                description=clip(fallbacks(option.description), OPTION_TEXT_MAX) if option.description else None,
            )
            for option in control.options[:OPTIONS_MAX]
        ],
        row=row,
    )


def view(card: Card, home: str = "") -> discord.ui.View | None:
    """The card's controls laid out in at most 5 rows of 5 buttons, a select taking a row of its own.

    The view is returned already stopped: discord.py then sends its components without
    keeping it in memory; clicks come back through the persistent DynamicItem instead.
    """
    if not card.controls:
        return None
    result = discord.ui.View(timeout=None)
    row, used = 0, 0
    for control in card.controls:
        if isinstance(control, Select):
            row += used > 0
            if row >= ROWS_MAX:
                break
            result.add_item(select(control, row, home))
            row, used = row + 1, 0
            continue
        if used == ROW_WIDTH:
            row, used = row + 1, 0
        if row >= ROWS_MAX:
            break
        result.add_item(button(control, row, home))
        used += 1
    result.stop()
    return result


def files(attachments: Iterable[Attachment]) -> list[discord.File]:
    """Attachments (CSV exports, charts) as discord.File objects; a chart's alt text is its description."""
    return [
        discord.File(io.BytesIO(a.content), filename=a.filename, description=clip(a.alt_text, ALT_TEXT_MAX) or None)
        for a in attachments
    ]


def error_text(reply: Reply) -> str:
    """The reply's text, escaped; a refused form lists each field's problem (Discord modals cannot show them inline)."""
    if not reply.field_errors:
        return rich(reply.text or "")
    return "\n".join(f"• {rich(message)}" for message in dict.fromkeys(reply.field_errors.values()))


def message(reply: Reply, home: str = "") -> dict[str, Any]:
    """Keyword arguments for send/send_message: text, embed, components, files; no mention ever pings.

    `home` ("@<server id>") ends the custom_ids of a private message's components: a click in a
    DM carries no server, and the action must still reach the space it belongs to.
    """
    kwargs: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
    text = reply.text if reply.verbatim else error_text(reply)  # verbatim: the relay made it inert already
    if text:
        kwargs["content"] = clip(text, CONTENT_MAX)
    if reply.card is not None:
        kwargs["embed"] = embed(reply.card)
        components = view(reply.card, home)
        if components is not None:
            kwargs["view"] = components
    if reply.files:
        kwargs["files"] = files(reply.files)
    return kwargs


def edit(card: Card) -> dict[str, Any]:
    """Keyword arguments for editing a live card in place (no controls left once closed)."""
    return {
        "embed": embed(card),
        "view": view(card) or discord.ui.View(),
        "allowed_mentions": discord.AllowedMentions.none(),
    }


def modal_input(item: TextInput) -> discord.ui.Label[Any]:
    """One form input under its label: a text box, or a select for yes/no and choices."""
    placeholder = clip(item.placeholder, INPUT_PLACEHOLDER_MAX) if item.placeholder else None
    value = None if item.value is None else str(item.value)  # slash options arrive typed (2, True)
    component: discord.ui.Item[Any]
    if item.kind in ("choice", "flag") and item.choices:
        component = discord.ui.Select(
            custom_id=item.id,
            placeholder=placeholder,
            required=item.required,
            min_values=1 if item.required else 0,
            options=[
                discord.SelectOption(
                    label=clip(c.label, OPTION_TEXT_MAX), value=c.value, default=c.value == (value or "").casefold()
                )
                for c in item.choices[:OPTIONS_MAX]
            ],
        )
    else:
        component = discord.ui.TextInput(
            custom_id=item.id,
            style=discord.TextStyle.paragraph if item.kind == "paragraph" else discord.TextStyle.short,
            placeholder=placeholder,
            default=value[:TEXT_INPUT_MAX] if value else None,
            required=item.required,
            max_length=min(item.max_length or TEXT_INPUT_MAX, TEXT_INPUT_MAX),
        )
    return discord.ui.Label(text=clip(item.label, LABEL_MAX), component=component)


def modal(
    form: Modal, flag_choices: tuple[tuple[str, str], tuple[str, str]], home: str = ""
) -> discord.ui.Modal | None:
    """The form as a modal whose custom_id is its action id ("cmd:poll.create"); at most 5 inputs.

    Discord takes 5 inputs: required and already filled ones come first, the other optional ones stay
    command options. Filled values left out ride in the custom_id; None when they do not fit there.
    `flag_choices` is ((yes label, "true"), (no label, "false")): a yes/no input becomes a select.
    `home` is the server suffix when the form opens from a private message.
    """
    shown, carried = fit_inputs(form.inputs)
    custom_id = form.action_id + (f"?{urlencode(carried)}" if carried else "") + home
    if len(custom_id) > CUSTOM_ID_MAX:
        return None
    result = discord.ui.Modal(title=clip(form.title, MODAL_TITLE_MAX), custom_id=custom_id, timeout=None)
    for item in shown:
        if item.kind == "flag" and not item.choices:
            item = _with_choices(item, flag_choices)
        result.add_item(modal_input(item))
    result.stop()
    return result


def fit_inputs(inputs: Iterable[TextInput]) -> tuple[list[TextInput], dict[str, str]]:
    """The (at most 5) inputs a modal shows, in their order, and the filled values of those left out."""
    inputs = list(inputs)
    first = sorted(inputs, key=lambda item: not (item.required or item.value not in (None, "")))  # stable
    kept = {item.id for item in first[:MODAL_INPUTS_MAX]}
    carried = {item.id: str(item.value) for item in inputs if item.id not in kept and item.value not in (None, "")}
    return [item for item in inputs if item.id in kept], carried


def split_carried(action_id: str) -> tuple[str, dict[str, str]]:
    """A submitted form's action id and the values that rode in its custom_id."""
    action, _, carried = action_id.partition("?")
    return action, dict(parse_qsl(carried, keep_blank_values=True))


def _with_choices(item: TextInput, choices: tuple[tuple[str, str], tuple[str, str]]) -> TextInput:
    """A flag input with its yes/no choices."""
    return replace(item, choices=tuple(SelectOption(label, value) for label, value in choices))


def submitted_fields(components: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Input id -> text of a modal submission, whether inputs sit in rows or labels, text boxes or selects."""
    fields: dict[str, str] = {}
    for component in components:
        children = list(component.get("components") or [])
        if isinstance(component.get("component"), Mapping):
            children.append(component["component"])
        if children:
            fields.update(submitted_fields(children))
        elif component.get("custom_id"):
            values = component.get("values")
            fields[str(component["custom_id"])] = (
                ",".join(values) if values is not None else str(component.get("value") or "")
            )
    return fields


def split_list(text: str) -> list[str]:
    """A LIST option typed in one slash-command field: items separated by `;` or `|`."""
    return [item.strip() for item in LIST_SEPARATORS.split(text) if item.strip()]


def command_name(text: str) -> str:
    """A valid application command name from a label: lowercase, no spaces, ≤ 32 characters."""
    words = re.sub(r"[^\w-]+", "-", text.strip().lower()).strip("-_")
    return (words or "option")[:NAME_MAX]
