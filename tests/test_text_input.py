"""What members type, end to end through the console: numbers, invisible characters, long lines, help, words."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import App
from bot.cli import main
from bot.commands import parsing
from tests.helpers import ConsoleSession, Session, make_settings, running_app

EVENT = '/event create "Rencontre" --start "demain 10h" --end "12h" --onsite 5'


def refused_cleanly(out: str) -> bool:
    """A private explanation, not an incident."""
    return "(privé)" in out and "incident" not in out and "Traceback" not in out


# --- 5. huge integers -------------------------------------------------------------------------------------


async def test_huge_integers_in_options_are_refused_with_their_bounds(console: ConsoleSession) -> None:
    """A 23-digit workshop number or --multi gets a range message with real bounds, not an incident."""
    await console.say(EVENT)
    out = await console.say("/event choose 1 99999999999999999999999")
    assert refused_cleanly(out) and "1000000000" in out and "-1" not in out
    out = await console.say('/poll create "Q ?" "A" "B" --multi 99999999999999999999999')
    assert refused_cleanly(out) and "entre 1 et 25" in out


async def test_huge_integers_in_action_ids_are_malformed_actions(console: ConsoleSession, bot: Session) -> None:
    """`poll:vote:<2^63>:0` is a malformed button, not an internal error."""
    await console.say('/poll create "Q ?" "A" "B"')
    for action_id in (f"poll:vote:{2**63}:0", f"poll:vote:1:{2**63}", "event:join:99999999999999999999:onsite"):
        reply = await bot.as_("bob").act(action_id)
        assert reply.text and "bouton n'est pas valide" in reply.text, (action_id, reply.text)


# --- 23. non-ASCII digits ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["²", "١", "¹²", "１"])
async def test_references_take_ascii_digits_only(console: ConsoleSession, ref: str) -> None:
    """`²` (a key on French keyboards) or `١` never crash a reference, nor stand for poll #1."""
    await console.say('/poll create "Q ?" "A" "B"', EVENT, '/idea submit "Une idée"')
    for line, expected in ((f"/poll results {ref}", "référence de sondage"), (f"/event info {ref}", "#"),
                           (f"/idea show {ref}", "#"), (f"/poll mine #{ref}", "référence de sondage")):  # fmt: skip
        out = await console.say(line)
        assert refused_cleanly(out) and expected in out and "Q ?" not in out, (line, out)


async def test_integer_options_and_capacities_take_ascii_digits_only(console: ConsoleSession) -> None:
    """`--page ²`, `/event choose 1 ²`, `--onsite ²`, `--remote ²` and `/click ²` are explained."""
    await console.say(EVENT)
    for line in ("/idea list --page ²", "/event choose 1 ²", "/event edit 1 --onsite ²", "/event edit 1 --remote ²",
                 "/event choose 1 ١"):  # fmt: skip
        out = await console.say(line)
        assert refused_cleanly(out) and ("²" in out or "١" in out), (line, out)
    out = await console.say("/click ²")
    assert "/click" in out and "incident" not in out


async def test_dates_with_non_ascii_digits_are_not_guessed(console: ConsoleSession) -> None:
    """`١/٦ 9h` is not read as the 1st of June."""
    out = await console.say('/poll create "Q ?" "A" "B" --closes "١٥/٦ ٩h"')
    assert refused_cleanly(out) and "pas compris la date" in out


async def test_action_ids_take_ascii_digits_only(console: ConsoleSession, bot: Session) -> None:
    """A button naming poll `١` is malformed, not poll #1."""
    await console.say('/poll create "Q ?" "A" "B"')
    reply = await bot.as_("bob").act("poll:vote:١:0")
    assert reply.text and "bouton n'est pas valide" in reply.text


