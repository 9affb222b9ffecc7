"""A rule's prompts are alternatives (CLIP fires on any of them): what all of them imply together.

A condition is kept only where every prompt implies it, in its weakest form: the object is one of
the classes any prompt names (when every prompt names one), a colour or zone or time all prompts
share, a motion all prompts share, a count all prompts ask for (the smallest). The words of a
condition dropped here, and every unchecked word of any prompt, are left for CLIP.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from surveil.rules.words_types import Understood, WordCount

logger = logging.getLogger(__name__)


def _same(values: list):
    """The value when every prompt has the same one, else None."""
    return values[0] if values and all(v == values[0] for v in values) else None


def _kept(parts: Sequence[Understood]) -> Understood:
    """The conditions every prompt implies (the words come later)."""
    classes = frozenset().union(*(p.classes for p in parts)) if all(p.classes for p in parts) else frozenset()
    colours = tuple(c for c in parts[0].colours if all(c in p.colours for p in parts[1:]))
    count = None
    if all(p.count for p in parts):
        count = WordCount(min(p.count.at_least for p in parts), frozenset().union(*(p.count.classes for p in parts)))
    return Understood(classes=classes, colours=colours, motion=_same([p.motion for p in parts]), count=count,
                      zone=_same([p.zone for p in parts]), time=_same([p.time for p in parts]),
                      days=_same([p.days for p in parts]) or ())


def _keeps(kept: Understood, fate: str) -> bool:
    """Whether the condition a word became survived the combining."""
    if fate.startswith("colour:"):
        _, colour, part = fate.split(":")
        return (colour, part) in kept.colours
    return bool({"class": kept.classes, "motion": kept.motion, "count": kept.count, "zone": kept.zone,
                 "time": kept.time, "days": kept.days}.get(fate))


def _unique(words: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(words))


def combine(parts: Sequence[Understood]) -> Understood:
    """One Understood for a rule's prompts; one prompt is returned as it is, none gives no conditions."""
    if len(parts) <= 1:
        return parts[0] if parts else Understood()
    kept = _kept(parts)
    words = tuple((w, fate if fate and _keeps(kept, fate) else "") for p in parts for w, fate in p.words)
    return Understood(classes=kept.classes, colours=kept.colours, motion=kept.motion, count=kept.count,
                      zone=kept.zone, time=kept.time, days=kept.days,
                      understood=_unique([w for w, fate in words if fate]),
                      unchecked=_unique([w for w, fate in words if not fate]), words=words)
