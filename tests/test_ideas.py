"""The idea wall through the dispatcher: every rule of issue 5, in French and English."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.core.clock import ManualClock
from bot.core.errors import UserError
from bot.core.model import Member
from bot.features.ideas.domain import Idea, Wall, poll_labels
from bot.features.polls.domain import OPTION_MAX
from bot.ui import Button, Reply, fallbacks
from tests.helpers import START, Session, make_settings, member, running_app

SPACE = "console:local"
OTHER_SPACE = "console:elsewhere"
ALICE = member("alice", staff=True)
BOB, CAROL, DAVE = member("bob"), member("carol"), member("dave")


class Room(Session):
    """The test space through the harness, with the idea wall's own shortcuts."""

    async def submit(self, who: Member, text: str, extra: str = "", channel: str | None = None, **kwargs: str) -> int:
        """Submit an idea that must be accepted; its global id."""
        reply = await self.as_(who, **kwargs).say(f'idea submit "{text}" {extra}', channel=channel)
        assert reply.subject and reply.subject.startswith("idea:"), reply.text or reply.card
        return int(reply.subject.split(":")[1])

    async def told(self, count: int) -> list[tuple[str, Reply, bool]]:
        """The private messages sent, once `count` of them arrived (notices go out after the commit)."""
        await self.sent.wait_until(lambda: len(self.sent.private) >= count)
        return self.sent.private

    async def likes(self, idea_id: int) -> int:
        """The stored like count of an idea."""
        idea = await self.app.services.ideas.store.get_idea(idea_id)
        assert idea is not None
        return idea.likes


@pytest.fixture
def room(app: App) -> Room:
    """The test space, with a recording Delivery."""
    return Room(app)


def card_text(reply: Reply) -> str:
    """Everything a card shows, as one string."""
    assert reply.card is not None, reply.text
    card = reply.card
    parts = [card.title, *card.text, *(f"{f.name}: {f.value}" for f in card.fields), card.footer or ""]
    parts += [c.label for c in card.controls if isinstance(c, Button)]
    return "\n".join(parts)


def buttons(reply: Reply) -> list[Button]:
    """The buttons of a reply's card."""
    assert reply.card is not None
    return [c for c in reply.card.controls if isinstance(c, Button)]


# Likes


async def test_like_is_a_toggle_counted_once_per_member(room: Room) -> None:
    """A second click takes the like back; two members make two likes."""
    idea = await room.submit(BOB, "Un mur des apprentissages")
    reply = await room.as_(CAROL).act(f"idea:like:{idea}")
    assert reply.text == "Vous aimez l'idée #1 (1 j'aime)."
    reply = await room.as_(CAROL).act(f"idea:like:{idea}")
    assert reply.text == "Vous n'aimez plus l'idée #1 (0 j'aime)."
    await room.as_(CAROL).act(f"idea:like:{idea}")
    reply = await room.as_(DAVE, locale="en").act(f"idea:like:{idea}")
    assert reply.text == "You like idea #1 (2 likes)."
    assert await room.likes(idea) == 2
    reply = await room.as_(DAVE).say("idea like #1")
    assert reply.text == "Vous n'aimez plus l'idée #1 (1 j'aime)."


async def test_ranking_by_likes_ties_older_first(room: Room) -> None:
    """Most liked first; two ideas with as many likes: the older one first."""
    clock = room.app.services.clock
    assert isinstance(clock, ManualClock)
    older = await room.submit(BOB, "Alternance de plénières et de sous-groupes")
    clock.advance(timedelta(seconds=5))
    top = await room.submit(CAROL, "Un spectacle en clôture")
    clock.advance(timedelta(seconds=5))
    newer = await room.submit(DAVE, "Hébergement chez l'habitant")
    for who in (BOB, CAROL):
        await room.as_(who).act(f"idea:like:{top}")
    await room.as_(DAVE).act(f"idea:like:{newer}")
    await room.as_(CAROL).act(f"idea:like:{older}")
    reply = await room.as_(BOB).say("idea top")
    lines = reply.card.text[0].splitlines() if reply.card else []
    assert [line.split(" · ")[0] for line in lines] == ["1. #2", "2. #1", "3. #3"]
    reply = await room.as_(BOB, locale="en").say("idea top --limit 1")
    assert reply.card and reply.card.text[0] == "1. #2 · Un spectacle en clôture — 2 likes"


