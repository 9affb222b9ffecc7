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
