"""``surveil index``: archived footage through detection, tracking and rules, stored as if it had been live."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from surveil.cli.times import WHEN_HELP, format_time, local_time, parse_when, when_text
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
    parser.add_argument("--start", required=True, type=when_text,
                        help=f"wall-clock time of the first frame: {WHEN_HELP}")
    parser.add_argument("--config", type=Path, help="config file (store, models, rules)")
    parser.add_argument("--no-record", action="store_true",
                        help="keep only the footage around events (record: events), not the whole file")
    parser.add_argument("--json", action="store_true", help="one JSON object per file instead of text")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Index each file in turn; print what was stored. Every file is checked before the first is indexed."""
    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.INFO if args.verbose else logging.WARNING)
    config, _ = load_or_default(args.config, paths.config_file)
    problem = _videos_problem(args.videos)
    if problem:
        print(f"surveil index: {problem}", file=sys.stderr)
        return 1
    start = local_time(parse_when(args.start, config.zone()), config.zone())
    for video in args.videos:
        code, start = _index_one(args, config, paths, video, start)
        if code:
            return code
    return 0


def _videos_problem(videos: list[Path]) -> str | None:
    from surveil.capture.probe import probe

    for video in videos:
        if not video.is_file():
            return f"{video}: no such file"
        result = probe(str(video))
        if not result.opened:
            return f"{video}: {result.error}"
    return None


def _index_one(args, config, paths, video: Path, start: dt.datetime) -> tuple[int, dt.datetime]:
    """Index one file from ``start``; the exit code and the time the next file starts at."""
    from surveil.engine.indexer import index_file, indexing_config
    from surveil.store.db import StoreError
    from surveil.store.lock import StoreInUse
    from surveil.vision.detector import DetectorError

    try:
        single = indexing_config(config, args.camera, video, start, record=not args.no_record)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = first["msg"].removeprefix("Value error, ")
        where = f"--camera {args.camera!r}" if first["loc"][-1] == "id" else ".".join(map(str, first["loc"]))
        print(f"surveil index: {where}: {msg}", file=sys.stderr)
        return 2, start
    began = time.monotonic()
    try:
        result = index_file(single, paths, progress=not args.json)
    except (DetectorError, StoreError, StoreInUse) as exc:
        print(f"surveil index: {exc}", file=sys.stderr)
        return 1, start
    if result.error:
        print(f"surveil index: {video}: {result.error}", file=sys.stderr)
        return 1, start
    took, zone = time.monotonic() - began, config.zone()
    record = {"video": str(video), "camera": args.camera, "frames": result.frames, "seconds": round(took, 1),
              "objects": result.objects, "events": result.events, "segments": result.segments,
              "start": format_time(result.start.timestamp(), zone), "end": format_time(result.end.timestamp(), zone)}
    print(json.dumps(record) if args.json else
          f"{video}: {result.frames} frames in {took:.1f} s ({result.frames / max(1e-6, took):.0f} frames/s); "
          f"stored {result.objects} tracked objects, {result.events} events, {result.segments} recording segments "
          f"({record['start']} to {record['end']})", flush=True)
    return 0, result.end + dt.timedelta(seconds=result.frame_period)  # the next file follows the last frame
