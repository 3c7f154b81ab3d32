"""The Discord adapter end to end: a real discord.Client against the loopback fake Discord."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.adapters.discord import serve
from bot.adapters.discord.client import DEFER_AFTER, PhosphoreClient
from bot.adapters.discord.sync import sync_commands
from bot.app import App
from bot.config import ConfigError, Settings
from bot.core.model import Member, MessageRef
from bot.i18n import translate
from bot.ui import Reply
from tests.fakes.discord_api import DiscordCall, FakeDiscord, run_client
from tests.helpers import START, make_settings

GUILD, OTHER_GUILD = 1_300_000_000_000_000_001, 1_300_000_000_000_000_002
CHANNEL, OTHER_CHANNEL = 1_300_000_000_000_000_101, 1_300_000_000_000_000_102
STAFF_ROLE = 1_300_000_000_000_000_201
ALICE, BOB, CAROL = 1_300_000_000_000_000_301, 1_300_000_000_000_000_302, 1_300_000_000_000_000_303
MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Staff are members with the "orga" role (or Manage Server)."""
    return make_settings(tmp_path / "phosphore.db", discord__staff_role="orga")


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """Two guilds; alice holds the staff role in the first."""
    async with FakeDiscord() as fake:
        fake.add_guild(
            GUILD,
            channels=[{"id": CHANNEL, "name": "général"}],
            roles=[{"id": STAFF_ROLE, "name": "orga"}],
            members=[{"id": ALICE, "username": "alice", "roles": [STAFF_ROLE]}, {"id": BOB, "username": "bob"}],
        )
        fake.add_guild(OTHER_GUILD, channels=[OTHER_CHANNEL], members=[{"id": CAROL, "username": "carol"}])
        yield fake
        assert not fake.logged_errors, fake.logged_errors


def client_for(app: App, **kwargs: Any) -> PhosphoreClient:
    """Our client, quick to become ready."""
    return PhosphoreClient(app, guild_ready_timeout=0.05, **kwargs)


def slash(
    fake: FakeDiscord,
    sub: str,
    options: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
    *,
    user: int = ALICE,
    **kw: Any,
) -> dict[str, Any]:
    """A /poll <sub> interaction in the first guild."""
    kw.setdefault("guild_id", GUILD)
    kw.setdefault("channel_id", CHANNEL)
    return fake.slash_interaction("poll", options, subcommand=sub, user_id=user, **kw)


def click(fake: FakeDiscord, custom_id: str, message_id: int, *, user: int = BOB, **kw: Any) -> dict[str, Any]:
    """A click on a button of a message in the first guild."""
    kw.setdefault("guild_id", GUILD)
    kw.setdefault("channel_id", CHANNEL)
    return fake.component_interaction(custom_id, message_id=message_id, user_id=user, **kw)


async def create_poll(fake: FakeDiscord, question: str = "Pizza ou sushi ?") -> tuple[DiscordCall, int]:
    """Create a poll as alice; the callback and the posted message's id."""
    call = await fake.interact(slash(fake, "create", {"question": question, "option": "Pizza; Sushi | Tacos"}))
    return call, int(call.response["resource"]["message"]["id"])


