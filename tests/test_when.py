"""Dates, times and durations as people type them: bot/core/when.py and its messages."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from bot.core import when as when_module
from bot.core.errors import UserError
from bot.core.when import format_when, is_time_only, parse_duration, parse_when
from bot.i18n import LOCALES_DIR, SUPPORTED

PARIS = ZoneInfo("Europe/Paris")
# Sunday 1 June 2025, 10:00 in Paris (CEST, UTC+2) = 08:00 UTC.
NOW = datetime(2025, 6, 1, 10, 0, tzinfo=PARIS)
LOCALES = ("fr", "en")


def utc(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """An aware UTC datetime, to state expected instants exactly."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def parse(text: str, locale: str = "fr", now: datetime = NOW, **kwargs: Any) -> datetime:
    """parse_when in Paris at the fixed NOW unless told otherwise."""
    return parse_when(text, now=now, tz=PARIS, locale=locale, **kwargs)


def refused(text: str, locale: str = "fr", **kwargs: Any) -> UserError:
    """The UserError parse_when raises for `text` (fails the test if none)."""
    with pytest.raises(UserError) as caught:
        parse(text, locale, **kwargs)
    return caught.value


ACCEPTED = [
    # relative: elapsed time from NOW
    ("dans 2h", utc(2025, 6, 1, 10, 0)),
    ("dans 30 min", utc(2025, 6, 1, 8, 30)),
    ("dans 2 heures", utc(2025, 6, 1, 10, 0)),
    ("dans 3 jours", utc(2025, 6, 4, 8, 0)),
    ("in 2h", utc(2025, 6, 1, 10, 0)),
    ("in 30 minutes", utc(2025, 6, 1, 8, 30)),
    ("in 3 days", utc(2025, 6, 4, 8, 0)),
    ("+2h", utc(2025, 6, 1, 10, 0)),
    ("dans 1h30", utc(2025, 6, 1, 9, 30)),
    ("dans une heure", utc(2025, 6, 1, 9, 0)),
    # absolute: Paris wall clock, CEST in summer (UTC+2)
    ("30/06 18:00", utc(2025, 6, 30, 16, 0)),
    ("30/06/2025 18h", utc(2025, 6, 30, 16, 0)),
    ("30/06/25 18h", utc(2025, 6, 30, 16, 0)),
    ("2025-06-30 18:00", utc(2025, 6, 30, 16, 0)),
    ("2025-06-30T18:00", utc(2025, 6, 30, 16, 0)),
    ("30 juin 9h30", utc(2025, 6, 30, 7, 30)),
    ("lundi 30 juin à 9h30", utc(2025, 6, 30, 7, 30)),
    ("Lundi 30 Juin a 9H30", utc(2025, 6, 30, 7, 30)),
    ("30 juin 2026 à 17h", utc(2026, 6, 30, 15, 0)),
    ("le 1er juillet à 9h", utc(2025, 7, 1, 7, 0)),
    ("June 30 6pm", utc(2025, 6, 30, 16, 0)),
    ("June 30th at 6:30 pm", utc(2025, 6, 30, 16, 30)),
    ("30 June 2025 18:00", utc(2025, 6, 30, 16, 0)),
    ("tomorrow 9am", utc(2025, 6, 2, 7, 0)),
    ("tomorrow at 12am", utc(2025, 6, 1, 22, 0)),
    ("demain 9h", utc(2025, 6, 2, 7, 0)),
    ("demain à 9h30", utc(2025, 6, 2, 7, 30)),
    ("demain midi", utc(2025, 6, 2, 10, 0)),
    ("après-demain 8h", utc(2025, 6, 3, 6, 0)),
    ("aujourd'hui 18h", utc(2025, 6, 1, 16, 0)),
    ("dans 3 jours à 18h", utc(2025, 6, 4, 16, 0)),
    ("in 3 days at 6pm", utc(2025, 6, 4, 16, 0)),
    # weekdays: the next one after today
    ("lundi 9h", utc(2025, 6, 2, 7, 0)),
    ("lundi prochain 9h", utc(2025, 6, 2, 7, 0)),
    ("next monday 9am", utc(2025, 6, 2, 7, 0)),
    ("dimanche 9h", utc(2025, 6, 8, 7, 0)),
    # winter time (CET, UTC+1)
    ("15/01/2026 18:00", utc(2026, 1, 15, 17, 0)),
]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("text", "expected"), ACCEPTED)
def test_accepted_forms_give_exact_utc_instants(text: str, expected: datetime, locale: str) -> None:
    result = parse(text, locale)
    assert result == expected
    assert result.utcoffset() == timedelta(0)


def test_relative_times_are_elapsed_time_across_a_dst_change() -> None:
    # Saturday 28 March 2026 12:00 CET; the clocks spring forward that night.
    now = datetime(2026, 3, 28, 12, 0, tzinfo=PARIS)
    assert parse("dans 1j", now=now) == utc(2026, 3, 29, 11, 0)  # 14:00 CEST, 24 h later


def test_the_result_follows_now_not_the_system_clock() -> None:
    later = datetime(2030, 1, 1, 12, 0, tzinfo=PARIS)
    assert parse("demain 9h", now=later) == utc(2030, 1, 2, 8, 0)


def test_now_may_be_given_in_any_zone() -> None:
    assert parse("demain 9h", now=NOW.astimezone(UTC)) == utc(2025, 6, 2, 7, 0)


def test_wall_clock_is_read_in_the_given_zone() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    result = parse_when("30/06 18:00", now=NOW, tz=tokyo, locale="fr")
    assert result == utc(2025, 6, 30, 9, 0)


# --- day/month order -------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_numeric_dates_are_day_month_whatever_the_locale(locale: str) -> None:
    assert parse("05/06 10:00", locale) == utc(2025, 6, 5, 8, 0)
    assert parse("05.06.2025 10h", locale) == utc(2025, 6, 5, 8, 0)
    assert parse("05-06 10h", locale) == utc(2025, 6, 5, 8, 0)  # read by dateparser
    assert parse("05-06-2025 10h", locale) == utc(2025, 6, 5, 8, 0)


@pytest.mark.parametrize("locale", LOCALES)
def test_iso_dates_stay_year_month_day(locale: str) -> None:
    assert parse("2025-06-05 10:00", locale) == utc(2025, 6, 5, 8, 0)


# --- next occurrence ---------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15/05 18:00", utc(2026, 5, 15, 16, 0)),  # mid-May has passed: next year
        ("15 mai 18h", utc(2026, 5, 15, 16, 0)),
        ("May 15 6pm", utc(2026, 5, 15, 16, 0)),
        ("1/06 9h", utc(2026, 6, 1, 7, 0)),  # today, but 9:00 has passed
        ("1 juin 11h", utc(2025, 6, 1, 9, 0)),  # today, 11:00 is still to come
        ("1/06 11h", utc(2025, 6, 1, 9, 0)),
        ("18h", utc(2025, 6, 1, 16, 0)),  # a bare time: today if still to come…
        ("9h", utc(2025, 6, 2, 7, 0)),  # …else tomorrow
        ("29 février 10h", utc(2028, 2, 29, 9, 0)),  # the next leap year
        ("29/02 10h", utc(2028, 2, 29, 9, 0)),
    ],
)
def test_a_date_without_year_is_its_next_occurrence(text: str, expected: datetime) -> None:
    assert parse(text) == expected


def test_a_day_month_later_today_stays_today() -> None:
    # dateparser alone would say 30 June 2026 here.
    now = datetime(2025, 6, 30, 12, 0, tzinfo=PARIS)
    assert parse("30 juin 18h", now=now) == utc(2025, 6, 30, 16, 0)
    assert parse("June 30 6pm", "en", now=now) == utc(2025, 6, 30, 16, 0)


def test_a_weekday_named_today_means_next_week() -> None:
    monday = datetime(2025, 6, 2, 8, 0, tzinfo=PARIS)
    assert parse("lundi 18h", now=monday) == utc(2025, 6, 9, 16, 0)


# --- time required -----------------------------------------------------------


@pytest.mark.parametrize("text", ["30/06", "30 juin", "demain", "tomorrow", "2025-06-30", "lundi"])
def test_a_date_without_time_asks_for_one(text: str) -> None:
    error = refused(text)
    assert error.key == "when.missing_time"
    assert error.params == {"text": text}


def test_a_date_without_time_takes_the_default_time() -> None:
    assert parse("30/06", default_time=time(9, 0)) == utc(2025, 6, 30, 7, 0)
    assert parse("demain", default_time=time(20, 0)) == utc(2025, 6, 2, 18, 0)
    assert parse("1 juin", default_time=time(9, 0)) == utc(2026, 6, 1, 7, 0)  # next occurrence


def test_an_explicit_time_wins_over_the_default() -> None:
    assert parse("30/06 18h", default_time=time(9, 0)) == utc(2025, 6, 30, 16, 0)


# --- past --------------------------------------------------------------------


@pytest.mark.parametrize("locale", LOCALES)
def test_past_is_refused_with_the_moment_echoed(locale: str) -> None:
    error = refused("2025-05-01 10:00", locale)
    assert error.key == "when.past"
    assert error.params["when"] == format_when(utc(2025, 5, 1, 8, 0), tz=PARIS, locale=locale)


def test_past_relative_words_are_refused() -> None:
    assert refused("hier 10h").key == "when.past"
    assert refused("aujourd'hui 9h").key == "when.past"


def test_now_itself_is_past() -> None:
    assert refused("01/06/2025 10:00").key == "when.past"


def test_past_is_allowed_on_request() -> None:
    assert parse("2025-05-01 10:00", allow_past=True) == utc(2025, 5, 1, 8, 0)
    assert parse("hier 10h", allow_past=True) == utc(2025, 5, 31, 8, 0)


# --- now, too far, this year ---------------------------------------------------


@pytest.mark.parametrize("text", ["dans 0 minutes", "in 0 min", "+0h", "dans 0 jour"])
def test_a_zero_delay_is_not_in_the_future(text: str) -> None:
    error = refused(text)
    assert error.key == "when.not_future" and error.params == {"text": text}


@pytest.mark.parametrize("text", ["dans 100 ans", "in 11 years", "2099-01-01 10:00", "dans 99999999999999999999 jours"])
def test_too_far_ahead_names_the_bound(text: str) -> None:
    error = refused(text)
    assert error.key in ("when.too_far", "when.too_far_duration") and error.params["max"] == 10


def test_years_are_a_duration_unit_within_the_bound() -> None:
    assert parse("dans 2 ans") == NOW.astimezone(UTC) + timedelta(days=730)
    assert parse_duration("1 an") == timedelta(days=365)


@pytest.mark.parametrize("text", ["١/٦ 9h", "15/06 ٩h", "²/06 9h", "dans ² h", "dans ٢ jours"])
def test_non_ascii_digits_are_not_guessed(text: str) -> None:
    assert refused(text).key == "when.unparseable"


def test_a_year_less_date_may_be_kept_in_this_year() -> None:
    """Earlier today or earlier this year does not float to next year when next_year is off."""
    evening = datetime(2025, 11, 29, 20, 0, tzinfo=PARIS)
    error = refused("29/11 9h", now=evening, next_year=False)
    assert error.key == "when.past_this_year" and error.params["example"] == "29/11/2026"
    assert parse("29/11 9h", now=evening, next_year=False, allow_past=True) == utc(2025, 11, 29, 8, 0)
    assert parse("30/11 9h", now=evening, next_year=False) == utc(2025, 11, 30, 8, 0)
    assert parse("9h", now=evening, next_year=False) == utc(2025, 11, 30, 8, 0)  # a bare time still rolls a day


