"""Neutral UI -> Slack Block Kit, as pure functions within Slack's limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.ui import (
    Button,
    Card,
    Control,
    Modal,
    Moment,
    Select,
    SelectOption,
    TextInput,
    fallbacks,
    render_moments,
    text_bar,
)

Block = dict[str, Any]

MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100  # modals and the Home tab
SECTION_TEXT_MAX = 3000
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
SELECT_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
VIEW_TITLE_MAX = 24  # modal title, submit and close labels
INPUT_LABEL_MAX = 2000
FALLBACK_TEXT_MAX = 3000
ELLIPSIS = "…"
INPUT_ACTION = "value"  # the action id of every modal input; its block id is the option name
FLAG_ON = "true"

STYLES = {"primary": "primary", "success": "primary", "danger": "danger"}

# <!channel>, <!here|here>, <!everyone>, <!subteam^S123|@team>, <@U123>, <@U123|bob>: Slack's pinging tokens.
SPECIAL = re.compile(r"<!(channel|here|everyone)(?:\|[^>]*)?>")
SUBTEAM = re.compile(r"<!subteam\^([A-Z0-9]+)(?:\|@?([^>]*))?>")
USER = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
BARE = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
ZWSP = "\u200b"
# Slack shows <!date^UNIX^FORMAT|fallback> in each viewer's own time zone; the fallback names the space's.
DATE_FORMAT = "{date_long_pretty} {time}"
HALF_DATE = re.compile(r"<!date\^[^>]*$")
HALF_MOMENT = re.compile("\ue000[^\ue002]*$")  # a neutral moment token cut before its end


def neutralize(text: str) -> str:
    """Member text made inert for mrkdwn: no token pings anyone, and &, <, > are escaped."""
    text = SPECIAL.sub(lambda m: f"@{m.group(1)}", text)
    text = SUBTEAM.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    text = USER.sub(lambda m: f"@{m.group(2) or m.group(1)}", text)
    # The bot posts without link_names, so a bare @here is plain text already; the zero-width
    # space keeps it plain if a copy of the text is ever re-posted with link_names.
    text = BARE.sub(lambda m: f"@{ZWSP}{m.group(1)}", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def date_token(found: Moment) -> str:
    """A moment as Slack's date token (mrkdwn only)."""
    return f"<!date^{found.unix}^{DATE_FORMAT}|{neutralize(found.fallback)}>"


def slack_text(text: str) -> str:
    """Neutral text as mrkdwn: member text made inert, moments shown in the viewer's time zone."""
    return render_moments(text, neutralize, date_token)


