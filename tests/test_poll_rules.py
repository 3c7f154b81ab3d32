"""Every poll rule, through the real dispatcher, store and services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.config import Settings
from bot.core.clock import ManualClock
from bot.core.errors import UserError
from bot.core.model import Action
from bot.core.refs import parse_ref
from bot.features.polls.domain import check_draft
from bot.ui import Button, Reply, Select, fallbacks
from tests.fakes.delivery import RecordingDelivery
from tests.helpers import Session, make_settings, member, running_app

SPACE = "console:local"
ALICE = member("alice", staff=True)
BOB = member("bob")


async def make_poll(bot: Session, options: int = 3, flags: str = "", space: str = SPACE) -> Reply:
    """Create a poll with `options` options; returns its public reply."""
    labels = " ".join(f'"Option {i}"' for i in range(1, options + 1))
    reply = await bot.as_(space=space).say(f'poll create "Question ?" {labels} {flags}')
    assert reply.public and reply.card is not None, reply.text
    return reply


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ('poll create "" "A" "B"', "Il manque : question"),
        ('poll create "   " "A" "B"', "Il manque : question"),
        ('poll create "Q ?" "A"', "au moins 2 options"),
        ('poll create "Q ?" ' + " ".join(f'"O{i}"' for i in range(26)), "26 options, c'est trop"),
        (f'poll create "{"x" * 301}" "A" "B"', "301 caractères"),
        (f'poll create "Q ?" "{"y" * 76}" "B"', "trop longue"),
        ('poll create "Q ?" "Oui" " oui "', "apparaît deux fois"),
        ('poll create "Q ?" "A" "B" --multi 3', "entre 1 et 2"),
        ('poll create "Q ?" "A" "B" --multi deux', "n'est pas un nombre entier"),
        ('poll create "Q ?" "A" "B" --results bientot', "choisissez parmi live, closed"),
        ('poll create "Q ?" "A" "B" --closes "n\'importe quand"', "Je n'ai pas compris la date"),
        ('poll create "Q ?" "A" "B" --closes "2020-01-01 10:00"', "passé"),
        ('poll create "Q ?" "A" "B --multi 2', "guillemet fermant"),
        ('poll create "Q ?" "A" "B" --colour red', "Option inconnue --colour"),
        ("poll results abc", "n'est pas une référence de sondage"),
        ("poll results 99", "Aucun sondage #99"),
        ("poll frobnicate", "n'est pas une sous-commande"),
        ("poll", "Que voulez-vous faire avec /poll"),
        ("nothing here", "Commande inconnue"),
        ("poll close", "Il manque : sondage"),
    ],
)
async def test_bad_input_gets_a_clear_french_message(app: App, bot: Session, command: str, expected: str) -> None:
    """Each mistake is explained, privately, and nothing is created."""
    reply = await bot.say(command)
    assert not reply.public
    assert expected in (reply.text or ""), reply.text
    assert await app.services.polls.open_polls(SPACE) == []


async def test_bad_input_in_english(app: App, bot: Session) -> None:
    """The member's own language wins over the space's French."""
    reply = await bot.as_(locale="en-GB").say('poll create "Q ?" "A"')
    assert reply.text == "A poll needs at least 2 options."


async def test_check_draft_trims_and_casefolds() -> None:
    """Options are trimmed; duplicates are found after case-folding; blank options dropped."""
    draft = check_draft("  Q ?  ", [" A ", "", "B"])
    assert draft.question == "Q ?" and draft.options == ("A", "B")
    with pytest.raises(UserError) as caught:
        check_draft("Q", ["Straße", "STRASSE"])
    assert caught.value.key == "poll.duplicate_option" and caught.value.field == "options"


@pytest.mark.parametrize(("text", "number"), [("12", 12), ("#12", 12), (" #7 ", 7)])
def test_refs_accept_number_or_hash(text: str, number: int) -> None:
    """`12` and `#12` name the same poll."""
    assert parse_ref(text) == number


async def test_members_cannot_create_polls_unless_the_space_allows(app: App, bot: Session, tmp_path) -> None:
    """Staff by default; a space can open poll creation to everyone."""
    reply = await bot.as_(BOB).say('poll create "Q ?" "A" "B"')
    assert reply.text == "Seule l'équipe peut utiliser /poll create."
    settings = make_settings(tmp_path / "open.db")
    settings = Settings(settings.values, {"console:open": {"poll_creators": "everyone"}}, {}, None)
    async with running_app(settings) as open_app:
        opened = Session(open_app, BOB)
        assert (await opened.as_(space="console:open").say('poll create "Q ?" "A" "B"')).public
        assert not (await opened.say('poll create "Q ?" "A" "B"')).public


async def test_missing_options_open_a_form_built_from_the_declaration(app: App) -> None:
    """Platforms with modals get one; its submission runs the same command, errors go to their field."""
    from bot.core.model import Invocation

    reply = await app.dispatcher.invoke(
        Invocation(SPACE, "general", ALICE, "poll create", {}, "fr", can_open_modal=True)
    )
    modal = reply.modal
    assert modal is not None and modal.action_id == "cmd:poll.create" and modal.title == "Nouveau sondage"
    assert [(i.id, i.kind, i.required) for i in modal.inputs] == [
        ("question", "text", True),
        ("options", "paragraph", True),
        ("multi", "text", False),
        ("anonymous", "flag", False),
        ("results", "choice", False),
        ("closes", "text", False),
    ]
    assert [c.value for c in modal.inputs[4].choices] == ["live", "closed"]
    bad = await app.dispatcher.act(
        Action(SPACE, "general", ALICE, modal.action_id, fields={"question": "Q ?", "options": "A\nA"})
    )
    assert set(bad.field_errors) == {"options"} and "apparaît deux fois" in bad.field_errors["options"]
    good = await app.dispatcher.act(
        Action(
            SPACE,
            "general",
            ALICE,
            modal.action_id,
            fields={"question": "Q ?", "options": "A\n\nB\nC", "anonymous": "oui"},
        )
    )
    assert good.public and [b.label for b in good.card.bars] == ["A", "B", "C"] and "anonyme" in good.card.text[0]
    refused = await app.dispatcher.act(
        Action(SPACE, "general", BOB, modal.action_id, fields={"question": "Q", "options": "A\nB"})
    )
    assert refused.text == "Seule l'équipe peut utiliser /poll create."


async def test_refs_are_short_and_per_space(app: App, bot: Session) -> None:
    """Each space numbers its polls from #1."""
    first = await make_poll(bot)
    other = await make_poll(bot, space="console:other")
    second = await make_poll(bot)
    assert first.card.title.startswith("#1 ") and second.card.title.startswith("#2 ")
    assert other.card.title.startswith("#1 ")


