"""Runs commands and actions: permission, options, handler, and the two kinds of error."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Mapping
from typing import Any

from bot.commands.context import Context, coerce, form, label, usage
from bot.commands.parsing import find_command, parse_words, split_words
from bot.commands.registry import ActionRoute, Command, Registry
from bot.core.clock import Clock
from bot.core.errors import UserError
from bot.core.livecards import LiveCards
from bot.core.metrics import Metrics
from bot.core.model import Action, InboundMessage, Invocation, Member, MessageRef
from bot.core.spaces import SpaceDirectory
from bot.core.subscriptions import InboundHandler, Subscriptions
from bot.i18n import Translator, normalize_locale
from bot.ui import Reply

log = logging.getLogger(__name__)


class Dispatcher:
    """The one entry point adapters call: `invoke` for commands, `act` for clicks and forms, `receive` for messages."""

    def __init__(
        self, registry: Registry, deps: Mapping[str, object], clock: Clock, spaces: SpaceDirectory, cards: LiveCards,
        subscriptions: Subscriptions | None = None, inbound: Mapping[str, InboundHandler] | None = None,
        metrics: Metrics | None = None,
    ) -> None:  # fmt: skip
        self.registry = registry
        self.deps = deps  # feature name -> what its handlers receive
        self.clock = clock
        self.spaces = spaces
        self.cards = cards
        self.subscriptions = subscriptions
        self.inbound = inbound or {}  # feature name -> its `on_message`
        self.metrics = metrics or Metrics()

    def context(self, space: str, channel: str, member: Member, locale: str | None, feature: str = "") -> Context[Any]:
        """A handler context for `feature`; the member's own language wins over the space's."""
        language = normalize_locale(locale) or self.spaces(space).locale
        deps = self.deps.get(feature)
        return Context(deps, space, channel, member, Translator(language), self.clock, self.spaces)

    def parse_text(self, text: str) -> tuple[str, dict[str, Any]]:
        """The command path and raw options of a typed command line (console, Slack)."""
        command, rest = find_command(self.registry, split_words(text))
        return command.path, parse_words(command, rest)

    async def invoke_text(
        self,
        space: str,
        channel: str,
        member: Member,
        text: str,
        locale: str | None = None,
        can_open_modal: bool = False,
    ) -> Reply:
        """Run a command typed as text."""
        ctx = self.context(space, channel, member, locale)
        try:
            path, args = self.parse_text(text)
        except UserError as error:
            return self.user_error(ctx, error)
        return await self.invoke(Invocation(space, channel, member, path, args, locale, can_open_modal))

    async def invoke(self, invocation: Invocation) -> Reply:
        """Run a command with its raw options."""
        command = self.registry.commands.get(invocation.command)
        feature = command.feature if command else ""
        ctx = self.context(invocation.space, invocation.channel, invocation.member, invocation.locale, feature)
        return await self._guard(ctx, self._invoke(ctx, command, invocation))

    async def _invoke(self, ctx: Context[Any], command: Command | None, invocation: Invocation) -> Reply:
        if command is None:
            raise UserError("args.unknown_command", command=invocation.command)
        if not ctx.may(command.permission):
            raise UserError("args.forbidden", command=f"/{command.path}")
        missing = [o for o in command.options if o.required and not invocation.args.get(o.name)]
        if missing and command.form and invocation.can_open_modal:
            return Reply(modal=form(ctx._, command, invocation.args))
        if missing:
            raise UserError("args.missing", option=label(ctx._, command, missing[0]), usage=usage(ctx._, command))
        return await self._run(ctx, command, invocation.args)

    async def _run(self, ctx: Context[Any], command: Command, raw: dict[str, Any]) -> Reply:
        values = {
            o.name: coerce(ctx, command, o, raw[o.name]) for o in command.options if raw.get(o.name) not in (None, "")
        }
        return await command.handler(ctx, **values)

    async def posted(self, reply: Reply, ref: MessageRef) -> None:
        """Adapters call this once a public reply is on screen, so its card stays live."""
        if reply.subject:
            await self.cards.attach(reply.subject, ref)

    async def suggest(
        self, kind: str, space: str, channel: str, member: Member, locale: str | None
    ) -> list[tuple[int, str]]:
        """(reference, label) of the things of `kind` a member may name here, for autocomplete."""
        source = self.registry.references.get(kind)
        if source is None:
            return []
        return await source.complete(self.context(space, channel, member, locale, source.feature))

    async def act(self, action: Action) -> Reply:
        """Run a click, a select choice or a form submission named by its action id."""
        prefix, _, rest = action.action_id.partition(":")
        verb, _, tail = rest.partition(":")
        if prefix == "cmd":
            command = next((c for c in self.registry.commands.values() if c.key == verb), None)
            ctx = self.context(
                action.space, action.channel, action.member, action.locale, command.feature if command else ""
            )
            return await self._guard(ctx, self._submit_form(ctx, command, action))
        route = self.registry.actions.get(f"{prefix}:{verb}")
        ctx = self.context(action.space, action.channel, action.member, action.locale, route.feature if route else "")
        return await self._guard(ctx, self._act(ctx, route, tail, action))

    async def _act(self, ctx: Context[Any], route: ActionRoute | None, tail: str, action: Action) -> Reply:
        args = None if route is None else route.route.parse(tail, action.values)
        if route is None or args is None:
            raise UserError("action.malformed")  # crafted or truncated: never reaches a handler
        return await route.handler(ctx, **args)

    async def _submit_form(self, ctx: Context[Any], command: Command | None, action: Action) -> Reply:
        if command is None or not command.form:
            raise UserError("action.malformed")
        if not ctx.may(command.permission):
            raise UserError("args.forbidden", command=f"/{command.path}")
        for option in command.options:
            if option.required and not action.fields.get(option.name, "").strip():
                raise UserError("args.missing", field=option.name, option=label(ctx._, command, option), usage="")
        return await self._run(ctx, command, dict(action.fields))

    async def receive(self, message: InboundMessage) -> int:
        """Hand a member's message to the features subscribed where it was posted; how many it reached.

        A failing handler is logged with an incident id: the adapter and the other features never see it.
        """
        listeners = self.subscriptions.listeners(message) if self.subscriptions else []
        handlers = [(feature, self.inbound[feature]) for feature in listeners if feature in self.inbound]
        for feature, handler in handlers:
            try:
                await handler(message)
            except Exception:
                incident = secrets.token_hex(4)
                self.metrics.count("handler_errors", message.space)
                log.exception("incident %s inbound feature=%s space=%s channel=%s message=%s",
                              incident, feature, message.space, message.channel, message.message_id)  # fmt: skip
        return len(handlers)

    async def _guard(self, ctx: Context[Any], work: Awaitable[Reply]) -> Reply:
        """Turn errors into replies: UserError is explained, anything else gets an incident id."""
        try:
            return await work
        except UserError as error:
            return self.user_error(ctx, error)
        except Exception:
            incident = secrets.token_hex(4)
            self.metrics.count("handler_errors", ctx.space)
            log.exception("incident %s space=%s member=%s", incident, ctx.space, ctx.member.key)
            return Reply(text=ctx._("error.internal", incident=incident))

    @staticmethod
    def user_error(ctx: Context[Any], error: UserError) -> Reply:
        """The private reply explaining a UserError (and which form field it is about)."""
        message = ctx._(error.key, **error.params)
        return Reply(text=message, field_errors={error.field: message} if error.field else {})
