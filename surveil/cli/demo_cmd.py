"""``surveil demo``: the bundled clip as a camera, in a fresh data folder."""

from __future__ import annotations

import logging
import sys

from surveil.cli.times import positive_seconds
from surveil.logs import setup_logging
from surveil.paths import app_paths


def register(sub) -> None:
    """Add the ``demo`` subcommand."""
    parser = sub.add_parser(
        "demo", help="run on the bundled sample clip in a fresh data folder",
        description="Play the bundled PETS 2009 walkway clip as a looping camera and report what is seen. "
        "Stop with Ctrl-C.",
    )
    parser.add_argument("--seconds", type=positive_seconds, default=None, help="stop after this many seconds")
    parser.add_argument("--json", action="store_true", help="print JSON lines instead of text")
    parser.add_argument("--headless", action="store_true", help="no window even where a display exists")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Set up folders and logging, then run the demo until stopped."""
    from surveil.demo import run_demo  # here, not at the top: building the command line must not load OpenCV
    from surveil.store.lock import StoreInUse

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.INFO if args.verbose else logging.WARNING)
    try:
        return run_demo(paths, args.seconds, args.json, sys.stdout)
    except StoreInUse as exc:  # another demo runs from the same folder: refused before anything is deleted
        print(f"surveil demo: {exc}", file=sys.stderr)
        return 1
