"""CSV exports that open safely in spreadsheets."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """Member text starting like a formula is prefixed with ' so spreadsheets show it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(sections: Iterable[Sequence[Sequence[object]]]) -> str:
    """CSV text of one or more tables (header row first), separated by a blank line."""
    out = io.StringIO()
    writer = csv.writer(out)
    for index, rows in enumerate(sections):
        if not rows:
            continue
        if index:
            writer.writerow([])
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
    return out.getvalue()
