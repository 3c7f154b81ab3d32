"""Survey audiences: present or not, a channel's members, a user group or role, on the console, Slack and Discord."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.discord.client import PhosphoreClient
from bot.app import App
from bot.config import Settings
from bot.i18n import translate
from tests.fakes.discord_api import DiscordCall, FakeDiscord, run_client
from tests.helpers import SPACE, ConsoleSession, Session, make_settings, running_app
from tests.slack_support import ALICE, SlackBot, slack_bot
from tests.slack_support import CHANNEL as GENERAL
from tests.test_surveys import ALICE as STAFF
from tests.test_surveys import event_with, survey

# ---------------------------------------------------------------- checked in or not (console)


async def checked_in(app: App, ref: int, *members: str) -> None:
    """Open the event's check-in and mark `members` present on site."""
    event = await app.services.events.get(SPACE, ref)
    app.services.clock.set(event.starts_at + timedelta(minutes=10))  # type: ignore[attr-defined]
    for name in members:
        await app.services.events.mark_present(SPACE, event.id, STAFF, f"console:{name}")


async def test_a_survey_goes_to_those_present_or_to_those_who_did_not_come(app: App, bot: Session) -> None:
    """--present yes reaches the three checked in; --present no the six others."""
    ref = await event_with(app, 9)
    await checked_in(app, ref, "m1", "m4", "m7")
    await survey(bot, 'text "Une idée ?"')
    await bot.say('/survey create "Et vous ?"', '/survey question #2 text "Pourquoi ?"')
    came = await bot.say(f"/survey send #1 #{ref} --present yes")
    assert "3 personnes" in (came.text or ""), came.text
    missed = await bot.say(f"/survey send #2 #{ref} --present no")
    assert "6 personnes" in (missed.text or ""), missed.text
    await bot.sent.wait_until(lambda: len(bot.sent.private) == 9)
    by_survey: dict[str, set[str]] = {"#1": set(), "#2": set()}
    for who, reply, _ok in bot.sent.private:
        assert reply.card is not None
        by_survey["#1" if "#1" in reply.card.title else "#2"].add(who.removeprefix("console:"))
    assert by_survey == {"#1": {"m1", "m4", "m7"}, "#2": {f"m{i}" for i in (0, 2, 3, 5, 6, 8)}}


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_without_checkin_present_or_not_is_refused_clearly(app: App, bot: Session, locale: str) -> None:
    """Nobody checked in: neither present nor absent can be told, and nothing is sent."""
    ref = await event_with(app, 4)
    await survey(bot, 'text "Une idée ?"')
    for present in ("yes", "no"):
        reply = await bot.as_(locale=locale).say(f"/survey send #1 #{ref} --present {present}")
        assert reply.text == translate(locale, "survey.no_checkin", ref=ref)
    assert bot.sent.private == []


# ---------------------------------------------------------------- console: known members


async def test_the_console_sends_to_those_seen_in_a_channel_and_to_its_staff(app: App) -> None:
    """The console knows who typed where: #atelier's two members; the staff group is alice."""
    console = ConsoleSession(app)
    await console.say('/survey create "Bilan"', '/survey question #1 text "Une idée ?"')
    await console.say("/space console:local #atelier", "/as bob", "bonjour", "/as carol", "salut")
    await console.say("/space console:local #general", "/as alice")
    said = await console.say("/survey channel #1 #atelier")
    assert "2 personnes" in said, said
    unknown = await console.say("/survey channel #1 #inconnu")
    assert translate("fr", "survey.no_such_channel", channel="#inconnu") in unknown
    await console.say('/survey create "Équipe"', '/survey question #2 text "Et toi ?"')
    assert "1 personne" in await console.say("/survey group #2 staff")


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_a_platform_that_cannot_list_members_refuses(app: App, bot: Session, locale: str) -> None:
    """Without the capability the channel and group audiences are refused, in the member's language."""
    await survey(bot, 'text "Une idée ?"')
    staff = bot.as_(locale=locale)
    for line in ("/survey channel #1 #general", "/survey group #1 staff"):
        assert (await staff.say(line)).text == translate(locale, "capability.missing.members")
    assert bot.sent.private == []


# ---------------------------------------------------------------- Slack


def slack_people(bot: SlackBot, humans: int) -> list[str]:
    """`humans` people, two bots, a deactivated account and Slackbot in #salon; the people's ids."""
    people = [f"U0P{i:03d}" for i in range(humans)]
    bot.fake.users.update({"U0ROBOT": {"is_bot": True}, "U0APP": {"is_app_user": True}, "U0GONE": {"deleted": True}})
    members = [*people[:2], "U0ROBOT", "USLACKBOT", *people[2:], "U0GONE", "U0APP"]
    bot.fake.channels["C0SALON"] = {"name": "salon", "members": members}
    return people


