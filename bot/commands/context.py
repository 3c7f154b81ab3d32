"""What a handler receives: who acts, where, in which language, and its feature's dependencies."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar

from bot.commands.registry import Command, Kind, Option, Permission
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.core.spaces import SpaceDirectory, SpaceSettings
from bot.core.text import NUMBER_MAX, ascii_number, fold
from bot.core.when import parse_when
from bot.i18n import SUPPORTED, Translator, translate
from bot.ui import Modal, SelectOption, TextInput

D = TypeVar("D")

TRUE_WORDS = {"true", "yes", "y", "1", "on", "oui", "o", "vrai"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "non", "faux"}
# A closing time typed "29/11 9h" on the evening of 29/11 is a slip, not next year's date.
THIS_YEAR_ONLY = frozenset({"closes"})


@dataclass(frozen=True)
class Context(Generic[D]):
    """One member acting in one channel of one space, with what their feature's handlers use (`deps`)."""

    deps: D
    space: str
    channel: str
    member: Member
    _: Translator
    clock: Clock
    spaces: SpaceDirectory

    @property
    def settings(self) -> SpaceSettings:
        """The space's settings."""
        return self.spaces(self.space)

    @property
    def locale(self) -> str:
        """The language replies are written in."""
        return self._.locale

    def for_everyone(self) -> Context[D]:
        """The same context speaking the space's language: for public messages everyone reads."""
        return replace(self, _=Translator(self.settings.locale))

    def now(self) -> datetime:
        """The current instant."""
        return self.clock.now()

    def may(self, permission: Permission) -> bool:
        """Whether the member may use something guarded by `permission`."""
        if permission == "everyone":
            return True
        if permission == "poll_creators":
            return self.member.is_staff or self.settings.poll_creators == "everyone"
        return self.member.is_staff


def label(_: Translator, command: Command, option: Option) -> str:
    """An option's short translated label."""
    return _(f"cmd.{command.key}.{option.name}.label")


def usage(_: Translator, command: Command) -> str:
    """`/poll create "question" "option"… [--multi N]` in the member's language."""
    parts = [f"/{command.group} {command.name}"]
    for option in command.options:
        meta = label(_, command, option)
        if option.positional:
            word = f'"{meta}"…' if option.kind is Kind.LIST else f'"{meta}"'
        elif option.kind is Kind.FLAG:
            word = f"--{option.name}"
        elif option.choices:
            word = f"--{option.name} {'|'.join(option.choices)}"
        elif option.kind is Kind.INT:
            word = f"--{option.name} N"
        else:
            word = f'--{option.name} "{meta}"'
        parts.append(word if option.required else f"[{word}]")
    return " ".join(parts)


def coerce(ctx: Context[Any], command: Command, option: Option, raw: Any) -> Any:
    """Turn raw text (or a list of texts) into the option's typed value, or a UserError naming it."""
    name = label(ctx._, command, option)
    if option.kind is Kind.LIST:
        items = raw if isinstance(raw, list) else str(raw).splitlines()
        return [item for item in (str(value).strip() for value in items) if item]
    text = str(raw).strip()
    if option.kind is Kind.FLAG:
        word = text.casefold()
        if word not in TRUE_WORDS | FALSE_WORDS:
            raise UserError("args.bad_flag", field=option.name, option=name)
        return word in TRUE_WORDS
    if option.kind is Kind.INT:
        return whole_number(option, name, text)
    if option.kind is Kind.CHOICE:
        return choice(ctx, command, option, name, text)
    if option.kind is Kind.WHEN:
        if not text:
            return None
        try:
            return parse_when(text, now=ctx.now(), tz=ctx.settings.tz, locale=ctx.locale,
                              next_year=option.name not in THIS_YEAR_ONLY)  # fmt: skip
        except UserError as error:
            raise UserError(error.key, field=option.name, **error.params) from None
    if option.required and not text:
        raise UserError("args.missing", field=option.name, option=name, usage=usage(ctx._, command))
    if option.max_length is not None and len(text) > option.max_length:
        raise UserError("args.too_long", field=option.name, option=name, max=option.max_length, length=len(text))
    return text


def choice(ctx: Context[Any], command: Command, option: Option, name: str, text: str) -> str:
    """A CHOICE option's value, typed as its id or its name in any language ("sur place" is onsite)."""
    wanted = fold(text)
    for value in option.choices:
        names = {value} | {translate(locale, f"cmd.{command.key}.{option.name}.{value}") for locale in SUPPORTED}
        if wanted in {fold(known) for known in names}:
            return value
    shown = (value if value.isalnum() else f'"{value}"' for value in option.choices)  # ";" alone would be unreadable
    raise UserError("args.bad_choice", field=option.name, option=name, choices=", ".join(shown))


def whole_number(option: Option, name: str, text: str) -> int:
    """An INT option's value: ASCII digits, within its declared bounds or else 1..NUMBER_MAX."""
    digits = text.removeprefix("-")
    if not digits.isascii() or not digits.isdigit():
        raise UserError("args.bad_int", field=option.name, option=name, value=text)
    low = option.min_value if option.min_value is not None else 1
    high = option.max_value if option.max_value is not None else NUMBER_MAX
    number = ascii_number(digits, maximum=high)  # None when above: never int() a 10,000-digit string
    if number is not None and text.startswith("-"):
        number = -number
    if number is not None and low <= number:
        return number
    if option.max_value is None and number is not None:
        raise UserError("args.int_min", field=option.name, option=name, min=low)
    raise UserError("args.int_range", field=option.name, option=name, min=low, max=high)


def form(_: Translator, command: Command, prefill: dict[str, Any]) -> Modal:
    """The modal that asks for a command's options, built from its declaration."""
    inputs = []
    for option in command.options:
        if not option.in_form:
            continue
        kind = {Kind.PARAGRAPH: "paragraph", Kind.LIST: "paragraph", Kind.FLAG: "flag", Kind.CHOICE: "choice"}.get(
            option.kind, "text"
        )
        value = prefill.get(option.name)
        inputs.append(
            TextInput(
                id=option.name,
                label=label(_, command, option),
                kind=kind,  # type: ignore[arg-type]
                required=option.required,
                placeholder=_(f"cmd.{command.key}.{option.name}.help"),
                value="\n".join(value) if isinstance(value, list) else value,
                max_length=option.max_length,
                choices=tuple(SelectOption(_(f"cmd.{command.key}.{option.name}.{c}"), c) for c in option.choices),
            )
        )
    return Modal(
        title=_(f"cmd.{command.key}.title"),
        action_id=f"cmd:{command.key}",
        inputs=tuple(inputs),
        submit_label=_("form.submit"),
        usage=usage(_, command),
    )
