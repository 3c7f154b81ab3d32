"""Showing a live thread in channels: its header message, the platform thread under it, and listening there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.delivery import DeliveryHub
from bot.core.errors import UserError
from bot.core.livecards import LiveCards
from bot.core.model import Member, platform_of
from bot.core.spaces import SpaceDirectory
from bot.core.subscriptions import Subscriptions
from bot.features.events.domain import Event
from bot.features.live.domain import FEATURE, LiveChannel, LiveService, LiveThread, Started
from bot.features.live.engage import Summary
from bot.features.live.views import header_card
from bot.i18n import Translator
from bot.ui import Reply


@dataclass(frozen=True)
class Host:
    """Puts a live thread on screen in a channel and takes it off: header, thread, subscription."""

    live: LiveService
    delivery: DeliveryHub
    cards: LiveCards
    subscriptions: Subscriptions
    spaces: SpaceDirectory
    summary_of: Callable[[LiveThread], Awaitable[Summary]] | None = None  # questions, polls, figures (engage)

    async def start(self, space: str, channel: str, by: Member, event_ref: str) -> Started:
        """Start a live thread for an event here: header, thread, listening, and a first join code."""
        self.delivery.require(space, "inbound")
        live, event = await self.live.begin(space, channel, by, event_ref)
        attached = await self.show(live, event, space, channel, by)
        return Started(live, attached, await self.live.issue_code(live, by))

    async def join(self, space: str, channel: str, by: Member, code: str) -> tuple[LiveThread, LiveChannel]:
        """Attach this channel to the thread a join code opens."""
        self.delivery.require(space, "inbound")
        live = await self.live.redeem(space, channel, by, code)
        attached = await self.show(live, await self.live.event_of(live), space, channel, by)
        return live, attached

    async def show(self, live: LiveThread, event: Event, space: str, channel: str, by: Member) -> LiveChannel:
        """Post the header in a channel, open the thread under it (the console uses the channel), listen there."""
        card = header_card(live, event, await self.live.channels(live), Translator(self.spaces(space).locale))
        header = await self.delivery.post(space, channel, Reply(card=card, public=True))
        if header is None:
            raise UserError("live.cannot_post")
        thread = None
        # The console's rehearsal plays the thread in the channel itself, where plain lines are posted.
        if platform_of(space) != "console":
            opened = await self.delivery.open_thread(space, channel, header, event.title[:90])
            if opened is None:
                raise UserError("live.cannot_open_thread")
            thread = opened.thread
        attached = await self.live.attach(live, space, channel, thread, header.message_id, by)
        await self.cards.attach(live.subject, header)
        await self.subscriptions.subscribe(FEATURE, space, channel, thread)
        self.cards.touch(live.subject)  # every header now counts one more channel
        return attached

    async def hide(self, live: LiveThread, channel: LiveChannel) -> None:
        """Stop listening in a channel (its header and copies stay, as a record)."""
        await self.subscriptions.unsubscribe(FEATURE, channel.space, channel.channel, channel.thread)

    async def summarize(self, live: LiveThread) -> None:
        """A thread stopped: freeze the headers now (its summary was queued with the stop, posts_sqlite.py)."""
        await self.cards.flush_now(live.subject)
