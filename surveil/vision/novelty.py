"""Whether something new may have come into view, for the gate's follow rate.

Motion that lies only on objects the tracker follows (each box swept along its velocity since it
was seen, and widened) cannot be a newcomer, so the gate may detect at ``follow_detect_fps``.
The test compares with the previous analysed frame, not the gate's background, whose running
average still shows where a walker was seconds ago. A newcomer stays pending until detection has
run on a frame after it, so a frame that was not allowed, or was deferred for lack of time,
does not let the newcomer wait for the follow interval once it stands still.
"""

from __future__ import annotations

import logging

import numpy as np

from surveil.capture.cv import cv2

logger = logging.getLogger(__name__)


class Novelty:
    """Per camera: the previous small frame and whether a newcomer awaits detection."""

    def __init__(self, pixel_threshold: int, min_area: float):
        self._threshold, self._min_area = pixel_threshold, min_area
        self._previous: np.ndarray | None = None
        self.pending = False  # motion off the followed boxes seen, detection not yet run since
        self._pending_before_detect = False

    def see(self, blurred: np.ndarray, moving: bool, followed: np.ndarray | None, mask: np.ndarray | None) -> bool:
        """Note this frame; True while motion off the followed boxes awaits detection."""
        if moving and self._off_followed(blurred, followed, mask):
            self.pending = True
        self._previous = blurred
        return self.pending

    def detected(self) -> None:
        """Detection runs on this frame: whatever was new is seen now."""
        self._pending_before_detect, self.pending = self.pending, False

    def deferred(self) -> None:
        """Detection was wanted but did not run: a newcomer is still waiting."""
        self.pending = self.pending or self._pending_before_detect

    def _off_followed(self, blurred: np.ndarray, followed: np.ndarray | None, mask: np.ndarray | None) -> bool:
        if followed is None or not len(followed) or self._previous is None or self._previous.shape != blurred.shape:
            return True  # nothing followed, or nothing to compare with: anything may be new
        changed = cv2.absdiff(blurred, self._previous) >= self._threshold
        blank(changed, followed)
        return changed_share(changed, mask) >= self._min_area


def changed_share(changed: np.ndarray, mask: np.ndarray | None) -> float:
    """The share of the pixels ``mask`` keeps (255; None: all) that ``changed`` (H, W, bool) marks."""
    if mask is None:
        return float(changed.mean())
    keep = mask > 0
    return float((changed & keep).sum()) / max(1, int(keep.sum()))


def blank(changed: np.ndarray, boxes: np.ndarray) -> None:
    """Clear ``changed`` (H, W, bool) inside each box (N, 4, xyxy in its pixels), clipped to it."""
    height, width = changed.shape
    for x1, y1, x2, y2 in np.round(np.asarray(boxes, np.float64)).astype(int):
        changed[max(0, y1):max(0, min(height, y2 + 1)), max(0, x1):max(0, min(width, x2 + 1))] = False
