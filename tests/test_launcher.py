"""The `surveil` command: the window where there is a display, the headless CLI otherwise."""

import sys

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

    monkeypatch.setattr(ui.app, "has_display", lambda: True)
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
