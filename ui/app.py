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
    """Start the engine, show the window until it closes, stop the engine."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("surveil")
    engine = Engine(config, paths)
    try:
        engine.start()
    except Exception as exc:
        logging.getLogger(__name__).exception("engine did not start")
        QMessageBox.critical(None, "surveil", f"The engine did not start:\n{exc}")
        return 1
    window = MainWindow(engine, settings_for(paths), config_path)
    window.show()
    try:
        return app.exec()
    finally:
        engine.stop()
