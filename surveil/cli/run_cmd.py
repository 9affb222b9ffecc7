"""``surveil run``: the engine as a headless service, printing alerts until SIGINT or SIGTERM.

It serves the local API (``config.service``), so that other ``surveil`` commands and windows
(``surveil --attach``) work beside it while it owns the store.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from surveil.config import load_or_default
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
    from surveil.cli.monitor import Printer, run_engine
    from surveil.engine.engine import Engine

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.INFO if args.verbose else logging.WARNING)
    config, source = load_or_default(args.config, paths.config_file)
    if not config.cameras:
        print(f"surveil run: no cameras in {source or 'the default configuration'}", file=sys.stderr)
        return 1
    engine = Engine(config, paths, config_path=source, serve=True)
    printer = Printer(sys.stdout, args.json, config.zone())
    return run_engine(engine, printer, "run", args.seconds, health_every=args.health_every)
