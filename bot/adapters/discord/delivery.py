"""The Delivery port on Discord: channel posts, coalesced card edits, DMs with a clean fallback."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.adapters.discord import audiences, render
from bot.core.model import Member, MessageRef
from bot.ui import Card, Reply

if TYPE_CHECKING:
    from bot.adapters.discord.client import PhosphoreClient

log = logging.getLogger(__name__)
THREAD_NAME_MAX = 100
DMS_CLOSED = 50007  # "Cannot send messages to this user": DMs off, blocked, or no shared server


class DiscordDelivery:
    """Sends what the core decides on its own; LiveCards calls `edit` at most once per interval per card."""

    def __init__(self, client: PhosphoreClient) -> None:
        """Send through `client`'s HTTP session."""
        self.client = client

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post a public message in a channel, or in its thread `reply.thread` (a thread is a channel); None if refused."""
        target = reply.thread or channel
        try:
            message = await self.client.get_partial_messageable(int(target)).send(**render.message(reply))
        except discord.HTTPException as error:
            log.warning("post failed space=%s channel=%s status=%s code=%s", space, target, error.status, error.code)
            return None
        return MessageRef(space, channel, str(message.id), reply.thread)

    async def open_thread(self, space: str, channel: str, parent: MessageRef, name: str) -> MessageRef | None:
        """A public thread started from the parent message; None when Discord refused it."""
        guild = int(space.split(":", 1)[1])  # a thread belongs to a server: the partial message must say which
        message = self.client.get_partial_messageable(int(channel), guild_id=guild).get_partial_message(
            int(parent.message_id)
        )
        try:
            thread = await message.create_thread(name=name[:THREAD_NAME_MAX])
        except discord.HTTPException as error:
            log.warning("thread failed space=%s channel=%s status=%s code=%s", space, channel, error.status, error.code)
            return None
        return MessageRef(space, channel, parent.message_id, str(thread.id))

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the embed and components of a posted card (in its thread's channel when it sits in one)."""
        message = self.client.get_partial_messageable(int(ref.thread or ref.channel)).get_partial_message(
            int(ref.message_id)
        )
        try:
            await message.edit(**render.edit(card))
        except discord.NotFound:
            log.info("live card message gone space=%s message=%s", ref.space, ref.message_id)

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """Replace the text of a posted message (in its thread's channel); mentions never ping."""
        message = self.client.get_partial_messageable(int(ref.thread or ref.channel)).get_partial_message(
            int(ref.message_id)
        )
        kwargs = render.message(reply)
        try:
            await message.edit(content=kwargs.get("content", ""), allowed_mentions=kwargs["allowed_mentions"])
        except discord.HTTPException as error:
            log.info("edit failed space=%s message=%s status=%s", ref.space, ref.message_id, error.status)

    async def delete(self, ref: MessageRef) -> None:
        """Delete a posted message (in its thread's channel)."""
        message = self.client.get_partial_messageable(int(ref.thread or ref.channel)).get_partial_message(
            int(ref.message_id)
        )
        try:
            await message.delete()
        except discord.HTTPException as error:
            log.info("delete failed space=%s message=%s status=%s", ref.space, ref.message_id, error.status)

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """A DM to a member; False (logged) when their DMs are closed — the caller tells staff, nothing crashes."""
        user_id = int(member.split(":", 1)[1])
        try:
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            # The buttons of a DM name their server: a click there carries none of its own.
            await user.send(**render.message(reply, home=f"@{space.split(':', 1)[1]}"))
        except discord.HTTPException as error:
            if error.code == DMS_CLOSED:
                log.info("DMs closed member=%s space=%s", member, space)
            else:
                log.warning("DM failed member=%s status=%s code=%s", member, error.status, error.code)
            return False
        return True

    # ------------------------------------------------------------------ Members port (with the Server Members intent)

    def _guild(self, space: str) -> discord.Guild | None:
        """The cached guild of a space."""
        return self.client.get_guild(int(space.split(":", 1)[1]))

    async def channel_members(self, space: str, channel: str) -> list[Member] | None:
        """The people who can see a channel (bots left out)."""
        guild = self._guild(space)
        return None if guild is None else await audiences.channel_members(guild, channel)

    async def group_members(self, space: str, group: str) -> list[Member] | None:
        """The people holding a role (bots left out)."""
        guild = self._guild(space)
        return None if guild is None else await audiences.role_members(guild, group)
