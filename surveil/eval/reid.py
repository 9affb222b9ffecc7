"""How well appearance vectors re-identify people, on MOTChallenge ground truth.

Protocol: every ``every``-th frame, each ground-truth person box that is wide enough and not
mostly hidden behind a nearer person becomes a crop. Each identity's crops, in frame order,
split into an early and a late half: two tracklets of one person. A tracklet's vector is the
mean of its crops' vectors, renormalised. Each tracklet ranks all *other* tracklets by cosine;
top-1 is the share whose nearest is the same person, mAP the mean average precision over them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surveil.eval.boxes import FrameBoxes
from surveil.eval.ground_truth import GroundTruth
from surveil.vision.analyze import video_frames

logger = logging.getLogger(__name__)

MIN_WIDTH = 24  # px: narrower boxes hold too few pixels to say anything about a look
MAX_COVER = 0.3  # share of a box a nearer person may cover before the crop shows them more than its own
TIMING_BATCH = 16  # crops per encode call, as a camera with a few people in view sends them


@dataclass(frozen=True)
class Crop:
    """One person's pixels in one frame."""

    ident: int
    frame: int
    image: np.ndarray


@dataclass(frozen=True)
class ReidScore:
    """One method's result: tracklets ranked against each other, and single crops against the other halves."""

    method: str
    identities: int
    tracklets: int
    top1: float
    mean_ap: float
    crop_top1: float
    crop_map: float
    ms_per_crop: float

    def to_dict(self) -> dict:
        """Plain numbers for JSON."""
        return {"method": self.method, "identities": self.identities, "tracklets": self.tracklets,
                "top1": round(self.top1, 4), "mAP": round(self.mean_ap, 4), "crop_top1": round(self.crop_top1, 4),
                "crop_mAP": round(self.crop_map, 4), "ms_per_crop": round(self.ms_per_crop, 3)}


@dataclass(frozen=True)
class ReidEvaluation:
    """All methods scored on one video."""

    video: Path
    ground_truth: Path
    every: int
    crops: int
    model_tag: str
    scores: list[ReidScore]

    def to_dict(self) -> dict:
        """One JSON object."""
        return {"video": str(self.video), "ground_truth": str(self.ground_truth), "every": self.every,
                "crops": self.crops, "model_tag": self.model_tag, "methods": [s.to_dict() for s in self.scores]}

    def text(self) -> str:
        """A plain table, one row a method."""
        head = (f"{self.video.name} against {self.ground_truth.name}: {self.crops} crops from every "
                f"{_nth(self.every)} frame, early and late half of each identity; appearance = {self.model_tag}")
        rows = [f"  {'method':<18} {'ids':>4} {'tracklets':>9} {'top-1':>6} {'mAP':>6} {'crop top-1':>10} "
                f"{'crop mAP':>8} {'ms/crop':>8}"]
        rows += [f"  {s.method:<18} {s.identities:>4} {s.tracklets:>9} {s.top1:>6.3f} {s.mean_ap:>6.3f} "
                 f"{s.crop_top1:>10.3f} {s.crop_map:>8.3f} {s.ms_per_crop:>8.2f}" for s in self.scores]
        note = "crop top-1/mAP: each crop against the crops of every other tracklet (not its own half)"
        return "\n".join([head, *rows, note])


def _nth(n: int) -> str:
    return {1: "", 2: "2nd", 3: "3rd"}.get(n, f"{n}th")


def visible(boxes: FrameBoxes, size: tuple[int, int], min_width: int = MIN_WIDTH,
            max_cover: float = MAX_COVER) -> np.ndarray:
    """Mask of boxes to crop: at least ``min_width`` px wide inside the frame, not mostly behind a nearer box.

    With a camera above head height, the box whose bottom edge is lower in the image stands
    nearer, so it is the one in front where two overlap.
    """
    h, w = size
    xy = boxes.xywh.copy()
    x1, y1 = np.clip(xy[:, 0], 0, w), np.clip(xy[:, 1], 0, h)
    x2, y2 = np.clip(xy[:, 0] + xy[:, 2], 0, w), np.clip(xy[:, 1] + xy[:, 3], 0, h)
    inside = np.column_stack([x1, y1, x2 - x1, y2 - y1])
    keep = (inside[:, 2] >= min_width) & (inside[:, 3] >= min_width)  # a box mostly out of the frame has no crop
    bottom = xy[:, 1] + xy[:, 3]
    for i in np.flatnonzero(keep):
        nearer = np.flatnonzero(bottom > bottom[i])
        if len(nearer) and _covered(inside[i], inside[nearer]) > max_cover:
            keep[i] = False
    return keep


