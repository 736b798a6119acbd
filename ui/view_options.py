"""What the person chose about how items look: suggestions, the word diff and the text size."""

from __future__ import annotations

from dataclasses import dataclass

ZOOM_STEPS = (8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 16.0, 18.0, 20.0, 24.0)
DEFAULT_ZOOM = 11.0


@dataclass
class ViewOptions:
    suggestions: bool = False
    diff: bool = False
    zoom: float = DEFAULT_ZOOM


def next_zoom(current: float, action_id: str) -> float:
    """The text size after ``zoom_in``, ``zoom_out`` or ``zoom_reset``, on fixed steps."""
    steps = list(ZOOM_STEPS)
    i = min(range(len(steps)), key=lambda k: abs(steps[k] - current))
    if action_id == "zoom_in":
        return steps[min(i + 1, len(steps) - 1)]
    if action_id == "zoom_out":
        return steps[max(i - 1, 0)]
    return DEFAULT_ZOOM