async def tracked(app: App, subject: str, timeout: float = 5.0) -> list[MessageRef]:
    """The messages showing `subject`, once the client has recorded them (it does so after the callback returns)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (refs := await app.services.cards.messages.refs(subject)):
        assert loop.time() < deadline, f"{subject} was never tracked"
        await asyncio.sleep(0.005)
    return refs


def content(call: DiscordCall) -> str:
    """The text of an interaction callback."""
    return str(call.json["data"].get("content") or "")


async def test_login_ready_guild_create_with_the_smallest_intents(app: App, fake: FakeDiscord) -> None:
    """Login, READY, GUILD_CREATE; IDENTIFY asks for the guilds intent only."""
    client = client_for(app)
    async with run_client(client):
        assert client.get_guild(GUILD) is not None and client.get_guild(OTHER_GUILD) is not None
        assert client.get_channel(CHANNEL) is not None
    assert fake.identifies[0]["intents"] == discord.Intents(guilds=True).value


async def test_poll_create_answers_with_embed_and_components_then_tracks_the_message(
    app: App, fake: FakeDiscord
) -> None:
    """/poll create: the callback carries the embed and buttons; the message is tracked for live edits."""
    async with run_client(client_for(app)):
        call, message_id = await create_poll(fake, "@everyone Pizza ou sushi ?")
    data = call.json["data"]
    assert call.json["type"] == 4 and not data.get("flags")
    assert data["embeds"][0]["title"] == "#1 · @everyone Pizza ou sushi ?"
    assert data["allowed_mentions"] == {"parse": []}
    buttons = data["components"][0]["components"]
    assert [(b["label"], b["custom_id"]) for b in buttons] == [
        ("Pizza", "poll:vote:1:0"),
        ("Sushi", "poll:vote:1:1"),
        ("Tacos", "poll:vote:1:2"),
    ]
    refs = await tracked(app, "poll:1")
    assert [(r.space, r.channel, r.message_id) for r in refs] == [(f"discord:{GUILD}", str(CHANNEL), str(message_id))]


async def test_fifty_concurrent_clicks_make_fifty_votes_and_few_edits(app: App, fake: FakeDiscord) -> None:
    """50 members click at once: 50 ephemeral confirmations, 50 votes, coalesced edits, the last shows 50."""
    client = client_for(app)
    async with run_client(client):
        _, message_id = await create_poll(fake)
        users = [1_300_000_000_000_001_000 + i for i in range(50)]
        calls = await asyncio.gather(
            *(fake.interact(click(fake, "poll:vote:1:1", message_id, user=u), timeout=10) for u in users)
        )
        path = f"/channels/{CHANNEL}/messages/{message_id}"
        await fake.wait_for("PATCH", path, lambda c: c.json["embeds"][0]["footer"]["text"].startswith("50 "))
        await app.services.cards.drain()
        assert not client.persistent_views  # components are sent without keeping views in memory
    assert all(c.json["type"] == 4 and c.json["data"]["flags"] == 64 for c in calls)
    poll = await app.services.polls.store.get_poll(1)
    assert poll is not None and (await app.services.polls.tally(poll)).counts == (0, 50, 0)
    edits = fake.calls("PATCH", path)
    assert 1 <= len(edits) <= 10, len(edits)
    assert edits[-1].json["embeds"][0]["footer"]["text"].startswith("50 ")
    assert edits[-1].json["components"][0]["components"][1]["custom_id"] == "poll:vote:1:1"


async def test_a_click_on_an_old_message_works_after_a_restart(app: App, fake: FakeDiscord) -> None:
    """A new client (no in-memory view) still handles the buttons of a poll posted before."""
    async with run_client(client_for(app)):
        _, message_id = await create_poll(fake)
    async with run_client(client_for(app)):
        await fake.wait_connected(count=2)
        call = await fake.interact(click(fake, "poll:vote:1:0", message_id, locale="fr"))
    assert content(call) == translate("fr", "poll.vote.current", ref=1, choices="Pizza")
    assert call.json["data"]["flags"] == 64


async def test_a_custom_id_naming_another_guilds_poll_is_refused(app: App, fake: FakeDiscord) -> None:
    """A poll of the first guild cannot be voted on from the second."""
    async with run_client(client_for(app)):
        await create_poll(fake)
        forged = fake.component_interaction(
            "poll:vote:1:0",
            guild_id=OTHER_GUILD,
            channel_id=OTHER_CHANNEL,
            user_id=CAROL,
            message_id=fake.snowflake(),
            locale="fr",
        )
        call = await fake.interact(forged)
    assert content(call) == translate("fr", "poll.not_found", ref=1) and call.json["data"]["flags"] == 64
    poll = await app.services.polls.store.get_poll(1)
    assert poll is not None and (await app.services.polls.tally(poll)).voters == 0


@pytest.mark.parametrize("custom_id", ["poll:vote:abc", "poll:vote", "nonsense:x", "NOT-OURS"])
async def test_a_malformed_custom_id_gets_a_clear_error(app: App, fake: FakeDiscord, custom_id: str) -> None:
    """Ids that match our pattern but name nothing, and ids that are not ours at all, get the same clear answer."""
    async with run_client(client_for(app)):
        call = await fake.interact(click(fake, custom_id, fake.snowflake(), locale="fr"))
    assert content(call) == translate("fr", "action.malformed") and call.json["data"]["flags"] == 64


async def test_replies_follow_the_interaction_locale(app: App, fake: FakeDiscord) -> None:
    """fr -> French, en-US and en-GB -> English, an unsupported locale -> the space's default (French)."""
    async with run_client(client_for(app)):
        replies = {
            locale: content(await fake.interact(slash(fake, "list", locale=locale)))
            for locale in ("fr", "en-US", "en-GB", "de")
        }
    french, english = translate("fr", "poll.list.empty"), translate("en", "poll.list.empty")
    assert replies == {"fr": french, "en-US": english, "en-GB": english, "de": french}


