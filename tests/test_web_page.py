"""The live web page's HTML, texts and colours, without a browser (tests/test_web_browser.py drives one)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from bot.i18n import catalog
from bot.web.page import SCRIPT_TEXTS, render_gone, render_page
from tests.web_support import PageState

STATIC = Path(__file__).resolve().parents[1] / "bot" / "web" / "static"

# Text on background: WCAG AA 4.5:1. Bars and focus rings against what surrounds them: 3:1 (non-text contrast).
TEXT_PAIRS = [
    ("fg", "bg"),
    ("fg", "surface"),
    ("muted", "bg"),
    ("muted", "surface"),
    ("accent", "bg"),
    ("accent", "surface"),
    ("button-fg", "button-bg"),
    ("ok", "bg"),
    ("ok", "surface"),
    ("alert-fg", "alert-bg"),
    ("bg", "fg"),
]
NON_TEXT_PAIRS = [("accent", "track"), ("accent", "surface"), ("focus", "bg"), ("focus", "surface")]


def state(**changes: Any) -> PageState:
    """A live event with a poll, questions (one anonymous, one answered), an antenna, messages and ideas."""
    base: dict[str, Any] = {
        "lang": "fr",
        "event": {
            "ref": 4,
            "title": "Rencontre TMN",
            "starts": "dimanche 30 juin 2030 à 09:30",
            "session": "Atelier IA",
        },
        "poll": {
            "id": 12,
            "question": "Quel trimestre ?",
            "options": [
                {"label": "Octobre-décembre", "count": 3, "percent": 75},
                {"label": "Janvier-mars", "count": 1, "percent": 25},
            ],
            "voters": 4,
            "closed": False,
        },
        "questions": [
            {"id": 31, "n": 2, "text": "Et la billetterie ?", "author": "Bob", "votes": 5, "answered": False},
            {"id": 30, "n": 1, "text": "Qui finance ?", "author": "", "votes": 1, "answered": True},
        ],
        "antennas": [{"name": "Nantes", "count": 6}],
        "messages": [
            {"name": "Carol", "platform": "Discord", "text": "Bonjour de Nantes", "at": "2030-06-30T09:31:00"}
        ],
        "ideas": [{"text": "Un atelier billetterie", "likes": 8}],
        "stopped": False,
    }
    base.update(changes)
    return PageState(**base)


def test_the_page_shows_the_poll_bars_questions_antennas_messages_and_ideas() -> None:
    html = render_page(state(), present=False, personal=False, csrf=None, lang="fr")
    assert '<html lang="fr">' in html
    assert "Quel trimestre ?" in html and "Octobre-décembre" in html
    assert '<progress max="100" value="75"' in html and '<progress max="100" value="25"' in html
    assert "4 votants" in html
    assert "Et la billetterie ?" in html and "5 soutiens" in html and "Bob" in html
    assert "✓ répondue" in html
    assert "Nantes" in html and "6 personnes" in html
    assert "Carol" in html and "Bonjour de Nantes" in html and "09:31" in html
    assert "Un atelier billetterie" in html and "8 j&#x27;aime" in html
    assert "En ce moment : Atelier IA" in html
    assert 'aria-live="polite"' in html
    # Read-only: no buttons, no form, no CSRF token, and how to get a personal link.
    assert "<button" not in html and "<form" not in html and '"csrf": null' in html
    assert "/live web" in html


def test_the_page_follows_the_language_with_english_plurals() -> None:
    html = render_page(state(lang="en"), present=False, personal=False, csrf=None, lang="en")
    assert '<html lang="en">' in html and "4 voters" in html and "5 upvotes" in html and "6 people" in html
    assert "1 upvote<" in html and "Now: Atelier IA" in html


def test_anonymous_questions_show_no_author_and_no_member_id_reaches_the_page() -> None:
    """The state carries no member ids; the page adds none and an anonymous question says "anonyme"."""
    html = render_page(state(), present=False, personal=True, csrf="c" * 22, lang="fr")
    assert re.search(r"Qui finance \?</p><p class=\"muted q-meta\"><span class=\"author\">anonyme</span>", html)
    assert "console:" not in html and "slack:" not in html and "discord:" not in html


def test_member_text_is_escaped_everywhere() -> None:
    evil = '<script>alert("x")</script>'
    html = render_page(
        state(
            event={"ref": 1, "title": evil, "starts": "", "session": evil},
            questions=[{"id": 1, "n": 1, "text": evil, "author": evil, "votes": 0, "answered": False}],
            messages=[{"name": evil, "platform": "Slack", "text": evil, "at": ""}],
            antennas=[{"name": evil, "count": 1}],
            ideas=[{"text": evil, "likes": 0}],
        ),
        present=False,
        personal=True,
        csrf="token",
        lang="fr",
    )
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    # The only scripts are the static file and the JSON data block, which no text can close.
    assert html.count("<script") == 2 and "</script>alert" not in html


def test_personal_links_get_buttons_a_form_and_the_csrf_token() -> None:
    html = render_page(state(), present=False, personal=True, csrf="tok-123", lang="fr")
    assert html.count('class="vote"') == 2 and 'data-option="0"' in html and 'data-poll="12"' in html
    assert html.count('class="upvote"') == 2 and 'aria-label="Soutenir la question n°2"' in html
    assert '<input type="hidden" name="csrf" value="tok-123">' in html and '"csrf": "tok-123"' in html
    assert 'type="checkbox" name="anonymous"' in html
    closed_poll = {**(state().poll or {}), "closed": True}
    closed = render_page(state(poll=closed_poll), present=False, personal=True, csrf="t", lang="fr")
    assert 'class="vote"' not in closed and "sondage clos" in closed


def test_projector_mode_has_large_slides_and_the_qr_code_of_the_page() -> None:
    url = "https://phosphore.example/live/AbCdEfGhIjKlMnOpQrStUv"
    html = render_page(state(), present=True, personal=True, csrf="tok", lang="fr", url=url)
    assert '<body class="present">' in html
    assert re.search(r"<svg[^>]*>.*<path", html) and "QR code de la page du direct" in html
    assert url in html
    assert "<button" not in html and "tok" not in html  # the projector never votes for anyone
    # One slide at a time: the poll first, the questions hidden until the script rotates them.
    assert '<section class="slide" id="poll" aria-labelledby="poll-h" aria-live="polite">' in html
    assert 'id="questions" aria-labelledby="questions-h" aria-live="polite" hidden>' in html
    no_poll = render_page(state(poll=None), present=True, personal=False, csrf=None, lang="fr", url=url)
    assert 'id="poll" aria-labelledby="poll-h" aria-live="polite" hidden>' in no_poll


def test_a_stopped_thread_says_so() -> None:
    html = render_page(state(stopped=True), present=False, personal=False, csrf=None, lang="en")
    assert 'id="stopped" role="status">The live thread has ended.' in html


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_gone_link_gets_a_clear_page(lang: str) -> None:
    html = render_gone(lang)
    assert f'<html lang="{lang}">' in html and "/live web" in html and "<script" not in html
    assert catalog(lang)["live.web.gone.title"] in html


def test_the_script_texts_exist_in_both_languages() -> None:
    for lang in ("fr", "en"):
        assert set(SCRIPT_TEXTS) <= set(catalog(lang))


def test_no_inline_script_or_style_that_the_content_security_policy_would_block() -> None:
    html = render_page(state(), present=True, personal=False, csrf=None, lang="fr", url="http://localhost:8080/live/x")
    html += render_page(state(), present=False, personal=True, csrf="t", lang="fr")
    assert " style=" not in html and "<style" not in html and " on" not in re.sub(r">[^<]*<", "><", html)
    scripts = re.findall(r"<script([^>]*)>", html)
    assert all('src="/static/live.js"' in attrs or 'type="application/json"' in attrs for attrs in scripts)


def luminance(colour: str) -> float:
    """Relative luminance of a #rrggbb colour (WCAG 2)."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def themes() -> dict[str, dict[str, str]]:
    """The colour variables of each `/* theme: NAME */` block of live.css."""
    css = (STATIC / "live.css").read_text(encoding="utf-8")
    found = {}
    for name, block in re.findall(r"/\* theme: (\w+) \*/(.*?)\n}", css, flags=re.S):
        found[name] = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;", block))
    return found


def test_contrast_function_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", ["light", "dark", "present"])
def test_every_theme_meets_wcag_aa(theme: str) -> None:
    colours = themes()[theme]
    assert len(colours) >= 12
    low_text = {pair: round(contrast(colours[pair[0]], colours[pair[1]]), 2) for pair in TEXT_PAIRS}
    assert all(ratio >= 4.5 for ratio in low_text.values()), low_text
    low_other = {pair: round(contrast(colours[pair[0]], colours[pair[1]]), 2) for pair in NON_TEXT_PAIRS}
    assert all(ratio >= 3 for ratio in low_other.values()), low_other


def test_the_page_tests_use_the_servers_state_shape() -> None:
    """The plain state these tests render has exactly the fields the server streams."""
    from dataclasses import fields

    from bot.web import state as served
    from tests import web_support

    assert [f.name for f in fields(served.PageState)] == [f.name for f in fields(web_support.PageState)]
