"""The motion gate: cheap frame differencing on a small grey frame decides whether to detect."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveil.capture.cv import cv2
from surveil.config.vision import MotionConfig
from surveil.vision.novelty import Novelty, changed_share


@dataclass(frozen=True)
class MotionResult:
    """``share`` of the (unmasked) picture changed; ``detect`` says whether detection runs now.

    ``novel``: something may have come into view since detection last ran (motion off the
    objects followed, or nothing followed); False when nothing moved. Where a follow rate is
    set, only then may detection run at the full rate.
    """

    share: float
    moving: bool
    detect: bool
    novel: bool = True


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

    With ``follow_detect_fps`` set, motion that lies only on objects the tracker follows lets
    detection run at that rate instead of ``max_detect_fps`` (``surveil.vision.novelty``).
    """

    def __init__(self, config: MotionConfig, alpha: float = 0.05):
        self.config = config
        self._alpha = alpha
        self._background: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._last_detect: float | None = None
        self._deferred_from: float | None = None
        self._novelty = Novelty(config.pixel_threshold, config.min_area) if self.following else None

    @property
    def following(self) -> bool:
        """Whether a follow rate applies, so the tracker's boxes are worth handing to ``update``."""
        return self.config.enabled and self.config.follow_detect_fps is not None

    def update(self, gray: np.ndarray, t: float, followed: np.ndarray | None = None) -> MotionResult:
        """Feed one small grey frame taken at ``t`` seconds (monotonic or video time).

        ``followed``: boxes (N, 4, in ``gray``'s pixels) of the objects being tracked, already
        widened by how far each can have moved; None or empty when nothing is followed.
        """
        blurred = cv2.GaussianBlur(gray, (5, 5), 0)
        share = self._changed_share(blurred)
        moving = share >= self.config.min_area
        novel = moving if self._novelty is None else self._novelty.see(blurred, moving, followed, self._mask)
        detect = self._should_detect(moving, novel, t)
        if detect and self._novelty is not None:
            self._novelty.detected()
        return MotionResult(share, moving, detect, novel)

    def _changed_share(self, blurred: np.ndarray) -> float:
        if self._background is None or self._background.shape != blurred.shape:
            self._background = blurred.astype(np.float32)
            height, width = blurred.shape
            self._mask = polygon_mask(self.config.masks, (width, height))
            return 1.0  # nothing to compare with yet: treat the first frame as motion
        diff = cv2.absdiff(blurred, cv2.convertScaleAbs(self._background))
        cv2.accumulateWeighted(blurred, self._background, self._alpha)
        return changed_share(diff >= self.config.pixel_threshold, self._mask)

    def _should_detect(self, moving: bool, novel: bool, t: float) -> bool:
        if not self.config.enabled:
            return True
        since = None if self._last_detect is None else t - self._last_detect
        due = since is None or since >= self.config.min_detect_interval_s
        # 5 % slack: frame times jitter, and a frame that arrives a hair early should not
        # halve the detection rate of a stream that runs exactly at max_detect_fps.
        fps = self.config.max_detect_fps
        if not novel and self.following:
            fps = min(fps, self.config.follow_detect_fps)
        allowed = since is None or since >= 0.95 / fps
        if due or (moving and allowed):
            self._deferred_from, self._last_detect = self._last_detect, t
            return True
        return False

    def defer(self) -> None:
        """Detection was wanted but did not run (the machine is busy): the next frame may ask again."""
        self._last_detect = self._deferred_from
        if self._novelty is not None:
            self._novelty.deferred()