# Walls, submissions, bad input


async def test_walls_prompt_categories_and_default(room: Room) -> None:
    """Staff open a wall with categories; ideas in its channel go there; elsewhere the default wall."""
    reply = await room.say(
        'idea wall open "Les conditions de réussite ?" --categories "lieu, rythme, posture"', channel="atelier"
    )
    assert reply.public and "Mur d'idées #1 ouvert : Les conditions de réussite ?" in (reply.text or "")
    idea = await room.submit(BOB, "Un lieu accessible en train", "--category Lieu", channel="atelier")
    stored = await room.app.services.ideas.store.get_idea(idea)
    assert stored and stored.category == "lieu"
    reply = await room.as_(BOB).say('idea submit "Un rythme trimestriel" --category budget', channel="atelier")
    assert reply.text == "Catégorie inconnue : « budget ». Choisissez parmi : lieu, rythme, posture."
    elsewhere = await room.submit(BOB, "Une idée hors atelier")
    stored = await room.app.services.ideas.store.get_idea(elsewhere)
    assert stored and stored.wall_id != (await room.app.services.ideas.store.get_idea(idea)).wall_id
    reply = await room.as_(BOB).say('idea submit "x" --wall 9')
    assert reply.text == "Aucun mur #9 ici. /idea wall list montre les murs."
    reply = await room.as_(BOB, locale="en").say('idea submit "x" --wall abc')
    assert reply.text == "“abc” is not a wall reference: type for example 2 or #2 (0 for the idea box)."
    reply = await room.as_(BOB).say('idea submit "x" --category lieu')
    assert reply.text == "Le mur 0 n'a pas de catégories : proposez sans --category."
    reply = await room.as_(BOB).say('idea wall open "Sans droit"')
    assert reply.text == "Seule l'équipe peut utiliser /idea wall open."
    reply = await room.as_(BOB).say("idée mur liste")
    assert "#1 · Les conditions de réussite ? · lieu, rythme, posture" in card_text(reply)


async def test_text_trimmed_bounded_and_not_empty(tmp_path: Path) -> None:
    """Spaces around are dropped; the configured maximum holds; an empty idea is refused."""
    async with running_app(make_settings(tmp_path / "db.sqlite", ideas__max_length=20)) as app:
        room = Room(app)
        idea = await room.submit(BOB, "   Des ateliers   ")
        stored = await app.services.ideas.store.get_idea(idea)
        assert stored and stored.text == "Des ateliers"
        reply = await room.as_(BOB).say('idea submit "Une idée bien trop longue pour ce mur"')
        assert reply.text == "L'idée fait 37 caractères ; 20 au plus."
        reply = await room.as_(BOB, locale="en").say('idea submit "   "')
        assert reply.text and reply.text.startswith("Missing: idea.")
        reply = await room.as_(BOB).say("idea edit #1 '  '")
        assert reply.text and reply.text.startswith("Il manque : nouveau texte.")


async def test_submit_through_a_modal(room: Room) -> None:
    """With no text and a platform that has forms, a modal opens; its submission posts the idea."""
    reply = await room.app.dispatcher.invoke_text(SPACE, "general", BOB, "idea submit", can_open_modal=True)
    assert reply.modal is not None and reply.modal.action_id == "cmd:idea.submit"
    assert [i.id for i in reply.modal.inputs] == ["text", "wall", "category", "anonymous"]
    reply = await room.as_(BOB).act("cmd:idea.submit", fields={"text": "  ", "anonymous": "non"})
    assert "text" in reply.field_errors
    reply = await room.as_(BOB).act(
        "cmd:idea.submit", fields={"text": "Fil de discussion avec les distanciels", "anonymous": "oui"}
    )
    assert reply.public and reply.subject == "idea:1"
    assert "bob" not in card_text(reply)