async def test_missing_options_open_a_modal_whose_submission_creates_the_poll(app: App, fake: FakeDiscord) -> None:
    """/poll create with no option opens the form; submitting it posts the poll publicly."""
    async with run_client(client_for(app)):
        opened = await fake.interact(slash(fake, "create", locale="fr"))
        submit = fake.modal_submit_interaction(
            "cmd:poll.create",
            {"question": "Quel atelier ?", "options": "Rust\nPython", "anonymous": "true"},
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=ALICE,
            locale="fr",
        )
        posted = await fake.interact(submit)
    modal = opened.json["data"]
    assert opened.json["type"] == 9 and modal["custom_id"] == "cmd:poll.create"
    assert modal["title"] == translate("fr", "cmd.poll.create.title") and len(modal["components"]) == 5
    assert [c["component"]["custom_id"] for c in modal["components"]] == [
        "question",
        "options",
        "multi",
        "anonymous",
        "results",
    ]
    assert posted.json["type"] == 4 and posted.json["data"]["embeds"][0]["title"] == "#1 · Quel atelier ?"
    assert await tracked(app, "poll:1")


async def test_a_refused_form_lists_its_field_errors_privately(app: App, fake: FakeDiscord) -> None:
    """Discord modals cannot show inline errors: the problems come back as an ephemeral list."""
    async with run_client(client_for(app)):
        submit = fake.modal_submit_interaction(
            "cmd:poll.create",
            {"question": "Q ?", "options": "A\nB", "multi": "beaucoup"},
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=ALICE,
            locale="fr",
        )
        call = await fake.interact(submit)
    label = translate("fr", "cmd.poll.create.multi.label")
    assert content(call) == "• " + translate("fr", "args.bad_int", option=label, value="beaucoup")
    assert call.json["data"]["flags"] == 64


async def test_staff_is_the_configured_role_or_manage_server(app: App, fake: FakeDiscord) -> None:
    """bob may not create a poll; alice (role "orga") and a Manage Server member may."""
    options = {"question": "Q ?", "option": "A;B"}
    async with run_client(client_for(app)):
        bob = await fake.interact(slash(fake, "create", options, user=BOB))
        alice = await fake.interact(slash(fake, "create", options, user=ALICE))
        manager = await fake.interact(slash(fake, "create", options, user=BOB, permissions=MANAGE_GUILD))
    assert content(bob) == translate("fr", "args.forbidden", command="/poll create")
    assert alice.json["data"]["embeds"] and manager.json["data"]["embeds"]


