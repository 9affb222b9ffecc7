"""Screenshots of the window on the demo, as the README shows them.

Run under a virtual display (Debian's xvfb) as large as the largest size asked for:

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python packaging/screenshots.py docs/screenshots

It starts the demo engine in a fresh SURVEIL_HOME with the demo clip repeated as several cameras
(4 and 9 by default), opens the themed window with the first start's layout for each size
(1366x768 and 1920x1080), waits for the first alerts, and saves one JPEG per view and size:
``live-4cam-1366x768.jpg``, ``live-9cam-…``, and, with 4 cameras, ``incident-…``,
``timeline-…``, ``review-…`` and ``rules-…``. A window whose minimum size is larger than asked
comes out larger, and the script says so.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

SIZES = ((1366, 768), (1920, 1080))
QUALITY = {1366: 82, 1920: 72}  # JPEG by width: readable text in under about 250 KB a picture


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


def _save(widget, path: Path, width: int) -> Path:
    widget.grab().save(str(path), "JPG", QUALITY.get(width, 75))
    return path


def _views(app, window, out: Path, name: str, size: tuple[int, int], every: bool) -> list[Path]:
    """The wall, and with ``every`` the timeline, Review, Rules and an incident, at one size."""
    from PySide6.QtCore import Qt

    width, height = size
    window.setWindowState(Qt.WindowState.WindowNoState)  # a size of our own, not the virtual screen's
    window.resize(width, height)
    window.lay_out_docks(height)  # the first start's layout on a screen of that height
    window.tabs.setCurrentWidget(window.wall)
    _wait(app, 2.0)
    got, hint = window.size(), window.minimumSizeHint()
    print(f"{name} at {width}x{height}: window {got.width()}x{got.height()}, minimum {hint.width()}x{hint.height()}")
    suffix = f"{width}x{height}.jpg"
    saved = [_save(window, out / f"live-{name}-{suffix}", width)]
    if not every:
        return saved
    window.recordings.show_last(150)  # the demo has recorded a minute or two, not the default hour
    window.timeline_dock.show()  # View → Timeline where the first start hides it
    _wait(app, 2.5, lambda: window.recordings.loaded == (window.recordings.t0, window.recordings.t1))
    _wait(app, 0.5)
    saved.append(_save(window, out / f"timeline-{suffix}", width))
    window.lay_out_docks(height)
    window.tabs.setCurrentWidget(window.review)
    _wait(app, 3.0, lambda: not window.review.loading())
    window.review.table.selectRow(window.review.model.rowCount() - 1)  # the oldest: its clip is written
    window.review.table.scrollToTop()
    _wait(app, 2.0)
    saved.append(_save(window, out / f"review-{suffix}", width))
    window.tabs.setCurrentWidget(window.rules)
    _wait(app, 2.0)
    saved.append(_save(window, out / f"rules-{suffix}", width))
    window.tabs.setCurrentWidget(window.wall)
    return saved + _incident(app, window, out / f"incident-{suffix}", size)


def _incident(app, window, path: Path, size: tuple[int, int]) -> list[Path]:
    """The newest incident's window, grown with the screen from its size on a 1366x768 one."""
    from surveil.store.query import EventFilter

    rows = window.link.events(EventFilter(), limit=1)[0]
    if not rows:
        return []
    width, height = size
    view = window.open_incident(rows[0][0].event_id)
    view.resize(min(view.width() * width // 1366, width), min(view.height() * height // 768, height))
    _wait(app, 4.0)
    try:
        return [_save(view, path, width)]
    finally:
        view.close()


def shoot(out: Path, cameras: int, sizes=SIZES, wait_s: float = 120.0) -> list[Path]:
    """Open the demo window on ``cameras`` cameras and save its views at each size (all of them with 4 cameras)."""
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
    window = MainWindow(LocalLink(engine), settings)  # a fresh settings file: the first start's layout
    window.show()
    window.wall.set_layout(4 if cameras <= 4 else 9)
    _wait(app, wait_s, lambda: window.alerts.list.count() >= 10)  # Review fills a page
    saved = []
    try:
        for size in sizes:
            saved += _views(app, window, out, f"{cameras}cam", size, every=cameras <= 4)
    finally:
        window.close()
        engine.stop()
    return saved


def main(argv: list[str] | None = None) -> int:
    """Screenshots for each camera count asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?", default=Path("docs/screenshots"))
    parser.add_argument("--cameras", type=int, action="append", help="cameras on the wall (repeatable; 4 and 9)")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for cameras in args.cameras or [4, 9]:
        for path in shoot(args.out, cameras):
            print(f"{path}  {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
