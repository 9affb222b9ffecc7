"""The ``surveil`` command: the window for no arguments and for the demo, the core CLI for the rest.

It lives in ``ui`` because the core never imports Qt; ``python -m surveil`` is the headless CLI.
"""

from __future__ import annotations

import logging
import sys


def main(argv: list[str] | None = None) -> int:
    """Open the window (no arguments, or ``demo`` with a display), else run the core CLI."""
    args = sys.argv[1:] if argv is None else argv
    from ui.app import has_display

    if args and args[0] == "demo" and "--headless" not in args and "--json" not in args and has_display():
        return _window(demo=True)
    if not args:
        if has_display():
            return _window(demo=False)
        print("surveil: no display for the window; see `surveil --help` for the headless commands")
        return 1
    from surveil.cli.main import main as cli_main

    return cli_main([a for a in args if a != "--headless"] if args[0] == "demo" else args)


def _window(demo: bool) -> int:
    from surveil.config import ConfigError, load_or_default
    from surveil.demo import prepare_demo
    from surveil.logs import setup_logging
    from surveil.paths import app_paths
    from ui.app import run_window

    paths = app_paths().ensure()
    setup_logging(paths.log_dir, stderr_level=logging.WARNING)
    try:
        if demo:
            config, folder = prepare_demo(paths)
            source = folder / "config.yaml"
        else:
            config, source = load_or_default(None, paths.config_file)
    except ConfigError as exc:
        print(f"surveil: {exc}", file=sys.stderr)
        return 1
    return run_window(config, paths, source or paths.config_file)


if __name__ == "__main__":
    raise SystemExit(main())