async def test_export_sends_a_csv_file_privately(app: App, fake: FakeDiscord) -> None:
    """/poll export answers an ephemeral message with the CSV attached."""
    async with run_client(client_for(app)):
        await create_poll(fake)
        call = await fake.interact(slash(fake, "export", {"poll": "#1"}))
    assert call.files == ("poll-1.csv",) and call.json["data"]["flags"] == 64
    _poll, csv_text = await app.services.polls.export_csv(f"discord:{GUILD}", "1", None, ";")  # a French server
    assert fake.uploads["poll-1.csv"] == csv_text.encode("utf-8")


async def test_slow_work_is_deferred_then_posted_in_the_channel(app: App, fake: FakeDiscord) -> None:
    """When the answer is not ready in time: defer privately, post the card in the channel, drop the deferral."""
    async with run_client(client_for(app, defer_after=0)):
        call = await fake.interact(slash(fake, "create", {"question": "Lent ?", "option": "A;B"}))
        posted = await fake.wait_for("POST", f"/channels/{CHANNEL}/messages")
        await fake.wait_for("DELETE", f"/webhooks/{fake.app_id}/")
    assert call.json["type"] == 5 and call.json["data"]["flags"] == 64
    assert posted[0].json["embeds"][0]["title"] == "#1 · Lent ?"
    refs = await tracked(app, "poll:1")
    assert refs[0].message_id == posted[0].response["id"]


async def test_autocomplete_offers_the_open_polls_of_this_guild(app: App, fake: FakeDiscord) -> None:
    """Typing a poll reference suggests this guild's open polls only."""
    async with run_client(client_for(app)):
        await create_poll(fake, "Pizza ?")
        await create_poll(fake, "Sushi ?")
        payload = slash(fake, "close", [{"name": "poll", "type": 3, "value": "piz", "focused": True}])
        payload["type"] = 4
        call = await fake.interact(payload)
    assert call.json == {"type": 8, "data": {"choices": [{"name": "#1 Pizza ?", "value": "1"}]}}


async def test_a_closed_dm_returns_false_without_crashing(app: App, fake: FakeDiscord) -> None:
    """Error 50007 on a DM: send_private answers False; a later DM goes through."""
    fake.fail("POST", f"/channels/{fake.dm_channel_id(BOB)}/messages", 403, 50007, "Cannot send messages to this user")
    client = client_for(app)
    async with run_client(client):
        closed = await app.services.delivery.send_private(f"discord:{GUILD}", f"discord:{BOB}", Reply(text="Rappel"))
        opened = await app.services.delivery.send_private(f"discord:{GUILD}", f"discord:{BOB}", Reply(text="Rappel"))
    assert (closed, opened) == (False, True)


async def test_sync_registers_localized_groups_globally_or_on_one_guild(app: App, fake: FakeDiscord) -> None:
    """discord-sync PUTs every group with French names; staff-only groups are hidden by default."""
    names = await sync_commands(app, "fake-token")
    poll = next(c for c in fake.commands[None] if c["name"] == "poll")
    await sync_commands(app, "fake-token", GUILD)
    groups = ["help", "poll", "idea", "event", "schedule", "live", "survey", "report"]
    assert names == groups and [c["name"] for c in fake.commands[GUILD]] == groups
    assert poll["name_localizations"]["fr"] == "sondage" and poll["contexts"] == [0]
    create = next(o for o in poll["options"] if o["name"] == "create")
    assert create["name_localizations"]["fr"] == "créer"
    assert [(o["name"], o["type"], o["name_localizations"]["fr"]) for o in create["options"]] == [
        ("question", 3, "question"),
        ("option", 3, "option"),
        ("maximum-choices", 4, "choix-maximum"),
        ("anonymous", 5, "anonyme"),
        ("results", 3, "résultats"),
        ("closing-time", 3, "clôture"),
    ]
    close = next(o for o in poll["options"] if o["name"] == "close")
    assert close["options"][0]["autocomplete"] is True and close["options"][0]["required"] is True
    assert not fake.identifies  # HTTP only: no gateway session