async def test_flood_limit_counted_in_the_database(tmp_path: Path) -> None:
    """The 11th idea in a minute is refused, after a restart too; a minute later it passes."""
    settings = make_settings(tmp_path / "db.sqlite", ideas__duplicate_threshold=0)  # alike texts: no hint here
    clock = ManualClock(START)
    async with running_app(settings, clock) as app:
        room = Room(app)
        for number in range(10):
            await room.submit(BOB, f"Idée numéro {number}")
    async with running_app(settings, clock) as app:
        room = Room(app)
        reply = await room.as_(BOB).say('idea submit "Encore une autre proposition"')
        assert reply.text == "Vous avez déjà proposé 10 idées en une minute : patientez un peu avant la suivante."
        await room.submit(CAROL, "Carol, elle, peut proposer")
        clock.advance(timedelta(seconds=61))
        await room.submit(BOB, "Encore une autre proposition")


async def test_duplicate_hint_like_instead_or_submit_anyway(room: Room) -> None:
    """A similar idea is shown with two buttons; the draft waits in the database, its id in the button."""
    first = await room.submit(BOB, "Des ateliers en sous-groupes")
    reply = await room.as_(CAROL).say('idea submit "des ateliers / travail en sous-groupe"')
    assert reply.subject is None and "Une idée proche existe déjà" in card_text(reply)
    assert "#1 · Des ateliers en sous-groupes" in card_text(reply)
    instead, anyway = buttons(reply)
    assert instead.label == "👍 L'aimer plutôt" and anyway.label == "Proposer quand même"
    assert (await room.as_(DAVE).act(anyway.action_id)).text == (
        "Cette proposition a déjà été traitée ou a expiré : proposez-la à nouveau."
    )  # another member cannot post Carol's draft
    reply = await room.as_(CAROL).act(instead.action_id)
    assert reply.text == "Vous aimez l'idée #1 (1 j'aime)."
    assert await room.likes(first) == 1
    reply = await room.as_(CAROL).act(anyway.action_id)
    assert reply.text == "Cette proposition a déjà été traitée ou a expiré : proposez-la à nouveau."
    reply = await room.as_(DAVE, locale="en").say('idea submit "Des ateliers en sous groupes"')
    _, anyway = buttons(reply)
    assert anyway.label == "Submit anyway"
    reply = await room.as_(DAVE).act(anyway.action_id)
    assert reply.public and reply.subject == "idea:2"
    assert "Des ateliers en sous groupes" in card_text(reply)


async def test_list_pages_with_buttons_and_mine(room: Room) -> None:
    """25 ideas make three pages of 10, 10 and 5, newest first; /idea mine shows one's own."""
    clock = room.app.services.clock
    assert isinstance(clock, ManualClock)
    for number in range(25):
        who = (BOB, CAROL, DAVE)[number % 3]
        await room.submit(who, f"Proposition {number} : {'abcdefghijklmnopqrstuvwxy'[number] * 12}")
        clock.advance(timedelta(seconds=30))
    reply = await room.as_(BOB).say("idea list")
    assert reply.card and len(reply.card.text[0].splitlines()) == 10
    assert reply.card.text[0].startswith("#25 ·") and reply.card.footer == "Page 1 sur 3 · les plus récentes d'abord"
    (following,) = buttons(reply)
    reply = await room.as_(BOB).act(following.action_id)
    previous, following = buttons(reply)
    assert reply.card and reply.card.text[0].startswith("#15 ·") and previous.label == "◀ Précédentes"
    reply = await room.as_(BOB, locale="en").act(following.action_id)
    assert (
        reply.card and len(reply.card.text[0].splitlines()) == 5 and reply.card.footer == "Page 3 of 3 · newest first"
    )
    assert (await room.as_(BOB).act(f"idea:page:{following.action_id.split(':')[2]}:x")).text == (
        "Ce bouton n'est pas valide (peut-être trop ancien). Relancez la commande."
    )
    reply = await room.as_(BOB).say("idea mine")
    assert reply.card and reply.card.title == "Vos 9 idées"


