"""``surveil run``: the engine as a headless service, printing alerts until SIGINT or SIGTERM."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from surveil.config import load_or_default
from surveil.engine.alerts import EngineNotice
from surveil.logs import setup_logging
from surveil.paths import app_paths


def register(sub) -> None:
    """Add the ``run`` subcommand."""
    parser = sub.add_parser("run", help="run the engine headless: cameras in, alerts out, incidents stored")
    parser.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    parser.add_argument("--json", action="store_true", help="JSON lines instead of text")
    parser.add_argument("--seconds", type=float, default=None, help="stop after this many seconds")
    parser.add_argument("--health-every", type=float, default=0, help="print engine health every N seconds")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Start the engine, print what it reports, stop cleanly on a signal or after --seconds."""
    from surveil.engine.engine import Engine
    from surveil.store.db import StoreError
    from surveil.vision.detector import DetectorError

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.INFO if args.verbose else logging.WARNING)
    config, source = load_or_default(args.config, paths.config_file)
    if not config.cameras:
        print(f"surveil run: no cameras in {source or 'the default configuration'}", file=sys.stderr)
        return 1
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    engine = Engine(config, paths)
    engine.listeners.append(lambda notice: _print(notice, args.json))
    try:
        engine.start()
    except (StoreError, DetectorError) as exc:
        print(f"surveil run: {exc}", file=sys.stderr)
        return 1
    try:
        _wait(engine, stop, args)
    finally:
        engine.stop()
    _print(EngineNotice("stopped", "surveil run: stopped"), args.json)
    return 0


def _wait(engine, stop: threading.Event, args) -> None:
    deadline = None if args.seconds is None else time.monotonic() + args.seconds
    next_health = time.monotonic() + args.health_every if args.health_every else None
    while not stop.wait(0.2):
        now = time.monotonic()
        if next_health is not None and now >= next_health:
            next_health += args.health_every
            _emit(json.dumps({"kind": "health", **engine.health()}))
        if deadline is not None and now >= deadline:
            return


_PRINT_LOCK = threading.Lock()  # notices come from several engine threads: one whole line at a time


def _print(notice: EngineNotice, as_json: bool) -> None:
    if as_json:
        record = notice.record.__dict__ if notice.record else None
        line = json.dumps({"kind": notice.kind, "message": notice.message, "camera": notice.camera_id,
                           "event": record})
    else:
        line = f"{time.strftime('%H:%M:%S')} {notice.kind:14} {notice.message}"
    _emit(line)


def _emit(line: str) -> None:
    with _PRINT_LOCK:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
