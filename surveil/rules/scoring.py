"""Calibrated CLIP scoring: a probability per rule, not a raw cosine.

Raw CLIP similarities drift from scene to scene and sit in a narrow band (0.2-0.3),
so no fixed threshold on them holds. Instead each crop is scored by a softmax, at
CLIP's own logit scale, over the rule's prompts, its contrast prompts and generic
background prompts for the object's class; the rule's probability is the mass on its
own prompts. Each prompt is the average of several templates.

Operator feedback then moves the decision through a cache of example embeddings, in
the spirit of Tip-Adapter: the affinity of a crop to its nearest marked example,
exp(-beta (1 - cos)), weighs a blend between the text probability and the examples'
verdict. A crop identical to a false alarm scores 0 whatever the text says; a crop
unlike every example keeps its text probability.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surveil.rules.model import Rule
from surveil.vision.clip import TextImageEncoder

TEMPLATES = ("a photo of {}.", "a CCTV camera image of {}.", "a security camera still of {}.",
             "a low resolution photo of {}.")
BACKGROUND: dict[str, tuple[str, ...]] = {
    "person": ("a person walking", "a person standing", "a group of people", "a person passing by"),
    "vehicle": ("a car driving on a road", "a parked car", "a vehicle in traffic", "a truck on a road"),
    "other": ("an object", "an empty street", "a building", "a tree"),
}
VEHICLES = {"bicycle", "car", "motorcycle", "bus", "train", "truck", "boat"}
# Affinity exp(-beta (1 - cos)): 1 for the same crop, 0.37 at cos 0.95 (the same person a
# few frames on), under 0.02 at cos 0.8 (another scene): examples act on near-repeats only.
EXAMPLE_BETA = 20.0
# The detector's appearance vectors of one person sit at cos 0.82-0.97 (median 0.89 a few seconds
# apart), of two people at 0.64-0.85 (median 0.75) on the labelled sequences (`surveil eval reid`):
# an exponential affinity cannot tell them apart, so a logistic step between the two is used.
APPEARANCE_SAME_COS = 0.84
APPEARANCE_SPREAD = 0.02


@dataclass(frozen=True)
class ScoreBreakdown:
    """Every part of a score, so the editor can show why a rule fired or not."""

    similarities: dict[str, float]
    contrast_similarities: dict[str, float]
    background_similarities: dict[str, float]
    text_probability: float
    example_weight: float
    example_probability: float
    probability: float
    threshold: float

    @property
    def example_shift(self) -> float:
        """How far the examples moved the probability (negative: towards not firing)."""
        return self.probability - self.text_probability

    @property
    def passed(self) -> bool:
        """Whether this look counts as a vote."""
        return self.probability >= self.threshold

    def describe(self) -> str:
        """One line for an operator."""
        best = max(self.similarities.items(), key=lambda kv: kv[1]) if self.similarities else ("-", 0.0)
        shift = f", examples {self.example_shift:+.2f} at weight {self.example_weight:.2f}" \
            if self.example_weight > 0.01 else ""
        return (f"p={self.probability:.2f} (threshold {self.threshold:.2f}; text {self.text_probability:.2f}{shift}; "
                f"best prompt '{best[0]}' cos {best[1]:.3f})")


@dataclass(frozen=True)
class Example:
    """One marked event: its CLIP embedding and/or the detector's appearance vector, and the verdict."""

    embedding: np.ndarray | None
    appearance: np.ndarray | None
    correct: bool


