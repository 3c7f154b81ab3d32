"""The continuous live thread of an event, followed together from Slack, Discord and the console."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.live.commands import LiveDeps
from bot.features.live.domain import LiveService
from bot.features.live.hosting import Host
from bot.features.live.relay_sqlite import SqliteRelayStore
from bot.features.live.relaying import Relay
from bot.features.live.sqlite import SqliteLiveStore
from bot.features.live.store import LiveStore
from bot.features.live.views import header_card
from bot.i18n import Translator
from bot.ui import Card


def build(kernel: Kernel, store: LiveStore, built: Built) -> Unit:
    """The live service, its host (headers, threads, listening) and its live header card."""
    events = built["events"].service
    assert isinstance(events, EventService)
    live = LiveService(store, events, kernel.clock)
    host = Host(live, kernel.delivery, kernel.cards, kernel.subscriptions, kernel.spaces)

    async def render_header(subject: str) -> Card | None:
        """A header, in its space's language (every attached channel shows the same state)."""
        found = await store.get(subject_id(subject))
        if found is None:
            return None
        event = await live.event_of(found)
        return header_card(found, event, await live.channels(found), Translator(kernel.spaces(found.space).locale))

    relay = Relay(SqliteRelayStore(kernel.db), kernel.delivery, kernel.clock)  # relay.py, relaying.py
    kernel.delivery.on_register.append(relay.on_register)

    return Unit(
        service=live, deps=LiveDeps(live, host), renderers={"livehead": render_header},
        on_start=(relay.start,), on_stop=(relay.stop,), on_message=relay.on_message,
    )  # fmt: skip


FEATURE = Feature("live", __name__, build, store=SqliteLiveStore)
