"""The dependency rule: only adapters know the platforms."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).resolve().parents[1] / "bot"
PLATFORM_LIBRARIES = {"discord", "slack_bolt", "slack_sdk"}


def imported_roots(path: Path) -> set[str]:
    """Top-level packages a module imports, anywhere in it (functions included)."""
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_platform_import_outside_adapters() -> None:
    """bot/core, bot/commands, bot/store… never import discord, slack_bolt or slack_sdk."""
    offenders = [
        str(path.relative_to(BOT.parent))
        for path in BOT.rglob("*.py")
        if "adapters" not in path.relative_to(BOT).parts[:1] and imported_roots(path) & PLATFORM_LIBRARIES
    ]
    assert offenders == []


def test_the_check_sees_a_violation(tmp_path: Path) -> None:
    """The rule above can fail: a module importing discord is caught."""
    module = tmp_path / "leak.py"
    module.write_text("def f():\n    from discord import ui\n", encoding="utf-8")
    assert imported_roots(module) & PLATFORM_LIBRARIES == {"discord"}


def test_core_is_importable_without_platform_libraries() -> None:
    """Importing the app does not drag in the platform libraries (console start-up stays light)."""
    import subprocess
    import sys

    code = "import sys, bot.app, bot.cli; print(sorted(m for m in ('discord','slack_bolt','slack_sdk') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=BOT.parent)
    assert out.stdout.strip() == "[]"


def test_idea_rules_decide_notices_and_leave_wording_to_views() -> None:
    """The idea domain returns Notices: it neither translates nor builds replies (its views do, after the commit)."""
    tree = ast.parse((BOT / "features" / "ideas" / "domain.py").read_text(encoding="utf-8"))
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    modules |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert not {module for module in modules if module.startswith(("bot.i18n", "bot.ui"))}