def _covered(box: np.ndarray, others: np.ndarray) -> float:
    """The largest share of ``box`` that any one of ``others`` covers."""
    lo = np.maximum(box[:2], others[:, :2])
    hi = np.minimum(box[:2] + box[2:], others[:, :2] + others[:, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=1)
    return float(inter.max() / max(box[2] * box[3], 1e-9))


def collect_crops(video: Path, truth: GroundTruth, every: int = 5, last_frame: int | None = None) -> list[Crop]:
    """Crops of the visible ground-truth persons on frames 1, 1 + every, ... (up to ``last_frame``)."""
    crops = []
    for seq, _, image in video_frames(video, max_frames=last_frame):
        frame = seq + 1
        boxes = truth.at(frame)
        if seq % every or not len(boxes):
            continue
        keep = visible(boxes, image.shape[:2])
        for ident, box in zip(boxes.ids[keep], boxes.xywh[keep], strict=True):
            x, y, bw, bh = np.round(box).astype(int)
            crop = image[max(y, 0):y + bh, max(x, 0):x + bw]
            crops.append(Crop(int(ident), frame, crop.copy()))
    return crops


def tracklets(crops: list[Crop]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Identity of each tracklet and its crops' indices: the early and late half of each identity with 2+ crops."""
    idents, members = [], []
    for ident in sorted({c.ident for c in crops}):
        mine = sorted((i for i, c in enumerate(crops) if c.ident == ident), key=lambda i: crops[i].frame)
        if len(mine) < 2:
            continue
        half = (len(mine) + 1) // 2
        idents += [ident, ident]
        members += [np.asarray(mine[:half]), np.asarray(mine[half:])]
    return np.asarray(idents, np.int64), members


def rank_scores(sims: np.ndarray, query_ids: np.ndarray, gallery_ids: np.ndarray,
                allowed: np.ndarray) -> tuple[float, float]:
    """Top-1 and mAP of each query (row of ``sims``) ranking the gallery columns it is ``allowed``."""
    top1, aps = [], []
    for q in range(len(query_ids)):
        cand = np.flatnonzero(allowed[q])
        hits = gallery_ids[cand[np.argsort(-sims[q, cand], kind="stable")]] == query_ids[q]
        ranks = np.flatnonzero(hits) + 1
        if len(ranks):  # a query with no match in the gallery says nothing about the vectors
            top1.append(bool(hits[0]))
            aps.append(float(np.mean(np.arange(1, len(ranks) + 1) / ranks)))
    return (float(np.mean(top1)), float(np.mean(aps))) if top1 else (0.0, 0.0)


def score_vectors(method: str, vectors: np.ndarray, crops: list[Crop], ms_per_crop: float) -> ReidScore:
    """Tracklet-level and crop-level scores of one method's crop vectors (unit rows)."""
    idents, members = tracklets(crops)
    means = np.stack([vectors[m].mean(axis=0) for m in members]) if members else np.zeros((0, vectors.shape[1]))
    means = means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    top1, mean_ap = rank_scores(means @ means.T, idents, idents, ~np.eye(len(idents), dtype=bool))
    owner = np.full(len(crops), -1)
    for t, m in enumerate(members):
        owner[m] = t
    used = np.flatnonzero(owner >= 0)
    crop_ids = np.array([crops[i].ident for i in used], np.int64)
    other_half = owner[used][:, None] != owner[used][None, :]  # neighbouring frames of one half are too easy
    crop_top1, crop_map = rank_scores(vectors[used] @ vectors[used].T, crop_ids, crop_ids, other_half)
    return ReidScore(method, len(set(idents.tolist())), len(idents), top1, mean_ap, crop_top1, crop_map, ms_per_crop)


def timed_encode(encode: Callable[[list[np.ndarray]], np.ndarray],
                 images: list[np.ndarray]) -> tuple[np.ndarray, float]:
    """Vectors of all images, encoded ``TIMING_BATCH`` at a time after one warm-up call, and ms per image."""
    encode(images[:TIMING_BATCH])  # the first call allocates; it is not what a running camera pays
    started = time.perf_counter()
    parts = [encode(images[i:i + TIMING_BATCH]) for i in range(0, len(images), TIMING_BATCH)]
    ms = (time.perf_counter() - started) * 1e3 / max(len(images), 1)
    return (np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)), ms


def evaluate_reid(video: Path, truth: GroundTruth, methods: dict[str, Callable], every: int = 5,
                  last_frame: int | None = None, model_tag: str = "") -> ReidEvaluation:
    """Score each method (name: encode function, crops to unit rows) on the visible persons of one video."""
    crops = collect_crops(video, truth, every, last_frame)
    images = [c.image for c in crops]
    scores = []
    for name, encode in methods.items():
        vectors, ms = timed_encode(encode, images)
        scores.append(score_vectors(name, vectors, crops, ms))
    logger.info("reid on %s: %d crops, %s", video.name, len(crops), [s.to_dict() for s in scores])
    return ReidEvaluation(video, truth.path, every, len(crops), model_tag, scores)
