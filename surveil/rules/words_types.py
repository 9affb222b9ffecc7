"""What a prompt's words compiled to, and how that reads to an operator (text) and to a program (a dict)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from surveil.rules.words_vocab import PART_NAMES

logger = logging.getLogger(__name__)

_WEEKEND, _WEEKDAYS = ("sat", "sun"), ("mon", "tue", "wed", "thu", "fri")


@dataclass(frozen=True)
class WordMotion:
    """A motion word and what it means: speeds in the object's own heights a second, stillness in seconds."""

    word: str
    min_speed_bh_s: float | None = None
    max_speed_bh_s: float | None = None
    stationary_s: float | None = None

    def text(self) -> str:
        """In a few words: "running ≥ 1.2 heights/s", "walking 0.15–1.2 heights/s", "parked ≥ 30 s"."""
        if self.stationary_s is not None:
            return f"{self.word} ≥ {self.stationary_s:g} s"
        if self.max_speed_bh_s is not None:
            low = f"{self.min_speed_bh_s:g}" if self.min_speed_bh_s is not None else "0"
            return f"{self.word} {low}–{self.max_speed_bh_s:g} heights/s"
        return f"{self.word} ≥ {self.min_speed_bh_s or 0:g} heights/s"


@dataclass(frozen=True)
class WordCount:
    """At least ``at_least`` objects of these classes (any class when empty) on the camera at once."""

    at_least: int
    classes: frozenset[str]


@dataclass(frozen=True)
class Understood:
    """The conditions a rule's prompts compiled to, and the words left for CLIP.

    ``words`` is every content word in order with the condition it became ("" when none);
    ``understood`` and ``unchecked`` are its two halves. Stop-words ("a", "the", "in") are in neither.
    ``time`` is "night", "day" or None; ``days`` the weekdays ("sat", "sun") or () for any day.
    """

    classes: frozenset[str] = frozenset()
    colours: tuple[tuple[str, str], ...] = ()  # (palette colour, part: body, upper or lower)
    motion: WordMotion | None = None
    count: WordCount | None = None
    zone: str | None = None
    time: str | None = None
    days: tuple[str, ...] = ()
    understood: tuple[str, ...] = ()
    unchecked: tuple[str, ...] = ()
    words: tuple[tuple[str, str], ...] = ()

    @property
    def has_conditions(self) -> bool:
        """Whether any word became a condition."""
        return bool(self.classes or self.colours or self.motion or self.count or self.zone or self.time
                    or self.days)

    def condition_texts(self) -> list[str]:
        """Each condition in a few words, in a fixed order: object, colour, motion, count, zone, time."""
        out = [" or ".join(sorted(self.classes))] if self.classes else []
        out += [f"{colour} ({PART_NAMES[part]})" if PART_NAMES[part] else colour for colour, part in self.colours]
        out += [self.motion.text()] if self.motion else []
        if self.count:
            out.append(f"≥ {self.count.at_least} × {' or '.join(sorted(self.count.classes)) or 'any object'}")
        out += [f"zone {self.zone}"] if self.zone else []
        out += [{"night": "at night", "day": "by day"}[self.time]] if self.time else []
        out += [days_text(self.days)] if self.days else []
        return out


def days_text(days: tuple[str, ...]) -> str:
    """The days in words: "on weekends", "on weekdays", or the days named."""
    return {_WEEKEND: "on weekends", _WEEKDAYS: "on weekdays"}.get(tuple(days), "on " + ", ".join(days))


def quoted(words: tuple[str, ...] | list[str]) -> str:
    """Words quoted and listed: "'climbing', 'fence'", or "—" for none."""
    return ", ".join(f"'{w}'" for w in words) or "—"


def describe(understood: Understood) -> str:
    """One line: "understood as: car · red · stopped ≥ 5 s · zone loading bay · at night; left for CLIP: —"."""
    conditions = " · ".join(understood.condition_texts()) or "—"
    return f"understood as: {conditions}; left for CLIP: {quoted(understood.unchecked)}"


def understood_dict(understood: Understood) -> dict:
    """The same as JSON-ready data."""
    motion, count = understood.motion, understood.count
    return {
        "classes": sorted(understood.classes),
        "colours": [{"colour": c, "part": p} for c, p in understood.colours],
        "motion": None if motion is None else {
            "word": motion.word, "min_speed_bh_s": motion.min_speed_bh_s,
            "max_speed_bh_s": motion.max_speed_bh_s, "stationary_s": motion.stationary_s},
        "count": None if count is None else {"at_least": count.at_least, "classes": sorted(count.classes)},
        "zone": understood.zone, "time": understood.time, "days": list(understood.days),
        "conditions": understood.condition_texts(),
        "understood": list(understood.understood), "unchecked": list(understood.unchecked),
    }


def without_clip(understood: Understood, fire_without_clip: bool) -> tuple[str, str]:
    """What a rule with these words does while CLIP is unavailable: (state, sentence).

    state: "quiet" (words unchecked, fire_without_clip off), "rest" (fires on the rest), "words"
    (every word is checked: it fires on them).
    """
    if not understood.unchecked:
        return "words", "fires on its words without CLIP: every word is checked"
    words = quoted(understood.unchecked)
    if fire_without_clip:
        return "rest", f"fires on the rest without CLIP: {words} unchecked"
    return "quiet", (f"stays quiet without CLIP: {words} unchecked "
                     "(set fire_without_clip: true to fire on the rest)")