@dataclass
class ExampleCache:
    """Crops an operator marked: correct (positive) or false alarm (negative), one per marked event.

    Each example is kept in both spaces it has: CLIP's (where CLIP runs) and the detector's
    appearance (always), so feedback works with CLIP missing and with it present.
    """

    marked: dict[str, Example] = field(default_factory=dict)

    def add(self, embedding: np.ndarray | None, correct: bool, key: str | None = None,
            appearance: np.ndarray | None = None) -> None:
        """Remember one marked crop (float16, like the store keeps vectors); a new verdict on ``key`` replaces."""
        if embedding is None and appearance is None:
            return
        half = [None if v is None else np.asarray(v, np.float16) for v in (embedding, appearance)]
        self.marked[key if key is not None else f"#{len(self.marked)}"] = Example(*half, correct)

    @property
    def positives(self) -> list[Example]:
        """Crops marked correct."""
        return [e for e in self.marked.values() if e.correct]

    @property
    def negatives(self) -> list[Example]:
        """Crops marked false alarm."""
        return [e for e in self.marked.values() if not e.correct]

    def verdict(self, embedding: np.ndarray | None, appearance: np.ndarray | None = None) -> tuple[float, float]:
        """(weight, probability): how close the nearest example is (in either space), and what the examples say."""
        positive = max(_affinity(self.positives, embedding, appearance))
        negative = max(_affinity(self.negatives, embedding, appearance))
        weight = max(positive, negative)
        return weight, (positive / (positive + negative) if weight > 0 else 0.5)


def _affinity(examples: list[Example], embedding, appearance) -> tuple[float, float]:
    """Affinity to the nearest example in CLIP's space and in the appearance space (0 where a side is missing)."""
    return (_nearest([e.embedding for e in examples], embedding, _clip_affinity),
            _nearest([e.appearance for e in examples], appearance, _appearance_affinity))


def _clip_affinity(cos: np.ndarray) -> np.ndarray:
    return np.exp(-EXAMPLE_BETA * (1.0 - cos))


def _appearance_affinity(cos: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(cos - APPEARANCE_SAME_COS) / APPEARANCE_SPREAD))


def _nearest(vectors: list, query: np.ndarray | None, affinity) -> float:
    vectors = [v for v in vectors if v is not None and query is not None and v.shape == query.shape]
    if not vectors:
        return 0.0
    cos = np.minimum(np.stack(vectors).astype(np.float32) @ query.astype(np.float32), 1.0)  # float16 rounding
    return float(affinity(cos).max())


def background_group(label: str) -> str:
    """Which generic background prompts suit an object class."""
    return "person" if label == "person" else "vehicle" if label in VEHICLES else "other"


class RuleScorer:
    """Text embeddings for one rule, computed once; scores crop embeddings against them."""

    def __init__(self, rule: Rule, encoder: TextImageEncoder, examples: ExampleCache | None = None):
        self.rule = rule
        self.encoder = encoder
        self.examples = examples if examples is not None else ExampleCache()
        self._prompts = self._embed(rule.prompts)
        self._contrast = self._embed(rule.contrast_prompts)
        self._background: dict[str, np.ndarray] = {}

    def score(self, embedding: np.ndarray, label: str, appearance: np.ndarray | None = None) -> ScoreBreakdown:
        """The calibrated probability that the crop shows what the rule describes."""
        group = background_group(label)
        if group not in self._background:
            self._background[group] = self._embed(list(BACKGROUND[group]))
        parts = [self._prompts, self._contrast, self._background[group]]
        sims = [m @ embedding if len(m) else np.zeros(0, np.float32) for m in parts]
        logits = self.encoder.logit_scale * np.concatenate(sims)
        probs = np.exp(logits - logits.max())
        probs /= probs.sum()
        text_p = float(probs[: len(self._prompts)].sum())
        weight, example_p = self.examples.verdict(embedding, appearance)
        return ScoreBreakdown(
            similarities=dict(zip(self.rule.prompts, map(float, sims[0]), strict=True)),
            contrast_similarities=dict(zip(self.rule.contrast_prompts, map(float, sims[1]), strict=True)),
            background_similarities=dict(zip(BACKGROUND[group], map(float, sims[2]), strict=True)),
            text_probability=text_p, example_weight=weight, example_probability=example_p,
            probability=(1 - weight) * text_p + weight * example_p, threshold=self.rule.threshold)

    def _embed(self, prompts: list[str]) -> np.ndarray:
        """One row per prompt: the normalised mean of its templated versions."""
        if not prompts:
            return np.zeros((0, 0), np.float32)
        texts = [template.format(p) for p in prompts for template in TEMPLATES]
        rows = self.encoder.encode_text(texts, owner=self.rule.name).reshape(len(prompts), len(TEMPLATES), -1)
        mean = rows.mean(axis=1)
        return (mean / np.linalg.norm(mean, axis=1, keepdims=True)).astype(np.float32)