async def slack_survey(bot: SlackBot, ref: int = 1) -> None:
    """Survey #`ref`, one open question, created by alice on Slack (each command answered before the next)."""
    for text in ('create "Bilan"', f'question #{ref} text "Une idée ?"'):
        await bot.command(text, name="/survey")
        await bot.fake.wait_for("response_url")
        bot.fake.clear()


async def slack_recipients(bot: SlackBot, count: int) -> set[str]:
    """The users who received a DM, once `count` went out and the outbox has nothing more to send."""
    await bot.fake.wait_for("chat.postMessage", lambda c: str(c.params["channel"]).startswith("D"), count)
    await bot.app.notices.idle()
    dms = [c for c in bot.fake.calls("chat.postMessage") if str(c.params["channel"]).startswith("D")]
    assert len(dms) == count
    return {"U" + str(call.params["channel"])[1:] for call in dms}


async def test_slack_a_channel_s_people_over_several_pages(tmp_path: Path) -> None:
    """Seven people among bots, over pages of three: exactly the seven receive it."""
    async with slack_bot(tmp_path, schedule__send_rate="slack=1000") as bot:
        people = slack_people(bot, 7)
        bot.fake.page_size = 3
        await slack_survey(bot)
        await bot.command("channel #1 <#C0SALON|salon>", name="/survey")
        [card] = await bot.fake.wait_for("chat.postMessage", lambda c: c.params["channel"] == GENERAL)
        assert "sent privately to 7 people" in json.dumps(card.params), card.params
        assert await slack_recipients(bot, 7) == set(people)
        pages = bot.fake.calls("conversations.members")
        assert len(pages) == 4 and pages[-1].params.get("cursor") == "9"
        assert not {c.params["user"] for c in bot.fake.calls("users.info")} & {"USLACKBOT"}


async def test_slack_a_channel_by_name_and_a_user_group_by_handle(tmp_path: Path) -> None:
    """#salon found by its name; @design's two people (its bot left out)."""
    async with slack_bot(tmp_path, schedule__send_rate="slack=1000") as bot:
        people = slack_people(bot, 3)
        bot.fake.usergroups["S0DESIGN1"] = [people[0], "U0ROBOT", people[2]]
        bot.fake.usergroup_handles["S0DESIGN1"] = "design"
        await slack_survey(bot)
        await bot.command("group #1 @design", name="/survey")
        assert await slack_recipients(bot, 2) == {people[0], people[2]}
        await slack_survey(bot, 2)
        await bot.command("channel #2 #salon", name="/survey")
        second = lambda c: str(c.params["channel"]).startswith("D") and "#2" in json.dumps(c.params)  # noqa: E731
        dms = await bot.fake.wait_for("chat.postMessage", second, 3)
        assert {"U" + str(c.params["channel"])[1:] for c in dms} == set(people)


@pytest.mark.parametrize("locale", ["fr-FR", "en-US"])
async def test_slack_an_unknown_group_is_refused_in_the_member_s_language(tmp_path: Path, locale: str) -> None:
    """No such user group: a clear refusal, nothing sent."""
    async with slack_bot(tmp_path) as bot:
        bot.fake.users[ALICE] = {"locale": locale}
        await slack_survey(bot)
        await bot.command("group #1 @nobody", name="/survey")
        [answer] = await bot.fake.wait_for("response_url")
        expected = translate(locale[:2], "survey.no_such_group", group="@nobody")
        assert expected.split("“")[0].split("«")[0].strip() in json.dumps(answer.params, ensure_ascii=False)
        assert not bot.fake.calls("conversations.open")


# ---------------------------------------------------------------- Discord

GUILD = 1_300_000_000_000_000_001
CHANNEL, PRIVATE = 1_300_000_000_000_000_101, 1_300_000_000_000_000_102
STAFF_ROLE, DESIGN = 1_300_000_000_000_000_201, 1_300_000_000_000_000_202
ADMIN = 1_300_000_000_000_000_300
PEOPLE = [1_300_000_000_000_000_310 + i for i in range(5)]
ROBOT = 1_300_000_000_000_000_399
VIEW = 1 << 10


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """One guild: the admin (staff role), five people (two designers), a bot; #privé visible to designers only."""
    async with FakeDiscord() as fake:
        hidden = [{"id": str(GUILD), "type": 0, "allow": "0", "deny": str(VIEW)},
                  {"id": str(DESIGN), "type": 0, "allow": str(VIEW), "deny": "0"}]  # fmt: skip
        fake.add_guild(
            GUILD,
            channels=[{"id": CHANNEL, "name": "général"}, {"id": PRIVATE, "name": "privé", "permission_overwrites": hidden}],
            roles=[{"id": STAFF_ROLE, "name": "orga"}, {"id": DESIGN, "name": "design"}],
            members=[{"id": ADMIN, "username": "admin", "roles": [STAFF_ROLE]},
                     *({"id": p, "username": f"p{i}", "roles": [DESIGN] if i in (1, 3) else []} for i, p in enumerate(PEOPLE)),
                     {"id": ROBOT, "username": "robot", "bot": True, "roles": [DESIGN]}],
        )  # fmt: skip
        yield fake
        assert not fake.logged_errors, fake.logged_errors