def cut(text: str, limit: int) -> str:
    """`text` within `limit` characters, cut at a line or word boundary with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    for boundary in ("\n", " "):
        at = head.rfind(boundary)
        if at >= limit // 2:
            head = head[:at]
            break
    # Never leave half an escape ("&am"), half a date token or half a neutral moment.
    head = re.sub(r"&[a-z]*$", "", HALF_MOMENT.sub("", HALF_DATE.sub("", head)))
    return head.rstrip() + ELLIPSIS


def plain(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A plain_text object (Slack shows it literally: nothing to escape, nothing pings)."""
    return {"type": "plain_text", "text": cut(fallbacks(text), limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, Any]:
    """A mrkdwn object holding neutralised text, its moments as date tokens."""
    return {"type": "mrkdwn", "text": cut(slack_text(text), limit)}


def section(text: str) -> Block:
    """A section of mrkdwn text, cut to Slack's 3,000 characters."""
    return {"type": "section", "text": mrkdwn(text)}


def chunks(lines: Iterable[str], limit: int = SECTION_TEXT_MAX) -> list[str]:
    """Lines grouped into texts that stay within `limit` once neutralised (long lines are cut)."""
    groups: list[str] = []
    current = ""
    for line in lines:
        line = cut(line, limit // 2)
        candidate = f"{current}\n{line}" if current else line
        if current and len(slack_text(candidate)) > limit:
            groups.append(current)
            candidate = line
        current = candidate
    if current:
        groups.append(current)
    return groups


def bar_line(label: str, count: int, percent: int, share: float) -> str:
    """One result line: "*Label*  `██████░░░░` 12 · 60 %"."""
    return f"*{label}*\n`{text_bar(share)}` {count} · {percent} %"


def option(entry: SelectOption) -> dict[str, Any]:
    """A select option object."""
    result: dict[str, Any] = {"text": plain(entry.label, OPTION_TEXT_MAX), "value": entry.value[:OPTION_VALUE_MAX]}
    if entry.description:
        result["description"] = plain(entry.description, OPTION_TEXT_MAX)
    return result


def element(control: Control) -> dict[str, Any]:
    """A button or a static select; select options beyond Slack's 100 are dropped."""
    if isinstance(control, Button):
        button: dict[str, Any] = {
            "type": "button",
            "action_id": control.action_id,
            "text": plain(control.label, BUTTON_TEXT_MAX),
        }
        if control.style in STYLES:
            button["style"] = STYLES[control.style]
        return button
    assert isinstance(control, Select)
    return {
        "type": "static_select",
        "action_id": control.action_id,
        "placeholder": plain(control.placeholder, PLACEHOLDER_MAX),
        "options": [option(entry) for entry in control.options[:SELECT_OPTIONS_MAX]],
    }


def actions(controls: tuple[Control, ...]) -> list[Block]:
    """Actions blocks of at most 25 elements each."""
    elements = [element(control) for control in controls]
    return [
        {"type": "actions", "elements": elements[start : start + ACTIONS_ELEMENTS_MAX]}
        for start in range(0, len(elements), ACTIONS_ELEMENTS_MAX)
    ]


def card_blocks(card: Card, limit: int = MESSAGE_BLOCKS_MAX) -> list[Block]:
    """The blocks of a card: title, paragraphs, fields, result bars, controls and footer, at most `limit`."""
    head: list[Block] = [section(f"*{card.title}*")]
    head += [section(text) for paragraph in card.text for text in chunks(paragraph.splitlines())]
    for start in range(0, len(card.fields), 10):  # a section holds at most 10 fields
        fields = card.fields[start : start + 10]
        head.append({"type": "section", "fields": [mrkdwn(f"*{f.name}*\n{f.value}", 2000) for f in fields]})
    bars = [bar_line(bar.label, bar.count, bar.percent, bar.share) for bar in card.bars]
    head += [section(text) for text in chunks(bars)]
    tail = actions(card.controls)
    if card.footer:
        tail.append({"type": "context", "elements": [mrkdwn(card.footer)]})
    if len(head) + len(tail) > limit:
        head = [*head[: max(1, limit - len(tail) - 1)], {"type": "context", "elements": [mrkdwn(ELLIPSIS)]}]
    return (head + tail)[:limit]


def fallback_text(card: Card | None, text: str | None) -> str:
    """The notification text of a message (also what screen readers announce)."""
    parts = [part for part in (text, card.title if card else None) if part]
    return cut(slack_text(" — ".join(parts)), FALLBACK_TEXT_MAX)


def message(text: str | None, card: Card | None) -> dict[str, Any]:
    """chat.postMessage / chat.update / chat.postEphemeral arguments for a text and/or a card."""
    blocks: list[Block] = [section(text)] if text and card else []
    if card is not None:
        blocks += card_blocks(card, MESSAGE_BLOCKS_MAX - len(blocks))
    payload: dict[str, Any] = {"text": fallback_text(card, text)}
    if blocks:
        payload["blocks"] = blocks
    return payload


def input_element(entry: TextInput) -> dict[str, Any]:
    """The element of one modal input."""
    if entry.kind == "flag":
        choice = {"text": plain(entry.placeholder or entry.label, OPTION_TEXT_MAX), "value": FLAG_ON}
        checkboxes: dict[str, Any] = {"type": "checkboxes", "action_id": INPUT_ACTION, "options": [choice]}
        if (entry.value or "").casefold() in ("true", "yes", "oui", "1"):
            checkboxes["initial_options"] = [choice]
        return checkboxes
    if entry.kind == "choice":
        options = [option(choice) for choice in entry.choices[:SELECT_OPTIONS_MAX]]
        select: dict[str, Any] = {"type": "static_select", "action_id": INPUT_ACTION, "options": options}
        initial = next((o for o, c in zip(options, entry.choices, strict=False) if c.value == entry.value), None)
        if initial is not None:
            select["initial_option"] = initial
        if entry.placeholder:
            select["placeholder"] = plain(entry.placeholder, PLACEHOLDER_MAX)
        return select
    text: dict[str, Any] = {"type": "plain_text_input", "action_id": INPUT_ACTION}
    if entry.kind == "paragraph":
        text["multiline"] = True
    limit = min(entry.max_length or SECTION_TEXT_MAX, SECTION_TEXT_MAX)
    if entry.max_length:
        text["max_length"] = limit
    if entry.value:
        text["initial_value"] = cut(entry.value, limit)  # Slack refuses the whole form over a longer pre-fill
    if entry.placeholder:
        text["placeholder"] = plain(entry.placeholder, PLACEHOLDER_MAX)
    return text


def modal_view(modal: Modal, cancel: str, private_metadata: Mapping[str, str]) -> dict[str, Any]:
    """A modal view; each input's block id is its option name, which is where inline errors go."""
    blocks = [
        {
            "type": "input",
            "block_id": entry.id,
            "label": plain(entry.label, INPUT_LABEL_MAX),
            "optional": not entry.required or entry.kind == "flag",
            "element": input_element(entry),
        }
        for entry in modal.inputs[:VIEW_BLOCKS_MAX]
    ]
    return {
        "type": "modal",
        "callback_id": modal.action_id,
        "title": plain(modal.title, VIEW_TITLE_MAX),
        "submit": plain(modal.submit_label, VIEW_TITLE_MAX),
        "close": plain(cancel, VIEW_TITLE_MAX),
        "private_metadata": json.dumps(dict(private_metadata), separators=(",", ":")),
        "blocks": blocks,
    }


def view_fields(state: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> dict[str, str]:
    """The submitted text of each input of a modal, by option name (flags as "true"/"false")."""
    fields: dict[str, str] = {}
    for block_id, entries in state.items():
        value = entries.get(INPUT_ACTION)
        if value is None:
            continue
        kind = value.get("type")
        if kind == "checkboxes":
            chosen = {o.get("value") for o in value.get("selected_options") or []}
            fields[block_id] = "true" if FLAG_ON in chosen else "false"
        elif kind == "static_select":
            fields[block_id] = (value.get("selected_option") or {}).get("value", "")
        else:
            fields[block_id] = value.get("value") or ""
    return fields


def view_errors(view: Mapping[str, Any], errors: Mapping[str, str]) -> dict[str, str]:
    """Inline errors keyed by block id; an error about no input of the view goes on the first input."""
    blocks = [block["block_id"] for block in view.get("blocks", []) if block.get("type") == "input"]
    shown: dict[str, str] = {}
    for field, text in errors.items():
        target = field if field in blocks else (blocks[0] if blocks else field)
        shown.setdefault(target, cut(text, INPUT_LABEL_MAX))
    return shown


def home_view(title: str, cards: Iterable[Card]) -> dict[str, Any]:
    """The App Home tab: a header and the member's cards, separated by dividers, at most 100 blocks."""
    blocks: list[Block] = [{"type": "header", "text": plain(title, 150)}]
    for card in cards:
        blocks.append({"type": "divider"})
        blocks += card_blocks(card, VIEW_BLOCKS_MAX - len(blocks))
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS_MAX]}
