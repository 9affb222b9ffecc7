"""``surveil index``: archived footage through detection, tracking and rules, stored as if it had been live."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from surveil.config import load_or_default
from surveil.logs import setup_logging
from surveil.paths import app_paths

logger = logging.getLogger(__name__)


def register(sub) -> None:
    """Add the ``index`` subcommand."""
    parser = sub.add_parser("index", help="index video files: tracked objects, events and recordings, as if live")
    parser.add_argument("videos", nargs="+", type=Path, help="video files, taken as consecutive pieces of one camera")
    parser.add_argument("--camera", required=True, help="camera id to file them under (a configured one keeps "
                        "its motion mask and rules)")
    parser.add_argument("--start", required=True, type=_aware_time,
                        help="wall-clock time of the first frame, ISO 8601 with a zone (e.g. 2026-11-02T14:00:00Z)")
    parser.add_argument("--config", type=Path, help="config file (store, models, rules)")
    parser.add_argument("--no-record", action="store_true",
                        help="keep only the footage around events (record: events), not the whole file")
    parser.set_defaults(run=run)


def _aware_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time, e.g. 2026-11-02T14:00:00+01:00") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: add one, e.g. {text}Z or {text}+01:00")
    return moment


def run(args) -> int:
    """Index each file in turn; print what was stored."""
    from surveil.engine.indexer import index_file, indexing_config

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.INFO if args.verbose else logging.WARNING)
    config, _ = load_or_default(args.config, paths.config_file)
    start = args.start
    for video in args.videos:
        if not video.is_file():
            print(f"surveil index: {video}: no such file", file=sys.stderr)
            return 1
        try:
            single = indexing_config(config, args.camera, video, start, record=not args.no_record)
        except ValidationError as exc:
            print(f"surveil index: {exc.errors()[0]['msg']} ({'.'.join(map(str, exc.errors()[0]['loc']))})",
                  file=sys.stderr)
            return 2
        began = time.monotonic()
        result = index_file(single, paths, progress=True)
        if result.error:
            print(f"surveil index: {video}: {result.error}", file=sys.stderr)
            return 1
        print(f"{video}: {result.frames} frames in {time.monotonic() - began:.1f} s "
              f"({result.frames / max(1e-6, time.monotonic() - began):.0f} frames/s); stored {result.objects} "
              f"tracked objects, {result.events} events, {result.segments} recording segments "
              f"({result.start.isoformat()} to {result.end.astimezone(result.start.tzinfo).isoformat()})")
        start = result.end + dt.timedelta(seconds=result.frame_period)  # the next file follows the last frame
    return 0
