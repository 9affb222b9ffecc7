"""The ``surveil`` command: the window for no arguments and for the demo, the core CLI for the rest.

``surveil --attach [URL]`` opens the window on a running ``surveil run`` service instead of
starting an engine here (no URL: the service that owns this configuration's store).

It lives in ``ui`` because the core never imports Qt; ``python -m surveil`` is the headless CLI.
"""

from __future__ import annotations

import logging
import sys


def no_display(why: str) -> str:
    """The one line said when the window cannot open, with the reason."""
    return f"surveil: no display for the window ({why}); see `surveil --help` for the headless commands"


def main(argv: list[str] | None = None) -> int:
    """Open the window (no arguments, ``--attach``, or ``demo`` with a display), else run the core CLI.

    Where the display cannot be used (unset, dead, or Qt's libraries missing) the window says why
    in one line, and the demo runs in the terminal instead.
    """
    args = sys.argv[1:] if argv is None else argv
    from ui.app import UNSET, display_problem

    window_wanted = not args or args[0].split("=")[0] == "--attach" or (
        args[0] == "demo" and "--headless" not in args and "--json" not in args)
    problem = display_problem() if window_wanted else None
    if args and args[0].split("=")[0] == "--attach":
        return _attach(args, problem)
    if args and args[0] == "demo" and window_wanted:
        if problem is None:
            return _window(demo=True)
        if problem != UNSET:  # a display was meant to be there: say why it is not used
            print(f"surveil: no display for the window ({problem}); running the demo in the terminal")
    if not args:
        if problem is None:
            return _window(demo=False)
        print(no_display(problem))
        return 1
    from surveil.cli.main import main as cli_main

    return cli_main([a for a in args if a != "--headless"] if args[0] == "demo" else args)


def _attach(args: list[str], problem: str | None) -> int:
    """``--attach``, ``--attach URL`` or ``--attach=URL``: the window on a running service."""
    first, rest = args[0], list(args[1:])
    if "=" in first:
        url = first.partition("=")[2] or None
    else:
        url = rest.pop(0) if rest else None
    if rest:
        print(f"surveil: --attach takes one URL at most, not {' '.join(rest)}", file=sys.stderr)
        return 2
    if problem is not None:
        print(no_display(problem))
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
