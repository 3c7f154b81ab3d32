"""Placeholder HTML for the live page (the page half replaces this module at merge, same signatures)."""

from __future__ import annotations

import json
from html import escape

from bot.web.state import PageState


def render_page(state: PageState, *, present: bool, personal: bool, csrf: str | None, lang: str) -> str:
    """The live page: a minimal server-rendered view of `state` (placeholder)."""
    hidden = "" if csrf is None else f'<input type="hidden" name="csrf" id="csrf" value="{escape(csrf)}">'
    mode = " present" if present else ""
    return (
        f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(state.event.title)}</title>"
        '<link rel="stylesheet" href="/static/live.css"><script src="/static/live.js" defer></script></head>'
        f'<body class="live{mode}" data-personal="{int(personal)}"><h1>{escape(state.event.title)}</h1>{hidden}'
        f'<pre id="state" aria-live="polite">{escape(json.dumps(state.to_dict(), ensure_ascii=False))}</pre>'
        "</body></html>"
    )


def render_gone(lang: str) -> str:
    """The page of a link that does not work (any more)."""
    text = (
        "Ce lien ne fonctionne pas ou plus. Demandez-en un nouveau avec /live web."
        if lang == "fr"
        else "This link does not work (any more). Ask for a new one with /live web."
    )
    return f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8"><title>Phosphore</title></head><body><p>{text}</p></body></html>'
