"""What ``surveil eval track`` prints: which frames were scored, and the scores, as a table or JSON."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from surveil.eval.scoring import TrackScore
from surveil.eval.tracking import TrackerRun

logger = logging.getLogger(__name__)

_ROWS = (("MOTA", "mota"), ("IDF1", "idf1"), ("ID switches", "id_switches"), ("precision", "precision"),
         ("recall", "recall"), ("GT ids", "gt_ids"), ("predicted ids", "predicted_ids"),
         ("false positives", "false_positives"), ("misses", "misses"), ("GT boxes", "gt_boxes"))


@dataclass(frozen=True)
class TrackEvaluation:
    """One video scored against its ground truth at one detection rate (None: every frame)."""

    video: Path
    ground_truth: Path
    fps: float | None
    weights: str
    run: TrackerRun
    score: TrackScore
    follow: float | None = None  # the gate's follow_detect_fps (None: unset)

    @property
    def rate(self) -> str:
        """``5 fps``, ``5 fps, 3 while following`` or ``full`` (every frame)."""
        if self.fps is None:
            return "full"
        following = "" if self.follow is None else f", {min(self.follow, self.fps):g} while following"
        return f"{self.fps:g} fps{following}"

    def to_dict(self) -> dict:
        """One JSON object: the scores at the top level, then what was scored and how."""
        scores = {k: v for k, v in self.score.to_dict().items() if k != "frames"}  # frames_scored says it
        return {**scores, "video": str(self.video), "ground_truth": str(self.ground_truth),
                "rate": self.rate, "weights": self.weights, "frames_read": self.run.frames_read,
                "frames_scored": len(self.run.seen), "frames_failed": len(self.run.failed),
                "scored_frames": which_frames(self.run.seen), "wall_s": round(self.run.wall_s, 2)}

    def text(self) -> str:
        """A plain table with a heading that says which frames were scored."""
        s = self.score.to_dict()
        width = max(len(name) for name, _ in _ROWS)
        rows = "\n".join(f"  {name:<{width}}  {_cell(s[key])}" for name, key in _ROWS)
        failed = f" ({len(self.run.failed)} failed, not scored)" if self.run.failed else ""
        pace = "on every frame" if self.fps is None else f"at {self.rate}"
        return (f"{self.video.name} against {self.ground_truth.name}, tracking {pace} with {self.weights}\n"
                f"scored {len(self.run.seen)} of {self.run.frames_read} frames: {which_frames(self.run.seen)}"
                f"{failed}\n{rows}\n{self.run.wall_s:.1f} s to read and track {self.run.frames_read} frames")


def which_frames(frames: list[int]) -> str:
    """``every frame``, ``every 5th``, or the spread of gaps the motion gate left."""
    if len(frames) < 2:
        return f"frame {frames[0]} only" if frames else "none"
    gaps = {b - a for a, b in zip(frames, frames[1:], strict=False)}
    if len(gaps) > 1:
        return f"frames {frames[0]} to {frames[-1]}, {min(gaps)} to {max(gaps)} apart (the motion gate's choice)"
    step = gaps.pop()
    start = "" if frames[0] == 1 else f" from frame {frames[0]}"
    return ("every frame" if step == 1 else f"every {_ordinal(step)}") + start


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _cell(value) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