async def test_serve_needs_a_token_and_runs_the_client(app: App, fake: FakeDiscord) -> None:
    """`phosphore run --adapter discord` entry point: refuses without DISCORD_TOKEN, serves with it."""
    with pytest.raises(ConfigError):
        await serve(app)
    settings = app.services.settings
    app.services.settings = Settings(settings.values, settings.spaces, {"DISCORD_TOKEN": "fake-token"}, None)
    task = asyncio.create_task(serve(app))
    try:
        await fake.wait_connected()
        call = await fake.interact(slash(fake, "list", locale="en-US"))
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        gc.unfreeze()
    assert content(call) == translate("en", "poll.list.empty")
    assert fake.identifies[0]["token"] == "fake-token"


async def test_buttons_sent_in_a_dm_reach_their_server(app: App, fake: FakeDiscord) -> None:
    """A DM click carries no server: the buttons of a private message name theirs, and the vote lands there."""
    client = client_for(app)
    async with run_client(client):
        await create_poll(fake)
        card = (
            await app.dispatcher.invoke_text(
                f"discord:{GUILD}", str(CHANNEL), Member(f"discord:{ALICE}", "alice", is_staff=True), "poll results 1"
            )
        ).card
        assert await app.services.delivery.send_private(f"discord:{GUILD}", f"discord:{BOB}", Reply(card=card))
        (dm,) = await fake.wait_for("POST", f"/channels/{fake.dm_channel_id(BOB)}/messages")
        custom_id = dm.json["components"][0]["components"][0]["custom_id"]
        assert custom_id == f"poll:vote:1:0@{GUILD}"
        payload = fake.component_interaction(
            custom_id, guild_id=None, channel_id=fake.dm_channel_id(BOB), user_id=BOB, message_id=int(dm.response["id"])
        )
        call = await fake.interact(payload)
    assert call.json["data"]["flags"] == 64 and "Pizza" in call.json["data"]["content"]
    assert (await app.services.polls.store.choices(1, f"discord:{BOB}")) == (0,)


async def test_a_dm_click_without_a_server_is_refused_politely(app: App, fake: FakeDiscord) -> None:
    """A component in a DM that names no server gets the translated "servers only" answer."""
    client = client_for(app)
    async with run_client(client):
        call = await fake.interact(
            fake.component_interaction(
                "poll:vote:1:0",
                guild_id=None,
                channel_id=fake.dm_channel_id(BOB),
                user_id=BOB,
                message_id=fake.snowflake(),
            )
        )
    assert call.json["data"]["content"] == translate("en", "discord.guild_only")


def idea_slash(fake: FakeDiscord, sub: str, options: Any = None, *, user: int = BOB, **kw: Any) -> dict[str, Any]:
    """An /idea <sub> interaction in the first guild."""
    return fake.slash_interaction(
        "idea", options, subcommand=sub, guild_id=GUILD, channel_id=CHANNEL, user_id=user, **kw
    )


def autocomplete(
    fake: FakeDiscord, group: str, sub: str, option: str, typed: str, *, user: int = ALICE
) -> dict[str, Any]:
    """An autocomplete interaction for `option` of /group sub, `typed` so far."""
    focused = [{"name": option, "type": 3, "value": typed, "focused": True}]
    payload = fake.slash_interaction(group, focused, subcommand=sub, guild_id=GUILD, channel_id=CHANNEL, user_id=user)
    payload["type"] = 4
    return payload


def choices(call: DiscordCall) -> list[str]:
    """The names of the suggestions an autocomplete answered."""
    assert call.json["type"] == 8
    return [choice["name"] for choice in call.json["data"]["choices"]]


