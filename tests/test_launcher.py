"""The `surveil` command: the window where there is a display, the headless CLI otherwise."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ui.launcher import main


@pytest.fixture
def no_display(monkeypatch):
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "linux")


def test_without_a_display_no_arguments_says_so(no_display, capsys):
    assert main([]) == 1
    assert "no display for the window" in capsys.readouterr().out


def test_other_commands_go_to_the_core_cli(no_display, capsys):
    assert main(["config", "paths"]) == 0
    assert "config_file" in capsys.readouterr().out


def test_the_demo_without_a_display_runs_in_the_terminal(no_display, capsys):
    assert main(["demo", "--seconds", "2"]) == 0
    out = capsys.readouterr().out
    assert "surveil demo: data in" in out and "surveil demo: stopped" in out


def test_attach_without_a_display_says_so(no_display, capsys):
    assert main(["--attach"]) == 1
    assert main(["--attach", "http://127.0.0.1:8765"]) == 1
    assert capsys.readouterr().out.count("no display for the window") == 2


def test_attach_takes_an_optional_url(monkeypatch, capsys):
    import surveil.logs
    import ui.app

    monkeypatch.setattr(ui.app, "display_problem", lambda: None)
    monkeypatch.setattr(surveil.logs, "setup_logging", lambda *a, **k: None)
    asked = []
    monkeypatch.setattr(ui.app, "attach_window", lambda url, paths: asked.append(url) or 0)
    assert main(["--attach"]) == 0
    assert main(["--attach", "http://127.0.0.1:8765"]) == 0
    assert main(["--attach=http://127.0.0.1:9"]) == 0
    assert asked == [None, "http://127.0.0.1:8765", "http://127.0.0.1:9"]
    assert main(["--attach", "http://a", "http://b"]) == 2
    assert "one URL at most" in capsys.readouterr().err


def test_attaching_with_no_service_is_one_line_and_no_window(capsys):
    from surveil.paths import app_paths
    from ui.app import attach_window

    paths = app_paths().ensure()
    assert attach_window(None, paths) == 1
    assert attach_window("http://127.0.0.1:9", paths) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("surveil: ") for line in err), err
    assert "Traceback" not in "\n".join(err)
    assert "PySide6.QtWidgets" not in sys.modules or not _visible_windows()


def _visible_windows() -> list:
    from PySide6.QtWidgets import QApplication

    return [w for w in QApplication.topLevelWidgets() if w.isVisible()] if QApplication.instance() else []


def _dead_display() -> str:
    """A display number no X server listens on here."""
    number = next(n for n in range(99, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    return f":{number}"


def test_a_dead_display_is_one_line_not_an_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = _dead_display()
    done = subprocess.run([sys.executable, "-m", "ui.launcher"], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 1, done
    assert len(lines) == 1 and lines[0].startswith("surveil: no display for the window ("), lines
    assert env["DISPLAY"] in lines[0] or "xcb libraries are missing" in lines[0]


def test_missing_xcb_libraries_are_named_as_debian_packages(monkeypatch, capsys):
    import ui.app

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(ui.app, "missing_xcb_packages", lambda: ["libxcb-icccm4", "libxcb-keysyms1"])
    assert main([]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == ["surveil: no display for the window (Qt's xcb libraries are missing: sudo apt-get install "
                   "libxcb-icccm4 libxcb-keysyms1); see `surveil --help` for the headless commands"]
    assert set(ui.app.XCB_LIBRARIES.values()) >= {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1"}


def test_an_explicit_qt_platform_is_taken_at_its_word(monkeypatch):
    from ui.app import UNSET, display_problem

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert display_problem() is None
    for name in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)
    assert display_problem() == UNSET


CTRL_C = """
import os, signal, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget
from ui.app import quit_on_ctrl_c

class Window(QWidget):
    def closeEvent(self, event):
        print("closed", flush=True)
        super().closeEvent(event)

app = QApplication(sys.argv[:1])
window = Window()
window.show()
restore = quit_on_ctrl_c(app)
QTimer.singleShot(300, lambda: os.kill(os.getpid(), signal.SIGINT))
QTimer.singleShot(10000, lambda: (print("still running"), app.exit(3)))
code = app.exec()
restore()
print("exit", code, flush=True)
"""


def test_ctrl_c_closes_the_window_and_ends_the_loop():
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", CTRL_C], env=env, capture_output=True, text=True, timeout=60,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.stdout.split() == ["closed", "exit", "0"], done
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr
