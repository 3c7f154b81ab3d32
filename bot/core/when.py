"""Dates, times and durations as people type them, in French or English."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime, get_day_names

from bot.core.errors import UserError
from bot.core.text import has_foreign_digits
from bot.i18n import DEFAULT_LOCALE, SUPPORTED, normalize_locale

# How a moment is echoed back, per language (babel / CLDR patterns).
_PATTERNS = {
    "fr": "EEEE d MMMM y 'à' HH:mm",
    "en": "EEEE, MMMM d, y 'at' h:mm a",
}

_DURATION_UNITS = {
    "m": 60, "mn": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "heure": 3600, "heures": 3600, "hour": 3600, "hours": 3600,
    "j": 86400, "jour": 86400, "jours": 86400, "d": 86400, "day": 86400, "days": 86400,
    "sem": 604800, "semaine": 604800, "semaines": 604800, "w": 604800, "week": 604800, "weeks": 604800,
    "an": 31536000, "ans": 31536000, "année": 31536000, "années": 31536000, "year": 31536000, "years": 31536000,
}  # fmt: skip
YEARS_AHEAD_MAX = 10  # farther than this is a typo ("dans 100 ans"), and would overflow long before
_AHEAD_MAX = timedelta(days=365 * YEARS_AHEAD_MAX + 3)

_RELATIVE = re.compile(r"(?:dans|in|\+)\s*(.+)")
_ISO_T = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})t")
# Times of day, most specific first. dateparser reads "demain 9h" as 21:00 and
# "30/06 18h" as garbage, so times are always taken out here, never by dateparser.
_TIMES = (
    re.compile(r"\b(?P<h>\d{1,2})(?:[:.h](?P<m>\d{2}))?\s*(?P<ampm>[ap])\.?m\b\.?"),
    re.compile(r"\b(?P<h>\d{1,2}):(?P<m>\d{2})(?::\d{2})?\b"),
    re.compile(r"\b(?P<h>\d{1,2})\s*(?:h|heures?)\s*(?P<m>\d{2})?\b"),
    re.compile(r"\b(?P<noon>midi|noon)\b"),
)
_NOISE = re.compile(r"(?<!\w)(?:à|a|at|le|on|vers)(?!\w)|,")
_NUMERIC_DATE = re.compile(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{4}|\d{2}))?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WEEKDAY = re.compile(r"(?:next\s+)?([^\W\d]+)(?:\s+prochain)?")

# A date is either fixed, a (month, day) whose year is still to choose, or absent.
DatePart = date | tuple[int, int] | None


def parse_when(
    text: str,
    *,
    now: datetime,
    tz: ZoneInfo,
    locale: str,
    allow_past: bool = False,
    default_time: time | None = None,
    next_year: bool = True,
) -> datetime:
    """The UTC instant meant by `text`, read as wall-clock time in `tz` relative to `now`.

    `next_year=False` keeps a date typed without a year in this year even when it has passed.
    """
    cleaned = _normalise(text)
    if not cleaned or has_foreign_digits(cleaned):
        raise UserError("when.unparseable", text=text)
    if (relative := _relative(cleaned, text)) is not None:
        return now.astimezone(UTC) + relative
    clock, rest = _extract_time(cleaned, text)
    local_now = now.astimezone(tz)
    day = _read_date(rest, local_now, locale, text)
    if clock is None:
        if day is None:
            raise UserError("when.unparseable", text=text)
        if default_time is None:
            raise UserError("when.missing_time", text=text)
        clock = default_time
    # Year-less dates and bare times take their next occurrence (unless next_year is off),
    # so allow_past mostly matters for explicit years and words like "hier".
    kept = isinstance(day, tuple) and not next_year and _exists(local_now.year, *day)
    if kept:
        day = date(local_now.year, *day)  # type: ignore[misc]
    wall = _pick(day, clock, local_now, tz)
    moment = _localize(wall, tz, locale).astimezone(UTC)
    if moment <= now and not allow_past:
        if kept:
            assert isinstance(day, date)
            raise UserError("when.past_this_year", when=format_when(moment, tz=tz, locale=locale),
                            example=f"{day.day:02d}/{day.month:02d}/{day.year + 1}")  # fmt: skip
        raise UserError("when.past", when=format_when(moment, tz=tz, locale=locale))
    if moment - now > _AHEAD_MAX:
        raise UserError("when.too_far", when=format_when(moment, tz=tz, locale=locale), max=YEARS_AHEAD_MAX)
    return moment


def is_time_only(text: str) -> bool:
    """Whether `text` is a bare time of day ("17h", "9:30am"), which may roll over to the next day."""
    cleaned = _normalise(text)
    if not cleaned or _relative_match(cleaned):
        return False
    try:
        clock, rest = _extract_time(cleaned, text)
    except UserError:
        return False
    return clock is not None and not rest


def _exists(year: int, month: int, day: int) -> bool:
    """Whether that date exists (29/02 only in leap years)."""
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def format_when(moment: datetime, *, tz: ZoneInfo, locale: str) -> str:
    """A readable, localized rendering of `moment` in `tz`, always naming the zone."""
    return _render(moment.astimezone(tz).replace(tzinfo=None), tz, locale)


def parse_duration(text: str) -> timedelta:
    """A positive duration such as "2h", "30 min", "1h30", "2 jours" or "7 days"."""
    seconds = _seconds(text)
    if seconds is None or seconds <= 0:
        raise UserError("when.bad_duration", text=text)
    return timedelta(seconds=seconds)


def _seconds(text: str) -> int | None:
    """The seconds of a duration as typed (0 included), or None if it is not one; too long is refused."""
    cleaned = re.sub(r"^(?:une?|an?)\s+", "1 ", _normalise(text))
    if has_foreign_digits(cleaned):
        return None
    tokens = re.findall(r"\d+|[^\W\d]+|\S", cleaned)
    seconds, unit = 0, None
    while tokens:
        number = tokens.pop(0)
        if not number.isdigit():
            return None
        if tokens:
            unit = _DURATION_UNITS.get(tokens.pop(0))
        elif unit == 3600:
            unit = 60  # the "30" of "1h30" is minutes
        else:
            unit = None
        if unit is None:
            return None
        if len(number) > 12:  # more digits than any duration under the bound, and no huge int() either
            raise UserError("when.too_far_duration", text=text, max=YEARS_AHEAD_MAX)
        seconds += int(number) * unit
    if seconds > _AHEAD_MAX.total_seconds():
        raise UserError("when.too_far_duration", text=text, max=YEARS_AHEAD_MAX)
    return seconds if cleaned else None


def _normalise(text: str) -> str:
    """Lower case, composed accents, straight apostrophes, single spaces."""
    text = unicodedata.normalize("NFC", text).lower().replace("’", "'")
    return " ".join(text.split()).strip(" .!")


def _relative_match(cleaned: str) -> re.Match[str] | None:
    """The "dans …" / "in …" / "+…" form, if `cleaned` has it."""
    return _RELATIVE.fullmatch(cleaned)


def _relative(cleaned: str, text: str) -> timedelta | None:
    """The offset of "dans 2h", "in 3 days", "+30 min", or None if it is not one."""
    match = _relative_match(cleaned)
    if match is None:
        return None
    seconds = _seconds(match.group(1))
    if seconds is None:
        return None  # maybe "in 3 days at 6pm": let the general path try
    if seconds <= 0:
        raise UserError("when.not_future", text=text)
    return timedelta(seconds=seconds)


def _extract_time(cleaned: str, text: str) -> tuple[time | None, str]:
    """The time of day found in `cleaned` (if any) and what is left once it is removed."""
    cleaned = _ISO_T.sub(r"\1 ", cleaned)
    for pattern in _TIMES:
        if match := pattern.search(cleaned):
            rest = cleaned[: match.start()] + " " + cleaned[match.end() :]
            return _clock(match, text), _strip_noise(rest)
    return None, _strip_noise(cleaned)


def _clock(match: re.Match[str], text: str) -> time:
    """The time of day a `_TIMES` match stands for."""
    if match.groupdict().get("noon"):
        return time(12, 0)
    hour, minute = int(match["h"]), int(match["m"] or 0)
    if ampm := match.groupdict().get("ampm"):
        if not 1 <= hour <= 12:
            raise UserError("when.unparseable", text=text)
        hour = hour % 12 + (12 if ampm == "p" else 0)
    if hour > 23 or minute > 59:
        raise UserError("when.unparseable", text=text)
    return time(hour, minute)


def _strip_noise(rest: str) -> str:
    """Drop the little words around dates ("à", "le", "at", "on") that confuse parsing."""
    return " ".join(_NOISE.sub(" ", rest).split())


def _read_date(rest: str, local_now: datetime, locale: str, text: str) -> DatePart:
    """The date part of the input: numeric DMY and ISO here, weekdays here, words via dateparser."""
    if not rest:
        return None
    try:
        if match := _ISO_DATE.fullmatch(rest):
            return date(*map(int, match.groups()))
        if match := _NUMERIC_DATE.fullmatch(rest):
            return _numeric_date(*match.groups())
    except ValueError:
        raise UserError("when.unparseable", text=text) from None
    if (weekday := _weekday(rest)) is not None:
        today = local_now.date()
        return today + timedelta(days=(weekday - today.weekday() - 1) % 7 + 1)
    return _words_date(rest, local_now, locale, text)


def _numeric_date(day: str, month: str, year: str | None) -> date | tuple[int, int]:
    """A French-style day/month[/year] date: 05/06 is the 5th of June, whatever the locale."""
    if year is None:
        date(2000, int(month), int(day))  # validates, 29/02 included (2000 is a leap year)
        return int(month), int(day)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    return date(full_year, int(month), int(day))


def _weekday(rest: str) -> int | None:
    """Monday=0 … for "lundi", "lundi prochain", "monday", "next monday"; else None."""
    # Own handling because dateparser needs REQUIRE_PARTS=["day"] to refuse a bare
    # "juin" (it would pick June 1st), and that setting also refuses "lundi".
    match = _WEEKDAY.fullmatch(rest)
    return _weekday_names().get(match.group(1)) if match else None


@cache
def _weekday_names() -> dict[str, int]:
    """Full weekday names of every supported language, lower case, to their number."""
    return {name.lower(): number for lang in SUPPORTED for number, name in get_day_names("wide", locale=lang).items()}


def _words_date(rest: str, local_now: datetime, locale: str, text: str) -> DatePart:
    """A date in words ("30 juin", "June 30", "demain", "tomorrow") read by dateparser."""
    # Imported here: importing dateparser and its first parse cost ~200 ms, which
    # start-up should not pay; numeric, ISO and relative inputs never need it.
    import dateparser

    lang = normalize_locale(locale) or DEFAULT_LOCALE
    found = dateparser.parse(
        rest,
        languages=[lang, *(other for other in SUPPORTED if other != lang)],
        settings={
            "PREFER_DATES_FROM": "future",
            "RELATIVE_BASE": local_now.replace(tzinfo=None),
            "DATE_ORDER": "DMY",  # "05-06" is the 5th of June even in English
            "REQUIRE_PARTS": ["day"],
            "PARSERS": ["relative-time", "absolute-time"],  # no Unix timestamps
        },
    )
    if found is None:
        raise UserError("when.unparseable", text=text)
    day = found.date()
    # A day number without a year ("30 juin", "June 30") gets its year from the
    # next-occurrence rule, which needs the time too, so only keep month and day.
    # dateparser's relative past ("il y a 2 jours") lands before today: keep it fixed.
    floating = re.search(r"\d", rest) and not re.search(r"\b\d{4}\b", rest)
    if floating and day >= local_now.date():
        return day.month, day.day
    return day


def _pick(day: DatePart, clock: time, local_now: datetime, tz: ZoneInfo) -> datetime:
    """The naive local date-time meant: the next occurrence when the year or date is open."""
    if isinstance(day, date):
        return datetime.combine(day, clock)
    for candidate in _candidates(day, local_now.date()):
        wall = datetime.combine(candidate, clock)
        if wall.replace(tzinfo=tz) > local_now:
            return wall
    raise AssertionError("unreachable: a later year always exists")


def _candidates(day: tuple[int, int] | None, today: date) -> Iterator[date]:
    """Dates to try in order: today then tomorrow for a bare time, else this year's then later ones."""
    if day is None:
        yield from (today, today + timedelta(days=1))
        return
    month, day_of_month = day
    for year in range(today.year, today.year + 9):  # 29/02 may wait up to 8 years
        try:
            yield date(year, month, day_of_month)
        except ValueError:
            continue


def _localize(wall: datetime, tz: ZoneInfo, locale: str) -> datetime:
    """`wall` as an aware time in `tz`, refusing the times DST skips or repeats."""
    early, late = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    # A real wall time survives a round trip through UTC; one in a DST gap comes back shifted.
    if not any(_round_trips(candidate, tz) for candidate in (early, late)):
        raise UserError("when.nonexistent", when=_render(wall, tz, locale))
    # In a DST overlap both folds are real but an hour apart.
    if early.utcoffset() != late.utcoffset():
        raise UserError("when.ambiguous", when=_render(wall, tz, locale))
    return early


def _round_trips(aware: datetime, tz: ZoneInfo) -> bool:
    """Whether `aware` reads the same after going to UTC and back."""
    back = aware.astimezone(UTC).astimezone(tz)
    return back.replace(tzinfo=None) == aware.replace(tzinfo=None)


def _render(wall: datetime, tz: ZoneInfo, locale: str) -> str:
    """A naive local date-time in words, followed by its zone."""
    lang = normalize_locale(locale) or DEFAULT_LOCALE
    # A naive datetime and no tzinfo: babel prints the wall clock as given.
    return f"{format_datetime(wall, _PATTERNS[lang], locale=lang)} ({tz.key})"
