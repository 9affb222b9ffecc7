"""Appearance in association: ByteTrack's box overlap blended with how alike a track and a detection look.

At the live rate (5 detections a second) two people walking side by side overlap each other's
last box about as much as their own, and box overlap alone hands their ids back and forth. Each
track keeps a smoothed appearance vector (an exponential moving average, as BoT-SORT does), and
where overlap makes a pair a candidate, the cost also counts how unlike they look. A track that
went unmatched (occlusion, a missed detection, a jump longer than the buffered box) is re-joined
by appearance alone when a detection near enough looks like it, instead of a new id being started.

The vectors come from ``surveil.vision.appearance`` (unit rows): on TUD-Campus/TUD-Stadtmitte,
one person's crops a fifth to two fifths of a second apart have cosine 0.84-0.94, two people's
0.75-0.87 (1st-99th percentiles): close together, so the distance is stretched by ``APP_SCALE``.

Encoding costs about 1.3 ms a crop on one CPU core, so only the crops the association can use
are encoded: those of pairs that overlap one another's rival (``contested``), and those of
unmatched detections and lost tracks within re-join reach (``within_reach``). A track nobody
contests keeps the pixels of its latest clean sighting (``pending``) and has them encoded, and
folded into its average as the sightings they stand for, only when its look is next needed.
"""

from __future__ import annotations

import functools
import logging

import numpy as np

logger = logging.getLogger(__name__)

APP_SCALE = 0.25  # cosine distance that counts as "nothing alike" (cost 1): past two people's median (0.24)
APP_WEIGHT = 0.5  # the appearance cost's share of a candidate pair's cost, the rest being overlap's
PROXIMITY = 0.1  # IoU (of buffered boxes) a pair needs before appearance may lower or raise its cost
EMA_ALPHA = 0.8  # weight of a track's old vector against a new clean sighting (few sightings at 5 fps)
CROWDED = 0.2  # share of a box covered by another detection past which its crop shows two people
REJOIN_COS = 0.92  # cosine an unmatched track needs to take a detection by look (looser joined strangers)
REJOIN_REACH = 0.6  # box heights a re-joined detection may lie from the track's last box, plus...
REJOIN_REACH_PER_S = 1.0  # ...this many per second the track went unseen (a walker: about one height a second)


