"""Starting the desktop application: the window on its own engine, or attached to a running service.

``run_window`` starts an engine here and stops it when the window closes; ``attach_window``
connects to a ``surveil run`` service and leaves it recording when the window closes. Either
way the window holds an ``EngineLink`` and nothing else; this is the one module of ``ui`` that
knows which kind.
"""

from __future__ import annotations

import logging
import os
import sys

from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import AppPaths
from surveil.service.link import LocalLink

logger = logging.getLogger(__name__)


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
    """Start the engine off the GUI thread (models load for seconds), then show the window until it closes.

    The engine stops when the window closes; `surveil run` is what keeps recording without a window.
    """
    from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog

    from ui.main_window import MainWindow
    from ui.worker import Job

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("surveil")
    engine = Engine(config, paths, config_path=config_path, serve=True)  # the CLI and other windows reach it
    splash = QProgressDialog("Starting cameras and loading models…", "Quit", 0, 0)
    splash.setWindowTitle("surveil")
    splash.canceled.connect(app.quit)
    windows = []

    def started(_result) -> None:
        splash.hide()
        window = MainWindow(link, settings_for(paths))
        windows.append(window)
        window.show()

    def failed(message: str) -> None:
        splash.hide()
        logger.error("engine did not start: %s", message)
        QMessageBox.critical(None, "surveil", f"The engine did not start:\n{message}")
        app.quit()

    link = LocalLink(engine)
    job = Job(lambda _job: engine.start())
    job.done.connect(started)
    job.failed.connect(failed)
    splash.show()
    job.start()
    try:
        return app.exec()
    finally:
        job.join(120)
        link.close()
        engine.stop()


def attach_window(url: str | None, paths: AppPaths) -> int:
    """Show the window on a running service (None: the one that owns this configuration's store).

    Closing the window lets go of the service, which keeps recording. When there is no service to
    attach to, one line on stderr and 1, before any window.
    """
    from surveil.config import ConfigError
    from surveil.service.client import ServiceUnavailable
    from surveil.service.remote import RemoteLink

    try:
        link = RemoteLink.connect(url, paths)
    except (ServiceUnavailable, ConfigError, ValueError) as exc:  # no service, a bad address, a bad config file
        print(f"surveil: {exc}", file=sys.stderr)
        return 1
    try:
        from PySide6.QtWidgets import QApplication

        from ui.main_window import MainWindow

        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setApplicationName("surveil")
        try:
            window = MainWindow(link, settings_for(paths), title=f"surveil — attached to {link.where}")
        except ServiceUnavailable as exc:  # it stopped while the window was reading its state
            print(f"surveil: {exc}", file=sys.stderr)
            return 1
        window.show()
        logger.info("window attached to %s", link.where)
        return app.exec()
    finally:
        link.close()
