"""A block of search rows: unit float32 vectors sorted by label, then camera, then time.

Sorted that way a label or camera filter picks whole row ranges, and a time filter narrows
each range by a binary search: a filtered search multiplies only the rows it may return, one
contiguous range at a time (no gathered copy, no mask over rows it will throw away).
Blocks never change once built; what was deleted since is the index's business.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

logger = logging.getLogger(__name__)

GROUP_SHIFT = 44  # ms since 1970 fit in 44 bits until 2527: (group << 44) + ms sorts like (group, ms)
GROUP_SPAN = 1 << GROUP_SHIFT
BUILD_CHUNK = 4096  # rows placed and normalised at a time, in place: no temporary beyond a few MB
GROUP = 4  # rows per matrix-vector call in exact_scores


def dot_slack(dim: int) -> float:
    """How far a float32 dot product of two unit vectors of ``dim`` values may be from the true one, any order.

    The textbook bound (dim units in the last place of 1 for dim products and sums), with room to spare:
    two evaluations in different orders differ by at most twice this.
    """
    return 1.1 * dim * 2.0 ** -24


def exact_scores(rows: np.ndarray, q: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """float32 scores of ``rows`` (a range, or rows gathered), computed four rows to a call, one thread.

    A BLAS matrix-vector product gives a row's last bit by where the row falls: the rows past a
    multiple of four, at the end of the call and of each thread's share, go through another kernel.
    Four rows to a call, every row gets the same arithmetic wherever it sits, so a row scored in a
    scan, a filtered range or a re-rank has one score, and a call wakes none of OpenBLAS's threads
    (which then spin for some 0.1 s, taking the cores from OpenVINO's).
    """
    m, dim = rows.shape
    out = np.empty(m, np.float32) if out is None else out
    bulk = m - m % GROUP
    if bulk:
        np.matmul(rows[:bulk].reshape(-1, GROUP, dim), q, out=out[:bulk].reshape(-1, GROUP))
    if bulk < m:
        padded = np.zeros((1, GROUP, dim), np.float32)
        padded[0, :m - bulk] = rows[bulk:]
        out[bulk:] = np.matmul(padded, q)[0, :m - bulk]
    return out


def normalise_rows(rows: np.ndarray) -> None:
    """Scale float32 rows to unit length in place (a zero row stays zero); no temporary as large as ``rows``."""
    rows /= np.maximum(np.sqrt(np.einsum("ij,ij->i", rows, rows)), 1e-12)[:, None]


def id_bytes(ids: Sequence[str]) -> np.ndarray:
    """Object ids as a numpy bytes array (sortable, 22 bytes an id rather than a Python string)."""
    return np.array([i.encode() for i in ids], dtype=np.bytes_) if len(ids) else np.zeros(0, "S1")


class SortedRows:
    """Rows with their ids, times and camera / label codes, in (label, camera, time) order."""

    def __init__(self, rows: np.ndarray, ids: np.ndarray, ms: np.ndarray, camera: np.ndarray, label: np.ndarray,
                 by_id: np.ndarray | None = None):
        self.rows, self.ids, self.ms, self.camera, self.label = rows, ids, ms, camera, label
        self.by_id = np.argsort(ids, kind="stable") if by_id is None else by_id  # ids[by_id] is sorted
        n = len(ids)
        change = np.flatnonzero((camera[1:] != camera[:-1]) | (label[1:] != label[:-1])) + 1
        starts = np.r_[0, change] if n else np.zeros(0, np.int64)
        self._group_camera, self._group_label = camera[starts], label[starts]
        group = np.repeat(np.arange(len(starts), dtype=np.int64), np.diff(np.r_[starts, n]))
        self._key = (group << GROUP_SHIFT) + np.clip(ms, 0, GROUP_SPAN - 1)
        self._sorted_ids: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, vectors, ids: np.ndarray, ms: np.ndarray, camera: np.ndarray, label: np.ndarray,
              dim: int, normalise: bool = True) -> SortedRows:
        """Sort columns given in any order; ``vectors`` (an array, or a list of rows) are made unit rows.

        Rows that already are (``normalise=False``, merging blocks) are copied as they are: the scores
        of a merged or snapshotted block are bit for bit those of the block it came from.
        """
        order = np.lexsort((ms, camera, label))
        rows = np.empty((len(order), dim), np.float32)
        for start in range(0, len(order), BUILD_CHUNK):
            take, out = order[start:start + BUILD_CHUNK], rows[start:start + BUILD_CHUNK]
            if isinstance(vectors, np.ndarray):
                np.take(vectors, take, axis=0, out=out, mode="clip")  # "raise" would buffer a copy
            else:
                np.stack([vectors[i] for i in take], out=out, casting="same_kind")
            if normalise:
                normalise_rows(out)
        return cls(rows, ids[order], ms[order], camera[order], label[order])

    def ranges(self, cameras: np.ndarray | None, labels: np.ndarray | None, since_ms: int | None,
               until_ms: int | None) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) of the row ranges a filter allows (codes; None: any), adjacent ranges joined."""
        keep = np.ones(len(self._group_camera), bool)
        if cameras is not None:
            keep &= np.isin(self._group_camera, cameras)
        if labels is not None:
            keep &= np.isin(self._group_label, labels)
        base = np.flatnonzero(keep).astype(np.int64) << GROUP_SHIFT
        low = 0 if since_ms is None else min(max(since_ms, 0), GROUP_SPAN)
        high = GROUP_SPAN if until_ms is None else min(max(until_ms, 0), GROUP_SPAN)
        lo = np.searchsorted(self._key, base + low)
        hi = np.searchsorted(self._key, base + high)  # until is exclusive: rows before it
        lo, hi = lo[hi > lo], hi[hi > lo]
        if len(lo) > 1:
            joined = lo[1:] == hi[:-1]
            lo, hi = lo[np.r_[True, ~joined]], hi[np.r_[~joined, True]]
        return lo, hi

    def find(self, ids: np.ndarray) -> np.ndarray:
        """The row of each id (bytes), -1 where this block does not hold it."""
        if len(self) == 0 or len(ids) == 0:
            return np.full(len(ids), -1, np.int64)
        if self._sorted_ids is None:
            self._sorted_ids = self.ids[self.by_id]
        at = np.minimum(np.searchsorted(self._sorted_ids, ids), len(self) - 1)
        return np.where(self._sorted_ids[at] == ids, self.by_id[at], -1)