def test_the_command_line_refuses_a_superscript_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`phosphore export poll ²` exits 1 with a message, no traceback."""
    db = str(tmp_path / "p.db")
    assert main(["--db", db, "migrate"]) == 0
    for kind in ("poll", "attendees", "ics"):
        assert main(["--db", db, "export", kind, "²"]) == 1
        err = capsys.readouterr().err
        assert "²" in err and "Traceback" not in err
    assert main(["--db", db, "export", "ideas", "--wall", "²"]) == 1
    assert "²" in capsys.readouterr().err


# --- 7. invisible characters ------------------------------------------------------------------------------


async def test_visually_identical_options_are_duplicates(console: ConsoleSession) -> None:
    """ "Oui" and "Oui" + zero-width space (or a bidi mark, or a full-width letter) are the same option."""
    for twin in ("Oui\u200b", "\u200eOui", "Ｏｕｉ", "Oui\u2060"):
        out = await console.say(f'/poll create "Q ?" "Oui" "{twin}"')
        assert refused_cleanly(out) and "deux fois" in out, twin


async def test_invisible_only_texts_are_empty(console: ConsoleSession) -> None:
    """A question, an idea or an event title made of invisible characters is refused as empty."""
    invisible = "\u200b\u200e\u2066\ufeff"
    out = await console.say(f'/poll create "{invisible}" "A" "B"')
    assert refused_cleanly(out) and "question" in out.casefold()
    out = await console.say(f'/poll create "Q ?" "A" "{invisible}"')
    assert refused_cleanly(out) and "au moins 2" in out
    out = await console.say(f'/idea submit "{invisible}"')
    assert refused_cleanly(out) and "vide" in out
    out = await console.say(f'/event create "{invisible}" --start "demain 10h" --end "12h" --onsite 5')
    assert refused_cleanly(out) and "titre" in out.casefold()


async def test_invisible_characters_are_not_stored(console: ConsoleSession) -> None:
    """Zero-width and bidi characters around an option are dropped from what is shown."""
    out = await console.say('/poll create "Q ?" "\u202eOui\u200b" "Non"')
    assert "[1] Oui  [2] Non" in out


# --- 31. huge lines ---------------------------------------------------------------------------------------


async def test_a_huge_line_is_refused_at_once(console: ConsoleSession) -> None:
    """A 1 MB line gets a clear message instead of blocking the bot."""
    out = await console.say('/poll create "' + "a" * 1_000_000 + '" "A" "B"')
    assert refused_cleanly(out) and "8000" in out


def test_tokenizing_is_linear() -> None:
    """Splitting 1 MB of quoted text and 50,000 words takes well under two seconds (shlex took minutes)."""
    text = '"' + "a" * 1_000_000 + '" ' + "b " * 50_000
    started = time.perf_counter()
    words = parsing.tokenize(text)
    assert time.perf_counter() - started < 2
    assert len(words) == 50_001 and len(words[0]) == 1_000_000


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('a "b c" d', ["a", "b c", "d"]),
        ("l'idée", None),
        ('"l\'idée" \'dit "oui"\'', ["l'idée", 'dit "oui"']),
        (r'"a \"b\" c" x\ y', ['a "b" c', "x y"]),
        ('a"b c"d', ["ab cd"]),
        ('"" x', ["", "x"]),
        ('"abc', None),
    ],
)
def test_tokenizing_keeps_the_shell_rules(text: str, words: list[str] | None) -> None:
    """Same words as before: double and single quotes, backslash escapes, unbalanced quotes refused."""
    from bot.core.errors import UserError

    if words is None:
        with pytest.raises(UserError):
            parsing.tokenize(text)
    else:
        assert parsing.tokenize(text) == words


# --- 25. an end before the start ------------------------------------------------------------------------


async def test_an_explicit_end_before_the_start_is_refused(console: ConsoleSession) -> None:
    """`--end "demain 9h"` after `--start "demain 10h"` is not a 23-hour event."""
    out = await console.say('/event create "Rencontre" --start "demain 10h" --end "demain 9h" --onsite 5')
    assert refused_cleanly(out) and "fin" in out and "#1" not in out
    out = await console.say('/event create "Rencontre" --start "demain 10h" --end "11h" --onsite 5')
    assert "#1" in out and "lendemain" not in out


async def test_a_bare_end_time_rolls_over_and_says_so(console: ConsoleSession) -> None:
    """A night event: `--start "demain 22h" --end "2h"` ends the day after, and the echo says it."""
    out = await console.say('/event create "Nuit" --start "demain 22h" --end "2h" --onsite 5')
    assert "#1" in out and "lendemain" in out and "mercredi 3 juin 2026 à 02:00" in out


# --- 26. /clock and --closes stay in this year ----------------------------------------------------------


async def test_clock_does_not_jump_a_year_for_a_date_earlier_today(app: App, console: ConsoleSession) -> None:
    """`/clock "1/6 9h"` at 10:00 on 1 June refuses to go back instead of moving to 1 June next year."""
    before = app.services.clock.now()
    out = await console.say('/clock "1/6 9h"')
    assert app.services.clock.now() == before and "2027" not in out
    out = await console.say('/clock "1/6 11h"')
    assert "lundi 1 juin 2026 à 11:00" in out


async def test_closes_earlier_today_is_refused_not_next_year(console: ConsoleSession) -> None:
    """`--closes "1/6 9h"` at 10:00 on 1 June says it has passed and how to mean next year."""
    out = await console.say('/poll create "Q ?" "A" "B" --closes "1/6 9h"')
    assert refused_cleanly(out) and "déjà passé" in out and "01/06/2027" in out


# --- 30. messages that read wrong -----------------------------------------------------------------------


async def test_closing_now_or_in_a_century_is_explained(console: ConsoleSession) -> None:
    out = await console.say('/poll create "Q ?" "A" "B" --closes "dans 0 minutes"')
    assert refused_cleanly(out) and "venir" in out and "Il manque" not in out
    out = await console.say('/poll create "Q ?" "A" "B" --closes "dans 100 ans"')
    assert refused_cleanly(out) and "10 ans au plus" in out and "Il manque" not in out


async def test_ranges_never_read_between_1_and_0(console: ConsoleSession) -> None:
    out = await console.say("/idea list --page 0")
    assert refused_cleanly(out) and "au moins 1" in out and "et 0" not in out
    out = await console.say("/click 1")
    assert "à 0" not in out and "Rien à cliquer" in out


async def test_poll_mine_says_what_a_query_means(console: ConsoleSession) -> None:
    """Never voted: "you have not voted"; a query is not "your vote is recorded"."""
    await console.say('/poll create "Q ?" "A" "B"')
    out = await console.say("/as bob", "/poll mine 1")
    assert "pas voté" in out and "plus aucun" not in out
    await console.say("/click 2")
    out = await console.say("/poll mine 1")
    assert "B" in out and "enregistré" not in out


async def test_english_console_has_no_french_colon_spacing(tmp_path: Path) -> None:
    """Fields on an English card read "Start: …", not "Start : …"."""
    async with running_app(make_settings(tmp_path / "en.db", bot__locale="en")) as app:
        console = ConsoleSession(app)
        out = await console.say(EVENT.replace("demain 10h", "tomorrow 10am").replace('"12h"', '"noon"'))
        assert "│ Starts: " in out and " : " not in out, out


# --- 32. /click presses what I can see, and says what ---------------------------------------------------


async def test_click_ignores_another_members_private_card(console: ConsoleSession) -> None:
    """bob's private "similar idea" card is not what carol's /click presses; the click names its card."""
    out = await console.say('/idea submit "Un atelier sur l\'accessibilité numérique"')
    assert "#1" in out
    out = await console.say("/as bob", '/idea submit "Un atelier sur l\'accessibilite numerique"')
    assert "(privé)" in out  # the similar-idea hint, with buttons, for bob only
    out = await console.say("/as carol", "/click 2")  # bob's card has two buttons, the public idea card one
    assert "de 1 à 1" in out and "#2" not in out, out
    out = await console.say("/click 1")
    assert "Clic sur [1]" in out and "#1" in out, out


async def test_click_by_reference(console: ConsoleSession) -> None:
    """`/click #1 2` presses button 2 of poll #1's card even after another card was shown."""
    await console.say('/poll create "Premier ?" "A" "B"', '/poll create "Second ?" "C" "D"')
    out = await console.say("/as bob", "/click #1 2")
    assert "Premier ?" in out and "Vos choix : B" in out
    out = await console.say("/click 1")
    assert "Second ?" in out and "Vos choix : C" in out
    out = await console.say("/click #9 1")
    assert "#9" in out and "Vos choix" not in out


