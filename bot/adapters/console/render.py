"""Neutral UI -> terminal text, as pure functions."""

from __future__ import annotations

from bot.ui import Button, Card, Control, Select, text_bar

Choice = tuple[str, tuple[str, ...]]  # (action id, values) that pressing a number sends


def render_card(card: Card) -> tuple[list[str], list[Choice]]:
    """The card's lines, and what each number [1], [2]… presses (select options numbered too)."""
    lines = [f"┌ {card.title}"]
    lines += [f"│ {line}" for block in card.text for line in block.splitlines()]
    lines += [f"│ {field.name} : {field.value}" for field in card.fields]
    width = max((len(bar.label) for bar in card.bars), default=0)
    lines += [
        f"│ {bar.label.ljust(width)}  {text_bar(bar.share)} {bar.count:>4}  {bar.percent:>3}%" for bar in card.bars
    ]
    choices: list[Choice] = []
    words = [word for control in card.controls for word in _numbered(control, choices)]
    if words:
        lines.append("│ " + "  ".join(words))
    if card.footer:
        lines.append(f"└ {card.footer}")
    else:
        lines.append("└")
    return lines, choices


def _numbered(control: Control, choices: list[Choice]) -> list[str]:
    """Number a control's entries after those already numbered."""
    if isinstance(control, Button):
        choices.append((control.action_id, ()))
        return [f"[{len(choices)}] {control.label}"]
    assert isinstance(control, Select)
    words = []
    for option in control.options:
        choices.append((control.action_id, (option.value,)))
        words.append(f"[{len(choices)}] {option.label}")
    return words
