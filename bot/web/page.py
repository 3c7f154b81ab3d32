"""The live web page's HTML: rendered on the server from a PageState, then kept live by static/live.js.

Everything a member wrote is escaped here and set with `textContent` in the script: nothing they type becomes
markup. No inline script or style (the Content-Security-Policy forbids both): the texts the script needs travel in
a JSON data block, and bars are `<progress>` elements.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any, Protocol

from bot.i18n import Translator, catalog, is_singular

PRESENT_QUESTIONS = 5  # questions on one projector slide: readable from the back of the room
SLIDE_SECONDS = 10
_TIME = re.compile(r"^\d{4}-\d\d-\d\d[T ](\d\d:\d\d)")

# Texts the script needs to re-render the page; counted ones come with their singular form.
SCRIPT_TEXTS = (
    "live.web.poll.none",
    "live.web.poll.closed",
    "live.web.vote",
    "live.web.questions.none",
    "live.web.upvote",
    "live.web.answered",
    "live.web.anonymous",
    "live.web.antennas.none",
    "live.web.messages.none",
    "live.web.stopped",
    "live.web.session",
    "live.web.connection.ok",
    "live.web.connection.lost",
    "live.web.error",
    "live.web.sent",
)
COUNTED = ("live.web.voters", "live.web.upvotes", "live.web.people", "live.web.likes")


class _HasJson(Protocol):
    def to_json(self) -> str: ...


def state_dict(state: _HasJson | Mapping[str, Any]) -> dict[str, Any]:
    """The state as plain JSON values, whether a PageState or its JSON already decoded."""
    if isinstance(state, Mapping):
        return dict(state)
    return dict(json.loads(state.to_json()))


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _time(at: object) -> str:
    """An ISO instant shows as its hour and minute; any other text as it is."""
    text = str(at or "")
    match = _TIME.match(text)
    return match.group(1) if match else text


def qr_svg(url: str, label: str) -> str:
    """The QR code of `url` as inline SVG, black on white whatever the theme (phones read that best)."""
    import segno  # only the projector view draws one: imported then, not at every start

    return str(segno.make(url, error="m").svg_inline(scale=4, omitsize=True, dark="#000", light="#fff", title=label))


def _texts(_: Translator) -> dict[str, Any]:
    """What live.js needs: the language, plain texts, and both forms of each counted text."""
    messages = catalog(_.locale)
    counted = {}
    for key in COUNTED:
        other = messages.get(key, key)
        counted[key] = {"one": messages.get(f"{key}.one", other), "other": other}
    return {
        "lang": _.locale,
        "singular_zero": is_singular(_.locale, 0),
        "texts": {key: messages.get(key, key) for key in SCRIPT_TEXTS},
        "counted": counted,
        "slide_seconds": SLIDE_SECONDS,
        "present_questions": PRESENT_QUESTIONS,
    }


def _json_block(data: object) -> str:
    """JSON safe inside a `<script type="application/json">` block (no `</script>`, no `<!--`)."""
    text = json.dumps(data, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _header(state: dict[str, Any], _: Translator) -> str:
    event = state.get("event") or {}
    session = event.get("session")
    parts = [
        '<header class="event">',
        f'<p class="badge" id="live-badge">{_e(_("live.web.live"))}</p>',
        f'<h1 id="event-title">#{_e(event.get("ref", ""))} · {_e(event.get("title", ""))}</h1>',
        f'<p class="muted" id="event-starts">{_e(_("live.web.starts", starts=event.get("starts", "")))}</p>',
        f'<p class="session" id="event-session"{"" if session else " hidden"}>'
        f"{_e(_('live.web.session', title=session or ''))}</p>",
        f'<p class="stopped" id="stopped" role="status"{"" if state.get("stopped") else " hidden"}>'
        f"{_e(_('live.web.stopped'))}</p>",
        "</header>",
    ]
    return "".join(parts)


def _poll(poll: Mapping[str, Any] | None, _: Translator, *, personal: bool) -> str:
    if not poll:
        return f'<p class="muted">{_e(_("live.web.poll.none"))}</p>'
    can_vote = personal and not poll.get("closed")
    rows = []
    for index, option in enumerate(poll.get("options") or []):  # 0-based, as the chat's vote buttons
        label, count, percent = option.get("label", ""), int(option.get("count", 0)), int(option.get("percent", 0))
        name = (
            f'<button type="button" class="vote" data-poll="{_e(poll.get("id", ""))}" data-option="{index}" '
            f'aria-label="{_e(_("live.web.vote", option=label))}">{_e(label)}</button>'
            if can_vote
            else f'<span class="label">{_e(label)}</span>'
        )
        rows.append(
            f'<li class="option">{name}'
            f'<progress max="100" value="{percent}" aria-label="{_e(label)}">{percent} %</progress>'
            f'<span class="figures"><span class="count">{count}</span> · <span class="percent">{percent} %</span>'
            "</span></li>"
        )
    closed = f' · <span class="closed">{_e(_("live.web.poll.closed"))}</span>' if poll.get("closed") else ""
    voters = int(poll.get("voters", 0))
    return (
        f'<h3 class="question" id="poll-question">{_e(poll.get("question", ""))}</h3>'
        f'<ol class="options">{"".join(rows)}</ol>'
        f'<p class="muted" id="poll-voters">{_e(_("live.web.voters", count=voters))}{closed}</p>'
    )


def _questions(questions: list[Mapping[str, Any]], _: Translator, *, personal: bool, limit: int | None) -> str:
    if not questions:
        return f'<p class="muted">{_e(_("live.web.questions.none"))}</p>'
    items = []
    for question in questions[:limit] if limit else questions:
        number, votes = question.get("n", ""), int(question.get("votes", 0))
        author = question.get("author") or _("live.web.anonymous")
        answered = f'<span class="answered">✓ {_e(_("live.web.answered"))}</span>' if question.get("answered") else ""
        votes_text = f'<span class="votes">{_e(_("live.web.upvotes", count=votes))}</span>'
        upvote = (
            f'<button type="button" class="upvote" data-question="{_e(question.get("id", ""))}" '
            f'aria-label="{_e(_("live.web.upvote", number=number))}">▲ <span class="votes-n">{votes}</span></button>'
            if personal
            else f'<span class="upvotes" aria-hidden="true">▲ {votes}</span>'
        )
        items.append(
            f'<li class="q{" is-answered" if question.get("answered") else ""}">{upvote}'
            f'<div class="q-body"><p class="q-text"><span class="q-n">n°{_e(number)}</span> {_e(question.get("text", ""))}</p>'
            f'<p class="muted q-meta"><span class="author">{_e(author)}</span> · {votes_text} {answered}</p></div></li>'
        )
    return f'<ol class="questions">{"".join(items)}</ol>'


def _antennas(antennas: list[Mapping[str, Any]], _: Translator) -> str:
    if not antennas:
        return f'<p class="muted">{_e(_("live.web.antennas.none"))}</p>'
    items = "".join(
        f'<li><span class="name">{_e(a.get("name", ""))}</span> · '
        f"{_e(_('live.web.people', count=int(a.get('count', 0))))}</li>"
        for a in antennas
    )
    return f'<ul class="antennas">{items}</ul>'


def _messages(messages: list[Mapping[str, Any]], _: Translator) -> str:
    if not messages:
        return f'<p class="muted">{_e(_("live.web.messages.none"))}</p>'
    items = "".join(
        f'<li><time class="muted">{_e(_time(m.get("at")))}</time> <b class="name">{_e(m.get("name", ""))}</b> '
        f'<span class="muted platform">({_e(m.get("platform", ""))})</span> '
        f'<span class="text">{_e(m.get("text", ""))}</span></li>'
        for m in messages
    )
    return f'<ul class="messages">{items}</ul>'


def _ideas(ideas: list[Mapping[str, Any]], _: Translator) -> str:
    items = "".join(
        f'<li><span class="text">{_e(i.get("text", ""))}</span> '
        f'<span class="muted likes">{_e(_("live.web.likes", count=int(i.get("likes", 0))))}</span></li>'
        for i in ideas
    )
    return f'<ol class="ideas">{items}</ol>'


def _ask_form(_: Translator, csrf: str) -> str:
    return (
        '<form class="ask" id="ask-form" method="post" action="">'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">'
        f'<label for="ask-text">{_e(_("live.web.ask"))}</label>'
        '<textarea id="ask-text" name="text" rows="3" maxlength="500" required></textarea>'
        f'<label class="check"><input type="checkbox" name="anonymous" value="1"> {_e(_("live.web.ask.anonymous"))}'
        "</label>"
        f'<button type="submit">{_e(_("live.web.ask.send"))}</button>'
        "</form>"
    )


def _document(lang: str, title: str, body_class: str, body: str, texts: Mapping[str, Any] | None) -> str:
    data = f'<script type="application/json" id="live-config">{_json_block(texts)}</script>' if texts else ""
    script = '<script src="/static/live.js" defer></script>' if texts else ""
    return (
        f'<!doctype html><html lang="{_e(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="dark light"><link rel="icon" href="data:,">'
        f"<title>{_e(title)}</title>"
        f'<link rel="stylesheet" href="/static/live.css">{script}</head>'
        f'<body class="{body_class}">{body}{data}</body></html>'
    )


def render_page(
    state: _HasJson | Mapping[str, Any],
    *,
    present: bool,
    personal: bool,
    csrf: str | None,
    lang: str,
    url: str = "",
) -> str:
    """The page of a live event: read-only, personal (vote, upvote, ask) or projector mode (`present`).

    `url` is the page to join (the shared link): projector mode shows it with its QR code.
    """
    _ = Translator(lang)
    data = state_dict(state)
    personal = personal and bool(csrf) and not present
    event = data.get("event") or {}
    title = _("live.web.title", title=event.get("title", ""))
    poll, questions = data.get("poll"), list(data.get("questions") or [])
    status = (
        f'<p class="sr-only" id="live-status" role="status" aria-live="polite">'
        f"{_e(_('live.web.connection.ok'))}</p>"
        '<p class="toast" id="live-toast" role="alert" hidden></p>'
    )
    if present:
        first = "poll" if poll else "questions"
        slides = (
            f'<section class="slide" id="poll" aria-labelledby="poll-h" aria-live="polite"{"" if first == "poll" else " hidden"}>'
            f'<h2 id="poll-h">{_e(_("live.web.poll"))}</h2><div class="content">{_poll(poll, _, personal=False)}</div>'
            "</section>"
            f'<section class="slide" id="questions" aria-labelledby="questions-h" aria-live="polite"'
            f"{'' if first == 'questions' else ' hidden'}>"
            f'<h2 id="questions-h">{_e(_("live.web.questions"))}</h2>'
            f'<div class="content">{_questions(questions, _, personal=False, limit=PRESENT_QUESTIONS)}</div></section>'
        )
        join = (
            f'<aside class="join"><figure class="qr" role="img" aria-label="{_e(_("live.web.qr"))}">'
            f"{qr_svg(url, _('live.web.qr'))}</figure>"
            f'<p>{_e(_("live.web.join"))}<br><span class="url">{_e(url)}</span></p></aside>'
            if url
            else ""
        )
        body = f'{_header(data, _)}<main class="stage">{slides}</main>{join}{status}'
        return _document(_.locale, title, "present", body, {**_texts(_), "csrf": None})
    note = (
        f'<p class="note personal">{_e(_("live.web.personal_note"))}</p>'
        if personal
        else f'<p class="note">{_e(_("live.web.readonly"))}</p>'
    )
    ideas = data.get("ideas") or []
    sections = [
        f'<section id="poll" aria-labelledby="poll-h" aria-live="polite"><h2 id="poll-h">{_e(_("live.web.poll"))}</h2>'
        f'<div class="content">{_poll(poll, _, personal=personal)}</div></section>',
        f'<section id="questions" aria-labelledby="questions-h" aria-live="polite">'
        f'<h2 id="questions-h">{_e(_("live.web.questions"))}</h2>'
        f'<div class="content">{_questions(questions, _, personal=personal, limit=None)}</div>'
        f"{_ask_form(_, csrf or '') if personal else ''}</section>",
        f'<section id="antennas" aria-labelledby="antennas-h" aria-live="polite">'
        f'<h2 id="antennas-h">{_e(_("live.web.antennas"))}</h2>'
        f'<div class="content">{_antennas(list(data.get("antennas") or []), _)}</div></section>',
        f'<section id="ideas" aria-labelledby="ideas-h"{"" if ideas else " hidden"}>'
        f'<h2 id="ideas-h">{_e(_("live.web.ideas"))}</h2><div class="content">{_ideas(list(ideas), _)}</div></section>',
        f'<section id="messages" aria-labelledby="messages-h">'
        f'<h2 id="messages-h">{_e(_("live.web.messages"))}</h2>'
        f'<div class="content">{_messages(list(data.get("messages") or []), _)}</div></section>',
    ]
    config = {**_texts(_), "csrf": csrf if personal else None}
    body = f'{_header(data, _)}{note}<main class="grid">{"".join(sections)}</main>{status}'
    return _document(_.locale, title, "personal" if personal else "shared", body, config)


def render_gone(lang: str) -> str:
    """The page of a revoked, expired or unknown link: what happened and how to get a new one."""
    _ = Translator(lang)
    body = f'<main class="gone"><h1>{_e(_("live.web.gone.title"))}</h1><p>{_e(_("live.web.gone.text"))}</p></main>'
    return _document(_.locale, _("live.web.gone.title"), "gone", body, None)
