"""``surveil analyze VIDEO``: detection and tracking over a file, tracks as JSON lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from surveil.config import CameraConfig, DetectorConfig, MotionConfig
from surveil.paths import app_paths


def register(sub) -> None:
    """Add the ``analyze`` subcommand."""
    parser = sub.add_parser(
        "analyze", help="detect and track objects in a video file",
        description="Run the motion gate, optical flow, YOLO detection and tracking over a video file. "
        "Finished tracks go to a JSON-lines file; a summary is printed at the end.",
    )
    parser.add_argument("video", type=Path, help="the video file")
    parser.add_argument("-o", "--out", type=Path, help="tracks file (default: VIDEO.tracks.jsonl beside the video)")
    parser.add_argument("--weights", default=DetectorConfig().weights, help="detector weights or OpenVINO folder")
    parser.add_argument("--confidence", type=float, default=DetectorConfig().confidence)
    parser.add_argument("--classes", nargs="*", default=[], help="class names to keep (default: all)")
    parser.add_argument("--no-gate", action="store_true", help="detect on every frame")
    parser.add_argument("--max-frames", type=int, default=None, help="stop after this many frames")
    parser.add_argument("--no-appearance", action="store_true", help="track by boxes alone, without the "
                        "appearance model a live camera's tracker weighs looks with")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Analyse the file and print the summary; exit 1 with one line on bad input."""
    problem = _input_problem(args)
    if problem:
        print(f"surveil analyze: {problem}", file=sys.stderr)
        return 1
    # Imported here, not at the top: building the command line must not load OpenCV.
    from surveil.capture.opener import SourceOpenError
    from surveil.vision.detector import DetectorError, YoloDetector

    try:
        detector = YoloDetector(DetectorConfig(weights=args.weights, confidence=args.confidence, classes=args.classes),
                                app_paths().model_cache_dir)
    except (DetectorError, ValueError) as exc:
        print(f"surveil analyze: {exc}", file=sys.stderr)
        return 1
    out_path = _out_path(args)
    try:
        summary = _run(args, detector, out_path)
    except SourceOpenError as exc:
        print(f"surveil analyze: {args.video}: {exc.reason}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"surveil analyze: cannot write {out_path}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(json.dumps(summary.to_dict()) if args.json else _text(summary, out_path))
    return 0


def _out_path(args) -> Path:
    return args.out or args.video.with_name(args.video.name + ".tracks.jsonl")


def _input_problem(args) -> str | None:
    """What is wrong with the file or the options, before seconds go into loading the detector."""
    from surveil.capture.probe import probe

    try:
        CameraConfig(id="analyze", source=str(args.video))  # same source validation as the config file
        DetectorConfig(weights=args.weights, confidence=args.confidence, classes=args.classes)
    except ValueError as exc:  # pydantic's ValidationError is one
        return _first_error(exc)
    if not args.video.is_file():
        return f"{args.video}: no such file"
    result = probe(str(args.video))
    if not result.opened:
        return f"{args.video}: {result.error}"
    if not _out_path(args).parent.is_dir():
        return f"cannot write {_out_path(args)}: no such folder"
    return None


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'value'}: {first['msg']}"
    return str(exc)


def _run(args, detector, out_path: Path):
    from tqdm import tqdm

    from surveil.vision.analyze import analyze_video
    from surveil.vision.appearance import load_if_enabled

    motion = MotionConfig(enabled=not args.no_gate)
    appearance = load_if_enabled(not args.no_appearance)  # as the engine gives every camera's tracker
    with open(out_path, "w", encoding="utf-8") as out, tqdm(
        desc=args.video.name, unit="frame", disable=args.no_progress or not sys.stderr.isatty(), file=sys.stderr
    ) as bar:
        return analyze_video(args.video, detector, motion, out, bar, args.max_frames, appearance)


def _text(summary, out_path: Path) -> str:
    d = summary.to_dict()
    stages = ", ".join(f"{k} {v:.1f}" for k, v in d["ms_per_frame"].items())
    tracks = ", ".join(f"{n} {label}" for label, n in sorted(d["tracks_by_class"].items())) or "none"
    return (f"{d['video']}: {d['frames_read']} frames read, {d['frames_skipped_by_gate']} skipped by the motion gate "
            f"({d['frames_failed']} failed)\n"
            f"{d['tentative_tracks_dropped']} tentative tracks (fewer than 3 sightings) not written\n"
            f"tracks: {tracks}\n"
            f"ms per frame: {stages}; {d['fps']} frames/s overall\n"
            f"tracks written to {out_path}")
