"""The one result type at the model boundary: parallel numpy arrays, one row per object."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Detections:
    """Boxes in pixels (x1, y1, x2, y2), scores, class ids and track ids (-1 before tracking).

    Every array has the same length; indexing with a mask or index array keeps them parallel.
    """

    xyxy: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    confidence: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    class_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    tracker_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def __post_init__(self) -> None:
        n = len(self.xyxy)
        if self.xyxy.shape != (n, 4) or not (len(self.confidence) == len(self.class_id) == len(self.tracker_id) == n):
            raise ValueError("Detections arrays must be parallel: xyxy (N, 4) and N scores, classes, track ids")

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index) -> Detections:
        return Detections(self.xyxy[index].reshape(-1, 4), self.confidence[index].reshape(-1),
                          self.class_id[index].reshape(-1), self.tracker_id[index].reshape(-1))

    @classmethod
    def from_arrays(cls, xyxy, confidence, class_id, tracker_id=None) -> Detections:
        """Build from anything array-like, with dtypes fixed."""
        xyxy = np.asarray(xyxy, np.float32).reshape(-1, 4)
        ids = np.full(len(xyxy), -1, np.int64) if tracker_id is None else np.asarray(tracker_id, np.int64)
        scores = np.asarray(confidence, np.float32).reshape(-1)
        return cls(xyxy, scores, np.asarray(class_id, np.int32).reshape(-1), ids)

    @classmethod
    def from_ultralytics(cls, result) -> Detections:
        """The single adapter from an ultralytics ``Results`` (detection task)."""
        boxes = result.boxes
        if boxes is None or len(boxes) == 0:
            return cls()
        ids = boxes.id.cpu().numpy() if boxes.id is not None else None
        return cls.from_arrays(boxes.xyxy.cpu().numpy(), boxes.conf.cpu().numpy(), boxes.cls.cpu().numpy(), ids)

    @property
    def heights(self) -> np.ndarray:
        """Box heights in pixels."""
        return self.xyxy[:, 3] - self.xyxy[:, 1]

    @property
    def areas(self) -> np.ndarray:
        """Box areas in square pixels."""
        return (self.xyxy[:, 2] - self.xyxy[:, 0]) * self.heights
