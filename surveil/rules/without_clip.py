"""How a rule decides where no CLIP score is: on the words understood, and on the operator's marks by appearance."""

from __future__ import annotations

import numpy as np

from surveil.rules.conditions import ConditionResult
from surveil.rules.model import Rule
from surveil.rules.scoring import ExampleCache
from surveil.rules.words_types import Understood
from surveil.rules.words_types import without_clip as words_without_clip


def without_clip(rule: Rule, understood: Understood, reason: str) -> ConditionResult:
    """CLIP is missing: the words understood were checked; the words left decide whether the rule may fire."""
    state, sentence = words_without_clip(understood, rule.fire_without_clip)
    return ConditionResult("clip", state != "quiet", f"unavailable ({reason}); {sentence}")


def examples_verdict(examples: ExampleCache | None, appearance: np.ndarray | None,
                     last: ConditionResult | None) -> ConditionResult | None:
    """The operator's marks on the newest look; None with no marks.

    The rule's own conditions say yes; the nearest marked example pulls that towards its verdict
    by its affinity, as the examples move a CLIP probability. A track once found to look like a
    false alarm stays quiet for the rest of its life: one turned-away look must not let it fire.
    """
    if examples is None or not examples.marked:
        return None
    if appearance is None or (last is not None and not last.ok):
        return last
    weight, probability = examples.verdict(None, appearance)
    if weight <= 0.01:
        return ConditionResult("examples", True, "unlike every example the operator marked")
    score = 1.0 - weight * (1.0 - probability)
    nearest = "a false alarm" if probability < 0.5 else "marked correct"
    return ConditionResult("examples", score >= 0.5, f"{score:.2f} after the operator's marks (the nearest look is "
                                                     f"{nearest}, affinity {weight:.2f})")
