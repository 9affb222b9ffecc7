"""A failing engine part or rule shows in the window's status bar, in red, with the reason in the tooltip."""

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402

from surveil.service.link import LocalLink  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.theme import ALARM_TEXT  # noqa: E402


def test_a_failing_part_and_its_notice_show_in_the_status_bar(qtbot, fake_engine, tmp_path):
    window = MainWindow(LocalLink(fake_engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.status.failures_label.text() == ""
    fake_engine.watch.failed("recorder", RuntimeError("disk on fire"))
    qtbot.waitUntil(lambda: window.status.failures_label.text() == "1 failure in recorder", timeout=5000)
    assert "recorder: 1× — RuntimeError: disk on fire" in window.status.failures_label.toolTip()
    assert ALARM_TEXT in window.status.failures_label.styleSheet()
    qtbot.waitUntil(lambda: "recorder failed: RuntimeError: disk on fire" in window.statusBar().currentMessage(),
                    timeout=5000)
    window.close()
