"""The status bar says when analysis is overloaded, in words and in the alarm colour, and stops saying it."""

import pytest

pytest.importorskip("pytestqt")


def _health(overloaded: bool) -> dict:
    camera = {"state": "live", "fps_analysed": 5.0, "dropped": 40}
    return {"cameras": {f"cam{i}": camera for i in range(16)}, "latency_s": {"p95": 0.33},
            "analysis": {"overloaded": overloaded, "drop_share": 0.12 if overloaded else 0.0, "since": None}}


def test_the_status_bar_shows_overload_and_its_end(qtbot):
    from PySide6.QtWidgets import QStatusBar

    from ui.status_line import StatusLine

    bar = QStatusBar()
    qtbot.addWidget(bar)
    line = StatusLine(bar)
    line.show(_health(True))
    text = line.health_label.text()
    assert text.startswith("OVERLOADED (12% of frames due dropped)") and "16/16 cameras live" in text
    assert "color" in line.health_label.styleSheet() and "lower analysis_fps" in line.health_label.toolTip()
    line.show(_health(False))
    assert "OVERLOADED" not in line.health_label.text() and line.health_label.styleSheet() == ""
    assert line.health_label.text().startswith("16/16 cameras live, 80.0 fps analysed, 640 dropped")
