"""``surveil eval colour``: score the colour words against crops of the test clips labelled by eye."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def register(which) -> None:
    """Add ``colour`` to ``surveil eval``."""
    colour = which.add_parser(
        "colour", help="accuracy of the colour words (a red car, a blue jacket) on crops labelled by eye",
        description="Cut every labelled crop from its clip, predict the colour of the labelled part and print "
        "the accuracy, the confusion matrix (rows: label, columns: predicted) and has_colour's precision and "
        "recall per colour.",
    )
    colour.add_argument("--labels", type=Path, metavar="CSV",
                        help="labels: clip,frame,x1,y1,x2,y2,label,part,colour (default: the repository's)")
    colour.add_argument("--media", type=Path, metavar="DIR",
                        help="folder holding the labelled clips (default: $SURVEIL_TEST_ASSETS/media)")
    colour.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    colour.set_defaults(run=_colour)


def _colour(args) -> int:
    """Check the inputs, score and print; one line on stderr for anything wrong."""
    from surveil.eval.colour import LABELS_FILE, LabelsError, evaluate, load_labels  # OpenCV: only when it runs

    media = args.media or _default_media()
    try:
        if media is None or not media.is_dir():
            where = f" {media}" if media else ""
            raise LabelsError(f"no media folder{where}: pass --media DIR or set SURVEIL_TEST_ASSETS")
        report = evaluate(load_labels(args.labels or LABELS_FILE), media)
    except LabelsError as exc:
        print(f"surveil eval colour: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(report.to_dict()) if args.json else report.text())
    return 0


def _default_media() -> Path | None:
    value = os.environ.get("SURVEIL_TEST_ASSETS", "")
    return Path(value) / "media" if value else None
