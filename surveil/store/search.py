"""Search over history: exact cosine top-k in numpy, with filters applied before the top-k.

Approximate indices (HNSW, IVF) trade recall for speed; an exact scan of a million objects
is bounded by memory bandwidth (see `surveil bench store`), so there is no approximate index
to keep consistent and nothing a filter can silently empty. Rows live in blocks sorted by
label, camera and time (``search_rows``): a filter scores only the row ranges it allows.
A block never changes; an object deleted or written again is marked dead in its block, and
what catching up adds becomes a new small block (small ones are merged as they pile up).
Keeping the index beside the store and up to date is ``search_cache``'s part.

A large block opened from a snapshot may also have int8 rows (``search_int8``): an unfiltered or
broadly filtered search then scores those and re-ranks the few rows they cannot rule out. Every
score returned comes from ``exact_scores``, so the int8 and float32 paths return the same objects
with the same float32 scores, ties included (broken by block, then row).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from surveil.store import search_int8
from surveil.store.audit import GENESIS
from surveil.store.layout import record_ms
from surveil.store.search_rows import SortedRows, dot_slack, exact_scores, id_bytes
from surveil.store.store import EventStore

if TYPE_CHECKING:
    from surveil.vision.clip import TextImageEncoder

logger = logging.getLogger(__name__)

MAX_BLOCKS = 4  # beyond this, the smallest blocks are merged
INT8_SHARE = 0.5  # a filter allowing less of a block than this scores its row ranges in float32 instead


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


class _Block:
    """Sorted rows and which of them are still alive; ``int8``: their int8 scorer (``search_int8``), if any."""

    def __init__(self, rows: SortedRows, int8=None):
        self.rows, self.alive, self.dead, self.int8 = rows, np.ones(len(rows), bool), 0, int8
        self._bias: np.ndarray | None = None

    def kill(self, positions: np.ndarray) -> int:
        """Mark rows dead (-1: not in this block); how many were alive."""
        positions = positions[positions >= 0]
        killed = int(self.alive[positions].sum())
        self.alive[positions] = False
        self.dead += killed
        self._bias = None
        return killed

    def bias(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """0 for the alive rows in the ranges, -inf for the others: what the int8 scorer adds to its scores."""
        if self._bias is None:
            self._bias = np.where(self.alive, np.float32(0), np.float32(-np.inf))
        if len(lo) == 1 and lo[0] == 0 and hi[0] == len(self.rows):
            return self._bias
        bias = np.full(len(self.rows), -np.inf, np.float32)
        for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
            bias[a:b] = self._bias[a:b]
        return bias


@dataclass(frozen=True)
class Frozen:
    """The index as it was at audit entry ``seq``: what a snapshot writer needs, safe to read off the lock."""

    dim: int
    seq: int
    hash: str
    cameras: list[str]
    labels: list[str]
    parts: list[tuple[SortedRows, np.ndarray]]  # each block with the positions alive in it


class EmbeddingIndex:
    """Object vectors of one space (CLIP, or one appearance model) in row blocks; thread-safe.

    ``seq`` and ``hash`` name the audit entry whose state it holds (GENESIS: an empty chain);
    ``changes`` counts the objects added or removed since it was built or opened.
    """

    def __init__(self, dim: int = 0, base: SortedRows | None = None, cameras: list[str] = (),
                 labels: list[str] = (), int8=None):
        self._lock = threading.Lock()
        self.dim = dim
        self._codes = {"camera": {v: i for i, v in enumerate(cameras)}, "label": {v: i for i, v in enumerate(labels)}}
        self._blocks = [_Block(base, int8)] if base is not None and len(base) else []
        self.seq, self.hash, self.changes = -1, GENESIS, 0
        self.paths: list[tuple[int, str]] = []  # (rows, how they were scored) of each block in the last search

    def __len__(self) -> int:
        return sum(len(b.rows) - b.dead for b in self._blocks)

    @classmethod
    def load(cls, store: EventStore, appearance_tag: str | None = None, dim: int | None = None) -> EmbeddingIndex:
        """Every stored object with a CLIP embedding, or with an appearance vector of the model ``appearance_tag``.

        Only vectors of ``dim`` values (default: the first one read) are kept: another model's are another space.
        """
        head = store.head  # read first: what is written during the scan is caught up on afterwards
        rows = store.object_appearances(appearance_tag) if appearance_tag else store.object_embeddings()
        index = cls(dim or 0)
        index.apply([], [(r.object_id, r.camera_id, r.label, vector) for r, vector in rows], head.seq, head.hash)
        index.changes = 0
        return index

    def add(self, object_id: str, camera_id: str, label: str, vector: np.ndarray) -> None:
        """Add one object (normalised on the way in); one already held is replaced."""
        self.apply([], [(object_id, camera_id, label, vector)])

    def remove(self, object_ids: set[str]) -> None:
        """Forget deleted objects."""
        self.apply(list(object_ids), [])

    def apply(self, removed: list[str], added: list[tuple], seq: int | None = None, hash_: str = GENESIS) -> None:
        """Forget ``removed``, add (or replace) ``added`` (id, camera, label, vector); then hold audit entry ``seq``."""
        with self._lock:
            added = self._of_dim(added)
            gone = id_bytes(removed + [a[0] for a in added])
            killed = sum(block.kill(block.rows.find(gone)) for block in self._blocks)
            if added:
                self._blocks.append(_Block(self._build(added)))
                self._merge_small()
            self.changes += killed + len(added)
            if seq is not None:
                self.seq, self.hash = seq, hash_

    def search(self, query: np.ndarray, k: int = 50, flt: SearchFilter | None = None) -> list[tuple[str, float]]:
        """The k most similar objects among those the filter allows, best first."""
        flt = flt or SearchFilter()
        q = np.asarray(query, np.float32)
        q = q / max(float(np.linalg.norm(q)), 1e-12)
        with self._lock:
            cameras, labels = self._wanted("camera", flt.cameras), self._wanted("label", flt.labels)
            if k <= 0 or not self._blocks or (cameras is not None and not len(cameras)) or (
                    labels is not None and not len(labels)):
                return []
            since = None if flt.since is None else int(flt.since * 1000)
            until = None if flt.until is None else int(flt.until * 1000)
            quiet = any(b.int8 is not None and b.int8.ready for b in self._blocks)
            found = [_block_top(b, q, k, cameras, labels, since, until, quiet) for b in self._blocks]
            self.paths = [(len(b.rows), path) for b, (_, _, path) in zip(self._blocks, found, strict=True)]
            blocks = [b.rows for b in self._blocks]
        scores = np.concatenate([s for s, _, _ in found])
        best = np.argsort(-scores, kind="stable")[:k]  # each block's are in (score, row) order: ties by block, row
        owners = np.concatenate([np.full(len(s), i) for i, (s, _, _) in enumerate(found)])
        rows = np.concatenate([r for _, r, _ in found])
        return [(blocks[owners[i]].ids[rows[i]].decode(), float(scores[i])) for i in best]

    def wait_int8(self, timeout: float | None = None) -> float | None:
        """Wait for the int8 scorer of the snapshot's block; seconds from opening to ready, None if it has none."""
        with self._lock:
            scorers = [b.int8 for b in self._blocks if b.int8 is not None]
        return scorers[0].ready_after if scorers and scorers[0].wait(timeout) else None

    def freeze(self) -> Frozen:
        """What a snapshot holds, consistent at ``seq``: the blocks never change, the alive positions are copies."""
        with self._lock:
            return Frozen(self.dim, self.seq, self.hash, list(self._codes["camera"]), list(self._codes["label"]),
                          [(b.rows, np.flatnonzero(b.alive)) for b in self._blocks])

    def _of_dim(self, added: list[tuple]) -> list[tuple]:
        if added and not self.dim:
            self.dim = len(added[0][3])
        kept = [a for a in added if len(a[3]) == self.dim]
        if len(kept) < len(added):
            logger.warning("search index: %d vectors of another length than %d left out (another model's)",
                           len(added) - len(kept), self.dim)
        return kept

    def _build(self, added: list[tuple]) -> SortedRows:
        ids = id_bytes([a[0] for a in added])
        ms = np.array([record_ms(a[0]) for a in added], np.int64)
        camera = np.array([self._code("camera", a[1]) for a in added], np.int32)
        label = np.array([self._code("label", a[2]) for a in added], np.int32)
        return SortedRows.build([a[3] for a in added], ids, ms, camera, label, self.dim)

    def _merge_small(self) -> None:
        """Merge the two smallest blocks while there are too many: a row is copied about log(n) times, not per add."""
        while len(self._blocks) > MAX_BLOCKS:
            self._blocks.sort(key=lambda b: len(b.rows) - b.dead)
            pair = [(b.rows, np.flatnonzero(b.alive)) for b in self._blocks[:2]]
            self._blocks = [*self._blocks[2:], _Block(merged(pair, self.dim))]

    def _wanted(self, name: str, values: list[str]) -> np.ndarray | None:
        if not values:
            return None
        return np.array([self._codes[name][v] for v in values if v in self._codes[name]], np.int32)

    def _code(self, name: str, value: str) -> int:
        return self._codes[name].setdefault(value, len(self._codes[name]))


