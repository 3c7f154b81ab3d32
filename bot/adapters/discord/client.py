"""The Discord client: slash commands, persistent components and modals -> the dispatcher, replies back."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from collections.abc import Awaitable, Mapping
from typing import Any

import discord
from discord import app_commands

from bot.adapters.discord import render
from bot.adapters.discord.commands import CatalogTranslator, build_groups
from bot.adapters.discord.delivery import DiscordDelivery
from bot.app import App
from bot.commands.registry import Command, Kind
from bot.core.model import Action, InboundKind, InboundMessage, Invocation, Member, MessageRef
from bot.core.ports import Capabilities
from bot.i18n import Translator, normalize_locale
from bot.ui import Reply, fallbacks

log = logging.getLogger(__name__)

# Our stateless action ids: `feature:verb:id[:arg]` (see bot.ui.action_id).
ACTION_TEMPLATE = r"(?P<action>[a-z][a-z_]*:[^\s]{1,98})"
ACTION_RE = re.compile(ACTION_TEMPLATE)
# Components sent in a DM end with "@<server id>": a DM click carries no server of its own.
HOME_RE = re.compile(r"^(?P<action>.+)@(?P<guild>\d{1,20})$")


def split_home(custom_id: str) -> tuple[str, int | None]:
    """The action id and, for a DM component, the server it belongs to."""
    found = HOME_RE.match(custom_id)
    return (found["action"], int(found["guild"])) if found else (custom_id, None)


def custom_id_of(interaction: discord.Interaction[Any]) -> str:
    """The custom_id of a component or modal interaction ("" for commands)."""
    data: Mapping[str, object] = interaction.data or {}
    return str(data.get("custom_id") or "")


def guild_of(interaction: discord.Interaction[Any]) -> int | None:
    """The server an interaction belongs to: its own, or the one named by a DM component's custom_id."""
    return interaction.guild_id or split_home(custom_id_of(interaction))[1]


FORM_PREFIX = "cmd:"
DEFER_AFTER = 2.0  # seconds; Discord drops an interaction not answered within 3 s


def intents(message_content: bool = False, members: bool = False) -> discord.Intents:
    """The smallest intents: guilds (channels and roles cache); members' messages and the member list only when asked."""
    chosen = discord.Intents(guilds=True)
    if message_content:  # privileged: also enabled in the developer portal, or the gateway refuses to connect
        chosen.guild_messages = chosen.message_content = True
    if members:  # privileged too; only the REST member list uses it (no member cache, no chunking)
        chosen.members = True
    return chosen


