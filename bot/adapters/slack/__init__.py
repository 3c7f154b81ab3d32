"""The Slack adapter: slack-bolt (async) in Socket Mode or HTTP mode, Block Kit, modals, App Home."""

from __future__ import annotations

from bot.app import App


async def serve(app: App) -> None:
    """Run the Slack adapter until cancelled (imported lazily: the manifest needs no slack_bolt)."""
    from bot.adapters.slack.server import serve as run

    await run(app)