def merged(parts: list[tuple[SortedRows, np.ndarray]], dim: int) -> SortedRows:
    """One sorted block of the given rows of several blocks (in memory: for the small ones)."""
    vectors = np.concatenate([rows.rows[at] for rows, at in parts]) if parts else np.zeros((0, dim), np.float32)
    columns = [np.concatenate([getattr(rows, c)[at] for rows, at in parts]) for c in ("ids", "ms", "camera", "label")]
    return SortedRows.build(vectors, *columns, dim, normalise=False)


def _block_top(block: _Block, q: np.ndarray, k: int, cameras, labels, since, until, quiet: bool):
    """(scores, positions, path) of the k best alive rows of one block within the filter, in (score, row) order.

    ``quiet``: an int8 scorer is in use, so ranges too small for it are scored by ``exact_scores``
    (one thread) rather than by a BLAS call whose idle threads would then spin against OpenVINO's.
    """
    lo, hi = block.rows.ranges(cameras, labels, since, until)
    allowed = int((hi - lo).sum())
    if block.int8 is not None and block.int8.ready and k < allowed and allowed >= INT8_SHARE * len(block.rows):
        found = block.int8.candidates(q, k, block.bias(lo, hi))
        if found is not None:
            return *_top(*found, k), f"int8, {len(found[1])} re-ranked"
    exact = quiet and allowed < search_int8.MIN_ROWS  # read here: a test may lower it
    offsets = np.r_[0, np.cumsum(hi - lo)]
    scores = np.empty(allowed, np.float32)
    for a, b, o in zip(lo.tolist(), hi.tolist(), offsets[:-1].tolist(), strict=True):
        out = scores[o:o + b - a]
        if exact:
            exact_scores(block.rows.rows[a:b], q, out)
        else:
            np.dot(block.rows.rows[a:b], q, out=out)  # one contiguous range: a matrix-vector product, nothing copied
        if block.dead:
            out[~block.alive[a:b]] = -np.inf
    kth = scores[_best(scores, k)].min() if allowed > k else -np.inf
    # BLAS scores may differ from exact_scores' in the last bits: keep every row that could still be in the top k
    near = np.flatnonzero((scores >= kth - (0 if exact else 4 * dot_slack(len(q)))) & (scores > -np.inf))
    run = np.searchsorted(offsets, near, "right") - 1
    positions = lo[run] + (near - offsets[run])
    scores = scores[near] if exact else exact_scores(block.rows.rows[positions], q)
    return *_top(scores, positions, k), "float32, one thread" if exact else "float32"


def _top(scores: np.ndarray, positions: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best of the candidates in (score, row) order: the lower row first among equal scores."""
    if len(scores) > k:
        keep = np.flatnonzero(scores >= scores[_best(scores, k)].min())  # every row tied with the k-th too
        scores, positions = scores[keep], positions[keep]
    order = np.lexsort((positions, -scores))[:k]
    return scores[order], positions[order]


def _best(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k highest scores, in no particular order."""
    if len(scores) <= k:
        return np.arange(len(scores))
    return np.argpartition(scores, len(scores) - k)[len(scores) - k:]
