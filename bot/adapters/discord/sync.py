"""`phosphore discord-sync`: register the application commands once, globally or on one guild."""

from __future__ import annotations

import discord

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App


async def sync_commands(app: App, token: str, guild_id: int | None = None) -> list[str]:
    """Log in over HTTP only (no gateway), PUT the command tree, and return the synced command names.

    Global commands can take a while to show everywhere; a guild sync is instant (for testing a server).
    """
    client = PhosphoreClient(app)
    async with client:
        await client.login(token)
        guild = discord.Object(guild_id) if guild_id is not None else None
        if guild is not None:
            client.tree.copy_global_to(guild=guild)
        synced = await client.tree.sync(guild=guild)
    return [command.name for command in synced]
