"""Screenshots of the main views on the demo, for anyone to see what the operator sees.

Run under a virtual display (Debian's xvfb):

    xvfb-run -a -s "-screen 0 1600x900x24" .venv/bin/python packaging/screenshots.py OUT_FOLDER

It starts the demo engine in a fresh SURVEIL_HOME, opens the window, waits for the first
alert, and saves one PNG per view.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path, wait_s: float = 40.0) -> int:
    """Open the demo window, wait for an alert, save the views."""
    os.environ.setdefault("SURVEIL_HOME", tempfile.mkdtemp(prefix="surveil-shots-"))
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from surveil.demo import prepare_demo
    from surveil.engine.engine import Engine
    from surveil.paths import app_paths
    from surveil.service.link import LocalLink
    from ui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    paths = app_paths().ensure()
    engine = Engine(prepare_demo(paths)[0], paths)
    engine.start()
    window = MainWindow(LocalLink(engine), QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat))
    window.resize(1500, 850)
    window.show()
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and window.alerts.list.count() < 2:
        app.processEvents()
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.05)
    out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out / "live.png"))
    window.alerts.grab().save(str(out / "alerts.png"))
    for name, tab in (("rules", window.rules), ("review", window.review)):
        window.tabs.setCurrentWidget(tab)
        if tab is window.review:
            window.review.grid.setCurrentRow(0)
        for _ in range(30):
            app.processEvents()
            time.sleep(0.05)
        window.grab().save(str(out / f"{name}.png"))
    window.close()
    engine.stop()
    print("\n".join(str(p) for p in sorted(out.glob("*.png"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots")))
