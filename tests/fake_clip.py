"""A text-image encoder whose embeddings the test chooses: decisions, not CLIP's meaning, are tested."""

from __future__ import annotations

import numpy as np

from surveil.rules.scoring import BACKGROUND

DIM = 16


def axis(i: int) -> np.ndarray:
    v = np.zeros(DIM, np.float32)
    v[i] = 1.0
    return v


def mix(*parts: tuple[float, np.ndarray]) -> np.ndarray:
    v = sum(w * p for w, p in parts)
    return (v / np.linalg.norm(v)).astype(np.float32)


class FakeEncoder:
    """Maps each text to the vector of the longest registered phrase it contains."""

    logit_scale = 100.0

    def __init__(self, concepts: dict[str, np.ndarray]):
        self.concepts = dict(concepts)
        for i, group in enumerate(BACKGROUND.values()):
            for phrase in group:
                self.concepts.setdefault(phrase, axis(DIM - 1 - i))
        self.text_calls: list[str] = []

    def encode_text(self, prompts, owner=""):
        self.text_calls += list(prompts)
        rows = []
        for text in prompts:
            matches = [p for p in self.concepts if p in text]
            rows.append(self.concepts[max(matches, key=len)] if matches else axis(DIM - 4))
        return np.stack(rows).astype(np.float32)

    def encode_images(self, crops):
        raise AssertionError("tests pass embeddings directly")
