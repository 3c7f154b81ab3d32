"""Routes what the core sends to the adapter of the right platform, and says what that adapter can do."""

from __future__ import annotations

import logging
from collections.abc import Callable

from bot.core.errors import UserError
from bot.core.model import Member, MessageRef, platform_of
from bot.core.ports import NO_CAPABILITIES, Capabilities, Capability, Delivery, Members, Threads
from bot.ui import Card, Reply

log = logging.getLogger(__name__)

BASIC = Capabilities(edits=True)  # what the Delivery port alone promises: post, edit, private messages
MISSING: dict[Capability, str] = {  # the message a member gets when a feature needs what the platform lacks
    "threads": "capability.missing.threads",
    "inbound": "capability.missing.inbound",
    "edits": "capability.missing.edits",
    "members": "capability.missing.members",
}


class DeliveryHub:
    """A Delivery that forwards to one messenger per platform ("slack", "discord", "console")."""

    def __init__(self) -> None:
        self._messengers: dict[str, Delivery] = {}
        self._capabilities: dict[str, Capabilities] = {}
        self.on_register: list[Callable[[str], None]] = []  # e.g. wake up: sends held back for it can go now

    def register(self, platform: str, messenger: Delivery, capabilities: Capabilities = BASIC) -> None:
        """Send messages of spaces on `platform` through `messenger`, which can do what `capabilities` say."""
        if capabilities.threads and not isinstance(messenger, Threads):
            raise TypeError(f"{platform}: declares threads but has no open_thread")
        if capabilities.members and not isinstance(messenger, Members):
            raise TypeError(f"{platform}: declares members but cannot list them")
        self._messengers[platform] = messenger
        self._capabilities[platform] = capabilities
        for listener in self.on_register:
            listener(platform)

    def unregister(self, platform: str, messenger: Delivery) -> None:
        """Stop routing to `messenger` (its adapter is stopping; a newer one may have replaced it)."""
        if self._messengers.get(platform) is messenger:
            del self._messengers[platform]
            del self._capabilities[platform]

    def ready(self, space: str) -> bool:
        """Whether an adapter is running for the platform of `space` (before that, sends would be lost)."""
        return platform_of(space) in self._messengers

    def capabilities(self, space: str) -> Capabilities:
        """What the adapter running for the platform of `space` can do (nothing when none is running)."""
        return self._capabilities.get(platform_of(space), NO_CAPABILITIES)

    def require(self, space: str, *needed: Capability) -> None:
        """Refuse, with a message the member can read, what the platform of `space` cannot do."""
        capabilities = self.capabilities(space)
        for capability in needed:
            if not capabilities.has(capability):
                raise UserError(MISSING[capability])

    def _for(self, space: str) -> Delivery | None:
        messenger = self._messengers.get(platform_of(space))
        if messenger is None:
            log.warning("no adapter running for space=%s", space)
        return messenger

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Post in a channel of `space`."""
        messenger = self._for(space)
        return None if messenger is None else await messenger.post(space, channel, reply)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """Replace the card of a message."""
        messenger = self._for(ref.space)
        if messenger is not None:
            await messenger.edit(ref, card)

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """Replace the text of a message."""
        messenger = self._for(ref.space)
        if messenger is not None:
            await messenger.edit_text(ref, reply)

    async def delete(self, ref: MessageRef) -> None:
        """Delete a message."""
        messenger = self._for(ref.space)
        if messenger is not None:
            await messenger.delete(ref)

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """Send a private message; False when it could not be delivered."""
        messenger = self._for(space)
        return False if messenger is None else await messenger.send_private(space, member, reply)

    async def open_thread(self, space: str, channel: str, parent: MessageRef, name: str) -> MessageRef | None:
        """Open a thread on `parent`; a UserError when the platform of `space` has no threads."""
        self.require(space, "threads")
        messenger = self._messengers[platform_of(space)]
        assert isinstance(messenger, Threads)  # register() checked it
        return await messenger.open_thread(space, channel, parent, name)

    def _members(self, space: str) -> Members:
        """The adapter listing members for `space`; a UserError when its platform cannot."""
        self.require(space, "members")
        messenger = self._messengers[platform_of(space)]
        assert isinstance(messenger, Members)  # register() checked it
        return messenger

    async def channel_members(self, space: str, channel: str) -> list[Member] | None:
        """The people in a channel of `space` (None: no such channel); a UserError when the platform cannot list them."""
        return await self._members(space).channel_members(space, channel)

    async def group_members(self, space: str, group: str) -> list[Member] | None:
        """The people in a group of `space` (None: no such group); a UserError when the platform cannot list them."""
        return await self._members(space).group_members(space, group)