async def test_single_choice_moves_and_toggles(app: App, bot: Session) -> None:
    """A new click moves the vote; clicking the current choice removes it."""
    card = (await make_poll(bot)).card
    ids = [control.action_id for control in card.controls]
    assert (await bot.as_(BOB).act(ids[0])).text.endswith("Vos choix : Option 1.")
    assert (await bot.as_(BOB).act(ids[1])).text.endswith("Vos choix : Option 2.")
    assert "plus aucun choix" in (await bot.as_(BOB).act(ids[1])).text
    assert (await app.services.polls.store.tally(1)).counts == (0, 0, 0)


async def test_multi_choice_limit(app: App, bot: Session) -> None:
    """Up to N choices; the (N+1)th gets a clear message and changes nothing."""
    card = (await make_poll(bot, 4, "--multi 2")).card
    ids = [control.action_id for control in card.controls]
    await bot.as_(BOB).act(ids[0])
    assert (await bot.as_(BOB).act(ids[2])).text.endswith("Vos choix : Option 1, Option 3.")
    refused = await bot.as_(BOB).act(ids[3])
    assert "déjà 2 choix" in refused.text
    assert (await app.services.polls.store.choices(1, BOB.key)) == (0, 2)


async def test_more_than_five_options_use_a_select(app: App, bot: Session) -> None:
    """Six options become one select whose values are option positions."""
    card = (await make_poll(bot, 6)).card
    assert len(card.controls) == 1 and isinstance(card.controls[0], Select)
    select = card.controls[0]
    reply = await bot.as_(BOB).act(select.action_id, (select.options[5].value,))
    assert reply.text.endswith("Vos choix : Option 6.")