@pytest.mark.parametrize("defer_after", [DEFER_AFTER, 0])
async def test_an_anonymous_idea_is_posted_in_the_channel_not_as_its_authors_answer(
    app: App, fake: FakeDiscord, defer_after: float
) -> None:
    """The card of an anonymous idea is a plain channel message; bob's own interaction is answered privately."""
    async with run_client(client_for(app, defer_after=defer_after)):
        call = await fake.interact(
            idea_slash(fake, "submit", {"idea": "Un atelier vidéo", "anonymous": True}, locale="fr")
        )
        (posted,) = await fake.wait_for("POST", f"/channels/{CHANNEL}/messages")
        refs = await tracked(app, "idea:1")
        (follow_up,) = await fake.wait_for("POST", f"/webhooks/{fake.app_id}/")
    # Acknowledged privately first: Discord would label a public answer "bob used /idea submit".
    assert call.json == {"type": 5, "data": {"flags": 64}}
    assert posted.json["embeds"][0]["description"] == "Un atelier vidéo" and "bob" not in str(posted.json)
    assert refs[0].message_id == posted.response["id"]
    assert follow_up.json["content"] == translate("fr", "discord.posted_without_name")
    assert follow_up.json["flags"] == 64 and not follow_up.json.get("embeds")
    assert not fake.calls("DELETE")


async def test_a_signed_idea_is_still_the_public_answer(app: App, fake: FakeDiscord) -> None:
    """An idea with its author's name is answered publicly as before (Discord shows who submitted it)."""
    async with run_client(client_for(app)):
        call = await fake.interact(idea_slash(fake, "submit", {"idea": "Un atelier vidéo"}))
    assert not call.json["data"].get("flags") and call.json["data"]["embeds"][0]["description"] == "Un atelier vidéo"
    assert not fake.calls("POST", f"/channels/{CHANNEL}/messages")


async def test_member_markdown_is_shown_as_typed_not_as_a_disguised_link(app: App, fake: FakeDiscord) -> None:
    """A poll option or an idea with a masked link or formatting renders literally; the bot's own bold stays."""
    async with run_client(client_for(app)):
        poll = await fake.interact(
            slash(fake, "create", {"question": "**Vite** ?", "option": "[Pizza](https://evil.example); _Sushi_"})
        )
        idea = await fake.interact(idea_slash(fake, "submit", {"idea": "[clic](https://evil.example) ||secret||"}))
    embed = poll.json["data"]["embeds"][0]
    assert embed["title"] == "#1 · \\*\\*Vite\\*\\* ?"
    assert "**\\[Pizza\\](https://evil.example)**\n`░░░░░░░░░░` 0 · 0 %\n**\\_Sushi\\_**" in embed["description"]
    assert [b["label"] for b in poll.json["data"]["components"][0]["components"]] == [
        "[Pizza](https://evil.example)",
        "_Sushi_",
    ]
    assert idea.json["data"]["embeds"][0]["description"] == "\\[clic\\](https://evil.example) \\|\\|secret\\|\\|"


async def test_a_dm_button_is_refused_once_the_member_left_the_server(app: App, fake: FakeDiscord) -> None:
    """A DM click is checked against the server it names: a member who left it can no longer vote there."""
    async with run_client(client_for(app)):
        await create_poll(fake)
        card = (
            await app.dispatcher.invoke_text(
                f"discord:{GUILD}", str(CHANNEL), Member(f"discord:{ALICE}", "alice", is_staff=True), "poll results 1"
            )
        ).card
        assert await app.services.delivery.send_private(f"discord:{GUILD}", f"discord:{BOB}", Reply(card=card))
        (dm,) = await fake.wait_for("POST", f"/channels/{fake.dm_channel_id(BOB)}/messages")
        fake.remove_member(GUILD, BOB)
        payload = fake.component_interaction(
            f"poll:vote:1:0@{GUILD}",
            guild_id=None,
            channel_id=fake.dm_channel_id(BOB),
            user_id=BOB,
            message_id=int(dm.response["id"]),
            locale="fr",
        )
        call = await fake.interact(payload)
    assert content(call) == translate("fr", "discord.not_a_member") and call.json["data"]["flags"] == 64
    assert fake.calls("GET", f"/guilds/{GUILD}/members/{BOB}")
    assert (await app.services.polls.store.choices(1, f"discord:{BOB}")) == ()


