"""A terminal chat: type commands as one member at a time, click numbered buttons."""

from __future__ import annotations

import asyncio
import codecs
import itertools
import logging
import os
import re
import secrets
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO

from bot.adapters.console.render import Choice, choice_labels, render_card, shown
from bot.app import App
from bot.commands.parsing import split_words
from bot.core.errors import UserError
from bot.core.model import Action, InboundMessage, Member, MessageRef, platform_of
from bot.core.ports import Capabilities
from bot.core.text import ascii_number
from bot.core.when import format_when, parse_when
from bot.i18n import Translator
from bot.ui import Attachment, Card, Reply

CHANNEL = "general"
CAPABILITIES = Capabilities(threads=True, inbound=True, edits=True, members=True)  # members: those seen typing
CARDS_KEPT = 100  # cards with buttons that /click can still reach
CONSOLE_COMMANDS = ("as", "space", "click", "clock", "thread", "quit")
# The spaces the console can play: its own, and Slack workspaces and Discord servers it stands in for.
SPACE_KEY = re.compile(r"(console|slack|discord):[A-Za-z0-9_.-]{1,40}")
CHANNEL_NAME = re.compile(r"#?([\w-]{1,80})")
STAFF_GROUP = ("staff", "équipe")  # the one group the console knows: its staff members


@dataclass(frozen=True)
class ShownCard:
    """A card with buttons as printed: who could see it (None: everyone) and what its numbers press."""

    title: str
    viewer: str | None  # a member key; None: a public card, anyone in its space may click
    choices: list[Choice]
    labels: list[str]
    space: str
    channel: str | None  # where a click acts from; None (a private message): where the member is


log = logging.getLogger(__name__)


async def stdin_lines() -> AsyncIterator[str]:
    """Lines of standard input, TTY, pipe or file, without blocking the loop or the process's exit."""
    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    # A daemon thread: a read blocked on an open but silent stdin must not hold the exit
    # (SIGTERM under a supervisor), as the loop's executor threads would.
    threading.Thread(target=_forward_stdin, args=(loop, lines), name="phosphore-stdin", daemon=True).start()
    while (line := await lines.get()) is not None:
        yield line


def _forward_stdin(loop: asyncio.AbstractEventLoop, lines: asyncio.Queue[str | None]) -> None:
    """Read standard input's descriptor and hand each line to the loop; None at its end."""
    # os.read on the descriptor, not sys.stdin: a daemon thread blocked inside sys.stdin's
    # buffer holds its lock, which the interpreter then fails to take when it shuts down.
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    pending = ""
    try:
        while chunk := os.read(sys.stdin.fileno(), 65536):
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for line in complete:
                loop.call_soon_threadsafe(lines.put_nowait, line + "\n")
        pending += decoder.decode(b"", final=True)
        if pending:
            loop.call_soon_threadsafe(lines.put_nowait, pending)
        loop.call_soon_threadsafe(lines.put_nowait, None)
    except (OSError, ValueError, RuntimeError):  # no stdin, or the loop has already closed
        return