def test_is_time_only() -> None:
    assert all(is_time_only(text) for text in ("17h", "9:30", "9h30", "6pm", "midi", " 18 h "))
    assert not any(is_time_only(text) for text in ("demain 9h", "30/06 17h", "dans 2h", "lundi 10h", "", "abc"))


# --- DST in Europe/Paris: last Sunday of March and of October ------------------


@pytest.mark.parametrize(
    "text",
    ["29/03/2026 02:30", "2026-03-29 02:00", "29 mars 2026 2h59", "29/03 02:30", "March 29 2026 2:30am"],
)
def test_a_time_in_the_spring_gap_does_not_exist(text: str) -> None:
    error = refused(text)
    assert error.key == "when.nonexistent"
    assert error.params["when"].startswith("dimanche 29 mars 2026 à 02:")
    assert error.params["when"].endswith("(Europe/Paris)")


@pytest.mark.parametrize("text", ["25/10/2026 02:30", "2026-10-25 02:00", "25 octobre 2026 2h59"])
def test_a_time_in_the_autumn_overlap_is_ambiguous(text: str) -> None:
    error = refused(text)
    assert error.key == "when.ambiguous"
    assert error.params["when"].startswith("dimanche 25 octobre 2026 à 02:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("29/03/2026 01:59", utc(2026, 3, 29, 0, 59)),  # still CET
        ("29/03/2026 03:00", utc(2026, 3, 29, 1, 0)),  # already CEST
        ("25/10/2026 01:59", utc(2026, 10, 24, 23, 59)),  # still CEST
        ("25/10/2026 03:00", utc(2026, 10, 25, 2, 0)),  # back to CET
        ("26/10/2025 01:30", utc(2025, 10, 25, 23, 30)),
        ("25/10 02:30", utc(2025, 10, 25, 0, 30)),  # 2025's change is on the 26th
    ],
)
def test_times_around_dst_changes_are_exact(text: str, expected: datetime) -> None:
    assert parse(text) == expected


def test_dst_is_read_from_the_zone_not_from_fixed_dates() -> None:
    new_york = ZoneInfo("America/New_York")  # changes on the 2nd Sunday of March, 1st of November
    with pytest.raises(UserError) as gap:
        parse_when("08/03/2026 02:30", now=NOW, tz=new_york, locale="en")
    assert gap.value.key == "when.nonexistent"
    with pytest.raises(UserError) as overlap:
        parse_when("01/11/2026 01:30", now=NOW, tz=new_york, locale="en")
    assert overlap.value.key == "when.ambiguous"
    assert parse_when("29/03/2026 02:30", now=NOW, tz=new_york, locale="en") == utc(2026, 3, 29, 6, 30)


# --- unparseable -------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "à",
        "n'importe quoi",
        "31/06 10h",
        "25h",
        "18:75",
        "13pm",
        "juin 18h",
        "1751234567",
        "30/13 10h",
        "dans",
    ],
)
def test_nonsense_is_unparseable(text: str) -> None:
    error = refused(text)
    assert error.key == "when.unparseable"
    assert error.params == {"text": text}


# --- format_when -------------------------------------------------------------


def test_format_when_in_french() -> None:
    moment = utc(2025, 6, 30, 16, 0)
    assert format_when(moment, tz=PARIS, locale="fr") == "lundi 30 juin 2025 à 18:00 (Europe/Paris)"


def test_format_when_in_english() -> None:
    moment = utc(2025, 6, 30, 16, 0)
    assert format_when(moment, tz=PARIS, locale="en") == "Monday, June 30, 2025 at 6:00 PM (Europe/Paris)"


