"""The app's own seeing pipeline over a file, keeping what the tracker said on each frame it saw.

This is the path ``surveil analyze`` and the engine take (motion gate, detection, ByteTrack
through ``CameraPipeline`` and ``Analyzer``); only what is kept differs: every frame's tracked
boxes of one class, instead of finished tracks.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

from surveil.config.vision import MotionConfig
from surveil.eval.boxes import FrameBoxes
from surveil.vision.analyze import video_frames
from surveil.vision.detector import Detector
from surveil.vision.pipeline import Analyzer, CameraPipeline

logger = logging.getLogger(__name__)


@dataclass
class TrackerRun:
    """What the tracker output, by video frame number counted from 1 as MOTChallenge counts."""

    frames_read: int = 0
    seen: list[int] = field(default_factory=list)  # frames detection and tracking ran on
    failed: list[int] = field(default_factory=list)  # frames the pipeline reported an error for
    predictions: dict[int, FrameBoxes] = field(default_factory=dict)
    wall_s: float = 0.0
    track_ms: list[float] = field(default_factory=list)  # the tracker's time on each frame detection ran on

    def track_ms_per_frame(self) -> float:
        """Mean milliseconds the tracker (appearance included) took on a frame detection ran on."""
        return sum(self.track_ms) / len(self.track_ms) if self.track_ms else 0.0


def live_motion(fps: float | None, follow: float | None = None) -> MotionConfig:
    """The gate as a live camera has it, detecting at most ``fps`` times a second; None: every frame.

    ``follow``: at most this often while all motion is on tracked objects (``follow_detect_fps``).
    """
    if fps is None:
        return MotionConfig(enabled=False)
    return MotionConfig(max_detect_fps=fps, follow_detect_fps=follow)


def track_video(path: Path, detector: Detector, motion: MotionConfig, label: str = "person",
                progress=None, appearance=None) -> TrackerRun:
    """Run the pipeline over ``path``; keep the tracked ``label`` boxes of every frame detection ran on.

    ``appearance``: the encoder the tracker weighs looks with, as the live engine passes it; None: boxes alone.
    """
    pipeline = CameraPipeline(path.stem, motion, detector.names, appearance=appearance)
    analyzer = Analyzer(detector, {path.stem: pipeline})
    wanted = {i for i, name in detector.names.items() if name == label}
    run = TrackerRun()
    started = time.perf_counter()
    for seq, t, image in video_frames(path):
        result = analyzer.analyze([(path.stem, image, seq, t)])[0]
        run.frames_read, frame = seq + 1, seq + 1
        if result.error:
            run.failed.append(frame)
        elif result.detected:
            dets = result.detections
            keep = [i for i in range(len(dets)) if int(dets.class_id[i]) in wanted]
            run.seen.append(frame)
            run.predictions[frame] = FrameBoxes.from_xyxy(dets.tracker_id[keep], dets.xyxy[keep])
            run.track_ms.append(result.timings_ms.get("track", 0.0))
        if progress is not None:
            progress.update(1)
    pipeline.close()
    run.wall_s = time.perf_counter() - started
    return run
