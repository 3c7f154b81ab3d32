"""Commands and actions are declared once here; every adapter reads the same declarations."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import Enum
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal

from bot.ui import Reply, Route

if TYPE_CHECKING:
    from bot.feature import Feature

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
    refers: str | None = None  # the kind of thing it names ("poll", "event"…): platforms suggest those


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
    feature: str = ""  # the feature that declared it: its handler receives that feature's deps

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
    """Where clicks on ids of `route` go: the handler receives the id's typed arguments."""

    route: Route
    handler: ActionHandler
    feature: str = ""


Completer = Callable[..., Awaitable[list[tuple[int, str]]]]  # (ctx) -> [(reference, "#12 label")]


@dataclass(frozen=True)
class ReferenceSource:
    """Where suggestions for options naming a kind of thing come from."""

    kind: str
    complete: Completer
    feature: str = ""


@dataclass
class Registry:
    """All declared commands and actions, collected from the features."""

    commands: dict[str, Command] = field(default_factory=dict)
    actions: dict[str, ActionRoute] = field(default_factory=dict)  # "poll:vote" -> route
    references: dict[str, ReferenceSource] = field(default_factory=dict)  # "poll" -> its suggestions

    def add_module(self, module: ModuleType, feature: str) -> None:
        """Collect every tagged function of a feature's commands module."""
        for value in vars(module).values():
            declared = getattr(value, "__phosphore_command__", None)
            if isinstance(declared, Command):
                if declared.path in self.commands:
                    raise ValueError(f"/{declared.path} is declared twice")
                self.commands[declared.path] = replace(declared, feature=feature)
            route = getattr(value, "__phosphore_action__", None)
            if isinstance(route, ActionRoute):
                if route.route.prefix in self.actions:
                    raise ValueError(f"action {route.route.prefix} is declared twice")
                self.actions[route.route.prefix] = replace(route, feature=feature)
            source = getattr(value, "__phosphore_references__", None)
            if isinstance(source, ReferenceSource):
                self.references[source.kind] = replace(source, feature=feature)

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


def action(route: Route) -> Callable[[ActionHandler], ActionHandler]:
    """Tag a handler for clicks on ids built by `route`; it receives their typed arguments."""

    def tag(handler: ActionHandler) -> ActionHandler:
        handler.__phosphore_action__ = ActionRoute(route, handler)  # type: ignore[attr-defined]
        return handler

    return tag


def references(kind: str) -> Callable[[Completer], Completer]:
    """Tag the function that lists what options naming `kind` may name (for autocomplete)."""

    def tag(complete: Completer) -> Completer:
        complete.__phosphore_references__ = ReferenceSource(kind, complete)  # type: ignore[attr-defined]
        return complete

    return tag


def build_registry(features: Iterable[Feature]) -> Registry:
    """The registry of the features' commands and actions."""
    registry = Registry()
    for feature in features:
        for module in feature.commands():
            registry.add_module(module, feature.name)
    return registry