def discord_settings(tmp_path: Path, members: bool) -> Settings:
    """Staff hold "orga"; the Server Members intent on or off; sends not held back."""
    return make_settings(tmp_path / "d.db", discord__staff_role="orga", discord__members=members,
                         schedule__send_rate="discord=1000")  # fmt: skip


async def survey_slash(fake: FakeDiscord, sub: str, options: dict[str, Any], locale: str = "fr") -> DiscordCall:
    """/survey SUB as the admin."""
    payload = fake.slash_interaction("survey", options, subcommand=sub, guild_id=GUILD, channel_id=CHANNEL,
                                     user_id=ADMIN, roles=[STAFF_ROLE], locale=locale)  # fmt: skip
    return await fake.interact(payload)


def said(call: DiscordCall) -> str:
    """Everything the callback shows."""
    return json.dumps(call.json, ensure_ascii=False)


async def discord_recipients(app: App, fake: FakeDiscord, ref: int, count: int) -> set[int]:
    """The users who received survey #`ref` privately: `count` of them, and no more once the outbox is idle."""
    dm_of = {fake.dm_channel_id(user): user for user in [ADMIN, *PEOPLE, ROBOT]}

    def of_survey(call: DiscordCall) -> bool:
        parts = call.path.split("/")
        in_dm = len(parts) == 4 and parts[3] == "messages" and int(parts[2]) in dm_of
        return in_dm and f"#{ref} " in json.dumps(call.json, ensure_ascii=False)

    await fake.wait_for("POST", "/channels/", count=count, predicate=of_survey)
    await app.notices.idle()
    posts = [c for c in fake.calls("POST", "/channels/") if of_survey(c)]
    assert len(posts) == count
    return {dm_of[int(c.path.split("/")[2])] for c in posts}


async def discord_survey(fake: FakeDiscord) -> None:
    """Survey #1 with one open question."""
    assert "#1" in said(await survey_slash(fake, "create", {"title": "Bilan"}))
    added = await survey_slash(fake, "question", {"survey": "#1", "kind": "text", "question": "Une idée ?"})
    assert "Question 1" in said(added), said(added)


async def test_discord_a_channel_s_viewers_and_a_role_s_holders(tmp_path: Path, fake: FakeDiscord) -> None:
    """#privé reaches the two designers (the bot left out); the design role likewise; #général everyone but the bot."""
    async with (
        running_app(discord_settings(tmp_path, True)) as app,
        run_client(PhosphoreClient(app, guild_ready_timeout=0.05)),
    ):
        await discord_survey(fake)
        answer = await survey_slash(fake, "channel", {"survey": "#1", "channel": f"<#{PRIVATE}>"})
        assert "2 personnes" in said(answer), said(answer)
        assert await discord_recipients(app, fake, 1, 2) == {PEOPLE[1], PEOPLE[3]}
        await survey_slash(fake, "create", {"title": "Rôle"})
        await survey_slash(fake, "question", {"survey": "#2", "kind": "text", "question": "Et ?"})
        answer = await survey_slash(fake, "group", {"survey": "#2", "group": "@design"})
        assert "2 personnes" in said(answer), said(answer)
        assert await discord_recipients(app, fake, 2, 2) == {PEOPLE[1], PEOPLE[3]}
        await survey_slash(fake, "create", {"title": "Tous"})
        await survey_slash(fake, "question", {"survey": "#3", "kind": "text", "question": "Et ?"})
        answer = await survey_slash(fake, "channel", {"survey": "#3", "channel": "général"})
        assert "6 personnes" in said(answer), said(answer)
        assert await discord_recipients(app, fake, 3, 6) == {ADMIN, *PEOPLE}
        await app.notices.idle()
        listed = [c for c in fake.calls("GET", f"/guilds/{GUILD}/members") if c.path.endswith("/members")]
        assert len(listed) == 3 and all(c.query.get("limit") == "1000" for c in listed)


@pytest.mark.parametrize("locale", ["fr", "en-US"])
async def test_discord_without_the_members_intent_refuses_clearly(
    tmp_path: Path, fake: FakeDiscord, locale: str
) -> None:
    """The intent off: a translated refusal, no member list asked for, nothing sent, no crash."""
    async with (
        running_app(discord_settings(tmp_path, False)) as app,
        run_client(PhosphoreClient(app, guild_ready_timeout=0.05)),
    ):
        await discord_survey(fake)
        for sub, options in (("channel", {"channel": f"<#{CHANNEL}>"}), ("group", {"group": "@design"})):
            answer = await survey_slash(fake, sub, {"survey": "#1", **options}, locale=locale)
            expected = translate(locale[:2], "capability.missing.members")
            assert expected[:40] in said(answer), said(answer)
        assert not [c for c in fake.calls("GET") if c.path.endswith("/members")]
