"""CLEAR-MOT and identity scores (MOTA, IDF1, ID switches...) from py-motmetrics, on chosen frames.

A prediction matches a ground-truth box at an intersection over union of 0.5 or more, as
MOTChallenge scores. The IoU is computed here: motmetrics 1.4's ``iou_matrix`` calls
``np.asfarray``, which numpy 2 removed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

from surveil.eval.boxes import FrameBoxes, iou
from surveil.eval.ground_truth import GroundTruth

logger = logging.getLogger(__name__)

MIN_IOU = 0.5
_METRICS = {"mota": "mota", "idf1": "idf1", "num_switches": "id_switches", "precision": "precision",
            "recall": "recall", "num_unique_objects": "gt_ids", "num_false_positives": "false_positives",
            "num_misses": "misses", "num_objects": "gt_boxes"}


@dataclass(frozen=True)
class TrackScore:
    """The scores over the frames scored; ``predicted_ids`` counts the tracker's distinct identities."""

    mota: float | None  # None where a rate has nothing under it (no boxes at all)
    idf1: float | None
    id_switches: int
    precision: float | None
    recall: float | None
    gt_ids: int
    predicted_ids: int
    false_positives: int
    misses: int
    gt_boxes: int
    frames: int

    def to_dict(self) -> dict:
        """JSON-ready, rates rounded to 4 places."""
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(self).items()}


def iou_distances(truth: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """The distance matrix motmetrics takes: 1 - IoU, NaN (cannot match) where the IoU is under MIN_IOU."""
    overlap = iou(truth, predicted)
    distances = 1.0 - overlap
    distances[overlap < MIN_IOU] = np.nan
    return distances


def score_tracking(truth: GroundTruth, predictions: dict[int, FrameBoxes], frames: Iterable[int]) -> TrackScore:
    """Score ``predictions`` against ``truth`` on ``frames`` (numbers from 1) and on no others."""
    import motmetrics as mm  # pandas and scipy: loaded only when something is scored

    accumulator = mm.MOTAccumulator(auto_id=False)
    predicted_ids, frames = set(), sorted(set(frames))
    for frame in frames:
        gt = truth.at(frame)
        hyp = drop_ignored(predictions.get(frame, FrameBoxes()), gt, truth.ignored_at(frame))
        predicted_ids.update(int(i) for i in hyp.ids)
        accumulator.update(gt.ids, hyp.ids, iou_distances(gt.xywh, hyp.xywh), frameid=frame)
    summary = mm.metrics.create().compute(accumulator, metrics=list(_METRICS), name="run")
    row = {name: summary[metric].iloc[0] for metric, name in _METRICS.items()}
    counts = {k: int(v) for k, v in row.items() if k not in ("mota", "idf1", "precision", "recall")}
    rates = {k: _rate(row[k]) for k in ("mota", "idf1", "precision", "recall")}
    return TrackScore(**rates, **counts, predicted_ids=len(predicted_ids), frames=len(frames))


def drop_ignored(predicted: FrameBoxes, truth: FrameBoxes, ignored: np.ndarray) -> FrameBoxes:
    """Predictions that land on a box flagged 0 (and not better on a box to score) are left out."""
    if not len(predicted) or not len(ignored):
        return predicted
    on_ignored = iou(predicted.xywh, ignored).max(axis=1)
    on_truth = iou(predicted.xywh, truth.xywh).max(axis=1) if len(truth) else np.zeros(len(predicted))
    keep = ~((on_ignored >= MIN_IOU) & (on_ignored > on_truth))
    return FrameBoxes(predicted.ids[keep], predicted.xywh[keep])


def _rate(value) -> float | None:
    """A rate as a float, or None where motmetrics gives NaN with nothing under it (no predictions, no ground truth)."""
    value = float(value)
    return None if np.isnan(value) else value
