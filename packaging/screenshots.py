"""Screenshots of the main views on the demo, for anyone to see what the operator sees.

Run under a virtual display (Debian's xvfb) as large as the largest size asked for:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python packaging/screenshots.py OUT_FOLDER

It starts the demo engine in a fresh SURVEIL_HOME with the demo clip repeated as several cameras
(4 and 9 by default), opens the themed window at 1366x768 and 1920x1080, waits for the first
alerts, and saves one PNG per view and size: ``live-4cam-1366x768.png``, ``rules-…``, ``review-…``.
The window is resized to each size; a window whose minimum size is larger comes out larger, and
the script says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((1366, 768), (1920, 1080))


def _wait(app, seconds: float, until=lambda: False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        app.processEvents()
        time.sleep(0.05)


def _config(paths, cameras: int):
    """The demo's configuration with its camera repeated ``cameras`` times."""
    from surveil.demo import prepare_demo

    config = prepare_demo(paths)[0]
    first = config.cameras[0]
    copies = [first.model_copy(update={"id": f"walkway{n}", "name": f"Walkway {n} (demo)"})
              for n in range(2, cameras + 1)]
    return config.model_copy(update={"cameras": [first, *copies]})


def shoot(out: Path, cameras: int, sizes=SIZES, wait_s: float = 60.0) -> list[Path]:
    """Open the demo window on ``cameras`` cameras and save each view at each size."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from surveil.engine.engine import Engine
    from surveil.paths import app_paths
    from surveil.service.link import LocalLink
    from ui import theme
    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    theme.apply(app)
    os.environ["SURVEIL_HOME"] = tempfile.mkdtemp(prefix=f"surveil-shots-{cameras}-")  # a demo of its own
    paths = app_paths().ensure()
    engine = Engine(_config(paths, cameras), paths)
    engine.start()
    settings = QSettings(str(paths.config_dir / f"window-{cameras}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(LocalLink(engine), settings)
    window.wall.set_layout(4 if cameras <= 4 else 9)
    window.show()
    _wait(app, wait_s, lambda: window.alerts.list.count() >= 2)
    saved = []
    try:
        for width, height in sizes:
            window.resize(width, height)
            window.tabs.setCurrentWidget(window.wall)
            _wait(app, 1.5)
            got = window.size()
            hint = window.minimumSizeHint()
            print(f"{cameras} cameras at {width}x{height}: window {got.width()}x{got.height()}, "
                  f"minimum {hint.width()}x{hint.height()}")
            views = [("live", window.wall)] + ([("rules", window.rules), ("review", window.review)]
                                               if (width, height) == sizes[0] else [])
            for name, tab in views:
                window.tabs.setCurrentWidget(tab)
                if tab is window.review and hasattr(window.review, "table"):
                    window.review.table.selectRow(0)
                _wait(app, 1.5)
                path = out / f"{name}-{cameras}cam-{width}x{height}.png"
                window.grab().save(str(path))
                saved.append(path)
    finally:
        window.close()
        engine.stop()
    return saved


def main(argv: list[str] | None = None) -> int:
    """Screenshots for each camera count asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("screenshots"))
    parser.add_argument("--cameras", type=int, action="append", help="cameras on the wall (repeatable; 4 and 9)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for cameras in args.cameras or [4, 9]:
        for path in shoot(args.out, cameras):
            print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
