"""Time left of a job from its progress so far: the one rule the app's progress bars use."""

from __future__ import annotations


def time_left(elapsed_s: float, done: int, total: int) -> str | None:
    """``about 40 s left`` at the rate so far; None before the first unit is done or after
    the last (no rate yet, nothing left).

    >>> time_left(2.0, 4, 100)
    'about 48 s left'
    >>> time_left(60.0, 10, 100)
    'about 9 min left'
    >>> time_left(1.0, 0, 100) is None
    True
    """
    if done <= 0 or total <= done or elapsed_s <= 0:
        return None
    seconds = elapsed_s / done * (total - done)
    if seconds < 90:
        return f"about {max(1, round(seconds))} s left"
    return f"about {round(seconds / 60)} min left"
