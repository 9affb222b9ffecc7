"""When a track needs a new CLIP look: new, every few seconds, or when its box changed a lot.

Embedding every track on every frame would cost more than detection itself; a track's
appearance rarely changes between two frames a fifth of a second apart.
"""

from __future__ import annotations

import numpy as np


def iou(a, b) -> float:
    """Intersection over union of two (x1, y1, x2, y2) boxes."""
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


class EmbedPolicy:
    """Remembers when and where each track was last embedded; counts how often a look was needed."""

    def __init__(self, every_s: float = 2.0, min_iou: float = 0.5):
        self.every_s, self.min_iou = every_s, min_iou
        self._last: dict[tuple[str, int], tuple[float, np.ndarray]] = {}
        self.asked = 0
        self.embedded = 0

    def needs(self, camera_id: str, track_id: int, box, t: float) -> bool:
        """Whether this track should be embedded now; records the look when it should."""
        self.asked += 1
        last = self._last.get((camera_id, track_id))
        if last is not None and t - last[0] < self.every_s and iou(last[1], box) >= self.min_iou:
            return False
        self._last[(camera_id, track_id)] = (t, np.asarray(box, np.float32))
        self.embedded += 1
        return True

    def forget(self, camera_id: str, track_id: int) -> None:
        """The track ended."""
        self._last.pop((camera_id, track_id), None)

    @property
    def share(self) -> float:
        """Share of track updates that needed a new embedding."""
        return self.embedded / self.asked if self.asked else 0.0
