"""Who is in a Discord channel or role, people only: members listed over REST, channels and roles from the cache."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import discord

from bot.core.model import Member

log = logging.getLogger(__name__)

# Typed as a mention (`<#123>`, `<@&123>`), an id, or a name (`#general`, `@design`).
CHANNEL_MENTION = re.compile(r"<#(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
SNOWFLAKE = re.compile(r"\d{1,20}")


def find_channel(guild: discord.Guild, text: str) -> discord.abc.GuildChannel | None:
    """A channel of the guild cache by mention, id or name."""
    mention = CHANNEL_MENTION.fullmatch(text)
    if mention or SNOWFLAKE.fullmatch(text):
        return guild.get_channel(int(mention.group(1) if mention else text))
    name = text.removeprefix("#").casefold()
    return next((channel for channel in guild.channels if channel.name.casefold() == name), None)


def find_role(guild: discord.Guild, text: str) -> discord.Role | None:
    """A role of the guild cache by mention, id or name."""
    mention = ROLE_MENTION.fullmatch(text)
    if mention or SNOWFLAKE.fullmatch(text):
        return guild.get_role(int(mention.group(1) if mention else text))
    name = text.removeprefix("@").casefold()
    return next((role for role in guild.roles if role.name.casefold() == name), None)


async def people(guild: discord.Guild, keep: Callable[[discord.Member], bool]) -> list[Member] | None:
    """The guild's human members that `keep` accepts, listed over REST (1,000 a page); None when Discord refused.

    The list needs the privileged Server Members intent: the adapter only declares the capability with it.
    """
    found: list[Member] = []
    try:
        async for member in guild.fetch_members(limit=None):
            if not member.bot and not member.system and keep(member):
                found.append(Member(f"discord:{member.id}", member.display_name))
    except discord.HTTPException as error:
        log.warning("listing members failed guild=%s status=%s code=%s", guild.id, error.status, error.code)
        return None
    return found


async def channel_members(guild: discord.Guild, text: str) -> list[Member] | None:
    """The people who can see a channel (None when there is no such channel)."""
    channel = find_channel(guild, text)
    if channel is None:
        return None
    return await people(guild, lambda member: channel.permissions_for(member).view_channel)


async def role_members(guild: discord.Guild, text: str) -> list[Member] | None:
    """The people holding a role (None when there is no such role)."""
    role = find_role(guild, text)
    if role is None:
        return None
    if role.is_default():  # @everyone: every member holds it
        return await people(guild, lambda member: True)
    return await people(guild, lambda member: member.get_role(role.id) is not None)
