"""Block Kit rendering: exact JSON, and Slack's limits respected."""

from __future__ import annotations

import json
from typing import Any

from bot.adapters.slack.render import (
    card_blocks,
    cut,
    home_view,
    message,
    modal_view,
    neutralize,
    view_errors,
    view_fields,
)
from bot.ui import Button, Card, Field, Modal, ResultBar, Select, SelectOption, TextInput


def test_a_poll_card_renders_to_exact_blocks() -> None:
    """Title, text, fields, bars, buttons and footer, in that order."""
    card = Card(
        title="#3 · Lunch?",
        text=("Single choice",),
        fields=(Field("Author", "alice"),),
        bars=(ResultBar("Pizza", 3, 0.75), ResultBar("Sushi", 1, 0.25)),
        controls=(Button("Pizza", "poll:vote:3:0", "primary"), Button("Sushi", "poll:vote:3:1")),
        footer="4 voters",
    )
    assert card_blocks(card) == [
        {"type": "section", "text": {"type": "mrkdwn", "text": "*#3 · Lunch?*"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "Single choice"}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Author*\nalice"}]},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "*Pizza*\n`████████░░` 3 · 75 %\n*Sushi*\n`██░░░░░░░░` 1 · 25 %"},
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": "poll:vote:3:0",
                    "text": {"type": "plain_text", "text": "Pizza", "emoji": True},
                    "style": "primary",
                },
                {
                    "type": "button",
                    "action_id": "poll:vote:3:1",
                    "text": {"type": "plain_text", "text": "Sushi", "emoji": True},
                },
            ],
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "4 voters"}]},
    ]


def test_message_arguments_carry_fallback_text() -> None:
    """chat.* arguments: notification text plus blocks; a bare text needs no blocks."""
    assert message("Saved.", None) == {"text": "Saved."}
    assert message(None, Card(title="T <!here>")) == {
        "text": "T @\u200bhere",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*T @\u200bhere*"}}],
    }


def test_a_select_renders_to_a_static_select_of_at_most_100_options() -> None:
    """Options beyond Slack's 100 are dropped; option texts are cut to 75 characters."""
    options = tuple(SelectOption(f"Option {n} " + "x" * 80, str(n)) for n in range(120))
    [actions] = [
        b
        for b in card_blocks(Card("T", controls=(Select("Choose", "poll:vote:1", options),)))
        if b["type"] == "actions"
    ]
    [select] = actions["elements"]
    assert select["type"] == "static_select" and select["action_id"] == "poll:vote:1"
    assert select["placeholder"] == {"type": "plain_text", "text": "Choose", "emoji": True}
    assert len(select["options"]) == 100
    assert select["options"][0]["value"] == "0" and len(select["options"][0]["text"]["text"]) <= 75


def test_buttons_fill_actions_blocks_of_25_with_texts_of_75() -> None:
    """60 buttons make three actions blocks; long labels end with an ellipsis within 75 characters."""
    buttons = tuple(Button("word " * 30, f"x:y:{n}") for n in range(60))
    actions = [b for b in card_blocks(Card("T", controls=buttons)) if b["type"] == "actions"]
    assert [len(a["elements"]) for a in actions] == [25, 25, 10]
    text = actions[0]["elements"][0]["text"]["text"]
    assert len(text) <= 75 and text.endswith("word…")


def test_long_text_is_cut_cleanly_within_3000_characters() -> None:
    """A 10,000-character paragraph without line breaks is cut at a word, not rejected."""
    [_title, body] = card_blocks(Card("T", text=("lorem " * 2000,)))
    text = body["text"]["text"]
    assert len(text) <= 3000 and text.endswith("lorem…")
    lines = "\n".join(f"line {n}" for n in range(1000))  # many lines: several sections of whole lines
    sections = card_blocks(Card("T", text=(lines,)))[1:]
    assert len(sections) == 3 and all(len(s["text"]["text"]) <= 3000 for s in sections)
    assert sections[1]["text"]["text"].startswith("line ")


def test_escapes_never_end_half_cut() -> None:
    """Cutting after escaping never leaves a broken entity such as "&am"."""
    assert cut(neutralize("a " * 10 + "&&&&&&&&"), 27) == "a a a a a a a a a a…"


def test_at_most_50_blocks_with_controls_and_footer_kept() -> None:
    """A card with too many blocks keeps its title, controls and footer, and says it was shortened."""
    card = Card("T", text=tuple(f"paragraph {n}" for n in range(80)), controls=(Button("Go", "a:b:1"),), footer="F")
    blocks = card_blocks(card)
    assert len(blocks) == 50
    assert blocks[0]["text"]["text"] == "*T*"
    assert [b["type"] for b in blocks[-3:]] == ["context", "actions", "context"]
    assert blocks[-3]["elements"][0]["text"] == "…"


