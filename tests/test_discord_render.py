"""Neutral UI -> Discord: exact embeds, components and modals, and Discord's limits."""

from __future__ import annotations

import discord

from bot.adapters.discord import render
from bot.ui import Attachment, Button, Card, Field, Modal, Reply, ResultBar, Select, SelectOption, TextInput

YES_NO = (("Oui", "true"), ("Non", "false"))


def poll_card(*controls: Button | Select) -> Card:
    """A small card with every part."""
    return Card(
        "#3 · Q",
        text=("Choix unique",),
        fields=(Field("Lieu", "Paris"),),
        bars=(ResultBar("A", 2, 0.5), ResultBar("B", 2, 0.5)),
        controls=controls,
        footer="4 votants",
    )


def test_embed_exact_output() -> None:
    """Title, text then bars in the description, short fields inline, footer."""
    assert render.embed(poll_card()).to_dict() == {
        "type": "rich",
        "title": "#3 · Q",
        "description": "Choix unique\n\n**A**\n`█████░░░░░` 2 · 50 %\n**B**\n`█████░░░░░` 2 · 50 %",
        "color": 0x5865F2,
        "flags": 0,
        "fields": [{"inline": True, "name": "Lieu", "value": "Paris"}],
        "footer": {"text": "4 votants"},
    }


async def test_components_exact_output() -> None:
    """A button row, then a select on a row of its own; custom_ids are the action ids (built in the loop, as sent)."""
    card = poll_card(Button("A", "poll:vote:3:0", "primary"), Select("—", "poll:vote:3", (SelectOption("x", "0"),)))
    view = render.view(card)
    assert view is not None and view.is_finished()  # sent without being kept in memory
    assert view.to_components() == [
        {
            "type": 1,
            "components": [{"type": 2, "style": 1, "disabled": False, "label": "A", "custom_id": "poll:vote:3:0"}],
        },
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "poll:vote:3",
                    "min_values": 1,
                    "max_values": 1,
                    "disabled": False,
                    "required": True,
                    "placeholder": "—",
                    "options": [{"label": "x", "value": "0", "default": False}],
                }
            ],
        },
    ]
    assert render.view(Card("vide")) is None


def test_components_stay_within_five_rows_of_five_and_25_options() -> None:
    """30 buttons become 5 full rows; a select keeps 25 options; labels are cut to 80."""
    buttons = [Button("x" * 90 if i == 0 else str(i), f"poll:vote:1:{i}") for i in range(30)]
    rows = render.view(Card("t", controls=tuple(buttons)))
    assert rows is not None
    components = rows.to_components()
    assert [len(row["components"]) for row in components] == [5, 5, 5, 5, 5]
    assert components[0]["components"][0]["label"] == "x" * 79 + "…"
    options = tuple(SelectOption(str(i), str(i)) for i in range(30))
    menu = render.view(Card("t", controls=(Button("a", "a:b"), Select("p", "poll:vote:1", options))))
    assert menu is not None
    assert [len(row["components"]) for row in menu.to_components()] == [1, 1]
    assert len(menu.to_components()[1]["components"][0]["options"]) == 25


def test_embed_limits_are_cut_cleanly() -> None:
    """Title 256, description 4096, 25 fields of 1024, 6000 in total: nothing Discord would refuse."""
    huge = Card(
        "T" * 300,
        text=("d" * 5000,),
        fields=tuple(Field(f"f{i}", "v" * 2000) for i in range(30)),
        footer="pied",
    )
    result = render.embed(huge)
    assert result.title == "T" * 255 + "…"
    assert len(result.fields) <= 25 and all(len(f.value or "") <= 1024 for f in result.fields)
    assert len(result) <= 6000 and result.footer.text == "pied"
    long_text = render.embed(Card("t", text=("d" * 5000,)))
    assert long_text.description is not None and len(long_text.description) == 4096
    assert long_text.description.endswith("…")


def test_message_never_pings_and_attaches_files() -> None:
    """Every send carries AllowedMentions.none(); content ≤ 2000; files become discord.File."""
    kwargs = render.message(Reply(text="@everyone " + "x" * 3000, files=(Attachment("a.csv", b"a,b\n", "text/csv"),)))
    assert kwargs["allowed_mentions"].to_dict() == {"parse": []}
    assert len(kwargs["content"]) == 2000
    assert [f.filename for f in kwargs["files"]] == ["a.csv"]
    card = render.message(Reply(card=poll_card(Button("A", "poll:vote:3:0")), public=True))
    assert set(card) == {"allowed_mentions", "embed", "view"}


def test_field_errors_are_listed() -> None:
    """A refused form shows one line per problem."""
    reply = Reply(text="multi : pas un nombre", field_errors={"multi": "multi : pas un nombre", "x": "x : vide"})
    assert render.error_text(reply) == "• multi : pas un nombre\n• x : vide"
    assert render.error_text(Reply(text="ok")) == "ok"


def test_modal_exact_output() -> None:
    """Inputs under labels; a yes/no input becomes a select; the custom_id is the form's action id."""
    form = Modal(
        "Nouveau sondage",
        "cmd:poll.create",
        (
            TextInput("question", "question", placeholder="La question"),
            TextInput("anonymous", "anonyme", kind="flag", required=False),
            TextInput("options", "option", kind="paragraph", value="A\nB"),
        ),
        "Valider",
    )
    assert render.modal(form, YES_NO).to_dict() == {
        "custom_id": "cmd:poll.create",
        "title": "Nouveau sondage",
        "components": [
            {
                "type": 18,
                "label": "question",
                "component": {
                    "type": 4,
                    "style": 1,
                    "label": None,
                    "custom_id": "question",
                    "required": True,
                    "placeholder": "La question",
                    "max_length": 4000,
                },
            },
            {
                "type": 18,
                "label": "anonyme",
                "component": {
                    "type": 3,
                    "custom_id": "anonymous",
                    "min_values": 0,
                    "max_values": 1,
                    "disabled": False,
                    "required": False,
                    "options": [
                        {"label": "Oui", "value": "true", "default": False},
                        {"label": "Non", "value": "false", "default": False},
                    ],
                },
            },
            {
                "type": 18,
                "label": "option",
                "component": {
                    "type": 4,
                    "style": 2,
                    "label": None,
                    "custom_id": "options",
                    "required": True,
                    "value": "A\nB",
                    "max_length": 4000,
                },
            },
        ],
    }


