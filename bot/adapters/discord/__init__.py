"""The Discord adapter: discord.py application commands, persistent components, modals and DMs."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.config import ConfigError

log = logging.getLogger(__name__)


async def serve(app: App) -> None:
    """Connect to Discord with DISCORD_TOKEN and serve until stopped (commands are synced by `discord-sync`)."""
    token = app.services.settings.secrets.get("DISCORD_TOKEN")
    if not token:
        raise ConfigError("DISCORD_TOKEN is not set (the bot token from the Discord developer portal)")
    await connect(app, token, freeze_gc=True)


async def connect(app: App, token: str, **options: Any) -> None:
    """Serve until stopped; without members' messages when the portal refuses the Message Content intent."""
    try:
        await run(PhosphoreClient(app, **options), token)
    except discord.PrivilegedIntentsRequired:
        # The portal's Message Content switch is off while the settings ask for it: serve without it
        # rather than stop, so only what listens to members' messages is off.
        log.warning(
            "Discord refused the Message Content intent (enable it under Bot > Privileged Gateway Intents in the"
            " developer portal): members' messages are not read; relaying from Discord is off, everything else works"
        )
        await run(PhosphoreClient(app, message_content=False, **options), token)


async def run(client: PhosphoreClient, token: str) -> None:
    """Connect one client and serve until it stops."""
    async with client:
        await client.start(token)
