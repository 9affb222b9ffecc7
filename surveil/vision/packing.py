"""Two cameras' frames in one detector call: a square input holds two wide frames, one above the other.

A detector exported with a fixed square input (the OpenVINO export is 640x640) letterboxes a
16:9 frame into it, so 44 % of what it computes is grey padding. Two 16:9 frames fit in the
same square at 88 % of the scale each would get alone: one call then serves two cameras, which
halves detection, the largest cost per busy camera. Frames that would shrink more than that
(4:3, portrait) go alone. Boxes come back to their own frame by where their centre lies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveil.capture.cv import cv2
from surveil.vision.detections import Detections

MIN_SHARE = 0.85  # of the scale a frame would get alone, below which it is not packed
GAP = 16  # grey rows between the two frames, so a box cannot span both
PAD = 114  # the grey ultralytics letterboxes with


@dataclass(frozen=True)
class Placement:
    """Where one frame sits in the square: its scale and top-left offset."""

    scale: float
    x0: int
    y0: int
    height: int
    width: int


def plan(shapes: list[tuple[int, int]], side: int) -> list[list[int]]:
    """Group frame indices (by (h, w) shape) into pairs that fit a ``side`` square well, and singles."""
    fits = [i for i, (h, w) in enumerate(shapes) if _pair_scale(h, w, side) >= MIN_SHARE * _alone_scale(h, w, side)]
    singles = [[i] for i in range(len(shapes)) if i not in fits]
    pairs = [fits[i:i + 2] for i in range(0, len(fits), 2)]
    return pairs + singles


def compose(images: list[np.ndarray], side: int) -> tuple[np.ndarray, list[Placement]]:
    """Two frames in one ``side`` x ``side`` canvas, top and bottom, centred across."""
    canvas = np.full((side, side, 3), PAD, np.uint8)
    placements = []
    for slot, image in enumerate(images):
        h, w = image.shape[:2]
        scale = _pair_scale(h, w, side)
        nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
        x0, y0 = (side - nw) // 2, 0 if slot == 0 else side - nh
        canvas[y0:y0 + nh, x0:x0 + nw] = cv2.resize(image, (nw, nh), interpolation=cv2.INTER_LINEAR)
        placements.append(Placement(scale, x0, y0, h, w))
    return canvas, placements


def split(dets: Detections, placements: list[Placement], side: int) -> list[Detections]:
    """The canvas's detections back in each frame's own pixels, by the half their centre lies in."""
    centre_y = (dets.xyxy[:, 1] + dets.xyxy[:, 3]) / 2
    slot = (centre_y >= side / 2).astype(int)
    out = []
    for i, p in enumerate(placements):
        own = dets[slot == i]
        xyxy = (own.xyxy - np.array([p.x0, p.y0, p.x0, p.y0], np.float32)) / p.scale
        xyxy = np.clip(xyxy, 0, [p.width, p.height, p.width, p.height]).astype(np.float32)
        out.append(Detections(xyxy, own.confidence, own.class_id, own.tracker_id))
    return out


def _alone_scale(h: int, w: int, side: int) -> float:
    return min(side / w, side / h)


def _pair_scale(h: int, w: int, side: int) -> float:
    return min(side / w, (side - GAP) / 2 / h)