class ConsoleAdapter:
    """Drives the dispatcher from text lines and prints what the bot shows."""

    def __init__(self, app: App, out: TextIO = sys.stdout) -> None:
        settings = app.services.settings
        self.app = app
        self.out = out
        self.space: str = settings["console.space"]
        self.channel = CHANNEL
        self.thread: str | None = None  # where plain lines go: a thread of the channel, or the channel itself
        self.staff = set(settings["console.staff"])
        self.files = Path(settings["console.files"])  # where files that are not text are written
        self.member = self._member(settings["console.member"])
        self._ = Translator(app.services.spaces(self.space).locale)
        self._ids = itertools.count(1)
        self._cards: list[ShownCard] = []
        self._platforms: set[str] = set()  # the platforms whose posts the console prints
        self._spaces: set[str] = set()  # the spaces played so far: from two on, every post says where it is
        self._seen: dict[tuple[str, str], dict[str, Member]] = {}  # (space, channel) -> who typed there, in order
        app.services.delivery.register("console", self, CAPABILITIES)
        self._platforms.add("console")
        self._play(self.space)

    def _play(self, space: str) -> bool:
        """Receive what the bot sends to `space`'s platform; False when a real adapter serves it in this process."""
        platform = platform_of(space)
        if platform not in self._platforms:
            if self.app.services.delivery.ready(space):
                return False  # the real Slack or Discord adapter runs here: its spaces are real ones
            self.app.services.delivery.register(platform, self, CAPABILITIES)
            self._platforms.add(platform)
        self._spaces.add(space)
        return True

    @property
    def several(self) -> bool:
        """Whether the console has played more than one space: posts then always say where they are."""
        return len(self._spaces) > 1

    @staticmethod
    def where(space: str, channel: str, thread: str | None = None) -> str:
        """A place as printed: `[discord:demo #salon ↳ Rencontre]`."""
        return f"[{space} #{channel}" + (f" ↳ {thread}" if thread else "") + "]"

    def _placed(self, space: str, channel: str) -> bool:
        """Whether a post must say where it is: several spaces played, or not the member's own channel."""
        return self.several or (space, channel) != (self.space, self.channel)

    def prompt(self) -> str:
        """`alice> `, or with several spaces played `alice [discord:demo #salon]> `."""
        if not self.several:
            return f"{self.member.name}> "
        return f"{self.member.name} {self.where(self.space, self.channel, self.thread)}> "

    def _member(self, name: str) -> Member:
        """A member of the current space (`discord:bob` in a Discord space); staff by name in every space."""
        return Member(f"{platform_of(self.space)}:{name}", name, is_staff=name in self.staff)

    def print(self, text: str = "") -> None:
        """Write a line of output."""
        print(text, file=self.out, flush=True)

    async def run(self, lines: AsyncIterator[str], interactive: bool = False) -> None:
        """Handle lines until they end or `/quit`."""
        self.print(self._("console.welcome", member=self.member.name))
        if interactive:
            self.out.write(self.prompt())
            self.out.flush()
        async for line in lines:
            if not interactive and line.strip():
                # Piped input is not echoed by a terminal: without this, a replayed file's
                # output could not be matched to the commands that produced it.
                self.print(f"{self.prompt()}{line.strip()}")
            if not await self._handle_safely(line.strip()):
                break
            if interactive:
                self.out.write(self.prompt())
                self.out.flush()

    async def _handle_safely(self, line: str) -> bool:
        """Handle one line; a failure is logged with an incident id and reported, and the session goes on."""
        try:
            return await self.handle(line)
        except Exception:
            incident = secrets.token_hex(4)
            log.exception("incident %s in the console member=%s", incident, self.member.key)
            self.print(self._("error.internal", incident=incident))
            return True

    async def handle(self, line: str) -> bool:
        """Handle one line; False means quit."""
        if not line or line.startswith("#"):
            return True
        word, _, rest = line.partition(" ")
        if word in ("/quit", "/exit"):
            return False
        if word == "/as":
            return self._switch(rest.strip())
        if word == "/space":
            self._enter_space(rest.strip())
            return True
        if word == "/click":
            await self._click(rest.strip())
            return True
        if word == "/clock":
            await self._clock(rest.strip())
            return True
        if word == "/thread":
            self._enter_thread(rest.strip())
            return True
        self._seen.setdefault((self.space, self.channel), {})[self.member.key] = self.member
        if not line.startswith("/"):
            await self._say(line)
            return True
        reply = await self.app.dispatcher.invoke_text(self.space, self.channel, self.member, line[1:])
        await self.show(self._with_console_help(line[1:], reply))
        return True

    def _with_console_help(self, text: str, reply: Reply) -> Reply:
        """`/help` also lists the console's own commands, which only this adapter knows."""
        try:
            path, args = self.app.dispatcher.parse_text(text)
        except UserError:
            return reply
        if path != "help me" or args or reply.card is None:
            return reply
        lines = [self._(f"console.help.{name}") for name in CONSOLE_COMMANDS]
        block = self._("console.help.title") + "\n" + "\n".join(lines)
        return replace(reply, card=replace(reply.card, text=(*reply.card.text, block)))

    def _switch(self, name: str) -> bool:
        if not name or not name.isidentifier():
            self.print(self._("console.as_usage"))
            return True
        self.member = self._member(name)
        key = "console.now_as_staff" if self.member.is_staff else "console.now_as"
        self.print(self._(key, member=name))
        return True

    def _enter_space(self, text: str) -> None:
        """`/space discord:demo [#salon]`: act in that space (and channel) from now on, as the same person."""
        words = text.split()
        channel = CHANNEL_NAME.fullmatch(words[1]) if len(words) == 2 else None
        if not 1 <= len(words) <= 2 or not SPACE_KEY.fullmatch(words[0]) or (len(words) == 2 and channel is None):
            self.print(self._("console.space_usage", space=self.where(self.space, self.channel, self.thread)))
            return
        space = words[0]
        if not self._play(space):
            self.print(self._("console.space_served", space=space, platform=platform_of(space)))
            return
        self.space, self.channel, self.thread = space, channel.group(1) if channel else CHANNEL, None
        self.member = self._member(self.member.name)
        self._ = Translator(self.app.services.spaces(space).locale)
        key = "console.space_now_staff" if self.member.is_staff else "console.space_now"
        self.print(self._(key, member=self.member.key, place=self.where(self.space, self.channel)))

    def _enter_thread(self, name: str) -> None:
        """`/thread NAME`: later plain lines are posted in that thread; `/thread` alone: back to the channel."""
        self.thread = name or None
        self.print(self._("console.thread_now", thread=name) if name else self._("console.thread_left"))

    async def _say(self, text: str) -> None:
        """A plain line is a message posted where the member is; it goes to the features listening there."""
        message_id = f"m{next(self._ids)}"
        message = InboundMessage(
            self.space, self.channel, self.thread, self.member, text, (), message_id, "posted",
            self.app.services.clock.now(),
        )  # fmt: skip
        listening = self.app.services.subscriptions.listeners(message)
        if not await self.app.dispatcher.receive(message) and not listening:
            self.print(self._("console.not_a_command"))  # nobody listens here: they probably meant a command

    async def _click(self, text: str) -> None:
        """`/click N` presses N on the latest card I can see; `/click #REF N` on the latest card about #REF."""
        words = text.split()
        ref = words.pop(0) if len(words) == 2 and words[0].startswith("#") else None
        if len(words) != 1:
            self.print(self._("console.click_usage"))
            return
        card = self._card_to_click(ref)
        if card is None:
            self.print(self._("console.click_no_card_ref", ref=ref) if ref else self._("console.click_no_card"))
            return
        number = ascii_number(words[0])
        if number is None or not 1 <= number <= len(card.choices):
            self.print(self._("console.click_range", count=len(card.choices), title=card.title))
            return
        self.print(self._("console.clicked", number=number, label=card.labels[number - 1], title=card.title))
        action_id, values = card.choices[number - 1]
        # A click acts from the channel its card is in, as on the platforms.
        channel = card.channel or self.channel
        reply = await self.app.dispatcher.act(Action(self.space, channel, self.member, action_id, values))
        await self.show(reply)

    def _card_to_click(self, ref: str | None) -> ShownCard | None:
        """The latest card with buttons the acting member could see in their space, about `#ref` if given."""
        mine = [
            card
            for card in reversed(self._cards)
            if card.space == self.space and card.viewer in (None, self.member.key)
        ]
        if ref is not None:
            about = re.compile(rf"{re.escape(ref)}(?!\d)")
            mine = [card for card in mine if about.search(card.title)]
        return mine[0] if mine else None

    async def _clock(self, text: str) -> None:
        """`/clock` shows the bot's time; `/clock +1d` or `/clock "29 juin 9h30"` moves it forward and runs what fell due."""
        clock = self.app.services.clock
        tz = self.app.services.spaces(self.space).tz
        if text:
            mover = getattr(clock, "set", None)
            if mover is None:
                self.print(self._("console.clock.fixed"))
                return
            try:
                # A year-less date already past must not float to next year and run a year of schedule.
                moment = parse_when(" ".join(split_words(text)), now=clock.now(), tz=tz, locale=self._.locale,
                                    allow_past=True, next_year=False)  # fmt: skip
            except UserError as error:
                self.print(self._(error.key, **error.params))
                return
            if moment < clock.now():
                self.print(self._("console.clock.backwards", now=format_when(clock.now(), tz=tz, locale=self._.locale)))
                return
            mover(moment)
        self.print(self._("console.clock.now", now=format_when(clock.now(), tz=tz, locale=self._.locale)))
        if text:
            await self.app.services.wakeups.clock_moved()

    async def show(self, reply: Reply) -> None:
        """Print a reply: public cards are posted (and tracked), private ones marked."""
        if reply.public:
            ref = await self.post(self.space, self.channel, reply)
            if ref is not None:
                await self.app.dispatcher.posted(reply, ref)
            return
        self._print_private(self.space, self.member.key, reply, channel=self.channel)

    def _print_private(self, space: str, member: str, reply: Reply, channel: str | None = None) -> None:
        """A reply only `member` sees: to the acting member in `channel` (ephemeral), else a private message."""
        if member == self.member.key and channel is not None:
            marker = self._("console.private_self")
        else:
            # With several spaces played, `discord:bob` and `console:bob` are two people.
            name = member if self.several else member.split(":", 1)[-1]
            marker = self._("console.private_to", member=name)
        if reply.text:
            self.print(f"{marker} {shown(reply.text)}")
        if reply.card:
            self.print(marker)
            self._print_card(reply.card, space, channel, viewer=member)
        if reply.modal:
            self.print(f"{marker} {reply.modal.usage}")
        for attachment in reply.files:
            if attachment.mime_type.startswith("text/") and attachment.mime_type != "text/html":
                self.print(f"📎 {attachment.filename}")
                self.print(attachment.content.decode("utf-8-sig").rstrip())  # no BOM on a terminal
            else:  # a picture or a page cannot be printed: it goes to a file
                self.print(f"📎 {self._save(attachment)}")

    def _save(self, attachment: Attachment) -> Path:
        """Write a file the terminal cannot show in the console's folder; its path."""
        self.files.mkdir(parents=True, exist_ok=True)
        path = self.files / Path(attachment.filename).name  # the name only: never outside the folder
        path.write_bytes(attachment.content)
        return path

    def _print_card(
        self, card: Card, space: str, channel: str | None, marker: str = "", viewer: str | None = None
    ) -> None:
        lines, choices = render_card(card, lambda name, value: self._("console.field", name=name, value=value))
        if choices:
            shown_card = ShownCard(shown(card.title), viewer, choices, choice_labels(card), space, channel)
            self._cards = [*self._cards[-CARDS_KEPT + 1 :], shown_card]
        for line in lines:
            self.print(marker + line)

    async def post(self, space: str, channel: str, reply: Reply) -> MessageRef | None:
        """Print a public message (marked with its thread, if in one); it gets a message id so live updates can find it."""
        ref = MessageRef(space, channel, f"m{next(self._ids)}", reply.thread)
        if self._placed(space, channel):
            # Another channel, space or platform: say which, so each side of a live thread can be read.
            where = self.where(space, channel, reply.thread)
            if reply.text:
                self.print(f"{where} {reply.text}")
            if reply.card:
                self.print(where)
                self._print_card(reply.card, space, channel)
            return ref
        marker = f"  ↳ [{reply.thread}] " if reply.thread else ""
        if reply.text:
            self.print(marker + shown(reply.text))
        if reply.card:
            self._print_card(reply.card, space, channel, marker)
        return ref

    async def open_thread(self, space: str, channel: str, parent: MessageRef, name: str) -> MessageRef | None:
        """A console thread is named: what is posted in it is printed with that name."""
        self.print(self.where(space, channel, name) if self._placed(space, channel) else f"  ↳ [{name}]")
        return MessageRef(space, channel, parent.message_id, name)

    async def edit(self, ref: MessageRef, card: Card) -> None:
        """A live card changed: one line, so a burst of votes does not flood the terminal."""
        where = f"{self.where(ref.space, ref.channel, ref.thread)} " if self._placed(ref.space, ref.channel) else ""
        self.print(f"↻ {where}{shown(card.title)}" + (f" — {shown(card.footer)}" if card.footer else ""))

    async def edit_text(self, ref: MessageRef, reply: Reply) -> None:
        """A posted message was edited: one line marked ✎."""
        self.print(f"✎ {shown(reply.text or '')}")

    async def delete(self, ref: MessageRef) -> None:
        """A posted message was deleted: one line marked ✗."""
        self.print(f"✗ {ref.message_id}")

    async def send_private(self, space: str, member: str, reply: Reply) -> bool:
        """A private message to someone, shown with the recipient's name."""
        self._print_private(space, member, reply)
        return True

    async def channel_members(self, space: str, channel: str) -> list[Member] | None:
        """The members known in a channel: those who typed there (the console has no member list)."""
        name = CHANNEL_NAME.fullmatch(channel)
        seen = self._seen.get((space, name.group(1))) if name else None
        return None if seen is None else [Member(m.key, m.name) for m in seen.values()]

    async def group_members(self, space: str, group: str) -> list[Member] | None:
        """The console knows one group, its staff: the staff members who typed in the space."""
        if group.removeprefix("@").casefold() not in STAFF_GROUP:
            return None
        known = {m.key: m for (where, _), seen in self._seen.items() if where == space for m in seen.values()}
        return [Member(m.key, m.name) for m in known.values() if m.is_staff]
