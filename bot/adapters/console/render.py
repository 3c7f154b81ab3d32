"""Neutral UI -> terminal text, as pure functions."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.ui import Button, Card, Control, Select, fallbacks, text_bar

Choice = tuple[str, tuple[str, ...]]  # (action id, values) that pressing a number sends
FieldLine = Callable[[str, str], str]  # (name, value) -> "name : value", spaced as the language wants

# Chat markup a terminal cannot show: `code` spans, and *headings* that fill a whole line.
_CODE = re.compile(r"`([^`\n]+)`")
_HEADING = re.compile(r"^\*([^*\n]+)\*$")


def french_field(name: str, value: str) -> str:
    """A field as French writes it, with a space before the colon."""
    return f"{name} : {value}"


def plain(line: str) -> str:
    """A line of card text without the chat markup the terminal would print raw."""
    return _HEADING.sub(r"\1", _CODE.sub(r"\1", line))


def shown(text: str) -> str:
    """Text as the terminal prints it: instants in the space's own zone (a terminal has no viewer's zone)."""
    return fallbacks(text)


def render_card(card: Card, field_line: FieldLine = french_field) -> tuple[list[str], list[Choice]]:
    """The card's lines, and what each number [1], [2]… presses (select options numbered too)."""
    lines = [f"┌ {shown(card.title)}"]
    lines += [f"│ {plain(line)}" for block in card.text for line in shown(block).splitlines()]
    lines += [f"│ {field_line(shown(field.name), shown(field.value))}" for field in card.fields]
    labels = [shown(bar.label) for bar in card.bars]
    width = max(map(len, labels), default=0)
    lines += [
        f"│ {label.ljust(width)}  {text_bar(bar.share)} {bar.count:>4}  {bar.percent:>3}%"
        for label, bar in zip(labels, card.bars, strict=True)
    ]
    choices: list[Choice] = []
    words = [word for control in card.controls for word in _numbered(control, choices)]
    if words:
        lines.append("│ " + "  ".join(words))
    if card.footer:
        lines.append(f"└ {shown(card.footer)}")
    else:
        lines.append("└")
    return lines, choices


def choice_labels(card: Card) -> list[str]:
    """What each number of a card is labelled, in the order `render_card` numbers them."""
    labels: list[str] = []
    for control in card.controls:
        if isinstance(control, Button):
            labels.append(shown(control.label))
        else:
            labels += [shown(option.label) for option in control.options]
    return labels


def _numbered(control: Control, choices: list[Choice]) -> list[str]:
    """Number a control's entries after those already numbered."""
    if isinstance(control, Button):
        choices.append((control.action_id, ()))
        return [f"[{len(choices)}] {shown(control.label)}"]
    assert isinstance(control, Select)
    words = []
    for option in control.options:
        choices.append((control.action_id, (option.value,)))
        words.append(f"[{len(choices)}] {shown(option.label)}")
    return words
