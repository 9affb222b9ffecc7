"""``surveil``: the command line. Each subcommand lives in its own module and registers itself here."""

from __future__ import annotations

import argparse
import logging
import sys

from surveil import __version__
from surveil.cli import (
    analyze_cmd,
    bench_cmd,
    config_cmd,
    demo_cmd,
    eval_cmd,
    export_cmd,
    index_cmd,
    mark_cmd,
    models_cmd,
    probe_cmd,
    retention_cmd,
    rules_cmd,
    run_cmd,
    store_cmd,
)
from surveil.config import ConfigError
from surveil.service.client import ServiceUnavailable
from surveil.store.db import StoreError
from surveil.store.lock import StoreInUse

logger = logging.getLogger(__name__)

_COMMANDS = (
    run_cmd, index_cmd, probe_cmd, analyze_cmd, rules_cmd, store_cmd, mark_cmd, export_cmd, models_cmd, demo_cmd,
    config_cmd, bench_cmd, retention_cmd, eval_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The whole command tree; each command module adds its own subparser."""
    parser = argparse.ArgumentParser(
        prog="surveil",
        description="Surveillance event monitoring: cameras, alert rules in plain words, forensic review.",
        epilog="Without a command, `surveil` opens the window on the configured cameras; `surveil --attach [URL]` "
        "opens it on a running `surveil run` instead (python -m surveil is always this command line).",
    )
    parser.add_argument("--version", action="version", version=f"surveil {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="also print info messages on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _COMMANDS:
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        # The desktop window arrives with the GUI issue; until then, say what there is.
        parser.print_help()
        return 0
    try:
        return int(args.run(args) or 0)
    except (ConfigError, StoreError, StoreInUse, ServiceUnavailable) as exc:  # one clear message, no traceback
        print(f"surveil: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line here, the traceback in the log file for the report
        print(f"surveil {args.command}: unexpected error: {type(exc).__name__}: {exc} ({_log_traceback(args)})",
              file=sys.stderr)
        return 1


def _log_traceback(args) -> str:
    """Write the current exception's traceback to the log file only; says where it went."""
    from surveil.logs import LOG_FILE_NAME, setup_logging
    from surveil.paths import app_paths

    try:
        log_dir = app_paths().log_dir
        setup_logging(log_dir, stderr_level=logging.CRITICAL + 1)
        logger.exception("surveil %s failed", args.command)
        return f"details in {log_dir / LOG_FILE_NAME}"
    except Exception:
        return "no log file could be written"


if __name__ == "__main__":
    raise SystemExit(main())
