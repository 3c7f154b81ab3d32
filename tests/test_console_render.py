"""The console's text rendering of the neutral UI model, exactly."""

from __future__ import annotations

from bot.adapters.console.render import render_card
from bot.ui import Button, Card, Field, ResultBar, Select, SelectOption, text_bar


def test_card_with_bars_buttons_and_select() -> None:
    """Buttons and select options share one numbering; bars are aligned."""
    card = Card(
        title="#3 · Q ?",
        text=("Un seul choix",),
        fields=(Field("Lieu", "Paris"),),
        bars=(ResultBar("Oui", 2, 2 / 3), ResultBar("Non merci", 1, 1 / 3)),
        controls=(
            Button("Oui", "poll:vote:3:0"),
            Select("…", "poll:vote:9", (SelectOption("A", "0"), SelectOption("B", "1"))),
        ),
        footer="3 votants",
    )
    lines, choices = render_card(card)
    assert lines == [
        "┌ #3 · Q ?",
        "│ Un seul choix",
        "│ Lieu : Paris",
        "│ Oui        ███████░░░    2   67%",
        "│ Non merci  ███░░░░░░░    1   33%",
        "│ [1] Oui  [2] A  [3] B",
        "└ 3 votants",
    ]
    assert choices == [("poll:vote:3:0", ()), ("poll:vote:9", ("0",)), ("poll:vote:9", ("1",))]


def test_text_bar_bounds() -> None:
    """Shares are clamped to 0..1."""
    assert text_bar(0) == "░" * 10 and text_bar(1.5) == "█" * 10 and text_bar(0.25, 4) == "█░░░"
