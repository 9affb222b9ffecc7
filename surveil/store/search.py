"""Search over history: exact cosine top-k in numpy, with filters applied before the top-k.

Approximate indices (HNSW, IVF) trade recall for speed; at a million objects an exact
scan takes under 100 ms on two cores (see `surveil bench store`), so there is no index
to keep consistent and nothing a filter can silently empty.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from surveil.store.layout import record_ms
from surveil.store.store import EventStore

if TYPE_CHECKING:
    from surveil.vision.clip import TextImageEncoder

logger = logging.getLogger(__name__)

GATHER_BELOW = 0.3  # with fewer candidates than this share, score only them; else score all and mask


def text_query(encoder: TextImageEncoder, text: str) -> np.ndarray:
    """The query vector of a text search: the text in every scoring template, averaged, unit length (float32).

    The same templates as the rules' prompts, so a search finds what a rule with that prompt would.
    """
    from surveil.rules.scoring import TEMPLATES  # the store sits below the rules: only a text search needs them

    mean = np.asarray(encoder.encode_text([t.format(text) for t in TEMPLATES]), np.float32).mean(axis=0)
    return mean / max(float(np.linalg.norm(mean)), 1e-12)


@dataclass
class SearchFilter:
    """Narrow the candidates: time range (Unix s), cameras, labels."""

    since: float | None = None
    until: float | None = None
    cameras: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)


class EmbeddingIndex:
    """Object embeddings in memory (float32 rows) with parallel arrays for filtering."""

    def __init__(self, dim: int = 0):
        self._lock = threading.Lock()
        self.ids: list[str] = []
        self._rows = np.zeros((0, dim), np.float32)
        self._ms = np.zeros(0, np.int64)
        self._camera = np.zeros(0, np.int32)
        self._label = np.zeros(0, np.int32)
        self._alive = np.zeros(0, bool)
        self._codes: dict[str, dict[str, int]] = {"camera": {}, "label": {}}
        self._n = 0

    def __len__(self) -> int:
        return int(self._alive[: self._n].sum())

    @classmethod
    def load(cls, store: EventStore, appearance_tag: str | None = None) -> EmbeddingIndex:
        """Every stored object with a CLIP embedding, or with an appearance vector of the model ``appearance_tag``."""
        index = cls()
        rows = store.object_appearances(appearance_tag) if appearance_tag else store.object_embeddings()
        for record, vector in rows:
            index.add(record.object_id, record.camera_id, record.label, vector)
        return index

    def add(self, object_id: str, camera_id: str, label: str, vector: np.ndarray) -> None:
        """Append one object (normalised on the way in)."""
        vector = np.asarray(vector, np.float32)
        with self._lock:
            if self._rows.shape[1] == 0:
                self._rows = np.zeros((0, vector.shape[0]), np.float32)
            self._grow()
            self._rows[self._n] = vector / max(float(np.linalg.norm(vector)), 1e-12)
            self._ms[self._n] = record_ms(object_id)
            self._camera[self._n] = self._code("camera", camera_id)
            self._label[self._n] = self._code("label", label)
            self._alive[self._n] = True
            self.ids.append(object_id)
            self._n += 1

    def remove(self, object_ids: set[str]) -> None:
        """Forget purged objects."""
        with self._lock:
            for i, object_id in enumerate(self.ids):
                if object_id in object_ids:
                    self._alive[i] = False

    def search(self, query: np.ndarray, k: int = 50, flt: SearchFilter | None = None) -> list[tuple[str, float]]:
        """The k most similar objects among those the filter allows, best first."""
        with self._lock:
            n = self._n
            if n == 0:
                return []
            mask = self._mask(flt or SearchFilter(), n)
            candidates = np.flatnonzero(mask)
            if len(candidates) == 0:
                return []
            q = np.asarray(query, np.float32)
            q = q / max(float(np.linalg.norm(q)), 1e-12)
            if len(candidates) < GATHER_BELOW * n:
                scores = self._rows[candidates] @ q  # copying few rows beats scoring all
            else:
                scores = (self._rows[:n] @ q)[candidates]
            rows = candidates
            top = min(k, len(rows))
            best = np.argpartition(-scores, top - 1)[:top]
            best = best[np.argsort(-scores[best])]
            return [(self.ids[rows[i]], float(scores[i])) for i in best]

    def _mask(self, flt: SearchFilter, n: int) -> np.ndarray:
        mask = self._alive[:n].copy()
        if flt.since is not None:
            mask &= self._ms[:n] >= int(flt.since * 1000)
        if flt.until is not None:
            mask &= self._ms[:n] < int(flt.until * 1000)
        for name, values, column in (("camera", flt.cameras, self._camera), ("label", flt.labels, self._label)):
            if values:
                codes = [self._codes[name][v] for v in values if v in self._codes[name]]
                mask &= np.isin(column[:n], codes)
        return mask

    def _code(self, name: str, value: str) -> int:
        return self._codes[name].setdefault(value, len(self._codes[name]))

    def _grow(self) -> None:
        if self._n < len(self._rows):
            return
        size = max(1024, 2 * len(self._rows))
        self._rows = np.resize(self._rows, (size, self._rows.shape[1]))
        for name in ("_ms", "_camera", "_label", "_alive"):
            setattr(self, name, np.resize(getattr(self, name), size))
        self._alive[self._n:] = False