# Anonymity


async def test_anonymous_never_shows_the_author(room: Room) -> None:
    """No name on the card, in listings or in exports; the author can still edit, withdraw and be told."""
    zelda = member("zelda")
    reply = await room.as_(zelda).say('idea submit "Un forfait pour les non-adhérents" --anonymous')
    assert reply.public and "zelda" not in card_text(reply).casefold()
    idea = int((reply.subject or "").split(":")[1])
    for command in ("idea top", "idea list", "idea show #1"):
        assert "zelda" not in card_text(await room.as_(BOB).say(command)).casefold()
    export = await room.say("idea export")
    content = export.files[0].content.decode("utf-8-sig")
    assert "zelda" not in content.casefold()
    [row] = list(csv.DictReader(io.StringIO(content), delimiter=";"))
    assert row["author"] == "" and row["anonymous"] == "yes"
    stored = await room.app.services.ideas.store.get_idea(idea)
    assert stored and stored.author_name is None
    assert "anonyme (vous seul le savez)" in card_text(await room.as_(zelda).say("idea mine"))
    reply = await room.say('idea status #1 exploring --reason "À creuser avec le bureau"')
    assert reply.text == (
        "L'idée #1 passe au statut « à explorer ». "
        "Son auteur en sera informé par message privé, sans être nommé (idée anonyme)."
    )
    ((to, told, _delivered),) = await room.told(1)
    assert to == "console:zelda"
    assert told.text == (
        "Votre idée #1 « Un forfait pour les non-adhérents » a désormais le statut « à explorer ».\n"
        "Raison : À creuser avec le bureau"
    )
    assert (await room.as_(zelda).say('idea edit #1 "Un forfait réduit pour les non-adhérents"')).text == (
        "L'idée #1 est modifiée."
    )
    assert (await room.as_(BOB).say('idea edit #1 "Vandalisme"')).text == (
        "L'idée #1 n'est pas la vôtre : seul son auteur peut la modifier ou la retirer."
    )
    assert (await room.as_(zelda).say("idea withdraw 1")).text == "L'idée #1 est retirée."
    assert (await room.as_(BOB).say("idea show 1")).text == "Aucune idée #1 ici. /idea list montre les idées."


# Moderation


async def test_status_flow_with_reason_and_history(room: Room) -> None:
    """Staff move an idea along; the author is told in the space's language; non-staff are refused."""
    await room.submit(BOB, "Des retours rapides après chaque rencontre")
    assert (await room.as_(CAROL).say("idea status #1 retained")).text == "Seule l'équipe peut utiliser /idea status."
    for word, label in (("à explorer", "à explorer"), ("Retenue", "retenue"), ("done", "réalisée")):
        reply = await room.say(f'idea status #1 "{word}"')
        assert reply.text == f"L'idée #1 passe au statut « {label} ». Son auteur en sera informé par message privé."
    reply = await room.as_(locale="en").say("idea status #1 peut-être")
    assert reply.text == "“peut-être” is not recognised. Choose one of: new, to explore, retained, done, declined."
    assert [to for to, _, _ in await room.told(3)] == ["console:bob"] * 3
    assert [(reply.text or "").split("« ")[-1] for _, reply, _ in room.sent.private] == [
        "à explorer ».",
        "retenue ».",
        "réalisée ».",
    ]  # in the order they were decided
    history = await room.app.services.db.fetch_all(
        "SELECT status, changed_by FROM idea_status_history WHERE idea_id = 1 ORDER BY id"
    )
    assert [tuple(row) for row in history] == [
        ("new", "console:bob"),
        ("exploring", "console:alice"),
        ("retained", "console:alice"),
        ("done", "console:alice"),
    ]
    reply = await room.say("idea show 1")
    assert "Statut: réalisée" in card_text(reply)


