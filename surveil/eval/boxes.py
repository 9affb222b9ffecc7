"""One frame's boxes with their identities: the shape both ground truth and tracker output take."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class FrameBoxes:
    """Identities and boxes (left, top, width, height in pixels) of one frame, as parallel arrays."""

    ids: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    xywh: np.ndarray = field(default_factory=lambda: np.zeros((0, 4), np.float64))

    def __post_init__(self) -> None:
        if self.xywh.shape != (len(self.ids), 4):
            raise ValueError("FrameBoxes needs N ids and an (N, 4) array of boxes")

    def __len__(self) -> int:
        return len(self.ids)

    @classmethod
    def of(cls, ids, xywh) -> FrameBoxes:
        """Build from anything array-like, with dtypes fixed."""
        return cls(np.asarray(ids, np.int64).reshape(-1), np.asarray(xywh, np.float64).reshape(-1, 4))

    @classmethod
    def from_xyxy(cls, ids, xyxy) -> FrameBoxes:
        """Build from corner boxes (x1, y1, x2, y2), the detector's form."""
        xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
        return cls.of(ids, np.column_stack([xyxy[:, :2], xyxy[:, 2:] - xyxy[:, :2]]))


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every box in ``a`` (N, 4) with every box in ``b`` (M, 4), both xywh."""
    a, b = a.reshape(-1, 4), b.reshape(-1, 4)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, :2] + a[:, None, 2:], b[None, :, :2] + b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=2)
    union = np.prod(a[:, 2:], axis=1)[:, None] + np.prod(b[:, 2:], axis=1)[None, :] - inter
    return inter / np.maximum(union, 1e-9)
