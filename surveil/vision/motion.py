"""The motion gate: cheap frame differencing on a small grey frame decides whether to detect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveil.capture.cv import cv2
from surveil.config.vision import MotionConfig


@dataclass(frozen=True)
class MotionResult:
    """``share`` of the (unmasked) picture changed; ``detect`` says whether detection runs now."""

    share: float
    moving: bool
    detect: bool


def polygon_mask(polygons: list, size: tuple[int, int]) -> np.ndarray | None:
    """A uint8 mask (255 = keep) of ``size`` (w, h) with the normalised polygons blanked, or None."""
    if not polygons:
        return None
    width, height = size
    mask = np.full((height, width), 255, np.uint8)
    for points in polygons:
        pts = np.round(np.asarray(points, np.float32) * [width - 1, height - 1]).astype(np.int32)
        cv2.fillPoly(mask, [pts], 0)
    return mask


class MotionGate:
    """Per camera. Compares each small grey frame with a running-average background.

    A running average rather than the previous frame, so slow walkers still register;
    a Gaussian blur first, so sensor noise at night does not.
    """

    def __init__(self, config: MotionConfig, alpha: float = 0.05):
        self.config = config
        self._alpha = alpha
        self._background: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._last_detect: float | None = None
        self._deferred_from: float | None = None

    def update(self, gray: np.ndarray, t: float) -> MotionResult:
        """Feed one small grey frame taken at ``t`` seconds (monotonic or video time)."""
        blurred = cv2.GaussianBlur(gray, (5, 5), 0)
        share = self._changed_share(blurred)
        moving = share >= self.config.min_area
        return MotionResult(share, moving, self._should_detect(moving, t))

    def _changed_share(self, blurred: np.ndarray) -> float:
        if self._background is None or self._background.shape != blurred.shape:
            self._background = blurred.astype(np.float32)
            height, width = blurred.shape
            self._mask = polygon_mask(self.config.masks, (width, height))
            return 1.0  # nothing to compare with yet: treat the first frame as motion
        diff = cv2.absdiff(blurred, cv2.convertScaleAbs(self._background))
        cv2.accumulateWeighted(blurred, self._background, self._alpha)
        changed = diff >= self.config.pixel_threshold
        if self._mask is not None:
            changed &= self._mask > 0
            return float(changed.sum()) / max(1, int((self._mask > 0).sum()))
        return float(changed.mean())

    def _should_detect(self, moving: bool, t: float) -> bool:
        if not self.config.enabled:
            return True
        since = None if self._last_detect is None else t - self._last_detect
        due = since is None or since >= self.config.min_detect_interval_s
        # 5 % slack: frame times jitter, and a frame that arrives a hair early should not
        # halve the detection rate of a stream that runs exactly at max_detect_fps.
        allowed = since is None or since >= 0.95 / self.config.max_detect_fps
        if due or (moving and allowed):
            self._deferred_from, self._last_detect = self._last_detect, t
            return True
        return False

    def defer(self) -> None:
        """Detection was wanted but did not run (the machine is busy): the next frame may ask again."""
        self._last_detect = self._deferred_from
