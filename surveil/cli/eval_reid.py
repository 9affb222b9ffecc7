"""``surveil eval reid VIDEO --gt GT.txt``: how well appearance vectors re-identify the ground truth's people."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from surveil.cli.eval_inputs import EvalRefused, video_and_truth

logger = logging.getLogger(__name__)


def register(which) -> None:
    """Add ``reid`` to ``surveil eval``."""
    reid = which.add_parser(
        "reid", help="top-1 and mAP of appearance vectors re-identifying MOTChallenge ground-truth people",
        description="Cut the visible ground-truth persons of VIDEO into crops, split each person's crops into an "
        "early and a late half, and rank every half against all the others by cosine, for the appearance vector, "
        "the backbone part alone and a colour-histogram baseline.",
    )
    reid.add_argument("video", type=Path, help="the video file")
    reid.add_argument("--gt", type=Path, required=True, metavar="GT.txt",
                      help="MOTChallenge ground truth (frame, id, box, flag...)")
    reid.add_argument("--every", type=_positive, default=5, metavar="N", help="crop every Nth frame (default 5)")
    reid.add_argument("--weights", type=Path, help="YOLO .pt checkpoint (default: the bundled yolo11n.pt)")
    reid.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    reid.set_defaults(run=_reid)


def _positive(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return value


def _reid(args) -> int:
    """Check the inputs, load the encoder, score and print; one line on stderr for anything wrong."""
    from surveil.eval.ground_truth import GroundTruthError

    try:
        truth = video_and_truth(args.video, args.gt)
        methods, tag = _methods(args.weights)
        result = _evaluate(args, truth, methods, tag)
    except (GroundTruthError, EvalRefused) as exc:
        print(f"surveil eval reid: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result.to_dict()) if args.json else result.text())
    return 0


def _methods(weights: Path | None) -> tuple[dict, str]:
    """The encode functions to compare, by name, and the appearance vector's model tag."""
    from surveil.vision.appearance import AppearanceError, colour_histograms, load_appearance

    try:
        full = load_appearance(weights)
        backbone = load_appearance(weights, colour_weight=0)
    except (AppearanceError, FileNotFoundError) as exc:
        raise EvalRefused(str(exc)) from None
    return {"appearance": full.encode, "backbone only": backbone.encode,
            "colour histogram": colour_histograms}, full.model_tag


def _evaluate(args, truth, methods: dict, tag: str):
    from surveil.capture.opener import SourceOpenError
    from surveil.eval.reid import evaluate_reid

    try:
        return evaluate_reid(args.video, truth, methods, args.every, model_tag=tag)
    except SourceOpenError as exc:
        raise EvalRefused(f"{args.video}: {exc.reason}") from None