def test_modal_keeps_five_inputs_and_a_short_title() -> None:
    """Discord modals take at most 5 inputs and a 45-character title: required and filled inputs first."""
    inputs = (TextInput("q", "Q"), *(TextInput(f"i{n}", f"L{n}", required=False) for n in range(5)))
    form = Modal("T" * 60, "cmd:x.y", (*inputs, TextInput("late", "L", required=False, value="dans 2h")), "OK")
    result = render.modal(form, YES_NO)
    assert result is not None and len(result.title) == 45 and result.custom_id == "cmd:x.y"
    assert [row["component"]["custom_id"] for row in result.to_components()] == ["q", "i0", "i1", "i2", "late"]


def test_filled_values_that_do_not_fit_the_modal_ride_in_its_custom_id() -> None:
    """Six filled inputs: five are shown, the sixth comes back with the submission; too long for a custom_id: None."""
    filled = tuple(TextInput(f"i{n}", f"L{n}", value=f"v {n}") for n in range(6))
    result = render.modal(Modal("T", "cmd:x.y", filled, "OK"), YES_NO, "@42")
    assert result is not None and result.custom_id == "cmd:x.y?i5=v+5@42" and len(result.to_components()) == 5
    assert render.split_carried("cmd:x.y?i5=v+5") == ("cmd:x.y", {"i5": "v 5"})
    huge = (*filled[:5], TextInput("i5", "L5", value="x" * 100))
    assert render.modal(Modal("T", "cmd:x.y", huge, "OK"), YES_NO) is None


def test_submitted_fields_from_rows_and_labels() -> None:
    """Text inputs in action rows, and text inputs or selects in labels."""
    components = [
        {"type": 1, "components": [{"type": 4, "custom_id": "question", "value": "Q ?"}]},
        {"type": 18, "component": {"type": 3, "custom_id": "results", "values": ["closed"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "anonymous", "values": []}},
    ]
    assert render.submitted_fields(components) == {"question": "Q ?", "results": "closed", "anonymous": ""}


def test_list_option_and_command_names() -> None:
    """A LIST option splits on ; or |; names are lowercase, without spaces, at most 32 characters."""
    assert render.split_list(" Pizza; Sushi | Tacos ;; ") == ["Pizza", "Sushi", "Tacos"]
    assert render.command_name("Choix maximum !") == "choix-maximum"
    assert render.command_name("Clôture") == "clôture"
    assert len(render.command_name("a" * 40)) == 32
    assert render.command_name("  ") == "option"


def test_edit_removes_controls_of_a_closed_card() -> None:
    """An edit always sends a view, empty once the card has no controls, so old buttons disappear."""
    kwargs = render.edit(Card("fermé"))
    assert kwargs["view"].to_components() == [] and kwargs["embed"].title == "fermé"
    assert isinstance(kwargs["allowed_mentions"], discord.AllowedMentions)


def test_member_text_is_escaped_but_not_the_renderers_own_formatting() -> None:
    """Masked links, emphasis, spoilers, headings and quotes of members show as typed; bars stay bold."""
    card = Card(
        "#12 · [Gagnez](https://evil.example)",
        text=("# Titre\n> cité\n||caché|| `code` *gras* \\[déjà](https://evil.example)",),
        fields=(Field("Auteur", "jean_dupont"),),
        bars=(ResultBar("[Pizza](https://evil.example)", 1, 1.0),),
        footer="~~barré~~",
    )
    result = render.embed(card).to_dict()
    assert result["title"] == "#12 · \\[Gagnez\\](https://evil.example)"
    assert result["description"] == (
        "\\# Titre\n\\> cité\n\\|\\|caché\\|\\| \\`code\\` \\*gras\\* \\\\\\[déjà\\](https://evil.example)"
        "\n\n**\\[Pizza\\](https://evil.example)**\n`██████████` 1 · 100 %"
    )
    assert result["fields"][0]["value"] == "jean\\_dupont" and result["footer"]["text"] == "\\~\\~barré\\~\\~"
    assert (
        render.message(Reply(text="Vos choix : [A](https://evil.example)"))["content"]
        == "Vos choix : \\[A\\](https://evil.example)"
    )
    buttons = render.view(Card("t", controls=(Button("[A](https://x.example)", "poll:vote:1:0"),)))
    assert buttons is not None and buttons.to_components()[0]["components"][0]["label"] == "[A](https://x.example)"


def test_the_bots_own_markup_renders_but_a_members_stays_as_typed() -> None:
    """/help's `*heading*` lines become bold and `code` stays code; the same text from a member is escaped."""
    text = '*Sondages*\n`/poll create "question" [--multi N]`\n    Ouvrir un sondage.'
    own = render.embed(Card("Aide", text=(text,), markup=True)).to_dict()
    assert own["description"] == '**Sondages**\n`/poll create "question" [--multi N]`\n    Ouvrir un sondage.'
    member = render.embed(Card("Idée", text=(text,))).to_dict()
    assert "\\*Sondages\\*" in member["description"] and "\\`" in member["description"]
