"""The Discord adapter: discord.py application commands, persistent components, modals and DMs."""

from __future__ import annotations

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.config import ConfigError


async def serve(app: App) -> None:
    """Connect to Discord with DISCORD_TOKEN and serve until stopped (commands are synced by `discord-sync`)."""
    token = app.services.settings.secrets.get("DISCORD_TOKEN")
    if not token:
        raise ConfigError("DISCORD_TOKEN is not set (the bot token from the Discord developer portal)")
    client = PhosphoreClient(app, freeze_gc=True)
    async with client:
        await client.start(token)
