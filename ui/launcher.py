"""The ``surveil`` command: the window for no arguments and for the demo, the core CLI for the rest.

``surveil --attach [URL]`` opens the window on a running ``surveil run`` service instead of
starting an engine here (no URL: the service that owns this configuration's store).

It lives in ``ui`` because the core never imports Qt; ``python -m surveil`` is the headless CLI.
"""

from __future__ import annotations

import logging
import sys

NO_DISPLAY = "surveil: no display for the window; see `surveil --help` for the headless commands"


def main(argv: list[str] | None = None) -> int:
    """Open the window (no arguments, ``--attach``, or ``demo`` with a display), else run the core CLI."""
    args = sys.argv[1:] if argv is None else argv
    from ui.app import has_display

    if args and args[0].split("=")[0] == "--attach":
        return _attach(args, has_display())
    if args and args[0] == "demo" and "--headless" not in args and "--json" not in args and has_display():
        return _window(demo=True)
    if not args:
        if has_display():
            return _window(demo=False)
        print(NO_DISPLAY)
        return 1
    from surveil.cli.main import main as cli_main

    return cli_main([a for a in args if a != "--headless"] if args[0] == "demo" else args)


def _attach(args: list[str], display: bool) -> int:
    """``--attach``, ``--attach URL`` or ``--attach=URL``: the window on a running service."""
    first, rest = args[0], list(args[1:])
    if "=" in first:
        url = first.partition("=")[2] or None
    else:
        url = rest.pop(0) if rest else None
    if rest:
        print(f"surveil: --attach takes one URL at most, not {' '.join(rest)}", file=sys.stderr)
        return 2
    if not display:
        print(NO_DISPLAY)
        return 1
    from surveil.logs import setup_logging
    from surveil.paths import app_paths
    from ui.app import attach_window

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.WARNING)
    return attach_window(url, paths)


def _window(demo: bool) -> int:
    from surveil.config import ConfigError, load_or_default
    from surveil.demo import prepare_demo
    from surveil.logs import setup_logging
    from surveil.paths import app_paths
    from surveil.store.lock import StoreInUse
    from ui.app import run_window

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.WARNING)
    try:
        if demo:
            config, folder = prepare_demo(paths)
            source = folder / "config.yaml"
        else:
            config, source = load_or_default(None, paths.config_file)
    except (ConfigError, StoreInUse) as exc:
        print(f"surveil: {exc}", file=sys.stderr)
        return 1
    return run_window(config, paths, source or paths.config_file)


if __name__ == "__main__":
    raise SystemExit(main())
