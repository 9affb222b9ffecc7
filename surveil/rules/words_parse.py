"""The word-by-word parser behind ``surveil.rules.words``: one prompt in, one Understood out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from surveil.rules.words_types import Understood, WordCount, WordMotion
from surveil.rules.words_vocab import (
    COLOURS,
    DAYS,
    DURATION_LEADS,
    GARMENTS,
    GROUPS,
    MOTION,
    MOTION_PAIRS,
    NEGATIONS,
    PLACE_TAILS,
    SECONDS,
    STOP_WORDS,
    TIME_WORDS,
    ZONE_LEADS,
    number,
    object_classes,
    object_pair,
)

logger = logging.getLogger(__name__)

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:['-][a-z]+)*")
_ARTICLES = frozenset({"the", "a", "an", "our", "this", "that", "their", "its"})
_TIME_LEADS = frozenset({"at", "during", "by", "in", "through", "every", "each", "all"})
_ALONE_TIMES = {"overnight": "night", "nighttime": "night", "night-time": "night", "tonight": "night",
                "daytime": "day"}
_NOT_ALTERNATIVE = frozenset({"more", "longer", "above", "so", "over"})  # "two or more": not a choice


def tokenize(text: str) -> list[str]:
    """Lower-case words and numbers, in order ("30s" gives "30", "s"; "t-shirt" stays one word)."""
    return _TOKEN.findall(text.lower())


class Parser:
    """One prompt, word by word: each word ends as a condition's, a stop-word, or unchecked (None)."""

    def __init__(self, text: str, zone_names: Iterable[str]):
        self.tokens = tokenize(text)
        self.fate: list[str | None] = [None] * len(self.tokens)
        zones = {tuple(tokenize(name)): name.strip() for name in zone_names if tokenize(name)}
        self.zones = sorted(zones.items(), key=lambda item: -len(item[0]))  # the longest name first
        self.classes: set[str] = set()
        self.head: frozenset[str] | None = None  # the first object: the one the other words describe
        self.last_object: tuple[int, str | None] | None = None  # (end index, its fate)
        self.colours: list[tuple[str, str]] = []
        self.motion: WordMotion | None = None
        self.count: int | None = None
        self.zone: str | None = None
        self.time: str | None = None
        self.days: tuple[str, ...] = ()
        self.duration: float | None = None
        self.cut = self._negation_at()
        self.only_objects = self._has_alternatives()

    def tok(self, i: int) -> str:
        """The word at ``i``, or "" past either end."""
        return self.tokens[i] if 0 <= i < len(self.tokens) else ""

    def mark(self, i: int, n: int, fate: str | None) -> None:
        """Words i .. i+n-1 became ``fate``."""
        for k in range(i, i + n):
            self.fate[k] = fate

    def run(self) -> Understood:
        """Walk the words once, then settle what depends on the whole prompt."""
        i = 0
        while i < len(self.tokens):
            i += self._step(i) if i < self.cut else 1
        self._settle_duration()
        return self._result()

    def _step(self, i: int) -> int:
        matchers = (self._object,) if self.only_objects else (
            self._zone, self._time, self._duration, self._count, self._group, self._colour, self._motion,
            self._object)
        for matcher in matchers:
            used = matcher(i)
            if used:
                return used
        if self.tokens[i] in STOP_WORDS:
            self.fate[i] = "stop"
        return 1

    def _negation_at(self) -> int:
        for k, word in enumerate(self.tokens):
            if word in NEGATIONS and not (word == "not" and self.tok(k + 1) == "moving"):
                return k
        return len(self.tokens)

    def _has_alternatives(self) -> bool:
        return any(w == "or" and self.tok(k + 1) not in _NOT_ALTERNATIVE for k, w in enumerate(self.tokens[:self.cut]))

    def _skip_articles(self, j: int) -> int:
        while self.tok(j) in _ARTICLES:
            j += 1
        return j

    def _zone(self, i: int) -> int:
        """A zone phrase: "in the loading bay", "at the gate" (a lead, articles, a configured zone's name)."""
        if self.zone is not None or self.tok(i) not in ZONE_LEADS:
            return 0
        j = self._skip_articles(i + 1)
        for name_tokens, name in self.zones:
            if tuple(self.tokens[j:j + len(name_tokens)]) == name_tokens:
                self.zone = name
                self.mark(i, j - i, "stop")
                self.mark(j, len(name_tokens), "zone")
                return j - i + len(name_tokens)
        return 0

    def _time(self, i: int) -> int:
        """A time phrase: "at night", "by day", "overnight", "after dark", "on weekends"."""
        word = self.tok(i)
        if word in DAYS and not self.days:
            self.days = DAYS[word]
            self.mark(i, 1, "days")
            return 1
        if self.time is not None:
            return 0
        if word in _ALONE_TIMES or (word, self.tok(i + 1)) == ("after", "dark"):
            self.time = _ALONE_TIMES.get(word, "night")
            n = 1 if word in _ALONE_TIMES else 2
            self.mark(i, n, "time")
            return n
        j = self._skip_articles(i + 1)
        if word in _TIME_LEADS and self.tok(j) in TIME_WORDS:
            self.time = TIME_WORDS[self.tok(j)]
            self.mark(i, j - i, "stop")
            self.mark(j, 1, "time")
            return j - i + 1
        return 0

    def _duration(self, i: int) -> int:
        """A duration: "for 2 minutes", "more than 30 seconds", "at least 5 min"; settled once the motion is known."""
        j = i
        while self.tok(j) in DURATION_LEADS or self.tok(j) in ("more", "longer", "at"):
            j += 1
        value, unit = number(self.tok(j)), SECONDS.get(self.tok(j + 1))
        if self.duration is not None or value is None or unit is None or j - i > 3:
            return 0
        self.duration = value * unit
        self.mark(i, j - i, "stop")
        self.mark(j, 2, "duration")
        return j - i + 2

    def _settle_duration(self) -> None:
        """A duration is the stillness of "stopped", "parked" or "loitering"; with anything else it is CLIP's."""
        still = self.motion is not None and self.motion.stationary_s is not None
        if still and self.duration is not None:
            self.motion = WordMotion(self.motion.word, stationary_s=self.duration)
        for k, fate in enumerate(self.fate):
            if fate == "duration":
                self.fate[k] = "motion" if still else None

    def _count(self, i: int) -> int:
        """A number: "two or more people", "at least 3 cars", "more than 2 people" (3), "4 dogs" (at least 4)."""
        if self.count is not None or self.head is not None:
            return 0
        lead, extra = {("at", "least"): (2, 0), ("more", "than"): (2, 1)}.get((self.tok(i), self.tok(i + 1)), (0, 0))
        if not lead and self.tok(i) == "over" and self.tok(i + 1).isdigit():
            lead, extra = 1, 1
        j = i + lead
        n = None if self.tok(j) in ("a", "an") else number(self.tok(j))
        k = j + 3 if (self.tok(j + 1), self.tok(j + 2)) == ("or", "more") else j + 1
        if n is None or self._object_at(k + (self.tok(k) in COLOURS)) is None:
            return 0
        if n + extra > 1:
            self.count = n + extra
            self.mark(j, 1, "count")
        self.mark(i, j - i, "stop")
        self.mark(j + 1, k - j - 1, "stop")
        if n + extra <= 1:
            self.mark(j, 1, "stop")  # "one car": the object alone
        return k - i

    def _group(self, i: int) -> int:
        """A group: "a crowd" (5 people), "a group of people" (3), "a group of 4 people", "several cars" (3)."""
        word = self.tok(i)
        if word not in GROUPS or self.count is not None or self.head is not None:
            return 0
        of = self.tok(i + 1) == "of"
        k = i + 1 + of
        given = None if self.tok(k) in ("a", "an") else number(self.tok(k))
        k += given is not None
        if self._object_at(k + (self.tok(k) in COLOURS)) is not None:
            self.count = given or GROUPS[word]
        elif word in ("crowd", "group", "gang") and not of:
            self.count, self.head = GROUPS[word], frozenset({"person"})  # a crowd, of people unless said
            self.classes |= self.head
        else:
            return 0
        self.mark(i, k - i, "count")
        self.mark(i + 1, int(of), "stop")
        return k - i

    def _colour(self, i: int) -> int:
        """A colour: "red car", "in a blue jacket", "black trousers", "a man in red"."""
        colour, after = COLOURS.get(self.tok(i)), self.tok(i + 1)
        if colour is None:
            return 0
        person = self.head is None or self.head <= {"person"}
        if after in GARMENTS and person:
            return self._add_colour(i, 2, colour, GARMENTS[after])
        if self.head is None and self._object_at(i + 1) is not None:
            return self._add_colour(i, 1, colour, "body")
        ends = after == "" or after in STOP_WORDS or after in MOTION or after in ZONE_LEADS
        if self.head is not None and person and self.tok(i - 1) in ("in", "wearing", "dressed") and ends:
            return self._add_colour(i, 1, colour, "body")
        return 0

    def _add_colour(self, i: int, n: int, colour: str, part: str) -> int:
        if (colour, part) not in self.colours:
            self.colours.append((colour, part))
        self.mark(i, n, f"colour:{colour}:{part}")
        return n

    def _motion(self, i: int) -> int:
        """A motion: "running", "walking", "stopped", "parked", "standing still", "loitering" (one a prompt)."""
        pair = (self.tok(i), self.tok(i + 1))
        n = 2 if pair in MOTION_PAIRS else 1
        values = MOTION_PAIRS.get(pair) or MOTION.get(self.tok(i))
        if values is None:
            return 0
        word, seen = " ".join(self.tokens[i:i + n]), self.motion
        if seen is not None:  # "standing still and waiting": two stillness words agree, the longer one holds
            if seen.stationary_s is None or values[2] is None:
                return 0
            word, values = f"{seen.word}, {word}", (None, None, max(seen.stationary_s, values[2]))
        self.motion = WordMotion(word, *values)
        self.mark(i, n, "motion")
        return n

    def _object(self, i: int) -> int:
        """The first object word is the one the prompt is about; "or" adds alternatives; others are CLIP's."""
        found = self._object_at(i)
        if found is None:
            return 0
        classes, n = found
        fate: str | None = None
        if self.head is None:
            self.head, fate = classes, "class"
        elif self._joined_by_or(i):
            fate = "class"
        if fate:
            self.classes |= classes
        self.mark(i, n, fate)
        self.last_object = (i + n, fate)
        return n

    def _object_at(self, i: int) -> tuple[frozenset[str], int] | None:
        """The classes and word count of an object at ``i``; "car park" or "bus stop" is a place, not one."""
        pair = object_pair(self.tok(i), self.tok(i + 1))
        if pair is not None and self.tok(i + 2) not in PLACE_TAILS:
            return pair, 2
        single = object_classes(self.tok(i))
        if single is not None and self.tok(i + 1) not in PLACE_TAILS:
            return single, 1
        return None

    def _joined_by_or(self, i: int) -> bool:
        if self.last_object is None or self.last_object[1] != "class":
            return False
        between = self.tokens[self.last_object[0]:i]
        return "or" in between and all(w == "or" or w in _ARTICLES for w in between)

    def _result(self) -> Understood:
        words = tuple((w, fate or "") for w, fate in zip(self.tokens, self.fate, strict=True)
                      if fate != "stop" and not (fate is None and w in STOP_WORDS))
        classes = frozenset(self.classes)
        return Understood(
            classes=classes, colours=tuple(self.colours), motion=self.motion,
            count=WordCount(self.count, classes) if self.count else None, zone=self.zone, time=self.time,
            days=self.days, understood=tuple(w for w, fate in words if fate),
            unchecked=tuple(w for w, fate in words if not fate), words=words)
