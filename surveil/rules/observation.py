"""What the rule engine sees of a track at one moment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Observation:
    """One track on one camera at time ``t`` (monotonic or video seconds), plus wall-clock time.

    ``embedding`` is set only when the track was (re-)embedded for this observation:
    that is when a new CLIP vote is cast. ``crop`` is the box with a little context.
    """

    camera_id: str
    track_id: int
    label: str
    box: tuple[float, float, float, float]
    frame_size: tuple[int, int]
    t: float
    wall: dt.datetime
    speed_bh_s: float = 0.0
    heading_deg: float | None = None
    stationary_s: float = 0.0
    embedding: np.ndarray | None = None
    crop: np.ndarray | None = None
    appearance: np.ndarray | None = None  # the detector's appearance vector, set with a new look like ``embedding``
    # Every object tracked on the camera at this moment, this one included: (label, box) in pixels.
    # Counting words ("two or more people") read it.
    peers: tuple[tuple[str, tuple[float, float, float, float]], ...] = ()
    crop_margin: float = 0.0  # the context around the box in ``crop``, as a share of the box's size

    def object_pixels(self) -> np.ndarray | None:
        """The crop without its context: the box's own pixels, which colours are read from."""
        if self.crop is None or not self.crop_margin:
            return self.crop
        x1, y1, x2, y2 = self.box
        left = x1 - int(max(0.0, x1 - (x2 - x1) * self.crop_margin))  # as the crop was cut: clamped to the frame
        top = y1 - int(max(0.0, y1 - (y2 - y1) * self.crop_margin))
        inner = self.crop[int(top):int(top + y2 - y1), int(left):int(left + x2 - x1)]
        return inner if inner.shape[0] >= 4 and inner.shape[1] >= 4 else self.crop

    def anchor_points(self, anchor: str) -> list[tuple[float, float]]:
        """The box point(s), normalised to 0-1, that a zone test uses."""
        w, h = self.frame_size
        x1, y1, x2, y2 = self.box
        if anchor == "center":
            points = [((x1 + x2) / 2, (y1 + y2) / 2)]
        elif anchor == "any":
            points = [(x1, y1), (x2, y1), (x1, y2), (x2, y2), ((x1 + x2) / 2, (y1 + y2) / 2)]
        else:
            points = [((x1 + x2) / 2, y2)]
        return [(x / w, y / h) for x, y in points]
