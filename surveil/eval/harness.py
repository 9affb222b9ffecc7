"""Score the app's tracking on one video with MOTChallenge ground truth: run, check, score."""

from __future__ import annotations

import logging
from pathlib import Path

from surveil.eval.ground_truth import GroundTruth, check_frame_count
from surveil.eval.report import TrackEvaluation
from surveil.eval.scoring import score_tracking
from surveil.eval.tracking import live_motion, track_video
from surveil.vision.detector import Detector

logger = logging.getLogger(__name__)


def evaluate_tracking(video: Path, truth: GroundTruth, detector: Detector, fps: float | None,
                      weights: str = "", progress=None, appearance=None,
                      follow: float | None = None) -> TrackEvaluation:
    """Track persons in ``video`` detecting at ``fps`` (None: every frame) and score the frames tracked.

    ``appearance``: the encoder the tracker weighs looks with (as the live engine does); None: boxes alone.
    ``follow``: the gate's ``follow_detect_fps`` (None: unset, the full rate while anything moves).

    GroundTruthError when the video turns out to have another number of frames than the
    ground truth (a container can declare one count and hold another).
    """
    run = track_video(video, detector, live_motion(fps, follow), progress=progress, appearance=appearance)
    check_frame_count(truth, video, run.frames_read)
    score = score_tracking(truth, run.predictions, run.seen)
    logger.info("%s at %s: %s; tracker %.1f ms a frame", video.name, fps or "full rate", score,
                run.track_ms_per_frame())
    return TrackEvaluation(video, truth.path, fps, weights, run, score, follow)
