"""Which of the naive pipeline's events surveil also raised, by time alone and by object.

*Found* (the issue's measure): surveil raised an event of the same rule on the same clip whose
span, widened by ``TOLERANCE_S`` at each end, overlaps the naive event's. In a busy scene some
event of the rule is nearly always open, so this alone says little; *same object* also asks that
the two events' tracks be one object: at some moment both saw it (samples at most
``SAME_TIME_S`` apart), their boxes overlap by ``MIN_IOU`` or more. The same share is also given
for the naive events that last ``LONG_S`` or more, leaving out objects seen for a moment.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Surveil looks at most 5 times a second and ByteTrack confirms a new track on its second sighting,
# so an event starts up to ~0.4 s after the naive one; the two trackers also lose objects at
# different times (15 detector runs are 0.5 s at 30 fps, 3 s at 5 fps). One second covers that
# twice over and stays under the rules' 3 s grace, so a naive event that falls wholly in a gap
# between surveil's events still counts as missed.
TOLERANCE_S = 1.0
SAME_TIME_S = 0.1  # both sides decode the same frames; their clocks differ by a frame at most
MIN_IOU = 0.3  # a car at motorway speed moves a fifth of its length in one frame; a neighbour overlaps less
# A naive event this short is an object its tracker saw for half a second or less (it ends a track 0.5 s
# after the last sighting): a distant car seen in two frames, which at 5 looks a second surveil may never confirm.
LONG_S = 1.0


@dataclass(frozen=True)
class Span:
    """One event: its rule, start and end in seconds of footage, and its track's boxes (t, x1, y1, x2, y2)."""

    rule: str
    start: float
    end: float
    boxes: tuple = ()

    @classmethod
    def of(cls, rule: str, start: float, end: float, samples: list, tolerance: float = TOLERANCE_S) -> Span:
        """A span with the track's samples from its (widened) time only."""
        return cls(rule, start, end, tuple(s for s in samples if start - tolerance <= s[0] <= end + tolerance))


def overlaps(naive: Span, other: Span, tolerance: float = TOLERANCE_S) -> bool:
    """Same rule, and the spans meet once ``other`` is widened by ``tolerance`` at each end."""
    return naive.rule == other.rule and other.start - tolerance <= naive.end and naive.start <= other.end + tolerance


def same_object(naive: Span, other: Span, tolerance: float = TOLERANCE_S) -> bool:
    """Overlapping spans whose boxes, at some moment both saw, overlap by ``MIN_IOU``."""
    if not overlaps(naive, other, tolerance) or not naive.boxes or not other.boxes:
        return False
    mine, theirs = np.asarray(naive.boxes, np.float64), np.asarray(other.boxes, np.float64)
    mine = mine[np.argsort(mine[:, 0])]
    nearest = _nearest(mine[:, 0], theirs[:, 0])
    close = np.abs(mine[nearest, 0] - theirs[:, 0]) <= SAME_TIME_S
    return bool((close & (_row_iou(mine[nearest, 1:], theirs[:, 1:]) >= MIN_IOU)).any())


def _nearest(times: np.ndarray, at: np.ndarray) -> np.ndarray:
    """For each of ``at``, the index of the nearest of the sorted ``times``."""
    right = np.clip(np.searchsorted(times, at), 0, len(times) - 1)
    left = np.clip(right - 1, 0, len(times) - 1)
    return np.where(np.abs(times[left] - at) < np.abs(times[right] - at), left, right)


def _row_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """IoU of each row of ``a`` with the same row of ``b``, both (N, 4) x1, y1, x2, y2."""
    inter = np.prod(np.clip(np.minimum(a[:, 2:], b[:, 2:]) - np.maximum(a[:, :2], b[:, :2]), 0, None), axis=1)
    union = np.prod(a[:, 2:] - a[:, :2], axis=1) + np.prod(b[:, 2:] - b[:, :2], axis=1) - inter
    return inter / np.maximum(union, 1e-9)


def found(naive: list[Span], surveil: list[Span], match=overlaps) -> list[bool]:
    """For each naive event, whether any surveil event matches it."""
    return [any(match(n, s) for s in surveil) for n in naive]


def compare(naive: list[Span], surveil: list[Span], rules: list[str]) -> list[dict]:
    """Per rule: events on each side, naive ones found, found as the same object, and so among the long ones."""
    rows = []
    for rule in rules:
        mine, theirs = [s for s in naive if s.rule == rule], [s for s in surveil if s.rule == rule]
        same = found(mine, theirs, same_object)
        long = [n.end - n.start >= LONG_S for n in mine]
        rows.append({"rule": rule, "naive": len(mine), "surveil": len(theirs), "found": sum(found(mine, theirs)),
                     "same_object": sum(same), "long": sum(long),
                     "long_same_object": sum(s and n for s, n in zip(same, long, strict=True))})
    return rows