class ActionItem(discord.ui.DynamicItem[discord.ui.Item[Any]], template=ACTION_TEMPLATE):
    """Any of our buttons or selects, rebuilt from its custom_id alone: clicks work after a restart."""

    def __init__(self, item: discord.ui.Item[Any]) -> None:
        """Wrap the button or select found on the clicked message."""
        super().__init__(item)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> ActionItem:
        """Keep the message's own component: everything else is in the action id."""
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Hand the click (and a select's values) to the client."""
        client = interaction.client
        assert isinstance(client, PhosphoreClient)
        if guild_of(interaction) is None:
            return  # a DM component naming no server: on_interaction answers it
        data: Mapping[str, object] = interaction.data or {}
        chosen = data.get("values")
        values = tuple(str(v) for v in chosen) if isinstance(chosen, list) else ()
        await client.on_action(interaction, str(self.custom_id), values)


class PhosphoreClient(discord.Client):
    """A discord.py client serving one App: its command tree is built from the registry."""

    def __init__(
        self,
        app: App,
        *,
        guild_ready_timeout: float = 2.0,
        defer_after: float = DEFER_AFTER,
        freeze_gc: bool = False,
        message_content: bool | None = None,
    ) -> None:
        """Build the tree (`message_content`: override the setting); it becomes the app's Discord Delivery once logged in."""
        setting: bool = app.services.settings["discord.message_content"]
        self.inbound = setting if message_content is None else message_content
        self.members: bool = app.services.settings["discord.members"]
        super().__init__(
            intents=intents(self.inbound, self.members),
            guild_ready_timeout=guild_ready_timeout,
            max_messages=None,  # we never read messages: no cache
            member_cache_flags=discord.MemberCacheFlags.none(),
            chunk_guilds_at_startup=False,
        )
        self.app = app
        self.defer_after = defer_after
        self.freeze_gc = freeze_gc
        self.staff_role = str(app.services.settings["discord.staff_role"]).strip()
        self.tree: app_commands.CommandTree[PhosphoreClient] = app_commands.CommandTree(self)
        for command in build_groups(app.services.registry, self.on_command, self.complete_ref):
            self.tree.add_command(command)
        self.delivery = DiscordDelivery(self)

    async def close(self) -> None:
        """Show the last live states while still connected, then stop being the app's Discord delivery."""
        if not self.is_closed():
            await self.app.detach("discord", self.delivery)
        await super().close()

    async def setup_hook(self) -> None:
        """Persistent components and localized command names, before the gateway connects."""
        self.add_dynamic_items(ActionItem)
        if not self.inbound:
            log.warning(
                "Discord: members' messages are not read (discord.message_content = false): features that"
                " listen to channels or threads will refuse; enable the privileged Message Content intent to use them"
            )
        await self.tree.set_translator(CatalogTranslator())
        # Logged in: REST calls work from here on, so what waits for Discord (queued posts, notices) may go now.
        capabilities = Capabilities(threads=True, inbound=self.inbound, edits=True, members=self.members)
        self.app.services.delivery.register("discord", self.delivery, capabilities)
        if self.freeze_gc:
            # Everything loaded so far lives as long as the process: keep it out of full collections,
            # whose pauses (~100 ms with discord.py, aiohttp, babel loaded) are the tail of a vote burst.
            gc.collect()
            gc.freeze()

    # ------------------------------------------------------------------ who, where

    def member(self, interaction: discord.Interaction[Any]) -> Member:
        """The acting member; staff from trusted interaction data (Manage Server, or the staff role)."""
        user = interaction.user
        staff = interaction.permissions.manage_guild
        if isinstance(user, discord.Member):
            staff = staff or self._is_staff(user)
        return Member(f"discord:{user.id}", user.display_name, is_staff=staff)

    async def actor(self, interaction: discord.Interaction[Any]) -> Member | str:
        """The acting member, or the catalog key of a refusal.

        A click in a DM names its server in its custom_id: the clicker must still belong to that
        server (asked over REST, as we cache no members), and is staff only by their roles there.
        """
        if interaction.guild_id:
            return self.member(interaction)
        guild = self.get_guild(guild_of(interaction) or 0)
        if guild is None:
            return "discord.not_a_member"
        try:
            found = await guild.fetch_member(interaction.user.id)
        except (discord.NotFound, discord.Forbidden):
            return "discord.not_a_member"
        except discord.HTTPException as error:
            log.warning("member check failed guild=%s status=%s code=%s", guild.id, error.status, error.code)
            return "discord.member_check_failed"
        return Member(f"discord:{found.id}", found.display_name, is_staff=self._is_staff(found))

    def _is_staff(self, user: discord.Member) -> bool:
        """Manage Server in the guild, or the staff role."""
        return user.guild_permissions.manage_guild or self._has_staff_role(user)

    def _has_staff_role(self, user: discord.Member) -> bool:
        """Whether the member holds `discord.staff_role` (a role id or name)."""
        wanted = self.staff_role.casefold()
        return bool(wanted) and any(str(role.id) == wanted or role.name.casefold() == wanted for role in user.roles)

    @staticmethod
    def where(interaction: discord.Interaction[Any]) -> tuple[str, str]:
        """The space ("discord:<guild id>") and channel of an interaction (a DM's buttons name their server)."""
        return f"discord:{guild_of(interaction)}", str(interaction.channel_id)

    @staticmethod
    def locale(interaction: discord.Interaction[Any]) -> str | None:
        """The member's Discord language when we speak it ("fr", "en-US", "en-GB"), else None (space default)."""
        return interaction.locale.value if normalize_locale(interaction.locale.value) else None

    # ------------------------------------------------------------------ events

    async def on_command(self, interaction: discord.Interaction[Any], command: Command, values: dict[str, Any]) -> None:
        """A slash command: typed options -> an Invocation (a LIST arrives as one `;`/`|`-separated string)."""
        args: dict[str, Any] = {}
        for option in command.options:
            value = values.get(option.name)
            if value is not None:
                args[option.name] = render.split_list(value) if option.kind is Kind.LIST else value
        space, channel = self.where(interaction)
        invocation = Invocation(
            space, channel, self.member(interaction), command.path, args, self.locale(interaction), can_open_modal=True
        )
        await self.answer(interaction, self.app.dispatcher.invoke(invocation))

    async def on_action(self, interaction: discord.Interaction[Any], action_id: str, values: tuple[str, ...]) -> None:
        """A click or select choice on one of our components."""
        await self.answer(interaction, self._act(interaction, action_id, values=values))

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """What the tree and the dynamic items do not take: modal submissions and foreign component ids."""
        data: dict[str, Any] = interaction.data or {}  # type: ignore[assignment]
        custom_id = str(data.get("custom_id") or "")
        if guild_of(interaction) is None and interaction.type is not discord.InteractionType.autocomplete:
            if interaction.type is not discord.InteractionType.application_command:  # the tree answers those
                await self._refuse_outside_guild(interaction)
            return
        if interaction.type is discord.InteractionType.modal_submit and custom_id.startswith(FORM_PREFIX):
            # Stateless: the fields are read from the payload, so a form opened before a restart still submits.
            form_id, carried = render.split_carried(split_home(custom_id)[0])
            fields = {**carried, **render.submitted_fields(data.get("components") or [])}
            await self.answer(interaction, self._act(interaction, form_id, fields=fields))
        elif interaction.type is discord.InteractionType.component and not ACTION_RE.fullmatch(custom_id):
            log.warning("component with a foreign custom_id len=%d", len(custom_id))
            await self.answer(interaction, self._act(interaction, "malformed:"))

    async def _refuse_outside_guild(self, interaction: discord.Interaction[Any]) -> None:
        """Our commands and components live in servers."""
        text = Translator(normalize_locale(interaction.locale.value))("discord.guild_only")
        await interaction.response.send_message(text, ephemeral=True)

    async def _act(
        self,
        interaction: discord.Interaction[Any],
        action_id: str,
        *,
        values: tuple[str, ...] = (),
        fields: dict[str, str] | None = None,
    ) -> Reply:
        """Run a component or modal interaction as its neutral Action (refused for a DM clicker who left the server)."""
        member = await self.actor(interaction)
        if isinstance(member, str):
            return Reply(text=self._translator(interaction)(member))
        space, channel = self.where(interaction)
        action_id = split_home(action_id)[0]
        action = Action(space, channel, member, action_id, values, fields or {}, self.locale(interaction))
        return await self.app.dispatcher.act(action)

    async def complete_ref(
        self, interaction: discord.Interaction[Any], command: Command, kind: str, current: str
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete for a reference: this guild's things of its own kind matching what was typed.

        Nothing for members who may not run the command (the schedule is for staff only).
        """
        space, channel = self.where(interaction)
        member, locale = self.member(interaction), self.locale(interaction)
        if not self.app.dispatcher.context(space, channel, member, locale).may(command.permission):
            return []
        needle = current.strip().lstrip("#").casefold()
        suggestions = await self.app.dispatcher.suggest(kind, space, channel, member, locale)
        labelled = [(ref, fallbacks(label)) for ref, label in suggestions]  # suggestions are plain text
        found = [(ref, label) for ref, label in labelled if needle in label.casefold()]
        return [
            app_commands.Choice(name=render.clip(label, render.OPTION_TEXT_MAX), value=str(ref))
            for ref, label in found[: render.OPTIONS_MAX]
        ]

    # ------------------------------------------------------------------ members' messages

    async def on_message(self, message: discord.Message) -> None:
        """A member posted in a server channel or thread: the features listening there get it."""
        await self._receive(message, "posted")

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """A message was edited (Discord sends the whole message)."""
        await self._receive(payload.message, "edited")

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        """A message was deleted: Discord names no author (and no cache is kept), so `member` is None."""
        if not self.inbound or payload.guild_id is None:
            return
        channel, thread = self.place(self.get_channel(payload.channel_id), payload.channel_id)
        await self.app.dispatcher.receive(InboundMessage(
            f"discord:{payload.guild_id}", channel, thread, None, "", (), str(payload.message_id), "deleted",
            self.app.services.clock.now(),
        ))  # fmt: skip

    async def _receive(self, message: discord.Message, kind: InboundKind) -> None:
        """Hand a member's message to the dispatcher; never our own, nor our application's webhooks, nor DMs."""
        if not self.inbound or message.guild is None or self.user is None:
            return
        if message.author.id == self.user.id or (message.webhook_id and message.application_id == self.application_id):
            return
        channel, thread = self.place(message.channel, message.channel.id)
        at = (message.edited_at if kind == "edited" else None) or message.created_at
        # The names Discord sent along with the message, so that a copy elsewhere shows them instead of ids.
        mentions = {f"discord:{user.id}": user.display_name for user in message.mentions}
        mentions.update({f"discord:&{role.id}": role.name for role in message.role_mentions})
        await self.app.dispatcher.receive(InboundMessage(
            f"discord:{message.guild.id}", channel, thread, self.author(message.author), message.content,
            tuple(attachment.url for attachment in message.attachments), str(message.id), kind, at, mentions,
        ))  # fmt: skip

    @staticmethod
    def place(channel: object, channel_id: int) -> tuple[str, str | None]:
        """(channel, thread) of a message: a Discord thread is a channel of its own, under its parent."""
        if isinstance(channel, discord.Thread):
            return str(channel.parent_id), str(channel.id)
        return str(channel_id), None

    def author(self, user: discord.User | discord.Member) -> Member:
        """The member who wrote a message; staff from the server's roles (Manage Server, or the staff role)."""
        staff = isinstance(user, discord.Member) and (user.guild_permissions.manage_guild or self._has_staff_role(user))
        return Member(f"discord:{user.id}", user.display_name, is_staff=staff)

    # ------------------------------------------------------------------ answering

    async def answer(self, interaction: discord.Interaction[Any], work: Awaitable[Reply]) -> None:
        """Answer within Discord's 3 s: directly when the dispatcher is quick, else defer then follow up.

        The dispatcher returns only after its durable write committed, so whatever we confirm is on disk.
        """
        # A timer rather than a task per interaction: the quick path (nearly all) stays cheap.
        deferral: list[asyncio.Task[Any]] = []
        timer = asyncio.get_running_loop().call_later(
            self.defer_after, lambda: deferral.append(asyncio.ensure_future(self._defer(interaction)))
        )
        try:
            reply = await work
        finally:
            timer.cancel()
        if not deferral:
            await self.respond(interaction, reply)
            return
        await deferral[0]
        await self.follow_up(interaction, reply)

    @staticmethod
    async def _defer(interaction: discord.Interaction[Any]) -> None:
        """Acknowledge now, answer later: privately "thinking" for commands, silently for components."""
        await interaction.response.defer(
            ephemeral=True, thinking=interaction.type is not discord.InteractionType.component
        )

    async def respond(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        """The interaction response: a modal, a public message (then tracked), or an ephemeral one."""
        if reply.modal is not None and interaction.type is not discord.InteractionType.modal_submit:
            form = render.modal(reply.modal, self.yes_no(self._translator(interaction)), self._home(interaction))
            if form is not None:
                await interaction.response.send_modal(form)
                return
            # The values typed with the command do not all fit a form: ask for everything as options.
            reply = Reply(text=self._translator(interaction)("discord.form_too_full", usage=reply.modal.usage))
        if reply.public and reply.detached:
            # Discord labels the answer to an interaction with its author ("bob used /idea submit"):
            # acknowledge privately, then post the card as a plain channel message.
            await self._defer(interaction)
            await self.follow_up(interaction, reply)
            return
        kwargs = render.message(self._without_modal(reply), self._home(interaction))
        if not reply.public:
            await interaction.response.send_message(ephemeral=True, **kwargs)
            return
        response = await interaction.response.send_message(**kwargs)
        message_id = response.message_id or (await interaction.original_response()).id
        space, channel = self.where(interaction)
        await self.app.dispatcher.posted(reply, MessageRef(space, channel, str(message_id)))

    async def follow_up(self, interaction: discord.Interaction[Any], reply: Reply) -> None:
        """After a deferral: public messages go to the channel (the deferral was private), the rest follows up."""
        reply = self._without_modal(reply)
        if not reply.public:
            await interaction.followup.send(ephemeral=True, **render.message(reply, self._home(interaction)))
            return
        space, channel = self.where(interaction)
        ref = await self.delivery.post(space, channel, reply)
        if ref is not None:
            await self.app.dispatcher.posted(reply, ref)
        if reply.detached:
            key = "discord.posted_without_name" if ref is not None else "discord.cannot_post"
            await interaction.followup.send(self._translator(interaction)(key), ephemeral=True)
        elif interaction.type is not discord.InteractionType.component:
            await interaction.delete_original_response()

    @staticmethod
    def _home(interaction: discord.Interaction[Any]) -> str:
        """The custom_id suffix for components answered inside a DM ("" in a server)."""
        return "" if interaction.guild_id else f"@{guild_of(interaction)}"

    @staticmethod
    def _without_modal(reply: Reply) -> Reply:
        """A modal that can no longer open (after a deferral or a submission): show its usage line instead."""
        if reply.modal is None:
            return reply
        return Reply(text=reply.text or reply.modal.usage, field_errors=reply.field_errors)

    def _space_locale(self, interaction: discord.Interaction[Any]) -> str:
        """The space's default language."""
        return self.app.services.spaces(self.where(interaction)[0]).locale

    def _translator(self, interaction: discord.Interaction[Any]) -> Translator:
        """The acting member's language, else the space's."""
        return Translator(self.locale(interaction) or self._space_locale(interaction))

    @staticmethod
    def yes_no(_: Translator) -> tuple[tuple[str, str], tuple[str, str]]:
        """The two choices of a yes/no input in a modal."""
        return (_("discord.yes"), "true"), (_("discord.no"), "false")
