"""The continuous live thread of an event, followed together from Slack, Discord and the console."""

from __future__ import annotations

from bot.core.livecards import subject_id
from bot.core.model import InboundMessage
from bot.feature import Built, Feature, Kernel, Unit
from bot.features.events.domain import EventService
from bot.features.live.commands import LiveDeps
from bot.features.live.domain import LiveService, LiveThread
from bot.features.live.engage import Engage, live_poll_subject
from bot.features.live.engage_hosting import Stage
from bot.features.live.engage_sqlite import SqliteEngageStore
from bot.features.live.engage_views import LIVE_VOTE, question_card
from bot.features.live.hosting import Host
from bot.features.live.posts_sqlite import SqliteItemStore
from bot.features.live.publishing import Publisher
from bot.features.live.relay_sqlite import SqliteRelayStore
from bot.features.live.relaying import Relay
from bot.features.live.sqlite import SqliteLiveStore
from bot.features.live.store import LiveStore
from bot.features.live.views import header_card
from bot.features.polls.domain import Poll, PollService
from bot.features.polls.views import poll_card
from bot.i18n import Translator
from bot.scheduler import Source
from bot.ui import Card
from bot.web.links import Links, SqliteLinkStore


def build(kernel: Kernel, store: LiveStore, built: Built) -> Unit:
    """The live service, its host (headers, threads, listening), what members do there, and their live cards."""
    events = built["events"].service
    polls = built["polls"].service
    assert isinstance(events, EventService) and isinstance(polls, PollService)
    live = LiveService(store, events, kernel.clock)
    engage = Engage(SqliteEngageStore(kernel.db), live, events, polls, kernel.cards, kernel.clock)
    host = Host(live, kernel.delivery, kernel.cards, kernel.subscriptions, kernel.spaces, engage.summary)

    async def render_header(subject: str) -> Card | None:
        """A header, in its space's language (every attached channel shows the same state)."""
        found = await store.get(subject_id(subject))
        if found is None:
            return None
        event = await live.event_of(found)
        _ = Translator(kernel.spaces(found.space).locale)
        return header_card(found, event, await live.channels(found), _, await engage.figures(found))

    async def render_question(subject: str) -> Card | None:
        """A question's copies, in the thread's language."""
        question = await engage.store.question(subject_id(subject))
        found = None if question is None else await store.get(question.thread_id)
        if question is None or found is None:
            return None
        return question_card(question, Translator(kernel.spaces(found.space).locale))  # one language everywhere

    async def render_poll(subject: str) -> Card | None:
        """A thread poll's copies: the poll's card, voting through the live route."""
        poll = await polls.store.get_poll(subject_id(subject))
        live_id = None if poll is None else await engage.store.poll_thread(poll.id)
        found = None if live_id is None else await store.get(live_id)
        if poll is None or found is None:
            return None
        space = kernel.spaces(poll.space)
        return poll_card(poll, await polls.tally(poll), Translator(kernel.spaces(found.space).locale), space.tz,
                         kernel.clock.now(), route=LIVE_VOTE)  # fmt: skip

    async def poll_closed(poll: Poll) -> None:
        """A thread poll closed (by /poll close or its time): every copy freezes now."""
        thread_id = await engage.store.poll_thread(poll.id)
        if thread_id is not None:
            await kernel.cards.flush_now(live_poll_subject(poll.id))
            live.notify(thread_id)

    async def started(thread: LiveThread) -> None:
        """A thread started: wake up at each of its workshops' starts."""
        for session in (await engage.sessions(thread))[1]:
            if session.starts_at > kernel.clock.now():
                kernel.wakeups.wake_at(session.starts_at)

    async def announce_sessions() -> None:
        """Announce the workshops that start now in their event's running threads (claimed and queued once each)."""
        if await engage.due_sessions():
            await relay.wake()

    async def antenna_of(message: InboundMessage) -> str | None:
        """The antenna a member follows the thread's event from: their (remote) sign-up's, when active."""
        found = None if message.member is None else await store.attached(message.space, message.channel)
        if found is None or message.member is None:
            return None
        signup = await events.signup_of(await live.event_of(found[0]), message.member)
        return signup.antenna if signup is not None and signup.active else None

    # The bot's own posts are queued with their change and sent by the relay's per-channel senders.
    publisher = Publisher(live, engage, SqliteItemStore(kernel.db), kernel.cards, kernel.spaces,
                          {"livequestion": render_question, "livepoll": render_poll})  # fmt: skip
    relay_store = SqliteRelayStore(kernel.db)
    relay = Relay(relay_store, kernel.delivery, kernel.clock, publisher, antenna_of)  # relay*.py
    kernel.metrics.add_queue("relay", relay_store.waiting_by_platform)
    stage = Stage(engage, kernel.cards, relay)
    kernel.delivery.on_register.append(relay.on_register)
    polls.closed.append(poll_closed)
    live.observers.append(started)
    events.presence_sources.append(engage.remote_presence)  # taking part in the thread is remote presence

    async def on_message(message: InboundMessage) -> None:
        """Relay a member's message, then tell the thread's listeners (its web page shows the latest ones)."""
        await relay.on_message(message)
        if live.listeners:
            found = await store.attached(message.space, message.channel)
            if found is not None:
                live.notify(found[0].id)

    links = Links(SqliteLinkStore(kernel.db), store, kernel.clock)
    return Unit(
        service=live,
        deps=LiveDeps(live, host, stage, links, kernel.settings["web.public_url"]),
        renderers={"livehead": render_header, "livequestion": render_question, "livepoll": render_poll},
        wakeups=(Source(announce_sessions, engage.pending_sessions),),
        on_start=(relay.start,),
        on_stop=(relay.stop,),
        on_takeover=(relay.start,),
        on_message=on_message,
    )


FEATURE = Feature(
    "live",
    __name__,
    build,
    store=SqliteLiveStore,
    command_modules=("commands", "questions_commands", "engage_commands", "web_commands"),
)
