"""`phosphore discord-sync`: register the application commands once, globally or on one guild."""

from __future__ import annotations

import discord

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App


async def sync_commands(app: App, token: str, guild_id: int | None = None) -> list[str]:
    """Log in over HTTP only (no gateway), PUT the command tree, and return the synced command names.

    Global commands can take a while to show everywhere; a guild sync is instant (for testing a server).
    A guild sync clears the global commands: that server would otherwise show every command twice.
    """
    client = PhosphoreClient(app)
    async with client:
        await client.login(token)
        if guild_id is None:
            synced = await client.tree.sync()
        else:
            guild = discord.Object(guild_id)
            client.tree.copy_global_to(guild=guild)
            synced = await client.tree.sync(guild=guild)
            client.tree.clear_commands(guild=None)
            await client.tree.sync()
    return [command.name for command in synced]
