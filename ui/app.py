"""Starting the desktop application: the window on its own engine, or attached to a running service.

``run_window`` starts an engine here and stops it when the window closes; ``attach_window``
connects to a ``surveil run`` service and leaves it recording when the window closes. Either
way the window holds an ``EngineLink`` and nothing else; this is the one module of ``ui`` that
knows which kind.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys

from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import AppPaths
from surveil.service.link import LocalLink

logger = logging.getLogger(__name__)

# What Qt 6's xcb platform plugin links (ldd of libqxcb.so and libQt6XcbQpa.so.6), with the Debian 12
# package of each. Without one of them Qt aborts with a message about xcb-cursor0 whatever is missing.
XCB_LIBRARIES = {
    "libxcb.so.1": "libxcb1", "libX11-xcb.so.1": "libx11-xcb1", "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render.so.0": "libxcb-render0", "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-util.so.1": "libxcb-util1", "libxcb-xfixes.so.0": "libxcb-xfixes0", "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxkbcommon.so.0": "libxkbcommon0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libfontconfig.so.1": "libfontconfig1",
    "libglib-2.0.so.0": "libglib2.0-0", "libdbus-1.so.3": "libdbus-1-3",
}
PROBE = "import sys; from PySide6.QtGui import QGuiApplication; QGuiApplication(sys.argv[:1])"
PROBE_TIMEOUT_S = 10.0
UNSET = "DISPLAY is not set"


def display_problem() -> str | None:
    """Why no window can be shown here, in a few words; None when one can.

    A Qt platform chosen explicitly (offscreen, vnc...) is taken at its word. Otherwise the xcb
    libraries are looked for, and then a throwaway process opens the display: Qt aborts the
    process that fails to, so this one must not be the first to try.
    """
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if sys.platform in ("win32", "darwin") or (platform and not platform.startswith(("xcb", "wayland"))):
        return None
    display, wayland = os.environ.get("DISPLAY", ""), os.environ.get("WAYLAND_DISPLAY", "")
    if not (display or wayland):
        return UNSET
    if platform.startswith("xcb") or not wayland:
        missing = missing_xcb_packages()
        if missing:
            return f"Qt's xcb libraries are missing: sudo apt-get install {' '.join(missing)}"
    return _probe(display or wayland)


def missing_xcb_packages() -> list[str]:
    """The Debian packages of the xcb libraries that cannot be loaded here."""
    missing = set()
    for soname, package in XCB_LIBRARIES.items():
        try:
            ctypes.CDLL(soname)
        except OSError:
            missing.add(package)
    return sorted(missing)


def _probe(display: str) -> str | None:
    try:
        done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return f"the display {display} did not answer within {PROBE_TIMEOUT_S:.0f} s"
    if done.returncode == 0:
        return None
    if "could not connect to display" in done.stderr:
        return f"no X server answers on DISPLAY={display}"
    lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return f"Qt could not open the display {display}: {lines[0] if lines else f'exit status {done.returncode}'}"


def quit_on_ctrl_c(app):
    """Ctrl-C in the terminal (or SIGTERM) closes the windows (they save and let go) and ends the event loop.

    Python runs signal handlers only between bytecodes, never while Qt's loop waits in C++: a
    timer wakes it every 200 ms. Returns a function that puts the previous handler back.
    """
    from PySide6.QtCore import QTimer

    def stop(signum, _frame) -> None:
        logger.info("%s: closing the window", signal.Signals(signum).name)
        for window in app.topLevelWidgets():
            window.close()
        app.quit()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    waker = QTimer(app, interval=200, timeout=lambda: None)
    waker.start()

    def restore() -> None:
        waker.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return restore


def settings_for(paths: AppPaths):
    """Window layout kept in the config folder (so SURVEIL_HOME moves it too)."""
    from PySide6.QtCore import QSettings

    return QSettings(str(paths.config_dir / "window.ini"), QSettings.Format.IniFormat)


def run_window(config: SurveilConfig, paths: AppPaths, config_path=None) -> int:
    """Start the engine off the GUI thread (models load for seconds), then show the window until it closes.

    The engine stops when the window closes; `surveil run` is what keeps recording without a window.
    """
    from PySide6.QtWidgets import QMessageBox, QProgressDialog

    from ui.main_window import MainWindow
    from ui.worker import Job

    app = _application()
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
    restore = quit_on_ctrl_c(app)
    try:
        return app.exec()
    finally:
        restore()
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
        from ui.main_window import MainWindow

        app = _application()
        try:
            window = MainWindow(link, settings_for(paths), title=f"surveil — attached to {link.where}")
        except ServiceUnavailable as exc:  # it stopped while the window was reading its state
            print(f"surveil: {exc}", file=sys.stderr)
            return 1
        window.show()
        logger.info("window attached to %s", link.where)
        restore = quit_on_ctrl_c(app)
        try:
            return app.exec()
        finally:
            restore()
    finally:
        link.close()


def _application():
    """The QApplication, named and themed."""
    from PySide6.QtWidgets import QApplication

    from ui import theme

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("surveil")
    app.setDesktopFileName("surveil")
    theme.apply(app)
    return app
