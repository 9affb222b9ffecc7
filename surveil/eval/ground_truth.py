"""MOTChallenge ground truth: ``frame, id, left, top, width, height, flag, ...`` one box a line.

Frames count from 1 and are the video's frames one to one. A flag of 0 marks a box to
ignore: it is neither a miss nor, when a prediction lands on it, a false positive.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surveil.eval.boxes import FrameBoxes

logger = logging.getLogger(__name__)

FIELDS = "frame, id, left, top, width, height[, flag, ...]"


class GroundTruthError(ValueError):
    """A ground-truth file that cannot be used; the message names the file (and line)."""


@dataclass(frozen=True)
class GroundTruth:
    """Boxes to score against, and boxes to ignore, by frame number (from 1)."""

    path: Path
    frames: dict[int, FrameBoxes]
    ignored: dict[int, np.ndarray]  # xywh boxes with flag 0
    last_frame: int

    def at(self, frame: int) -> FrameBoxes:
        """The boxes to score in ``frame``; none where the file has none."""
        return self.frames.get(frame, FrameBoxes())

    def ignored_at(self, frame: int) -> np.ndarray:
        """The boxes to ignore in ``frame``, (N, 4) xywh."""
        return self.ignored.get(frame, np.zeros((0, 4)))


def load_ground_truth(path: Path) -> GroundTruth:
    """Read and check a MOTChallenge file; GroundTruthError says what is wrong, where."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise GroundTruthError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise GroundTruthError(f"{path}: is a folder, not a ground-truth file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundTruthError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    rows, ignored = defaultdict(dict), defaultdict(list)
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            frame, ident, box, keep = _parse_line(path, number, line)
            if not keep:
                ignored[frame].append(box)
                continue
            if ident in rows[frame]:
                raise GroundTruthError(f"{path} line {number}: id {ident} appears twice in frame {frame}")
            rows[frame][ident] = box
    if not rows and not ignored:
        raise GroundTruthError(f"{path}: no boxes in it (expected lines of {FIELDS})")
    frames = {f: FrameBoxes.of(list(boxes), list(boxes.values())) for f, boxes in rows.items() if boxes}
    last = max([*frames, *ignored])
    return GroundTruth(path, frames, {f: np.asarray(b, np.float64) for f, b in ignored.items()}, last)


def _parse_line(path: Path, number: int, line: str) -> tuple[int, int, tuple[float, ...], bool]:
    where = f"{path} line {number}"
    parts = [p.strip() for p in line.split(",")]
    if len(parts) < 6:
        raise GroundTruthError(f"{where}: expected {FIELDS}, got {line.strip()[:60]!r}")
    try:
        values = [float(p) for p in parts[:7]]
    except ValueError:
        raise GroundTruthError(f"{where}: not numbers: {line.strip()[:60]!r} (expected {FIELDS})") from None
    frame, ident, left, top, width, height = values[:6]
    if not np.isfinite(values).all():
        raise GroundTruthError(f"{where}: not finite numbers: {line.strip()[:60]!r}")
    if frame < 1 or frame != int(frame) or ident != int(ident):
        raise GroundTruthError(f"{where}: frame and id must be whole numbers, frames from 1: {line.strip()[:60]!r}")
    if not (width > 0 and height > 0):
        raise GroundTruthError(f"{where}: a box needs a width and height above 0: {line.strip()[:60]!r}")
    keep = len(values) < 7 or values[6] != 0
    return int(frame), int(ident), (left, top, width, height), keep


def check_frame_count(truth: GroundTruth, video: Path, frame_count: int) -> None:
    """GroundTruthError unless the file's last frame is the video's last: it is another video's otherwise."""
    if truth.last_frame != frame_count:
        raise GroundTruthError(f"{truth.path}: ground truth runs to frame {truth.last_frame} but {video} has "
                               f"{frame_count} frames: not this video's ground truth")