async def test_a_dm_button_is_refused_when_discord_cannot_confirm_the_membership(app: App, fake: FakeDiscord) -> None:
    """If the membership check itself fails, the click is refused with a retry hint, never run unchecked."""
    async with run_client(client_for(app)):
        await create_poll(fake)
        fake.fail("GET", f"/guilds/{GUILD}/members/{BOB}", 400, 0, "Bad Request")
        payload = fake.component_interaction(
            f"poll:vote:1:0@{GUILD}",
            guild_id=None,
            channel_id=fake.dm_channel_id(BOB),
            user_id=BOB,
            message_id=fake.snowflake(),
            locale="en-US",
        )
        call = await fake.interact(payload)
    assert content(call) == translate("en", "discord.member_check_failed")
    assert (await app.services.polls.store.choices(1, f"discord:{BOB}")) == ()


async def test_each_reference_completes_from_its_own_kind(app: App, fake: FakeDiscord) -> None:
    """Events complete events, ideas ideas, walls walls, scheduled messages scheduled messages; never polls."""
    alice = Member(f"discord:{ALICE}", "alice", is_staff=True)
    for line in (
        'event create "Assemblée générale" --start "2026-06-30 09:30" --end 17h',
        'idea submit "Un atelier vidéo"',
        'idea wall open "Quels ateliers ?"',
        'schedule post --at "demain 9h" "Bonjour à tous"',
    ):
        await app.dispatcher.invoke_text(f"discord:{GUILD}", str(CHANNEL), alice, line)
    async with run_client(client_for(app)):
        await create_poll(fake, "Pizza ?")
        event = await fake.interact(autocomplete(fake, "event", "info", "event", ""))
        idea = await fake.interact(autocomplete(fake, "idea", "like", "idea", "#1"))
        wall = await fake.interact(autocomplete(fake, "idea", "top", "wall", "atel"))
        scheduled = await fake.interact(autocomplete(fake, "schedule", "preview", "number", ""))
        hidden = await fake.interact(autocomplete(fake, "schedule", "preview", "number", "", user=BOB))
        poll = await fake.interact(autocomplete(fake, "poll", "close", "poll", ""))
    assert choices(event) == ["#1 Assemblée générale"]
    assert choices(idea) == ["#1 Un atelier vidéo"]
    assert choices(wall) == ["#1 Quels ateliers ?"]
    lines = choices(scheduled)  # the event's reminders, and the post
    assert lines and any("Bonjour à tous" in line for line in lines) and not any("Pizza" in line for line in lines)
    assert sorted(int(c["value"]) for c in scheduled.json["data"]["choices"]) == list(range(1, len(lines) + 1))
    assert choices(hidden) == []  # /schedule is for staff: nothing to suggest to others
    assert choices(poll) == ["#1 Pizza ?"]


async def test_a_form_with_six_inputs_keeps_the_closing_time_typed_as_an_option(app: App, fake: FakeDiscord) -> None:
    """Discord modals hold five inputs: a closing time typed with /poll create reaches the poll through the form."""
    async with run_client(client_for(app)):
        opened = await fake.interact(
            slash(fake, "create", {"closing-time": "dans 2h", "maximum-choices": 2}, locale="fr")
        )
        modal = opened.json["data"]
        shown = {c["component"]["custom_id"]: c["component"].get("value") for c in modal["components"]}
        typed = {"question": "Quel atelier ?", "options": "Rust\nPython"}
        fields = {key: typed.get(key) or value or "" for key, value in shown.items()}
        submit = fake.modal_submit_interaction(
            modal["custom_id"], fields, guild_id=GUILD, channel_id=CHANNEL, user_id=ALICE, locale="fr"
        )
        posted = await fake.interact(submit)
    assert list(shown) == ["question", "options", "multi", "anonymous", "closes"]  # "results" stays a command option
    assert (shown["multi"], shown["closes"]) == ("2", "dans 2h")
    assert posted.json["data"]["embeds"][0]["title"] == "#1 · Quel atelier ?"
    poll = await app.services.polls.store.get_poll(1)
    assert poll is not None and poll.closes_at == START + timedelta(hours=2) and poll.max_choices == 2


