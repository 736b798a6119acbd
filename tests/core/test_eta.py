"""Time left in the app's progress bar: known after the first unit, in seconds or minutes."""

from __future__ import annotations

from labeler.eta import time_left


def test_time_left_follows_the_rate_so_far() -> None:
    assert time_left(2.0, 4, 100) == "about 48 s left"
    assert time_left(60.0, 10, 100) == "about 9 min left"
    assert time_left(0.01, 1, 2) == "about 1 s left"


def test_no_time_left_before_a_rate_or_after_the_end() -> None:
    assert time_left(1.0, 0, 100) is None
    assert time_left(5.0, 100, 100) is None
    assert time_left(0.0, 3, 100) is None
