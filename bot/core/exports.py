"""CSV exports that open safely and correctly in spreadsheets, French ones included."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Without it Excel reads UTF-8 as the machine's legacy code page ("Ã©" for "é").
BOM = "\ufeff"
SEMICOLON, COMMA = ";", ","
# A French spreadsheet splits columns on ";" (its decimal separator is the comma); others on ",".
SEPARATORS = (SEMICOLON, COMMA)


def default_separator(locale: str) -> str:
    """The separator a spreadsheet in this language expects."""
    return SEMICOLON if locale == "fr" else COMMA


def separator(chosen: str | None, locale: str) -> str:
    """The separator asked for, else the one of the space's language."""
    return chosen if chosen in SEPARATORS else default_separator(locale)


def safe_cell(value: object, sep: str = COMMA) -> object:
    """Member text starting like a formula is prefixed with ' so spreadsheets show it as text.

    With ";" a decimal is written with a comma, as the spreadsheets that expect ";" read numbers.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, float) and sep == SEMICOLON:
        return str(value).replace(".", ",")
    return value


def to_csv(sections: Iterable[Iterable[Sequence[object]]], sep: str = COMMA) -> str:
    """CSV text of one or more tables (header row first), separated by a blank line, starting with a BOM.

    A table may be a generator: its rows are written as they come, never all held at once.
    """
    out = io.StringIO()
    write_csv(out, sections, sep)
    return out.getvalue()


def to_csv_file(sections: Iterable[Iterable[Sequence[object]]], sep: str = COMMA) -> bytes:
    """The UTF-8 file of `to_csv`, encoded as it is written (no whole text held beside the bytes)."""
    data = io.BytesIO()
    with io.TextIOWrapper(data, encoding="utf-8", newline="") as out:  # newline="": the rows' \r\n kept as is
        write_csv(out, sections, sep)
        out.flush()
        return data.getvalue()


def write_csv(out: TextIO, sections: Iterable[Iterable[Sequence[object]]], sep: str = COMMA) -> None:
    """Write the CSV of `to_csv` to `out`."""
    if sep not in SEPARATORS:
        raise ValueError(f"unsupported CSV separator {sep!r}")
    out.write(BOM)
    writer = csv.writer(out, delimiter=sep)
    for index, table in enumerate(sections):
        rows = iter(table)
        first = next(rows, None)
        if first is None:  # an empty table is left out, with its separating line
            continue
        if index:
            writer.writerow([])
        writer.writerows([safe_cell(cell, sep) for cell in row] for row in chain((first,), rows))
