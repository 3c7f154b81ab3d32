"""The neutral UI model: what a handler shows, before any platform renders it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# Discord's custom_id limit is 100, the stricter of the two platforms; 22 are left for an
# adapter's routing suffix (the Discord server of a button sent in a private message).
ACTION_ID_MAX = 78
ButtonStyle = Literal["primary", "secondary", "success", "danger"]


def action_id(feature: str, verb: str, *parts: object) -> str:
    """A stateless action id `feature:verb:id[:arg]`; everything a click needs is in it."""
    value = ":".join([feature, verb, *(str(part) for part in parts)])
    if len(value) > ACTION_ID_MAX:
        raise ValueError(f"action id longer than {ACTION_ID_MAX} characters: {value[:40]}…")
    return value


@dataclass(frozen=True)
class Button:
    """A clickable button."""

    label: str
    action_id: str
    style: ButtonStyle = "secondary"


@dataclass(frozen=True)
class SelectOption:
    """One entry of a select menu."""

    label: str
    value: str
    description: str | None = None


@dataclass(frozen=True)
class Select:
    """A drop-down menu; choosing an option is a click carrying its value."""

    placeholder: str
    action_id: str
    options: tuple[SelectOption, ...]


Control = Button | Select


@dataclass(frozen=True)
class Field:
    """A short labelled value on a card."""

    name: str
    value: str


@dataclass(frozen=True)
class ResultBar:
    """One line of results: a label, its count and its share of voters (0..1)."""

    label: str
    count: int
    share: float

    @property
    def percent(self) -> int:
        """The share as a rounded percentage."""
        return round(self.share * 100)


def text_bar(share: float, width: int = 10) -> str:
    """A bar of block characters for a share between 0 and 1."""
    filled = round(max(0.0, min(1.0, share)) * width)
    return "█" * filled + "░" * (width - filled)


@dataclass(frozen=True)
class Card:
    """A rich message: title, paragraphs, fields, result bars and controls."""

    title: str
    text: tuple[str, ...] = ()
    fields: tuple[Field, ...] = ()
    bars: tuple[ResultBar, ...] = ()
    controls: tuple[Control, ...] = ()
    footer: str | None = None


InputKind = Literal["text", "paragraph", "choice", "flag"]


@dataclass(frozen=True)
class TextInput:
    """One input of a modal form: free text, a paragraph, one of a few choices, or a yes/no flag."""

    id: str
    label: str
    kind: InputKind = "text"
    required: bool = True
    placeholder: str | None = None
    value: str | None = None
    max_length: int | None = None
    choices: tuple[SelectOption, ...] = ()


@dataclass(frozen=True)
class Modal:
    """A form; its submission comes back as an action named `action_id`."""

    title: str
    action_id: str
    inputs: tuple[TextInput, ...]
    submit_label: str
    usage: str = ""  # shown instead by adapters that have no forms (the console)


@dataclass(frozen=True)
class Attachment:
    """A file sent with a reply (CSV exports, calendar files)."""

    filename: str
    content: bytes
    mime_type: str


@dataclass(frozen=True)
class Reply:
    """What a handler answers; the adapter sends it where the platform allows."""

    text: str | None = None
    card: Card | None = None
    public: bool = False
    modal: Modal | None = None
    files: tuple[Attachment, ...] = ()
    subject: str | None = None  # the card shows this subject ("poll:42"): its message is tracked
    field_errors: dict[str, str] = field(default_factory=dict)  # modal input id -> message
    detached: bool = False  # post as a channel message, not as the answer to the invocation (which names its author)