async def test_hide_keeps_the_idea_out_of_listings_and_tells_why(room: Room) -> None:
    """A hidden idea stays in the database, leaves top and list, takes no likes; its author knows why."""
    idea = await room.submit(BOB, "Hors sujet complet")
    await room.submit(CAROL, "Un lieu accessible")
    assert (await room.as_(BOB).say("idea hide #1")).text == "Seule l'équipe peut utiliser /idea hide."
    reply = await room.say('idea hide #1 --reason "Hors du thème de la journée"')
    assert (
        reply.text
        == "L'idée #1 est masquée (conservée, hors des listes). Son auteur en sera informé par message privé."
    )
    assert "#1" not in card_text(await room.as_(CAROL).say("idea top"))
    assert "#1" not in card_text(await room.as_(CAROL).say("idea list"))
    assert (await room.as_(CAROL).act(f"idea:like:{idea}")).text == "L'idée #1 a été masquée par l'équipe."
    ((to, told, _delivered),) = await room.told(1)
    assert to == "console:bob" and told.text and told.text.endswith("Raison : Hors du thème de la journée")
    export = (await room.say("idea export")).files[0].content.decode()
    assert "Hors sujet complet" in export


async def test_merge_unites_likes_without_double_counting(room: Room) -> None:
    """Likes of a duplicate move to the kept idea; a member who liked both counts once."""
    kept = await room.submit(BOB, "Un spectacle le soir")
    twin = await room.submit(CAROL, "Du théâtre en fin de journée", "--wall 0")
    for who in (BOB, CAROL):
        await room.as_(who).act(f"idea:like:{kept}")
    for who in (CAROL, DAVE):
        await room.as_(who).act(f"idea:like:{twin}")
    assert (await room.as_(BOB).say("idea merge #2 #1")).text == "Seule l'équipe peut utiliser /idea merge."
    reply = await room.say("idea merge #2 #1")
    assert reply.text == (
        "L'idée #2 est fusionnée dans #1, qui compte désormais 3 j'aime. Son auteur en sera informé par message privé."
    )
    assert await room.likes(kept) == 3 and await room.likes(twin) == 0
    assert "#2" not in card_text(await room.as_(DAVE).say("idea list"))
    ((to, told, _delivered),) = await room.told(1)
    assert to == "console:carol" and "fusionnée avec l'idée #1" in (told.text or "")
    assert (await room.say("idea merge #1 #1")).text == "Une idée ne peut pas être fusionnée avec elle-même (#1)."
    # A click on the old card of the merged idea lands on the kept one.
    assert (await room.as_(member("erin")).act(f"idea:like:{twin}")).text == "Vous aimez l'idée #1 (4 j'aime)."


async def test_staff_correct_a_typo_authors_edit_while_open(room: Room) -> None:
    """Staff fix anyone's typo; authors edit their own; closed walls freeze authors."""
    await room.say('idea wall open "Les modalités ?"')
    await room.submit(BOB, "Des plénièrs courtes")
    assert (await room.say('idea edit #1 "Des plénières courtes"')).text == "L'idée #1 est modifiée."
    assert (await room.as_(BOB).say('idea edit #1 "Des plénières très courtes"')).text == "L'idée #1 est modifiée."
    await room.say("idea wall close 1")
    assert (await room.as_(BOB).say('idea edit #1 "Autre"')).text == "Le mur #1 est clos : ses idées sont figées."
    assert (await room.as_(BOB).say("idea withdraw #1")).text == "Le mur #1 est clos : ses idées sont figées."
    assert (await room.say('idea edit #1 "Des plénières très courtes."')).text == "L'idée #1 est modifiée."


# Closing


