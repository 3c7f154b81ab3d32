"""Review 39: instants on cards are shown in each viewer's own time zone where the platform can, exactly."""

from __future__ import annotations

from datetime import timedelta

from bot.adapters.console.render import render_card
from bot.adapters.discord import render as discord_render
from bot.adapters.slack import render as slack_render
from bot.app import App
from bot.core.clock import ManualClock
from bot.ui import Card, Field, SelectOption, fallbacks, segments
from tests.helpers import ConsoleSession, Session

CLOSES = 1780308000  # Monday 1 June 2026, 12:00 in Paris: two hours after the tests' start
CLOSES_FR = "lundi 1 juin 2026 à 12:00 (Europe/Paris)"
SLACK_CLOSES = f"<!date^{CLOSES}^{{date_long_pretty}} {{time}}|{CLOSES_FR}>"
STARTS, ENDS = 1781164800, 1781190000  # Thursday 11 June 2026, 10:00 and 17:00 in Paris


async def poll_card(bot: Session, question: str = "Q ?") -> Card:
    """The card of a new poll closing in two hours."""
    reply = await bot.say(f'poll create "{question}" "A" "B" --closes "dans 2h"')
    assert reply.card is not None, reply.text
    return reply.card


async def event_card(bot: Session) -> Card:
    """The public card of a new event, with a workshop."""
    await bot.say('event create "Journée" --start "11 juin 10h" --end "17h" --onsite 5')
    await bot.say('event workshop 1 "Atelier" --start "11 juin 14h" --end "15h" --capacity 3')
    reply = await bot.say("event info 1")
    card = reply.card or bot.sent.posts[-1][2].card
    assert card is not None
    return card


async def test_a_poll_closing_time_on_slack(bot: Session) -> None:
    """Slack: a date token in the viewer's zone, the space's zone as its fallback."""
    blocks = slack_render.card_blocks(await poll_card(bot))
    assert blocks[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": f"Un seul choix · clôture le {SLACK_CLOSES}"},
    }


async def test_a_poll_closing_time_on_discord(bot: Session) -> None:
    """Discord: a full timestamp in the description, which Discord shows in the viewer's zone."""
    embed = discord_render.embed(await poll_card(bot)).to_dict()
    assert embed["description"].split("\n")[0] == f"Un seul choix · clôture le <t:{CLOSES}:F>"


async def test_a_poll_closing_time_in_the_console(bot: Session, console: ConsoleSession) -> None:
    """The console shows the space's zone, as before; no marker character is ever printed."""
    lines, _choices = render_card(await poll_card(bot))
    assert lines[1] == f"│ Un seul choix · clôture le {CLOSES_FR}"
    out = await console.say('/poll create "Q2 ?" "A" "B" --closes "dans 2h"')
    assert f"│ Un seul choix · clôture le {CLOSES_FR}\n" in out
    assert not any("\ue000" <= char <= "\ue002" for char in out)


async def test_a_poll_closed_late_shows_its_deadline_on_every_platform(app: App, bot: Session) -> None:
    """The final card of a poll swept late shows its deadline (review 24) through the same tokens."""
    await poll_card(bot)
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=5))
    await app.services.wakeups.run_due()
    final = bot.sent.posts[-1][2].card
    assert final is not None and final.title.startswith("Résultats finaux")
    assert slack_render.card_blocks(final)[1]["text"]["text"] == f"Un seul choix · clos le {SLACK_CLOSES}"
    assert discord_render.embed(final).description.startswith(f"Un seul choix · clos le <t:{CLOSES}:F>")
    assert render_card(final)[0][1] == f"│ Un seul choix · clos le {CLOSES_FR}"


async def test_event_start_and_end_on_each_platform(bot: Session) -> None:
    """Start and end fields: Slack date tokens, Discord timestamps, the console's zone; plain-text places fall back."""
    card = await event_card(bot)
    fields = slack_render.card_blocks(card)[1]["fields"]
    assert fields[:2] == [
        {"type": "mrkdwn", "text": f"*Début*\n<!date^{STARTS}^{{date_long_pretty}} {{time}}|jeudi 11 juin 2026 à 10:00 (Europe/Paris)>"},
        {"type": "mrkdwn", "text": f"*Fin*\n<!date^{ENDS}^{{date_long_pretty}} {{time}}|jeudi 11 juin 2026 à 17:00 (Europe/Paris)>"},
    ]  # fmt: skip
    embed = discord_render.embed(card).to_dict()
    assert [(f["name"], f["value"]) for f in embed["fields"][:2]] == [
        ("Début", f"<t:{STARTS}:F>"),
        ("Fin", f"<t:{ENDS}:F>"),
    ]
    lines, _choices = render_card(card)
    assert lines[1:3] == [
        "│ Début : jeudi 11 juin 2026 à 10:00 (Europe/Paris)",
        "│ Fin : jeudi 11 juin 2026 à 17:00 (Europe/Paris)",
    ]
    # A workshop's time is a menu option's description: plain text on both platforms, so the space's zone.
    menu = next(c for c in discord_render.view(card).to_components() for c in c["components"] if c["type"] == 3)
    assert menu["options"][0]["description"] == "jeudi 11 juin 2026 à 14:00 (Europe/Paris)"
    slack_menu = next(
        e for b in slack_render.card_blocks(card) if b["type"] == "actions" for e in b["elements"] if "options" in e
    )
    assert slack_menu["options"][0]["description"]["text"] == "jeudi 11 juin 2026 à 14:00 (Europe/Paris)"