def test_format_when_uses_the_zone_and_a_regional_locale_tag() -> None:
    moment = utc(2025, 12, 1, 8, 5)
    assert format_when(moment, tz=PARIS, locale="fr-FR") == "lundi 1 décembre 2025 à 09:05 (Europe/Paris)"
    tokyo = ZoneInfo("Asia/Tokyo")
    assert format_when(moment, tz=tokyo, locale="en_US") == "Monday, December 1, 2025 at 5:05 PM (Asia/Tokyo)"


def test_an_unknown_locale_falls_back_to_french() -> None:
    assert format_when(utc(2025, 6, 30, 16, 0), tz=PARIS, locale="de").startswith("lundi 30 juin")


# --- parse_duration ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30 min", timedelta(minutes=30)),
        ("30min", timedelta(minutes=30)),
        ("1j", timedelta(days=1)),
        ("1d", timedelta(days=1)),
        ("90m", timedelta(minutes=90)),
        ("1h30", timedelta(hours=1, minutes=30)),
        ("1h 30min", timedelta(hours=1, minutes=30)),
        ("2 jours", timedelta(days=2)),
        ("7 days", timedelta(days=7)),
        ("1 semaine", timedelta(weeks=1)),
        ("2 heures", timedelta(hours=2)),
        ("une heure", timedelta(hours=1)),
        ("an hour", timedelta(hours=1)),
        (" 2H ", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "2", "h", "0h", "-2h", "2x", "2h30x", "1,5h", "2 siècles", "30 1h", "٢h", "²h"]
)
def test_bad_durations_are_refused(text: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_duration(text)
    assert caught.value.key == "when.bad_duration"
    assert caught.value.params == {"text": text}


# --- messages ------------------------------------------------------------------


def _messages(locale: str) -> dict[str, str]:
    """msgid -> msgstr of the when.po of one language."""
    with (LOCALES_DIR / locale / "when.po").open("rb") as handle:
        return {str(m.id): str(m.string) for m in read_po(handle, locale=locale) if m.id}


def _placeholders(template: str) -> set[str]:
    """The named {fields} of a str.format template."""
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


RAISED_KEYS = set(re.findall(r'UserError\(\s*"([^"]+)"', Path(when_module.__file__).read_text("utf-8")))


def test_raised_keys_were_found() -> None:
    assert {
        "when.unparseable",
        "when.missing_time",
        "when.past",
        "when.nonexistent",
        "when.ambiguous",
        "when.bad_duration",
        "when.not_future",
        "when.too_far",
        "when.too_far_duration",
        "when.past_this_year",
    } == RAISED_KEYS


@pytest.mark.parametrize("key", sorted(RAISED_KEYS))
def test_every_raised_key_is_translated_with_the_same_placeholders(key: str) -> None:
    french, english = _messages("fr"), _messages("en")
    assert french.get(key) and english.get(key)
    assert _placeholders(french[key]) == _placeholders(english[key])


@pytest.mark.parametrize(
    "trigger",
    [
        lambda: parse("n'importe quoi"),
        lambda: parse("30/06"),
        lambda: parse("2025-05-01 10:00"),
        lambda: parse("29/03/2026 02:30"),
        lambda: parse("25/10/2026 02:30"),
        lambda: parse_duration("2x"),
        lambda: parse("dans 0 minutes"),
        lambda: parse("dans 100 ans"),
        lambda: parse("dans 99999999999999999999 jours"),
        lambda: parse("1/06 9h", next_year=False),
    ],
)
def test_raised_params_fill_exactly_the_placeholders(trigger) -> None:
    with pytest.raises(UserError) as caught:
        trigger()
    error = caught.value
    for locale in SUPPORTED:
        template = _messages(locale)[error.key]
        assert _placeholders(template) == set(error.params)
        assert template.format(**error.params)


def test_po_headers_declare_language_and_utf8() -> None:
    for locale in SUPPORTED:
        header = (LOCALES_DIR / locale / "when.po").read_text("utf-8")
        assert f'"Language: {locale}\\n"' in header
        assert '"Content-Type: text/plain; charset=UTF-8\\n"' in header