async def test_close_by_hand_posts_final_top_and_freezes(room: Room) -> None:
    """Closing posts the final ranking; likes and submissions are then refused; cards lose their button."""
    await room.say('idea wall open "Les types d\'activités ?"')
    first = await room.submit(BOB, "Des cas pratiques")
    second = await room.submit(CAROL, "Un mur des apprentissages")
    await room.as_(DAVE).act(f"idea:like:{second}")
    assert (await room.as_(BOB).say("idea wall close 1")).text == "Seule l'équipe peut utiliser /idea wall close."
    reply = await room.say("idea wall close 1")
    assert reply.public and reply.card
    assert reply.card.title == "Mur clos · idées les plus aimées · Les types d'activités ?"
    assert reply.card.text[0].splitlines()[0] == "1. #2 · Un mur des apprentissages — 1 j'aime"
    assert (await room.as_(DAVE).act(f"idea:like:{first}")).text == "Le mur #1 est clos : ses idées sont figées."
    assert (
        await room.as_(BOB).say('idea submit "Trop tard" --wall 1')
    ).text == "Le mur #1 est clos : ses idées sont figées."
    assert (await room.say("idea wall close 1")).text == "Le mur #1 est déjà clos."
    assert (await room.say("idea wall close 0")).text == "La boîte à idées permanente ne se ferme pas."
    await room.app.services.cards.drain()
    final = {ref.message_id: card for ref, card in room.sent.edits}
    assert final and all(not card.controls and card.footer.startswith("Mur clos") for card in final.values())


async def test_wall_closes_at_its_time_and_posts_final_top(room: Room) -> None:
    """The due-work source closes the wall at its closing time and posts the top list in its channel."""
    reply = await room.say('idea wall open "Les conditions de réussite ?" --closes "dans 2h"', channel="atelier")
    assert "clôture le lundi 1 juin 2026 à 12:00" in fallbacks(reply.text or "")
    idea = await room.submit(BOB, "Un rythme trimestriel", channel="atelier")
    await room.as_(CAROL).act(f"idea:like:{idea}")
    clock = room.app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=2, minutes=1))
    await room.app.services.wakeups.run_due()
    posts = len(room.sent.posts)
    _space, channel, posted = room.sent.posts[-1]
    assert channel == "atelier" and posted.card
    assert posted.card.title == "Mur clos · idées les plus aimées · Les conditions de réussite ?"
    assert posted.card.text[0] == "1. #1 · Un rythme trimestriel — 1 j'aime"
    await room.app.services.wakeups.run_due()
    assert len(room.sent.posts) == posts  # posted once


async def test_a_wall_swept_late_records_its_deadline_as_closing_time(room: Room) -> None:
    """Review 24: a wall processed after its closing time records its deadline, a wall closed by hand now."""
    await room.say('idea wall open "Tard ?" --closes "dans 2h"', 'idea wall open "À la main ?"')
    clock = room.app.services.clock
    assert isinstance(clock, ManualClock)
    clock.advance(timedelta(hours=4))
    await room.app.services.wakeups.run_due()
    await room.say("idea wall close 2")
    late, by_hand = [await room.app.services.ideas.store.find_wall(SPACE, ref) for ref in (1, 2)]
    assert late is not None and late.closes_at is not None and late.closed_at == late.closes_at
    assert by_hand is not None and by_hand.closed_at == clock.now()


# Export


async def test_csv_export_command_guards_formulas(room: Room) -> None:
    """Staff export; cells starting with = + - @ are neutralised."""
    for who, text in (
        (BOB, "=HYPERLINK(1)"),
        (CAROL, "+33 6 00"),
        (DAVE, "- des ateliers"),
        (BOB, "@channel venez"),
        (CAROL, "Une idée simple"),
    ):
        await room.submit(who, text, "--wall 0")
    assert (await room.as_(BOB).say("idea export")).text == "Seule l'équipe peut utiliser /idea export."
    reply = await room.say("idea export --wall 0")
    (attachment,) = reply.files
    assert attachment.filename == "ideas-wall-0.csv" and attachment.mime_type == "text/csv"
    rows = list(csv.DictReader(io.StringIO(attachment.content.decode("utf-8-sig")), delimiter=";"))
    assert [row["text"] for row in rows] == [
        "'=HYPERLINK(1)",
        "'+33 6 00",
        "'- des ateliers",
        "'@channel venez",
        "Une idée simple",
    ]
    assert rows[0]["author"] == "bob" and rows[0]["likes"] == "0" and rows[0]["status"] == "new"


