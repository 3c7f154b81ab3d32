"""Proves the loopback Discord fake against a real discord.py Client and CommandTree."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.discord_api import DiscordCall, FakeDiscord, run_client

GUILD_ID = 1_100_000_000_000_000_001
CHANNEL_ID = 1_100_000_000_000_000_101
ROLE_ID = 1_100_000_000_000_000_201
USER_ID = 1_100_000_000_000_000_301
OTHER_USER_ID = 1_100_000_000_000_000_302


class VoteButton(discord.ui.DynamicItem[discord.ui.Button], template=r"poll:(?P<poll>\d+):vote:(?P<choice>\d+)"):
    """A persistent vote button whose state lives in its custom_id."""

    def __init__(self, poll_id: int, choice: int) -> None:
        """Build the button for one poll choice."""
        super().__init__(
            discord.ui.Button(
                label=f"Choix {choice}", style=discord.ButtonStyle.primary, custom_id=f"poll:{poll_id}:vote:{choice}"
            )
        )
        self.poll_id = poll_id
        self.choice = choice

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[discord.ui.View], match: re.Match[str], /
    ) -> VoteButton:
        """Rebuild the button from its custom_id."""
        return cls(int(match["poll"]), int(match["choice"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        """Acknowledge the vote privately."""
        await interaction.response.send_message(f"vote {self.poll_id}/{self.choice}", ephemeral=True)


class IdeaModal(discord.ui.Modal, title="Nouvelle idée"):
    """A one-field modal."""

    idea: discord.ui.TextInput[IdeaModal] = discord.ui.TextInput(label="Idée", custom_id="idea")

    def __init__(self) -> None:
        """Use a stable custom_id so the test can submit it."""
        super().__init__(custom_id="idea-modal")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Echo the idea."""
        await interaction.response.send_message(f"idée: {self.idea.value}", ephemeral=True)


