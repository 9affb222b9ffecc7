"""A tracked object over time, and how its best picture is chosen."""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from surveil.capture.cv import cv2

HISTORY = 300  # boxes kept per track: a minute at 5 detections a second
CROP_SIDE = 224  # best crops are kept at most this big: CLIP's input size


class TrackState(enum.Enum):
    """Where a track is in its life."""

    NEW = "new"
    UPDATED = "updated"
    LOST = "lost"
    ENDED = "ended"


@dataclass
class Track:
    """One object followed on one camera. Kinematics come from optical flow, in full-frame pixels."""

    track_id: int
    camera_id: str
    class_id: int
    label: str
    first_t: float
    last_t: float
    state: TrackState = TrackState.NEW
    boxes: deque = field(default_factory=lambda: deque(maxlen=HISTORY))
    max_confidence: float = 0.0
    hits: int = 0
    vx: float = 0.0
    vy: float = 0.0
    stationary_since: float | None = None
    best_crop: np.ndarray | None = None
    best_crop_score: float = 0.0
    speed_bh_sum: float = 0.0
    speed_samples: int = 0
    max_stationary_s: float = 0.0

    @property
    def box(self) -> np.ndarray:
        """The latest box (x1, y1, x2, y2)."""
        return self.boxes[-1][1]

    @property
    def height(self) -> float:
        """The latest box height in pixels (at least 1)."""
        return max(1.0, float(self.box[3] - self.box[1]))

    @property
    def speed_px_s(self) -> float:
        """Speed in pixels per second."""
        return float(np.hypot(self.vx, self.vy))

    @property
    def speed_bh_s(self) -> float:
        """Speed in body-heights per second: the same walk reads the same near and far."""
        return self.speed_px_s / self.height

    def stationary_s(self, now: float) -> float:
        """Seconds this track has stood still (0 while it moves)."""
        return 0.0 if self.stationary_since is None else max(0.0, now - self.stationary_since)

    @property
    def mean_speed_bh_s(self) -> float:
        """Mean of the measured speeds, in body-heights per second."""
        return self.speed_bh_sum / self.speed_samples if self.speed_samples else 0.0

    @property
    def duration_s(self) -> float:
        """Seconds from first to last sighting."""
        return self.last_t - self.first_t


def crop_quality(image: np.ndarray, xyxy: np.ndarray, confidence: float) -> tuple[float, np.ndarray | None]:
    """Score a crop (large, sharp, confident) and return it resized, or (0, None) if empty."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = np.clip(np.round(xyxy), 0, [w, h, w, h]).astype(int)
    if x2 - x1 < 4 or y2 - y1 < 4:
        return 0.0, None
    crop = image[y1:y2, x1:x2]
    sharpness = cv2.Laplacian(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY), cv2.CV_32F).var()
    score = confidence * np.sqrt((x2 - x1) * (y2 - y1)) * (sharpness / (sharpness + 100.0))
    factor = min(1.0, CROP_SIDE / max(crop.shape[:2]))
    small = cv2.resize(crop, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA) if factor < 1 else crop.copy()
    return float(score), small