def test_mentions_are_neutralised_and_entities_escaped() -> None:
    """No token that pings survives; & < > are escaped; a plain name stays readable."""
    text = "Hi <!channel> <!here|here> <!everyone> <@U123> <@W9|bob> <!subteam^S1|@staff> @here & <b>"
    assert neutralize(text) == (
        "Hi @\u200bchannel @\u200bhere @\u200beveryone @U123 @bob @staff @\u200bhere &amp; &lt;b&gt;"
    )


def test_a_modal_renders_to_exact_json() -> None:
    """Inputs keyed by option name; flags as checkboxes, choices as a select; title cut to 24."""
    modal = Modal(
        title="Create a poll for the whole community",
        action_id="cmd:poll.create",
        inputs=(
            TextInput("question", "Question", placeholder="Ask", max_length=300),
            TextInput("options", "Options", kind="paragraph", value="A\nB"),
            TextInput("anonymous", "Anonymous", kind="flag", required=False, placeholder="Hide names"),
            TextInput(
                "results",
                "Results",
                kind="choice",
                required=False,
                value="closed",
                choices=(SelectOption("Live", "live"), SelectOption("At close", "closed")),
            ),
        ),
        submit_label="Create",
    )
    closed = {"text": {"type": "plain_text", "text": "At close", "emoji": True}, "value": "closed"}
    hide = {"text": {"type": "plain_text", "text": "Hide names", "emoji": True}, "value": "true"}
    assert modal_view(modal, "Cancel", {"channel": "C1"}) == {
        "type": "modal",
        "callback_id": "cmd:poll.create",
        "title": {"type": "plain_text", "text": "Create a poll for the…", "emoji": True},
        "submit": {"type": "plain_text", "text": "Create", "emoji": True},
        "close": {"type": "plain_text", "text": "Cancel", "emoji": True},
        "private_metadata": '{"channel":"C1"}',
        "blocks": [
            {
                "type": "input",
                "block_id": "question",
                "label": {"type": "plain_text", "text": "Question", "emoji": True},
                "optional": False,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "max_length": 300,
                    "placeholder": {"type": "plain_text", "text": "Ask", "emoji": True},
                },
            },
            {
                "type": "input",
                "block_id": "options",
                "label": {"type": "plain_text", "text": "Options", "emoji": True},
                "optional": False,
                "element": {
                    "type": "plain_text_input",
                    "action_id": "value",
                    "multiline": True,
                    "initial_value": "A\nB",
                },
            },
            {
                "type": "input",
                "block_id": "anonymous",
                "label": {"type": "plain_text", "text": "Anonymous", "emoji": True},
                "optional": True,
                "element": {"type": "checkboxes", "action_id": "value", "options": [hide]},
            },
            {
                "type": "input",
                "block_id": "results",
                "label": {"type": "plain_text", "text": "Results", "emoji": True},
                "optional": True,
                "element": {
                    "type": "static_select",
                    "action_id": "value",
                    "options": [
                        {"text": {"type": "plain_text", "text": "Live", "emoji": True}, "value": "live"},
                        closed,
                    ],
                    "initial_option": closed,
                },
            },
        ],
    }
    assert len(json.loads(json.dumps(modal_view(modal, "x", {})))["title"]["text"]) <= 24


def test_submitted_state_becomes_fields_and_errors_go_to_known_blocks() -> None:
    """view_submission state -> option texts; errors about unknown inputs go on the first input."""
    state: dict[str, Any] = {
        "question": {"value": {"type": "plain_text_input", "value": "Lunch?"}},
        "multi": {"value": {"type": "plain_text_input", "value": None}},
        "anonymous": {"value": {"type": "checkboxes", "selected_options": [{"value": "true"}]}},
        "results": {"value": {"type": "static_select", "selected_option": None}},
    }
    assert view_fields(state) == {"question": "Lunch?", "multi": "", "anonymous": "true", "results": ""}
    view = {"blocks": [{"type": "input", "block_id": "question"}, {"type": "input", "block_id": "options"}]}
    assert view_errors(view, {"options": "Too few", "closes": "Past"}) == {"options": "Too few", "question": "Past"}


def test_the_home_view_holds_a_header_and_cards() -> None:
    """The Home tab: header, then each card after a divider."""
    assert home_view("Phosphore", (Card("My polls", text=("#1 · Lunch?",)),)) == {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Phosphore", "emoji": True}},
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*My polls*"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "#1 · Lunch?"}},
        ],
    }
