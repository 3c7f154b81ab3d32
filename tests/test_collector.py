"""The collector's pace set by `phosphore run`: fewer young-generation passes, never more, never switched on."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot.core.collector import YOUNG_GENERATION, pace_for_bursts


@pytest.fixture(autouse=True)
def thresholds() -> Iterator[None]:
    """Leave the test process's collector as it was."""
    saved = gc.get_threshold()
    try:
        yield
    finally:
        gc.set_threshold(*saved)


def test_the_young_generation_is_collected_less_often_and_the_others_as_before() -> None:
    gc.set_threshold(700, 10, 10)
    pace_for_bursts()
    assert gc.get_threshold() == (YOUNG_GENERATION, 10, 10)


def test_a_slower_pace_already_set_is_kept() -> None:
    gc.set_threshold(YOUNG_GENERATION * 5, 20, 30)
    pace_for_bursts()
    assert gc.get_threshold() == (YOUNG_GENERATION * 5, 20, 30)


def test_a_collector_switched_off_by_threshold_stays_off() -> None:
    gc.set_threshold(0, 10, 10)
    pace_for_bursts()
    assert gc.get_threshold()[0] == 0
