"""Commands and actions are declared once here; every adapter reads the same declarations."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from bot.ui import Reply

Permission = Literal["everyone", "staff", "poll_creators"]


class Kind(Enum):
    """How an option's raw text becomes a value."""

    TEXT = "text"
    PARAGRAPH = "paragraph"  # long free text; a modal shows a multi-line input
    LIST = "list"  # several texts: the remaining positional words, or one per line in a modal
    INT = "int"
    FLAG = "flag"
    CHOICE = "choice"
    WHEN = "when"  # a date and time as people type it, in the space's time zone
    REF = "ref"  # a short reference such as #12


@dataclass(frozen=True)
class Option:
    """One typed option of a command; labels and help come from the catalogs."""

    name: str
    kind: Kind = Kind.TEXT
    required: bool = False
    positional: bool = False
    choices: tuple[str, ...] = ()
    default: Any = None
    min_value: int | None = None
    max_value: int | None = None
    max_length: int | None = None
    in_form: bool = True  # shown in the command's modal


Handler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class Command:
    """A slash command `/group name`, its options, its permission and its handler."""

    group: str
    name: str
    options: tuple[Option, ...]
    permission: Permission
    handler: Handler
    form: bool = False  # open a modal when required options are missing (platforms that have them)

    @property
    def key(self) -> str:
        """The dotted id used for translations and modal action ids ("poll.create")."""
        return f"{self.group}.{self.name}"

    @property
    def path(self) -> str:
        """The words that call it ("poll create")."""
        return f"{self.group} {self.name}"

    def option(self, name: str) -> Option | None:
        """The option called `name`."""
        return next((option for option in self.options if option.name == name), None)


ActionHandler = Callable[..., Awaitable[Reply]]


@dataclass(frozen=True)
class ActionRoute:
    """Where clicks whose id starts with `feature:verb` go."""

    feature: str
    verb: str
    handler: ActionHandler


@dataclass
class Registry:
    """All declared commands and actions, collected from the feature modules."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[tuple[str, str], ActionRoute] = field(default_factory=dict)

    def add_module(self, module: object) -> None:
        """Collect every tagged function of a module."""
        for value in vars(module).values():
            declared = getattr(value, "__phosphore_command__", None)
            if isinstance(declared, Command):
                self.commands[declared.path] = declared
            route = getattr(value, "__phosphore_action__", None)
            if isinstance(route, ActionRoute):
                self.actions[(route.feature, route.verb)] = route

    def groups(self) -> list[str]:
        """Command groups in declaration order ("poll", "idea", …)."""
        return list(dict.fromkeys(command.group for command in self.commands.values()))

    def in_group(self, group: str) -> list[Command]:
        """The commands of one group."""
        return [command for command in self.commands.values() if command.group == group]


def command(
    group: str, name: str, *options: Option, permission: Permission = "everyone", form: bool = False
) -> Callable[[Handler], Handler]:
    """Tag a handler as the command `/group name`."""

    def tag(handler: Handler) -> Handler:
        handler.__phosphore_command__ = Command(group, name, options, permission, handler, form)  # type: ignore[attr-defined]
        return handler

    return tag


def action(feature: str, verb: str) -> Callable[[ActionHandler], ActionHandler]:
    """Tag a handler for action ids `feature:verb:…`."""

    def tag(handler: ActionHandler) -> ActionHandler:
        handler.__phosphore_action__ = ActionRoute(feature, verb, handler)  # type: ignore[attr-defined]
        return handler

    return tag


FEATURE_MODULES = (
    "bot.commands.help", "bot.commands.polls", "bot.commands.ideas", "bot.commands.events", "bot.commands.schedule",
)


def build_registry(modules: Iterable[str] = FEATURE_MODULES) -> Registry:
    """The registry of every feature module."""
    registry = Registry()
    for name in modules:
        registry.add_module(importlib.import_module(name))
    return registry