def covered(xyxy: np.ndarray) -> np.ndarray:
    """For each box (N, 4), the largest share of its area that one other box covers."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    if len(xyxy) < 2:
        return np.zeros(len(xyxy))
    lo = np.maximum(xyxy[:, None, :2], xyxy[None, :, :2])
    hi = np.minimum(xyxy[:, None, 2:], xyxy[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = np.prod(np.clip(xyxy[:, 2:] - xyxy[:, :2], 1e-6, None), axis=1)
    np.fill_diagonal(inter, 0)
    return (inter / area[:, None]).max(axis=1)


def crops(image: np.ndarray, xyxy: np.ndarray) -> list[np.ndarray]:
    """The pixels of each box, clipped to the image and at least 2x2 so the encoder always has a crop."""
    h, w = image.shape[:2]
    out = []
    for x1, y1, x2, y2 in np.round(np.asarray(xyxy).reshape(-1, 4)).astype(int):
        x1, y1 = min(max(x1, 0), w - 2), min(max(y1, 0), h - 2)
        out.append(image[y1:min(max(y2, y1 + 2), h), x1:min(max(x2, x1 + 2), w)])
    return out


def appearance_cost(tracks: list, detections: list) -> np.ndarray:
    """(T, D) cosine distance scaled to [0, 1]; NaN where either side has no vector yet."""
    cost = np.full((len(tracks), len(detections)), np.nan)
    ti = [i for i, t in enumerate(tracks) if getattr(t, "smooth_feat", None) is not None]
    di = [j for j, d in enumerate(detections) if getattr(d, "feat", None) is not None]
    if ti and di:
        sims = np.stack([tracks[i].smooth_feat for i in ti]) @ np.stack([detections[j].feat for j in di]).T
        cost[np.ix_(ti, di)] = np.clip((1.0 - sims) / APP_SCALE, 0.0, 1.0)
    return cost


def fuse(box_cost: np.ndarray, iou_dist: np.ndarray, app_cost: np.ndarray) -> np.ndarray:
    """Blend appearance into the box cost of the pairs that overlap at least ``PROXIMITY``; others keep theirs."""
    near = (iou_dist <= 1.0 - PROXIMITY) & ~np.isnan(app_cost)
    fused = box_cost.copy()
    fused[near] = (1.0 - APP_WEIGHT) * box_cost[near] + APP_WEIGHT * app_cost[near]
    return fused


def contested(iou_dist: np.ndarray) -> np.ndarray:
    """(T, D) pairs overlapping at least ``PROXIMITY`` whose track or detection has another such candidate.

    Only there can appearance change which detection a track gets; a pair alone in its row and
    column is left to boxes, so a walker nobody comes near costs no encoding.
    """
    near = iou_dist <= 1.0 - PROXIMITY
    return near & ((near.sum(axis=1) > 1)[:, None] | (near.sum(axis=0) > 1)[None, :])


def within_reach(tracks: list, detections: list, seconds: np.ndarray) -> np.ndarray:
    """(T, D) whether each detection lies where each track, unseen ``seconds``, could be, at a size like its."""
    last = np.array([t.xyxy for t in tracks]).reshape(-1, 4)
    boxes = np.array([d.xyxy for d in detections]).reshape(-1, 4)
    height = last[:, 3] - last[:, 1]
    centre = (last[:, None, :2] + last[:, None, 2:]) / 2 - (boxes[None, :, :2] + boxes[None, :, 2:]) / 2
    reach = height * (REJOIN_REACH + REJOIN_REACH_PER_S * np.asarray(seconds, np.float64))
    ratio = (boxes[None, :, 3] - boxes[None, :, 1]) / np.maximum(height[:, None], 1e-6)
    return (np.hypot(centre[..., 0], centre[..., 1]) <= reach[:, None]) & (ratio > 0.67) & (ratio < 1.5)


def rejoin_cost(tracks: list, detections: list, seconds: np.ndarray) -> np.ndarray:
    """(T, D) appearance cost of pairs close enough after ``seconds`` unseen and alike enough; 1 elsewhere."""
    cost = appearance_cost(tracks, detections)
    if not cost.size:
        return np.ones(cost.shape)
    ok = within_reach(tracks, detections, seconds) & ~np.isnan(cost) & (cost <= (1.0 - REJOIN_COS) / APP_SCALE)
    return np.where(ok, cost, 1.0)


def encode_lazily(encoder, tracks: list, detections: list) -> int:
    """Encode in one batch the pending sightings of ``tracks`` and the crops of ``detections`` not yet encoded.

    Returns the number of crops encoded.
    """
    tracks = [t for t in tracks if t.pending is not None]
    detections = [d for d in detections if d.feat is None and d.crop is not None]
    if not tracks and not detections:
        return 0
    vectors = encoder.encode([t.pending for t in tracks] + [d.crop for d in detections])
    for track, vector in zip(tracks, vectors, strict=False):
        track.fold(vector, track.skipped)
    for det, vector in zip(detections, vectors[len(tracks):], strict=True):
        det.feat = vector
    return len(vectors)


@functools.cache
def reid_track_class(base: type) -> type:
    """``base`` (ultralytics' STrack) with an appearance vector per detection and a smoothed one per track."""

    class ReidTrack(base):
        feat = None  # this detection's vector (None: not encoded)
        crop = None  # this detection's pixels (a view of its frame), until it is encoded or dropped
        clean = False  # whether this detection's crop shows it alone, fit to update a track's vector
        smooth_feat = None  # the track's moving average, unit length
        pending = None  # pixels of the track's latest clean sighting not yet encoded (a copy)
        skipped = 0  # clean sightings since the average was last updated, the pending one included

        def take_features(self, other) -> None:
            """Fold ``other``'s sighting into this track's look: the first one always, later ones only when clean.

            An encoded sighting is folded now; one not encoded is kept, as pixels, for when the look is needed.
            """
            if (self.smooth_feat is not None or self.pending is not None) and not other.clean:
                return
            if other.feat is not None:
                self.fold(other.feat, self.skipped + 1)
            elif other.crop is not None:
                self.pending, self.skipped = other.crop.copy(), self.skipped + 1

        def fold(self, vector: np.ndarray, sightings: int) -> None:
            """Move the average towards ``vector`` as far as ``sightings`` clean sightings in a row would."""
            keep = EMA_ALPHA ** max(sightings, 1) if self.smooth_feat is not None else 0.0
            mixed = vector if not keep else keep * self.smooth_feat + (1 - keep) * vector
            self.smooth_feat = mixed / max(float(np.linalg.norm(mixed)), 1e-12)
            self.pending, self.skipped = None, 0

        def activate(self, kalman_filter, frame_id):
            super().activate(kalman_filter, frame_id)
            self.take_features(self)
            self.crop = None  # the detection is now a track: keep no view of its frame alive

        def update(self, new_track, frame_id):
            super().update(new_track, frame_id)
            self.take_features(new_track)

        def re_activate(self, new_track, frame_id, new_id=False):
            super().re_activate(new_track, frame_id, new_id)
            self.take_features(new_track)

    return ReidTrack
