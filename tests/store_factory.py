"""Records made for store tests: deterministic times, ids, thumbnails and embeddings."""

from __future__ import annotations

import numpy as np

from surveil.store.records import EventRecord, ObjectRecord, object_id_for
from surveil.store.store import Put

BASE = 1_795_000_000.0  # a fixed Unix time (November 2026)


def event(i: int, camera: str = "gate", rule: str = "climber", label: str = "person", severity: str = "high",
          start: float | None = None, **fields) -> EventRecord:
    start = BASE + i * 60 if start is None else start
    return EventRecord(f"{int(start * 1000):013d}-{i:08x}", rule, camera, i, label, severity, start, **fields)


def obj(i: int, camera: str = "gate", label: str = "person", start: float | None = None,
        event_ids=()) -> ObjectRecord:
    start = BASE + i * 60 if start is None else start
    return ObjectRecord(object_id_for(camera, i, start), camera, i, label, start, start + 5, 10,
                        event_ids=list(event_ids))


def vector(seed: int, dim: int = 512) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def put_event(store, record: EventRecord, thumbnail: bytes | None = None, embedding: np.ndarray | None = None):
    """Write one event the way the store writer does (one batch); returns its audit entry."""
    return store.put([Put(record, thumbnail, embedding)])[0]