def make_client() -> tuple[discord.Client, app_commands.CommandTree[discord.Client]]:
    """A bare client with a /sondage command, an /idee modal command and the vote button."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(client)

    @tree.command(name="sondage", description="Créer un sondage")
    async def sondage(interaction: discord.Interaction, question: str) -> None:
        """Reply with an embed and a vote button."""
        view = discord.ui.View(timeout=None)
        view.add_item(VoteButton(42, 1))
        embed = discord.Embed(title=question, description=f"locale={interaction.locale.value}")
        await interaction.response.send_message(embed=embed, view=view)

    @tree.command(name="idee", description="Proposer une idée")
    async def idee(interaction: discord.Interaction) -> None:
        """Open the idea modal."""
        await interaction.response.send_modal(IdeaModal())

    client.add_dynamic_items(VoteButton)
    return client, tree


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """A started, patched fake with one guild, channel, role and two members."""
    async with FakeDiscord() as fake:
        fake.add_guild(
            GUILD_ID,
            channels=[{"id": CHANNEL_ID, "name": "général"}],
            roles=[{"id": ROLE_ID, "name": "orga"}],
            members=[{"id": USER_ID, "username": "alice", "roles": [ROLE_ID]}, OTHER_USER_ID],
        )
        yield fake
        assert not fake.logged_errors, fake.logged_errors


async def test_login_ready_and_guild_create(fake: FakeDiscord) -> None:
    """Login hits /users/@me and the app, then READY + GUILD_CREATE fill client.guilds."""
    client, _ = make_client()
    async with run_client(client) as task:
        assert not task.done()
        assert client.user is not None and client.user.id == fake.bot_user_id
        assert client.application_id == fake.app_id
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild in client.guilds
        assert guild.get_channel(CHANNEL_ID) is not None
        assert guild.get_role(ROLE_ID) is not None and guild.default_role.id == GUILD_ID
        # Without the members intent discord.py caches only the bot's own member.
        assert guild.me is not None and guild.get_member(USER_ID) is None
    assert [c.path for c in fake.calls("GET")][:2] == ["/users/@me", "/oauth2/applications/@me"]
    assert fake.identifies and fake.identifies[0]["token"] == "fake-token"


async def test_members_intent_caches_members_and_chunks(fake: FakeDiscord) -> None:
    """With the members intent, GUILD_CREATE members are cached and REQUEST_GUILD_MEMBERS is answered."""
    intents = discord.Intents.default()
    intents.members = True
    client = discord.Client(intents=intents, guild_ready_timeout=0.05)
    async with run_client(client):
        guild = client.get_guild(GUILD_ID)
        assert guild is not None and guild.chunked
        member = guild.get_member(USER_ID)
        assert member is not None and member.get_role(ROLE_ID) is not None and member.name == "alice"
        members = await guild.chunk()
    assert {m.id for m in members} == {fake.bot_user_id, USER_ID, OTHER_USER_ID}


async def test_fetch_member_finds_members_until_they_are_removed(fake: FakeDiscord) -> None:
    """GET /guilds/{id}/members/{user} answers the member, then 404 Unknown Member once removed."""
    client, _ = make_client()
    async with run_client(client):
        guild = client.get_guild(GUILD_ID)
        assert guild is not None
        member = await guild.fetch_member(USER_ID)
        assert member.name == "alice" and member.get_role(ROLE_ID) is not None
        fake.remove_member(GUILD_ID, USER_ID)
        with pytest.raises(discord.NotFound) as gone:
            await guild.fetch_member(USER_ID)
    assert gone.value.code == 10007


async def test_slash_command_callback_carries_embed_and_button(fake: FakeDiscord) -> None:
    """A slash command's callback carries the embed, the button and gets a message back."""
    client, _ = make_client()
    async with run_client(client):
        payload = fake.slash_interaction(
            "sondage", {"question": "Pizza ?"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
        )
        call = await fake.interact(payload)
    assert call.status == 200 and call.query["with_response"] == "1"
    assert call.json["type"] == 4
    data = call.json["data"]
    assert data["embeds"][0]["title"] == "Pizza ?"
    assert data["embeds"][0]["description"] == "locale=fr"
    button = data["components"][0]["components"][0]
    assert button["type"] == 2 and button["custom_id"] == "poll:42:vote:1"
    message = call.response["resource"]["message"]
    assert int(message["id"]) in fake.messages
    assert fake.original_response(payload["token"]) == message


async def test_component_click_reaches_dynamic_item(fake: FakeDiscord) -> None:
    """A click on a stored or synthesized message reaches the registered DynamicItem."""
    client, _ = make_client()
    async with run_client(client):
        slash = await fake.interact(
            fake.slash_interaction(
                "sondage", {"question": "Pizza ?"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
            )
        )
        message_id = int(slash.response["resource"]["message"]["id"])
        click = fake.component_interaction(
            "poll:42:vote:1", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=OTHER_USER_ID, message_id=message_id
        )
        call = await fake.interact(click)
        with pytest.raises(ValueError):
            fake.component_interaction(
                "poll:42:vote:9", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID, message_id=message_id
            )
        # A message the fake never stored is synthesized around the component.
        unknown = await fake.interact(
            fake.component_interaction(
                "poll:7:vote:3", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID, message_id=fake.snowflake()
            )
        )
    assert call.json["type"] == 4 and call.json["data"]["content"] == "vote 42/1"
    assert call.json["data"]["flags"] == 64
    assert call.response["interaction"]["response_message_ephemeral"] is True
    assert unknown.json["data"]["content"] == "vote 7/3"


async def test_modal_round_trip(fake: FakeDiscord) -> None:
    """A slash command opens a modal; its submission reaches on_submit."""
    client, _ = make_client()
    async with run_client(client):
        opened = await fake.interact(
            fake.slash_interaction("idee", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID)
        )
        assert opened.json["type"] == 9 and opened.json["data"]["custom_id"] == "idea-modal"
        submitted = await fake.interact(
            fake.modal_submit_interaction(
                "idea-modal", {"idea": "Un atelier"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
            )
        )
    assert submitted.json["data"]["content"] == "idée: Un atelier"


async def test_channel_message_send_edit_and_upload(fake: FakeDiscord) -> None:
    """Channel send, edit, file upload and thread creation are recorded and answered."""
    client, _ = make_client()
    async with run_client(client):
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        sent = await channel.send("Bonjour", embed=discord.Embed(title="Programme"))
        edited = await sent.edit(content="Bonsoir")
        upload = await channel.send("export", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), filename="votes.csv"))
        thread = await sent.create_thread(name="Fil en direct")
    post = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")[0]
    assert post.json["content"] == "Bonjour" and post.json["embeds"][0]["title"] == "Programme"
    patch = fake.calls("PATCH", f"/channels/{CHANNEL_ID}/messages/{sent.id}")
    assert len(patch) == 1 and patch[0].json["content"] == "Bonsoir"
    assert edited.content == "Bonsoir" and edited.id == sent.id
    multipart = fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")[1]
    assert multipart.files == ("votes.csv",) and multipart.json["content"] == "export"
    assert upload.attachments[0].filename == "votes.csv" and fake.uploads["votes.csv"] == b"a,b\n1,2\n"
    assert thread.id == sent.id and thread.name == "Fil en direct"


async def test_dm_failure_surfaces_as_forbidden(fake: FakeDiscord) -> None:
    """A scripted 50007 on the DM channel surfaces as discord.Forbidden, once."""
    client, _ = make_client()
    dm_messages = f"/channels/{fake.dm_channel_id(USER_ID)}/messages"
    fake.fail("POST", dm_messages, 403, 50007, "Cannot send messages to this user")
    async with run_client(client):
        user = await client.fetch_user(USER_ID)
        with pytest.raises(discord.Forbidden) as excinfo:
            await user.send("Rappel : atelier à 14 h")
        await user.send("second try goes through")
    assert excinfo.value.code == 50007 and excinfo.value.status == 403
    assert [c.status for c in fake.calls("POST", dm_messages)] == [403, 200]


async def test_rate_limit_is_retried_by_discord_py(fake: FakeDiscord) -> None:
    """A scripted 429 (with Via header) is retried by discord.py."""
    client, _ = make_client()
    fake.fail("POST", f"/channels/{CHANNEL_ID}/messages", 429, 0, "You are being rate limited.", retry_after=0.0)
    async with run_client(client):
        channel = client.get_channel(CHANNEL_ID)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("après la limite")
    assert [c.status for c in fake.calls("POST", f"/channels/{CHANNEL_ID}/messages")] == [429, 200]


async def test_double_ack_and_unknown_route(fake: FakeDiscord) -> None:
    """Defer + follow-up work; a second callback gets 40060; unknown routes get a recorded 404."""
    client = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    errors: list[discord.HTTPException] = []

    @client.event
    async def on_interaction(interaction: discord.Interaction) -> None:
        """Defer, follow up, then try a second response and an unknown route."""
        await interaction.response.defer(ephemeral=True)
        try:
            await interaction.followup.send("ok")
            await interaction.response.send_message("again")
        except discord.InteractionResponded:
            pass
        try:
            await client.http.request(discord.http.Route("GET", "/nope"))
        except discord.HTTPException as exc:
            errors.append(exc)

    async with run_client(client):
        call = await fake.interact(
            fake.slash_interaction("x", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID)
        )
        await fake.wait_for("GET", "/nope")
        follow = await fake.wait_for("POST", f"/webhooks/{fake.app_id}/")
    assert call.json["type"] == 5 and call.response["interaction"]["response_message_loading"] is True
    assert follow[0].query["wait"] == "1" and follow[0].json["content"] == "ok"
    assert isinstance(errors[0], discord.NotFound) and fake.calls("GET", "/nope")[0].status == 404
    # discord.py refuses a second response locally; the fake refuses it too, as Discord does.
    url = f"{fake.api_base}{call.path}?with_response=1"
    async with aiohttp.ClientSession() as session, session.post(url, json={"type": 4}) as resp:
        assert resp.status == 400 and resp.headers["Content-Type"] == "application/json"
        assert (await resp.json())["code"] == 40060


async def test_tree_sync_and_guild_commands(fake: FakeDiscord) -> None:
    """tree.sync() PUTs global and guild commands; a guild command is found via data.guild_id."""
    client, tree = make_client()

    @tree.command(name="local", description="guild only", guild=discord.Object(GUILD_ID))
    async def local(interaction: discord.Interaction) -> None:
        """Reply from a guild-only command."""
        await interaction.response.send_message("local")

    async with run_client(client):
        synced = await tree.sync()
        await tree.sync(guild=discord.Object(GUILD_ID))
        call = await fake.interact(
            fake.slash_interaction(
                "local", guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID, command_guild_id=GUILD_ID
            )
        )
    assert sorted(c.name for c in synced) == ["idee", "sondage"]
    assert [c["name"] for c in fake.commands[GUILD_ID]] == ["local"]
    assert fake.calls("PUT", f"/applications/{fake.app_id}/commands")[0].status == 200
    assert call.json["data"]["content"] == "local"


async def test_gateway_drop_resumes_and_replays(fake: FakeDiscord) -> None:
    """After a dropped gateway the client RESUMEs and gets the events it missed."""
    client, _ = make_client()
    async with run_client(client):
        await fake.disconnect_all()
        # Dispatched while disconnected: buffered and replayed on RESUME.
        pending = fake.slash_interaction(
            "sondage", {"question": "Après coupure"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
        )
        call = await fake.interact(pending)
        await fake.wait_connected(count=2)
    assert fake.resumes == 1 and len(fake.identifies) == 1
    assert call.json["data"]["embeds"][0]["title"] == "Après coupure"


async def test_second_client_after_first_closed(fake: FakeDiscord) -> None:
    """A new client started after the first one closed identifies and handles interactions."""
    first, _ = make_client()
    async with run_client(first):
        await fake.interact(
            fake.slash_interaction(
                "sondage", {"question": "1"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
            )
        )
    assert first.is_closed()
    second, _ = make_client()
    async with run_client(second):
        await fake.wait_connected(count=2)
        call: DiscordCall = await fake.interact(
            fake.slash_interaction(
                "sondage", {"question": "2"}, guild_id=GUILD_ID, channel_id=CHANNEL_ID, user_id=USER_ID
            )
        )
        assert second.get_guild(GUILD_ID) is not None
    assert call.json["data"]["embeds"][0]["title"] == "2"
    assert len(fake.identifies) == 2 and fake.resumes == 0
    assert len(fake.calls("POST", "/interactions/")) == 2


async def test_start_error_surfaces_instead_of_hanging(fake: FakeDiscord) -> None:
    """An error inside client.start() is raised by run_client instead of hanging."""
    client, _ = make_client()
    fake.fail("GET", "/users/@me", 401, 0, "401: Unauthorized")
    with pytest.raises(discord.LoginFailure):
        async with run_client(client):
            pass
