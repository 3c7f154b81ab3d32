"""A test-only feature: it listens to channels and records what members post there.

It is also the example of a feature added without touching the bot: this folder, and the
one list it joins (`App(settings, features=(*FEATURES, FEATURE))`).
"""

from __future__ import annotations

from typing import Any

from bot.feature import Built, Feature, Kernel, Unit
from tests.echo.commands import EchoDeps, Heard


def build(kernel: Kernel, _store: Any, _built: Built) -> Unit:
    """The feature records what it hears; its commands subscribe channels through the kernel."""
    heard = Heard()
    return Unit(service=heard, deps=EchoDeps(kernel.subscriptions, kernel.delivery), on_message=heard.record)


FEATURE = Feature("echo", __name__, build)
