"""``surveil eval track VIDEO --gt GT.txt``: score the app's own tracking on MOTChallenge ground truth."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from surveil.cli import eval_colour, eval_reid
from surveil.cli.eval_inputs import EvalRefused, video_and_truth
from surveil.config import MotionConfig, load_or_default
from surveil.paths import app_paths

LIVE_FPS = MotionConfig().max_detect_fps  # the rate a live camera detects at while something moves


def register(sub) -> None:
    """Add the ``eval`` subcommand."""
    parser = sub.add_parser("eval", help="score the app's own pipeline on footage with ground truth")
    which = parser.add_subparsers(dest="eval", metavar="WHAT", required=True)
    track = which.add_parser(
        "track", help="MOTA, IDF1 and ID switches of person tracking against MOTChallenge ground truth",
        description="Run the motion gate, YOLO detection and tracking over VIDEO as a live camera would, and "
        "score the person tracks against MOTChallenge ground truth, on the frames the tracker saw only.",
    )
    track.add_argument("video", type=Path, help="the video file")
    track.add_argument("--gt", type=Path, required=True, metavar="GT.txt",
                       help="MOTChallenge ground truth (frame, id, box, flag...)")
    track.add_argument("--fps", type=_rate, default=LIVE_FPS, metavar="N|full",
                       help=f"detections per second, as live (default {LIVE_FPS:g}), or 'full': every frame")
    track.add_argument("--follow", type=follow_rate, metavar="N",
                       help="detections per second while all motion is on tracked objects "
                            "(motion.follow_detect_fps; default unset: the --fps rate)")
    track.add_argument("--config", type=Path, help="config file for the detector (default: the one in the "
                       "config folder)")
    track.add_argument("--weights", help="detector weights or OpenVINO folder (default: the config's)")
    track.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    track.add_argument("--no-progress", action="store_true", help="no progress bar")
    track.add_argument("--no-appearance", action="store_true", help="match by boxes alone, without the "
                       "appearance vectors the live engine weighs (to compare)")
    track.set_defaults(run=_track)
    eval_reid.register(which)
    eval_colour.register(which)


def follow_rate(text: str) -> float:
    """An argparse type: a ``motion.follow_detect_fps`` the config accepts (detections per second)."""
    try:
        return MotionConfig(follow_detect_fps=float(text)).follow_detect_fps
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a rate above 0 and at most 60 a second") from None


def _rate(text: str) -> float | None:
    """An argparse type: 'full' (None, every frame) or detections per second the gate allows."""
    if text == "full":
        return None
    try:
        return MotionConfig(max_detect_fps=float(text)).max_detect_fps
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not 'full' or a rate above 0 and at most 60") from None


def _track(args) -> int:
    """Check the inputs, load the detector, run and print; one line on stderr for anything wrong."""
    from surveil.eval.ground_truth import GroundTruthError

    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    detector_config = config.models.detector
    if args.weights:
        detector_config = detector_config.model_copy(update={"weights": args.weights})
    try:
        if args.fps is None and args.follow is not None:
            raise EvalRefused("--follow needs a detection rate (--fps N): at 'full' every frame is detected")
        truth = video_and_truth(args.video, args.gt)
        detector = _detector(detector_config, paths.model_cache_dir)
        appearance = None if args.no_appearance else _appearance()
        result = _evaluate(args, truth, detector, appearance)
    except (GroundTruthError, EvalRefused) as exc:
        print(f"surveil eval track: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict()) if args.json else result.text())
    return 0


def _detector(config, cache_dir: Path):
    from surveil.vision.detector import DetectorError, YoloDetector

    if config.classes and "person" not in config.classes:
        raise EvalRefused(f"the detector keeps only {config.classes}; tracking is scored on persons")
    try:
        detector = YoloDetector(config, cache_dir)
    except DetectorError as exc:
        raise EvalRefused(str(exc)) from None
    detector.warmup()  # as the engine does before it reports ready: the first frame's timing is not the model's
    return detector


def _appearance():
    """The appearance encoder the live engine gives its trackers (the bundled detector's backbone)."""
    from surveil.vision.appearance import AppearanceError, load_appearance

    try:
        return load_appearance()
    except AppearanceError as exc:
        raise EvalRefused(f"appearance vectors: {exc} (--no-appearance matches by boxes alone)") from None


def _evaluate(args, truth, detector, appearance=None):
    from tqdm import tqdm

    from surveil.capture.opener import SourceOpenError
    from surveil.eval.harness import evaluate_tracking

    if "person" not in detector.names.values():
        raise EvalRefused(f"{detector.path.name} does not detect persons; tracking is scored on persons")
    with tqdm(desc=args.video.name, unit="frame", disable=args.no_progress or not sys.stderr.isatty(),
              file=sys.stderr) as bar:
        try:
            result = evaluate_tracking(args.video, truth, detector, args.fps, detector.path.name, bar, appearance,
                                        args.follow)
        except SourceOpenError as exc:
            raise EvalRefused(f"{args.video}: {exc.reason}") from None
    kind = "boxes and appearance" if appearance is not None else "boxes alone"
    print(f"tracker ({kind}): {result.run.track_ms_per_frame():.1f} ms per frame detected", file=sys.stderr)
    return result