def test_cli_export_ideas(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`phosphore export ideas --wall W` writes what /idea export gives, anonymous authors left out."""
    settings = make_settings(tmp_path / "db.sqlite")

    async def seed() -> bytes:
        async with running_app(settings) as app:
            room = Room(app)
            await room.submit(BOB, "Des ateliers pratiques")
            await room.submit(member("zelda"), "Un forfait non-adhérents", "--anonymous")
            return (await room.say("idea export --wall 0")).files[0].content

    expected = asyncio.run(seed()).decode()
    assert main(["--db", str(settings.database), "export", "ideas", "--wall", "0"]) == 0
    out = capsys.readouterr().out
    assert out == expected and "zelda" not in out and ";bob;" in out
    assert main(["--db", str(settings.database), "export", "ideas", "--wall", "5"]) == 1
    assert "Aucun mur #5 ici." in capsys.readouterr().err


# Ideas to poll


async def test_to_poll_opens_a_poll_of_the_top_ideas(room: Room) -> None:
    """The top ideas become poll options in ranking order."""
    ids = [
        await room.submit(who, text)
        for who, text in (
            (BOB, "Des ateliers pratiques"),
            (CAROL, "Un spectacle le soir"),
            (DAVE, "Un hébergement solidaire"),
        )
    ]
    for who in (BOB, CAROL):
        await room.as_(who).act(f"idea:like:{ids[2]}")
    await room.as_(DAVE).act(f"idea:like:{ids[1]}")
    reply = await room.say("idea to-poll --top 2")
    assert reply.public and reply.subject == "poll:1" and reply.card
    assert reply.card.title == "#1 · Quelle idée creuser en priorité ? (Boîte à idées)"
    assert [bar.label for bar in reply.card.bars] == ["Un hébergement solidaire", "Un spectacle le soir"]
    reply = await room.say("idea to-poll --top 1")
    assert reply.text == "nombre : choisissez un nombre entre 2 et 25."


async def test_to_poll_needs_two_ideas_and_refuses_members(room: Room) -> None:
    """One idea is not a poll; members who may not open polls are refused clearly."""
    await room.submit(BOB, "Une seule idée")
    assert (await room.as_(locale="en").say("idea to-poll")).text == (
        "A poll needs at least 2 visible ideas on this wall."
    )
    assert (await room.as_(BOB).say("idea to-poll")).text == "Seule l'équipe peut utiliser /idea to-poll."


def test_poll_labels_cut_cleanly_and_stay_distinct() -> None:
    """Long texts are cut at a word within 75 characters; texts equal after cutting get their reference."""
    long_a = "Organiser " + "des ateliers en sous-groupes avec des cas pratiques " * 3 + "version A"
    long_b = "Organiser " + "des ateliers en sous-groupes avec des cas pratiques " * 3 + "version B"
    labels = poll_labels([idea_of(1, long_a), idea_of(2, long_b), idea_of(3, "Court\net net")])
    assert all(len(label) <= OPTION_MAX for label in labels)
    assert labels[0].endswith("… (#1)") and labels[1].endswith("… (#2)")
    assert labels[2] == "Court et net"
    assert len({label.casefold() for label in labels}) == 3


def idea_of(ref: int, text: str) -> Idea:
    """A stored-looking idea for the pure functions."""
    return Idea(
        ref,
        SPACE,
        ref,
        1,
        "general",
        "console:bob",
        "bob",
        False,
        text,
        None,
        "new",
        False,
        None,
        False,
        None,
        0,
        START,
        START,
    )


# Bad input


async def test_bad_references_and_crafted_action_ids(room: Room) -> None:
    """Unknown or malformed references, and another space's idea named in a button, are clear refusals."""
    idea = await room.submit(BOB, "Une idée de cet espace")
    assert (await room.as_(BOB).say("idea show #42")).text == "Aucune idée #42 ici. /idea list montre les idées."
    assert (await room.as_(BOB, locale="en").say("idea show douze")).text == (
        "“douze” is not an idea reference: type for example 12 or #12."
    )
    stranger = member("mallory")
    reply = await room.as_(stranger, space=OTHER_SPACE).act(f"idea:like:{idea}")
    assert reply.text == f"Aucune idée #{idea} ici. /idea list montre les idées."
    assert await room.likes(idea) == 0
    assert (await room.as_(stranger).act("idea:like:abc")).text == (
        "Ce bouton n'est pas valide (peut-être trop ancien). Relancez la commande."
    )
    wall_id = (await room.app.services.ideas.store.get_idea(idea)).wall_id
    reply = await room.as_(stranger, locale="en", space=OTHER_SPACE).act(f"idea:page:{wall_id}:1")
    assert reply.text == f"No wall #{wall_id} here. /idea wall list shows the walls."
    reply = await room.as_(DAVE).say('idea submit "une idée de cet espace"')
    draft_action = buttons(reply)[1].action_id
    assert (await room.as_(stranger, space=OTHER_SPACE).act(draft_action)).text == (
        "Cette proposition a déjà été traitée ou a expiré : proposez-la à nouveau."
    )


def test_category_matches_loosely_but_not_ambiguously() -> None:
    """Case, accents and a unique prefix are forgiven; an ambiguous or unknown word is refused."""
    wall = Wall(
        1,
        SPACE,
        1,
        "general",
        "Le workshop",
        ("activités", "modalités", "conditions de réussite"),
        False,
        None,
        None,
        START,
    )
    assert wall.category("Activites") == "activités"
    assert wall.category("cond") == "conditions de réussite"
    assert wall.category(" ") is None
    with pytest.raises(UserError) as refused:
        wall.category("xyz")
    assert refused.value.key == "idea.unknown_category" and refused.value.field == "category"


async def test_held_back_draft_survives_a_restart(tmp_path: Path) -> None:
    """The "submit anyway" button works after a restart: the draft is in the database, its id in the button."""
    settings = make_settings(tmp_path / "db.sqlite")
    async with running_app(settings) as app:
        room = Room(app)
        await room.submit(BOB, "Des ateliers en sous-groupes")
        _, anyway = buttons(await room.as_(CAROL).say('idea submit "Des ateliers en petits sous-groupes" --anonymous'))
    async with running_app(settings) as app:
        room = Room(app)
        reply = await room.as_(CAROL).act(anyway.action_id)
        assert reply.public and "Des ateliers en petits sous-groupes" in card_text(reply)
        assert "carol" not in card_text(reply)


async def test_moderation_says_how_the_author_will_be_told(room: Room) -> None:
    """Staff acting on their own idea get no message; an author with closed DMs is recorded as not reached."""
    await room.submit(ALICE, "Une idée de l'équipe")
    await room.submit(BOB, "Une autre proposition")
    assert (await room.say("idea status 1 retained")).text == "L'idée #1 passe au statut « retenue »."
    room.sent.unreachable.add("console:bob")
    assert (await room.as_(locale="en").say("idea status 2 declined")).text == (
        "Idea #2 is now “declined”. Its author will be told privately."
    )
    assert [delivered for *_, delivered in await room.told(1)] == [False]
    await room.app.notices.idle()
    rows = await room.app.services.db.fetch_all("SELECT member, kind, status FROM outbox")
    assert [tuple(row) for row in rows] == [("console:bob", "idea.status", "failed")]  # none for alice's own idea
