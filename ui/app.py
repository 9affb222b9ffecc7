"""Starting the desktop application: the engine, the window, and a clean stop when it closes."""

from __future__ import annotations

import logging
import os
import sys

from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import AppPaths


def has_display() -> bool:
    """Whether a window can be shown (a display, or a Qt platform chosen explicitly)."""
    if os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def settings_for(paths: AppPaths):
    """Window layout kept in the config folder (so SURVEIL_HOME moves it too)."""
    from PySide6.QtCore import QSettings

    return QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)


def run_window(config: SurveilConfig, paths: AppPaths, config_path=None) -> int:
    """Start the engine off the GUI thread (models load for seconds), then show the window until it closes."""
    from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

    from ui.main_window import MainWindow
    from ui.worker import Job

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("surveil")
    engine = Engine(config, paths, config_path=config_path)
    splash = QProgressDialog("Starting cameras and loading models…", "Quit", 0, 0)
    splash.setWindowTitle("surveil")
    splash.canceled.connect(app.quit)
    windows = []

    def started(_result) -> None:
        splash.hide()
        window = MainWindow(engine, settings_for(paths))
        windows.append(window)
        window.show()

    def failed(message: str) -> None:
        splash.hide()
        logging.getLogger(__name__).error("engine did not start: %s", message)
        QMessageBox.critical(None, "surveil", f"The engine did not start:\n{message}")
        app.quit()

    job = Job(lambda _job: engine.start())
    job.done.connect(started)
    job.failed.connect(failed)
    splash.show()
    job.start()
    try:
        return app.exec()
    finally:
        job.join(120)
        engine.stop()