# --- 33. help and French words --------------------------------------------------------------------------


async def test_help_in_french_lists_french_words_and_the_console_commands(console: ConsoleSession) -> None:
    out = await console.say("/aide")
    assert "/sondage créer" in out and "/événement créer" in out
    for word in ("/as ", "/click", "/clock", "/quit"):
        assert word in out
    assert "`" not in out and "\n│ *" not in out


async def test_help_for_one_group(console: ConsoleSession) -> None:
    for line in ("/help poll", "/poll help", "/aide sondage", "/sondage aide"):
        out = await console.say(line)
        assert "/poll create" in out and "/event create" not in out and "--multi" in out, line
        assert "clôture" in out.casefold()  # options are explained one by one


async def test_french_option_names_and_values(console: ConsoleSession) -> None:
    """`/sondage creer … --anonyme --résultats "à la clôture"`, `--début`, `--fin`, `--mode "sur place"`."""
    out = await console.say('/sondage creer "Q ?" "A" "B" --anonyme --resultats "a la cloture"')
    assert "#1 · Q ?" in out and "anonyme" in out.casefold()
    out = await console.say('/evenement creer "Fête" --début "demain 10h" --fin 12h --places-sur-place 3')
    assert "#1" in out and "incident" not in out
    out = await console.say('/événement inscrire 1 --mode "sur place"')
    assert "sur place" in out.casefold() and "choisissez" not in out.casefold()


# --- 34. piped input is echoed --------------------------------------------------------------------------


async def test_piped_input_echoes_each_command_with_its_prompt(app: App) -> None:
    """Replayed from a file, each command shows after its prompt, so output matches its command."""
    console = ConsoleSession(app)

    async def lines() -> AsyncIterator[str]:
        for line in ("/poll list\n", "/as bob\n", "/poll list\n"):
            yield line

    await console.adapter.run(lines(), interactive=False)
    out = console.out.getvalue()
    assert "alice> /poll list\n" in out and "alice> /as bob\n" in out and "bob> /poll list\n" in out
    assert out.index("alice> /poll list") < out.index("alice> /as bob") < out.index("bob> /poll list")