async def test_five_options_use_buttons(app: App, bot: Session) -> None:
    """Five options or fewer are buttons."""
    card = (await make_poll(bot, 5)).card
    assert len(card.controls) == 5 and all(isinstance(c, Button) for c in card.controls)


async def test_results_hidden_until_closing(app: App, bot: Session) -> None:
    """With --results closed the card promises results; /poll results refuses until closed."""
    card = (await make_poll(bot, flags="--results closed")).card
    assert card.bars == () and any("Résultats à la clôture" in t for t in card.text)
    await bot.as_(BOB).act(card.controls[0].action_id)
    assert "seront visibles à sa clôture" in (await bot.say("poll results 1")).text
    assert "seront visibles à sa clôture" in (await bot.say("poll export 1")).text
    closed = await bot.say("poll close 1")
    assert closed.card.bars[0].count == 1


async def test_anonymous_polls_never_show_names(app: App, bot: Session) -> None:
    """One vote per member is still enforced, but exports carry counts only, even for staff."""
    card = (await make_poll(bot, flags="--anonymous")).card
    await bot.as_(BOB).act(card.controls[0].action_id)
    await bot.as_(member("carol")).act(card.controls[0].action_id)
    await bot.as_(BOB).act(card.controls[1].action_id)  # moves, does not add
    export = await bot.say("poll export 1")
    csv_text = export.files[0].content.decode()
    assert "bob" not in csv_text and "carol" not in csv_text and "voter" not in csv_text.splitlines()[-1]
    assert (await app.services.polls.store.tally(1)).voters == 2
    assert "anonyme" in card.text[0]


async def test_close_by_author_or_staff_only(app: App, bot: Session, settings) -> None:
    """A member who did not create the poll cannot close it; closing twice is explained."""
    await make_poll(bot)
    assert (await bot.as_(BOB).say("poll close 1")).text == "Seuls l'auteur du sondage et l'équipe peuvent le clore."
    assert (await bot.say("poll close #1")).public
    assert (await bot.say("poll close 1")).text == "Le sondage #1 est déjà clos."


async def test_clicks_after_closing_are_refused(app: App, bot: Session) -> None:
    """Results freeze: a late click says the poll is closed and counts nothing."""
    card = (await make_poll(bot)).card
    await bot.say("poll close 1")
    reply = await bot.as_(BOB).act(card.controls[0].action_id)
    assert reply.text == "Le sondage #1 est clos : les votes ne sont plus pris en compte."
    assert (await app.services.polls.store.tally(1)).voters == 0


async def test_closing_time_closes_and_posts_final_results(app: App, bot: Session) -> None:
    """At the closing time the scheduler's wake-up closes the poll and posts the final card."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    card = (await make_poll(bot, flags='--closes "dans 2h"')).card
    assert "clôture le lundi 1 juin 2026 à 12:00 (Europe/Paris)" in fallbacks(card.text[0])
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=1, minutes=59))
    await app.services.wakeups.run_due()
    assert delivery.posts == []
    clock.advance(timedelta(minutes=1))
    reply = await bot.as_(BOB).act(card.controls[0].action_id)  # due but not yet swept: already refused
    assert "est clos" in reply.text
    await app.services.wakeups.run_due()
    assert len(delivery.posts) == 1 and delivery.posts[0][2].card.title.startswith("Résultats finaux · #1")


@pytest.mark.parametrize(
    "action_id",
    ["poll:vote", "poll:vote:x:1", "poll:vote:1:x", "poll:vote:1:9", "poll:nope:1:1", "zzz", "", "poll:vote:1"],
)
async def test_malformed_action_ids_are_explained(app: App, bot: Session, action_id: str) -> None:
    """A click whose id makes no sense gets a clear message, never a crash."""
    await make_poll(bot)
    reply = await bot.as_(BOB).act(action_id)
    assert reply.text in (
        "Ce bouton n'est pas valide (peut-être trop ancien). Relancez la commande.",
        "Cette option n'existe pas dans ce sondage.",
    ), reply.text


async def test_a_crafted_action_id_for_another_space_is_refused(app: App, bot: Session) -> None:
    """A poll of another space is answered as if it did not exist, and gets no vote."""
    card = (await make_poll(bot, space="console:other")).card
    reply = await bot.as_(BOB, space=SPACE).act(card.controls[0].action_id)
    assert reply.text.startswith("Aucun sondage #")
    assert (await app.services.polls.store.tally(1)).voters == 0


async def test_public_card_in_the_space_language_private_replies_in_mine(app: App, bot: Session, tmp_path) -> None:
    """Everyone reads the card in the space's language; my confirmation comes in my own."""
    reply = await bot.as_(locale="en-US").say('poll create "Which quarter?" "Q1" "Q2" --multi 2')
    assert reply.card.text[0] == "Jusqu'à 2 choix"
    vote = await app.dispatcher.act(Action(SPACE, "general", BOB, reply.card.controls[0].action_id, locale="en"))
    assert vote.text == "Poll #1: your vote is recorded. Your choices: Q1."
    english = make_settings(tmp_path / "en.db", bot__locale="en")
    async with running_app(english) as app_en:
        card = (await Session(app_en).say('poll create "Which quarter?" "Q1" "Q2" --multi 2')).card
        assert card.text[0] == "Up to 2 choices"
        assert card.footer == "0 voters · click to vote, click again to remove"


