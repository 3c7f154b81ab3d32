"""The live thread's life: start, join codes, channels, detach, stop — through the console and the dispatcher."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.app import App
from bot.core.clock import ManualClock
from bot.features.live.commands import LiveDeps
from bot.features.live.domain import CODE_LIFETIME, normalize_code
from tests.helpers import ConsoleSession, member

SPACE = "console:local"
ALICE = member("alice", staff=True)
CODE = re.compile(r"LIVE-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def started(console: ConsoleSession) -> str:
    """An event and its live thread started in the console's channel; the join code handed to staff."""
    await console.say('/event create "Rencontre TMN" --start "30 juin 9h30" --end "17h" --onsite 10')
    out = await console.say("/live start 1")
    assert "🔴 En direct · #1 · Rencontre TMN" in out
    found = CODE.search(out)
    assert found, out
    return found.group(0)


async def join(app: App, channel: str, code: str, who: str = "alice") -> str:
    """Staff (or not) typing /live join in another channel of the space; the reply's text."""
    reply = await app.dispatcher.invoke_text(SPACE, channel, member(who, staff=who == "alice"), f"live join {code}")
    return reply.text or ""


async def test_a_started_thread_hands_out_single_use_codes(app: App, console: ConsoleSession) -> None:
    """The code attaches one channel once; a reused, wrong or malformed code is refused clearly."""
    code = await started(console)
    assert "suit maintenant le fil en direct #1" in await join(app, "lyon", code.lower())
    assert "déjà servi" in await join(app, "nantes", code)
    assert "n'est pas un code valide" in await join(app, "nantes", "LIVE-2222")
    assert "expiré" not in await join(app, "nantes", "LIVE-AAAA-BBBB")  # well formed but unknown
    assert "n'est pas un code valide" in await join(app, "nantes", "LIVE-AAAA-BBBB")
    out = await console.say("/live channels")
    assert "1. Console · console:local · general" in out and "2. Console · console:local · lyon" in out


async def test_codes_expire(app: App, console: ConsoleSession) -> None:
    """A code older than its lifetime is refused as expired."""
    code = await started(console)
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(CODE_LIFETIME + timedelta(seconds=1))
    assert "a expiré" in await join(app, "lyon", code)


async def test_only_staff_steer_the_thread(app: App, console: ConsoleSession) -> None:
    """Members cannot start, join, list, detach or stop; they can ask what is live."""
    code = await started(console)
    await console.say("/as bob")
    for line in ("/live start 1", "/live channels", "/live detach 1", "/live stop", "/live code"):
        assert "Seule l'équipe" in await console.say(line), line
    assert "Seule l'équipe" in await join(app, "lyon", code, who="bob")
    assert "En direct : #1 · Rencontre TMN, suivi dans 1 salon(s)" in await console.say("/live status")


async def test_one_thread_per_channel_and_per_event(app: App, console: ConsoleSession) -> None:
    """A channel follows one thread at a time, and an event has one running thread."""
    await started(console)
    assert "déjà rattaché à ce salon" in await console.say("/live start 1")
    reply = await app.dispatcher.invoke_text(SPACE, "lyon", ALICE, "live start 1")
    assert "déjà lancé" in (reply.text or "")


async def test_detach_then_stop_posts_the_summary_where_it_is_still_attached(app: App, console: ConsoleSession) -> None:
    """A detached channel is no longer listed; stopping posts the summary and nothing is live afterwards."""
    code = await started(console)
    await join(app, "lyon", code)
    assert "Salon n°2 (Console) détaché" in await console.say("/live detach 2")
    assert "lyon" not in await console.say("/live channels")
    spare = CODE.search(await console.say("/live code"))
    assert spare is not None
    out = await console.say("/live stop")
    deps = app.units["live"].deps
    assert isinstance(deps, LiveDeps)
    await deps.stage.relay.idle()  # the summary was queued with the stop; its sender posts it
    out += await console.say()
    assert "Bilan du direct · #1 · Rencontre TMN" in out and "terminé : le bilan est publié dans 1 salon(s)" in out
    assert "Rien en direct" in await console.say("/live status")
    assert "fil en direct est terminé" in await join(app, "nantes", spare.group(0))  # unused, but its thread ended


def test_codes_are_read_as_people_type_them() -> None:
    """Case, spaces, dashes and the LIVE prefix do not matter; ambiguous letters are not codes."""
    assert normalize_code("live 7k3q xh2p") == "LIVE-7K3Q-XH2P"
    assert normalize_code("7K3QXH2P") == "LIVE-7K3Q-XH2P"
    assert normalize_code("LIVE-7K3Q-XH2O") == ""  # O is not in the alphabet
    assert normalize_code("LIVE-7K3Q") == ""


async def test_a_channel_is_free_again_once_its_thread_stopped(app: App, console: ConsoleSession) -> None:
    """After /live stop, the same channel can start the next event's thread."""
    await started(console)
    await console.say("/live stop")
    await console.say('/event create "Rencontre 2" --start "1 juillet 9h30" --end "17h"')
    assert "🔴 En direct · #2 · Rencontre 2" in await console.say("/live start 2")
