"""How numbers read on screen: percentages with intervals, durations, rates."""

from __future__ import annotations

from labeler.agreement import MIN_TIMED_FOR_RATE

DASH = "—"


def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{100 * value:.{digits}f}%"


def pct_interval(low: float | None, high: float | None) -> str:
    if low is None or high is None:
        return DASH
    return f"{100 * low:.1f}–{100 * high:.1f}%"


def seconds(ms: float | None) -> str:
    return DASH if ms is None else f"{ms / 1000:.1f} s"


def duration(hours: float | None) -> str:
    """Hours as a human reads them: '45 min', '3 h 20 min', '2.5 days'; any time at all is
    at least '1 min' ("0 min" would read as nothing left to do)."""
    if hours is None:
        return DASH
    minutes = max(1, round(hours * 60)) if hours > 0 else 0
    if minutes < 60:
        return f"{minutes} min"
    if hours < 48:
        h, m = divmod(minutes, 60)
        return f"{h} h {m:02d} min"
    return f"{hours / 24:.1f} days"


def rate(per_hour: float | None, timed: int | None = None) -> str:
    """Labels per hour; while too few ``timed`` labels give one, when there will be one."""
    if per_hour is not None:
        return f"{per_hour:,.0f} / h"
    if timed is not None and timed < MIN_TIMED_FOR_RATE:
        return f"rate after {MIN_TIMED_FOR_RATE} labels ({timed} so far)"
    return DASH


def count(n: int | None) -> str:
    return DASH if n is None else f"{n:,}"