async def test_a_reminder_text_on_each_platform(app: App, bot: Session) -> None:
    """A private reminder (a bare text): Slack's message text holds the token, Discord's content the timestamp."""
    await bot.say('event create "Journée" --start "11 juin 10h" --end "17h" --onsite 5')
    await bot.as_("bob").say("event signup 1 --mode onsite")
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(days=3))  # the 7-day reminder
    await app.services.wakeups.run_due()
    (reminder,) = [reply for who, reply, _ok in bot.sent.private if who == "console:bob"]
    head = reminder.text.splitlines()[0]
    assert fallbacks(head) == "⏰ Rappel : #1 · Journée commence le jeudi 11 juin 2026 à 10:00 (Europe/Paris)."
    assert slack_render.message(head, None) == {
        "text": f"⏰ Rappel : #1 · Journée commence le <!date^{STARTS}^{{date_long_pretty}} {{time}}|jeudi 11 juin 2026 à 10:00 (Europe/Paris)>."
    }  # fmt: skip
    content = discord_render.message(reminder)["content"]
    assert content.splitlines()[0] == f"⏰ Rappel : #1 · Journée commence le <t:{STARTS}:F>."


async def test_an_idea_wall_closing_time_on_each_platform(bot: Session) -> None:
    """The wall's closing time in its opening message."""
    reply = await bot.say('idea wall open "Vos idées ?" --closes "dans 2h"')
    line = (reply.text or "").splitlines()[-1]
    assert line.endswith(f"clôture le \ue000{line.split(chr(0xE000))[1]}")  # one moment, ending the line
    assert slack_render.message(line, None)["text"].endswith(f"clôture le {SLACK_CLOSES}")
    assert discord_render.rich(line).endswith(f"clôture le <t:{CLOSES}:F>")
    assert fallbacks(line).endswith(f"clôture le {CLOSES_FR}")


async def test_member_text_cannot_forge_a_moment(bot: Session) -> None:
    """A question copying a token's shape, or typing a platform's own date syntax, stays literal text everywhere."""
    forged = "\ue0000123456789abcdef:0\ue001faux\ue002 <!date^0^{date}|x> <t:0:F>"
    card = await poll_card(bot, forged)
    assert [part for part in segments(card.title) if not isinstance(part, str)] == []
    title = slack_render.card_blocks(card)[0]["text"]["text"]
    assert title == "*#1 · 0123456789abcdef:0faux &lt;!date^0^{date}|x&gt; &lt;t:0:F&gt;*"
    assert discord_render.embed(card).title == "#1 · 0123456789abcdef:0faux <!date^0^{date}\\|x> \\<t:0:F>"
    assert discord_render.rich("<t:0:F>") == "\\<t:0:F>"
    assert render_card(card)[0][0] == "┌ #1 · 0123456789abcdef:0faux <!date^0^{date}|x> <t:0:F>"


def test_titles_footers_and_plain_text_fall_back_to_the_space_zone() -> None:
    """Where a platform cannot show a timestamp (Discord titles and footers, Slack plain text), the fallback is shown."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.ui import Button, moment

    token = moment(datetime(2026, 6, 1, 10, tzinfo=UTC), ZoneInfo("Europe/Paris"), "fr")
    card = Card(
        title=f"Le {token}",
        fields=(Field(f"Depuis {token}", "x"),),
        controls=(Button(f"Avant {token}", "a:b"),),
        footer=f"Clos {token}",
    )
    embed = discord_render.embed(card).to_dict()
    assert embed["title"] == f"Le {CLOSES_FR}" and embed["footer"] == {"text": f"Clos {CLOSES_FR}"}
    assert embed["fields"][0]["name"] == f"Depuis {CLOSES_FR}"
    assert slack_render.element(card.controls[0])["text"]["text"] == f"Avant {CLOSES_FR}"
    assert slack_render.option(SelectOption(f"Le {token}", "1"))["text"]["text"] == f"Le {CLOSES_FR}"


def test_cutting_never_leaves_half_a_moment() -> None:
    """A long text cut by Slack's or Discord's limits drops a moment it would split, never shows its insides."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.ui import moment

    token = moment(datetime(2026, 6, 1, 10, tzinfo=UTC), ZoneInfo("Europe/Paris"), "fr")
    text = "x" * 2990 + " " + token
    shown = slack_render.mrkdwn(text)["text"]
    assert shown == "x" * 2990 + "…"
    assert slack_render.cut(text, 2995) == "x" * 2990 + "…"
    assert discord_render.clip(discord_render.rich("y" * 95 + token), 100) == "y" * 95 + "…"
