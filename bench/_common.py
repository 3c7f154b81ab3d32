"""Helpers for the benchmarks: a temporary app and medians."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def median(values: list[float]) -> float:
    """The median of a list of measurements."""
    return statistics.median(values)
