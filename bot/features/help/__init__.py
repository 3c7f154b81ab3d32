"""/help: what the caller may use."""

from __future__ import annotations

from typing import Any

from bot.feature import Built, Feature, Kernel, Unit
from bot.features.help.commands import HelpDeps


def build(kernel: Kernel, _store: Any, _built: Built) -> Unit:
    """Help reads the registry."""
    return Unit(service=None, deps=HelpDeps(kernel.registry))


FEATURE = Feature("help", __name__, build)
