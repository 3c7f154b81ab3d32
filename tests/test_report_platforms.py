"""An event's report posted as files through the Slack and Discord fakes: the charts open, their alt text travels."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

from PIL import Image

from bot.app import App
from bot.core.model import Member
from bot.features.events.domain import EventDraft, SignupRequest
from tests.fakes.discord_api import FakeDiscord, run_client
from tests.helpers import START
from tests.slack_support import ALICE, CHANNEL, TEAM, slack_bot
from tests.test_discord_adapter import ALICE as DISCORD_ALICE
from tests.test_discord_adapter import CHANNEL as DISCORD_CHANNEL
from tests.test_discord_adapter import GUILD, client_for
from tests.test_discord_adapter import fake as fake  # the fixture
from tests.test_discord_adapter import settings as settings  # the fixture: staff hold "orga"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def an_event(app: App, space: str, channel: str, author: str) -> None:
    """Event #1 of `space`, with two confirmed sign-ups on site."""
    starts = START + timedelta(days=3)
    staff = Member(author, "alice", is_staff=True)
    draft = EventDraft("Journée", starts, starts + timedelta(hours=6), onsite_capacity=5, remote_capacity=None)
    event = await app.services.events.create(space, channel, staff, draft)
    for name in ("bob", "carol"):
        await app.services.events.join(space, Member(f"{author}{name}", name), event.id, SignupRequest("onsite"))


def picture_size(content: bytes) -> tuple[int, int]:
    """The size of a PNG, which must open."""
    assert content.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(content)) as image:
        image.verify()
        return image.size


async def test_slack_uploads_the_charts_with_their_csv_and_alt_text(tmp_path: Path) -> None:
    """/report event 1 uploads each chart with files_upload_v2, its CSV beside it and its alt text."""
    async with slack_bot(tmp_path) as bot:
        await an_event(bot.app, f"slack:{TEAM}", CHANNEL, f"slack:{ALICE}")
        assert (await bot.command("event 1", name="/report"))[0] == 200
        [done] = await bot.fake.wait_for("files.completeUploadExternal")
        asked = {call.params["filename"]: call.params for call in bot.fake.calls("files.getUploadURLExternal")}
        uploads = {asked_name: bot.fake.uploads[file_id] for file_id, asked_name in zip(
            [f["id"] for f in done.params["files"]], [f["title"] for f in done.params["files"]], strict=True)}  # fmt: skip
    assert picture_size(uploads["event-1-presence_mode.png"])[0] >= 400
    csv_text = uploads["event-1-presence_mode.csv"].decode("utf-8-sig")
    assert "On site;2;0" in csv_text  # alice reads English; the French workspace's files split columns by ";"
    assert asked["event-1-presence_mode.png"]["alt_txt"].startswith(
        "Sign-ups and presence by mode. On site: confirmed 2"
    )
    assert "alt_txt" not in asked["event-1-presence_mode.csv"]


async def test_discord_attaches_the_charts_with_their_csv_and_alt_text(app: App, fake: FakeDiscord) -> None:
    """/report event answers privately with the charts and CSVs attached; each chart's description is its alt text."""
    await an_event(app, f"discord:{GUILD}", str(DISCORD_CHANNEL), f"discord:{DISCORD_ALICE}")
    async with run_client(client_for(app)):
        payload = fake.slash_interaction("report", {"event": "1"}, subcommand="event", user_id=DISCORD_ALICE,
                                         guild_id=GUILD, channel_id=DISCORD_CHANNEL)  # fmt: skip
        call = await fake.interact(payload, timeout=20)
    assert "event-1-presence_mode.png" in call.files and "event-1-presence_mode.csv" in call.files
    assert call.json["data"]["flags"] == 64  # staff's figures stay private
    assert picture_size(fake.uploads["event-1-presence_mode.png"])[0] >= 400
    assert "Sur place;2;0" in fake.uploads["event-1-presence_mode.csv"].decode("utf-8-sig")
    described = {a["filename"]: a.get("description") for a in call.json["data"]["attachments"]}
    assert described["event-1-presence_mode.png"].startswith("Inscriptions et présence par mode. Sur place")