async def test_values_typed_with_the_command_that_do_not_fit_the_form_come_back_with_it(
    app: App, fake: FakeDiscord
) -> None:
    """Every option but the question typed: the form shows five, the sixth value returns with the submission."""
    typed = {"option": "A;B", "maximum-choices": 2, "anonymous": True, "results": "closed", "closing-time": "dans 2h"}
    async with run_client(client_for(app)):
        opened = await fake.interact(slash(fake, "create", typed, locale="fr"))
        modal = opened.json["data"]
        submit = fake.modal_submit_interaction(
            modal["custom_id"],
            {"question": "Q ?", "options": "A\nB", "multi": "2", "anonymous": "true", "results": "closed"},
            guild_id=GUILD,
            channel_id=CHANNEL,
            user_id=ALICE,
            locale="fr",
        )
        await fake.interact(submit)
    assert len(modal["components"]) == 5 and modal["custom_id"] == "cmd:poll.create?closes=dans+2h"
    poll = await app.services.polls.store.get_poll(1)
    assert poll is not None and poll.closes_at == START + timedelta(hours=2) and poll.anonymous


async def test_fixed_values_are_choices_help_is_plain_and_commands_are_guild_only(app: App, fake: FakeDiscord) -> None:
    """/idea status and /idea wall offer their values as choices; /help has no subcommand; contexts, not dm_permission."""
    await sync_commands(app, "fake-token")
    commands = {c["name"]: c for c in fake.commands[None]}
    idea = {o["name"]: o for o in commands["idea"]["options"]}
    status = next(o for o in idea["status"]["options"] if o["name"] == "status")
    assert [c["value"] for c in status["choices"]] == ["new", "exploring", "retained", "done", "declined"]
    assert status["choices"][1]["name_localizations"]["fr"] == translate("fr", "idea.status.exploring")
    action = idea["wall"]["options"][0]
    assert [c["value"] for c in action["choices"]] == ["open", "close", "list"]
    assert action["choices"][0]["name_localizations"]["fr"] == translate("fr", "idea.wall.action.open")
    assert [(o["name"], o["required"]) for o in commands["help"]["options"]] == [("topic", False)]
    assert commands["help"]["name_localizations"]["fr"] == "aide"
    for command in commands.values():
        assert command["contexts"] == [0] and command["integration_types"] == [0] and "dm_permission" not in command
    assert commands["schedule"]["default_member_permissions"] == discord.Permissions(manage_guild=True).value
    assert commands["poll"]["default_member_permissions"] is None


async def test_plain_help_answers_with_the_commands(app: App, fake: FakeDiscord) -> None:
    """/help runs as a command of its own."""
    async with run_client(client_for(app)):
        call = await fake.interact(
            fake.slash_interaction("help", None, guild_id=GUILD, channel_id=CHANNEL, user_id=BOB, locale="fr")
        )
    assert call.json["data"]["embeds"][0]["title"] == translate("fr", "help.title") and call.json["data"]["flags"] == 64


async def test_a_server_sync_after_a_global_one_leaves_each_command_once(app: App, fake: FakeDiscord) -> None:
    """Syncing to one server clears the global commands, which would otherwise show a second time there."""
    await sync_commands(app, "fake-token")
    assert fake.commands[None]
    names = await sync_commands(app, "fake-token", GUILD)
    assert [c["name"] for c in fake.commands[GUILD]] == names and fake.commands[None] == []
