"""A staff poll scheduled for later, kept as JSON until it opens."""

from __future__ import annotations

import json
from datetime import datetime

from bot.features.polls.domain import PollDraft


def draft_payload(draft: PollDraft) -> str:
    """A poll draft as stored JSON."""
    return json.dumps({"question": draft.question, "options": list(draft.options), "max_choices": draft.max_choices,
                       "anonymous": draft.anonymous, "results": draft.results,
                       "closes_at": draft.closes_at.isoformat() if draft.closes_at else None})  # fmt: skip


def payload_draft(payload: str) -> PollDraft:
    """A poll draft back from its stored JSON."""
    data = json.loads(payload)
    closes = datetime.fromisoformat(data["closes_at"]) if data["closes_at"] else None
    return PollDraft(data["question"], tuple(data["options"]), data["max_choices"], data["anonymous"],
                     data["results"], closes)  # fmt: skip