async def test_list_mine_and_help(app: App, bot: Session) -> None:
    """/poll list shows open polls; /poll mine my choices; /help hides staff-only commands from members."""
    card = (await make_poll(bot)).card
    await bot.as_(BOB).act(card.controls[2].action_id)
    assert "#1 · Question ?" in (await bot.say("poll list")).card.text[0]
    assert (await bot.as_(BOB).say("poll mine 1")).text.endswith("Vos choix : Option 3.")
    member_help = "\n".join((await bot.as_(BOB).say("help")).card.text)
    staff_help = "\n".join((await bot.say("aide")).card.text)
    assert "/poll create" not in member_help and "/poll create" in staff_help
    assert "/poll results" in member_help


async def test_french_command_words(app: App, bot: Session) -> None:
    """French names work as well: /sondage créer, /sondage liste."""
    reply = await bot.say('sondage créer "Q ?" "A" "B"')
    assert reply.public
    assert "#1 · Q ?" in (await bot.say("sondage liste")).card.text[0]


async def test_csv_cells_cannot_become_formulas(app: App, bot: Session) -> None:
    """Member text that looks like a spreadsheet formula is exported as text."""
    await bot.say('poll create "=HYPERLINK(1)" "+A" "@B"')
    csv_text = (await bot.say("poll export 1")).files[0].content.decode()
    assert "'=HYPERLINK(1)" in csv_text and "'+A" in csv_text and "'@B" in csv_text


async def test_a_poll_swept_late_records_its_deadline_as_closing_time(app: App, bot: Session) -> None:
    """Review 24: a poll processed after its closing time says it closed at its deadline, not when swept."""
    delivery = RecordingDelivery()
    app.services.delivery.register("console", delivery)
    await make_poll(bot, flags='--closes "dans 2h"')
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=3, minutes=30))  # the sweep comes 90 minutes late
    await app.services.wakeups.run_due()
    poll = await app.services.polls.store.get_poll(1)
    assert poll is not None and poll.closed_at == poll.closes_at
    assert "clos le lundi 1 juin 2026 à 12:00 (Europe/Paris)" in fallbacks(delivery.posts[0][2].card.text[0])


async def test_a_poll_closed_by_hand_records_the_moment_and_a_late_hand_close_its_deadline(
    app: App, bot: Session
) -> None:
    """Review 24: closing by hand records now; after an unswept deadline it records the deadline."""
    await make_poll(bot)
    await make_poll(bot, flags='--closes "dans 2h"')
    clock = app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=2, minutes=30))
    await bot.say("poll close 1", "poll close 2")
    first, second = [await app.services.polls.store.get_poll(n) for n in (1, 2)]
    assert first is not None and first.closed_at == clock.now()
    assert second is not None and second.closed_at == second.closes_at
