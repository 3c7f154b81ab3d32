"""The neutral UI model: what a handler shows, before any platform renders it."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.when import format_when

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


ID_INT_MAX = 2**53  # larger numbers in an id were crafted: no row has such an id
ArgValue = int | str


@dataclass(frozen=True)
class Arg:
    """One typed part of an action id.

    `choices` bounds a text part; `from_value`: a select sends this part as its chosen
    value instead of in the id (buttons carry it, menus cannot).
    """

    name: str
    kind: type[int] | type[str] = int
    choices: tuple[str, ...] = ()
    from_value: bool = False
    optional: bool = False  # may be missing at the end of the id

    def parse(self, raw: str) -> ArgValue | None:
        """The typed value of `raw`, or None when it is malformed."""
        if self.kind is int:
            # ASCII digits only: str.isdigit() would take "²" and int() would take "١".
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 16:
                return None
            number = int(raw)
            return number if number <= ID_INT_MAX else None
        if not raw or (self.choices and raw not in self.choices):
            return None
        return raw


@dataclass(frozen=True)
class Route:
    """One kind of click, declared once: it builds the ids cards carry and parses them back, typed.

    `Route("poll", "vote", Arg("poll_id"), Arg("option", from_value=True))` builds
    `poll:vote:12:3` and hands a handler `poll_id=12, option=3`; a malformed id never
    reaches the handler.
    """

    feature: str
    verb: str
    args: tuple[Arg, ...] = ()

    def __init__(self, feature: str, verb: str, *args: Arg) -> None:
        object.__setattr__(self, "feature", feature)
        object.__setattr__(self, "verb", verb)
        object.__setattr__(self, "args", args)

    @property
    def prefix(self) -> str:
        """`feature:verb`, the part that picks the route."""
        return f"{self.feature}:{self.verb}"

    def id(self, *values: ArgValue) -> str:
        """The action id carrying `values` (the leading args; the rest come from a select's value)."""
        if len(values) > len(self.args):
            raise ValueError(f"{self.prefix}: {len(values)} values for {len(self.args)} args")
        for arg, value in zip(self.args, values, strict=False):  # trailing args may come from a select
            if not isinstance(value, arg.kind) or (isinstance(value, str) and ":" in value):
                raise ValueError(f"{self.prefix}: bad value {value!r} for {arg.name}")
        return action_id(self.feature, self.verb, *values)

    def parse(self, tail: str, values: tuple[str, ...] = ()) -> dict[str, ArgValue | None] | None:
        """The typed arguments of an id's tail (after `feature:verb:`), or None when malformed."""
        parts = tail.split(":") if tail else []
        given = len(parts)
        if given > len(self.args):
            return None
        parsed: dict[str, ArgValue | None] = {}
        for index, arg in enumerate(self.args):
            if index < given:
                raw = parts[index]
            elif arg.from_value and values:
                raw = values[0]
            elif arg.optional:
                parsed[arg.name] = None
                continue
            else:
                return None
            value = arg.parse(raw)
            if value is None:
                return None
            parsed[arg.name] = value
        return parsed


@dataclass(frozen=True)
class Moment:
    """An instant shown in text: each platform shows it in the viewer's own time zone if it can, else `fallback`."""

    unix: int
    fallback: str  # the instant in the space's zone, naming it


# A moment rides inside card and reply text as "\ue000KEY:UNIX\ue001fallback\ue002", which every renderer
# replaces. KEY is drawn when the process starts and never shown, so member text cannot carry a token a
# renderer accepts: nobody can forge a date; stray marker characters are dropped when rendering.
_KEY = secrets.token_hex(8)
_MARKERS = re.compile("[\ue000-\ue002]")
_TOKEN = re.compile("\ue000([0-9a-f]{16}):(-?[0-9]{1,12})\ue001([^\ue000-\ue002]*)\ue002")


def moment(instant: datetime, tz: ZoneInfo, locale: str) -> str:
    """A token for `instant` inside text; its fallback is the instant in `tz` ("lundi 1 juin 2026 à 12:00 (Europe/Paris)")."""
    fallback = _MARKERS.sub("", format_when(instant, tz=tz, locale=locale))
    return f"\ue000{_KEY}:{int(instant.timestamp())}\ue001{fallback}\ue002"


def segments(text: str) -> list[str | Moment]:
    """`text` as literal pieces (stray marker characters dropped) and the moments it carries, in order."""
    parts: list[str | Moment] = []
    start = 0
    for found in _TOKEN.finditer(text):
        if found[1] != _KEY:
            continue  # not made by this process: literal text, markers dropped below
        parts.append(text[start : found.start()])
        parts.append(Moment(int(found[2]), found[3]))
        start = found.end()
    parts.append(text[start:])
    return [part if isinstance(part, Moment) else _MARKERS.sub("", part) for part in parts if part != ""]


def render_moments(text: str, literal: Callable[[str], str], shown: Callable[[Moment], str]) -> str:
    """`text` with its literal pieces passed through `literal` and its moments through `shown`."""
    return "".join(shown(part) if isinstance(part, Moment) else literal(part) for part in segments(text))


def fallbacks(text: str) -> str:
    """`text` with every moment as its fallback: for places that cannot show a viewer's own time zone."""
    return render_moments(text, str, lambda found: found.fallback)


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
    # The text is the bot's own words with the neutral markup (a `*heading*` line, `code`), never a member's:
    # platforms render that markup instead of showing it as typed.
    markup: bool = False


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
    alt_text: str = ""  # what a picture shows, for those who cannot see it


@dataclass(frozen=True)
class Reply:
    """What a handler answers; the adapter sends it where the platform allows."""

    text: str | None = None
    card: Card | None = None
    public: bool = False
    modal: Modal | None = None
    files: tuple[Attachment, ...] = ()
    subject: str | None = None  # the card shows this subject ("poll:42"): its message is tracked
    thread: str | None = None  # post inside this thread of the channel (a MessageRef's `thread`)
    field_errors: dict[str, str] = field(default_factory=dict)  # modal input id -> message
    detached: bool = False  # post as a channel message, not as the answer to the invocation (which names its author)
    verbatim: bool = False  # text the sender already made inert for the target platform (the live relay): posted as is
