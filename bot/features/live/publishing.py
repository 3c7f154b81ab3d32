"""The bot's queued posts in a live thread, rendered when they are sent, in each target channel's language.

What to post was decided and queued with the change (posts_sqlite.py); the relay's per-channel sender
claims it and asks this presenter for the message. Cards render the subject's state at send time (a
question asked while Discord was away shows its upvotes so far), then their copies are kept live.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.core.livecards import LiveCards
from bot.core.model import MessageRef
from bot.core.spaces import SpaceDirectory
from bot.features.live.domain import LiveService
from bot.features.live.engage import Engage
from bot.features.live.posts_sqlite import SqliteItemStore
from bot.features.live.relaying import ClaimedItem
from bot.features.live.views import summary_card
from bot.i18n import Translator
from bot.ui import Card, Reply

CardRenderer = Callable[[str], Awaitable[Card | None]]


class Publisher:
    """Renders the bot's queued posts (relaying.Presenter) and tracks the live cards they show."""

    def __init__(
        self, live: LiveService, engage: Engage, items: SqliteItemStore, cards: LiveCards, spaces: SpaceDirectory,
        card_renderers: Mapping[str, CardRenderer],
    ) -> None:  # fmt: skip
        self.live = live
        self.engage = engage
        self.items = items
        self.cards = cards
        self.spaces = spaces
        self.card_renderers = card_renderers

    async def render(self, item: ClaimedItem) -> Reply | None:
        """The message for one target channel; None when there is nothing left to show."""
        if item.subject is not None:
            render = self.card_renderers.get(item.subject.split(":", 1)[0])
            card = None if render is None else await render(item.subject)
            return None if card is None else Reply(card=card)
        _ = Translator(self.spaces(item.target.space).locale)
        params = item.params
        if item.kind == "announcement":
            return Reply(text=_("live.announcement", text=params["text"]))
        if item.kind == "checkin":
            return Reply(text=_("live.checkin", antenna=params["antenna"], count=params["count"]))
        if item.kind == "session":
            return Reply(text=_("live.session_start", number=params["number"], title=params["title"],
                                room=params["room"] or "—"))  # fmt: skip
        if item.kind == "summary":
            live = await self.live.store.get(item.thread_id)
            if live is None:
                return None
            channels = await self.items.channels(item.item_id)
            summary = await self.engage.summary(live)
            return Reply(card=summary_card(live, await self.live.event_of(live), channels, _, summary))
        return None

    async def shown(self, item: ClaimedItem, ref: MessageRef) -> None:
        """A card's copy was posted: later changes edit it too."""
        if item.subject is not None:
            await self.cards.attach(item.subject, ref)
