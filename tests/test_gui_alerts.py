"""The alerts panel through a night: the unacknowledged count, filters, acknowledge-all, severity chips,
the operator's marks on each row, and desktop notifications from the tray."""

import threading

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtWidgets import QInputDialog, QMessageBox, QSystemTrayIcon  # noqa: E402
from test_gui_link import FakeLink, _send  # noqa: E402

from surveil.engine.alerts import EngineNotice  # noqa: E402
from surveil.store.records import EventRecord, OperatorState  # noqa: E402
from ui.alert_item import chip_rect  # noqa: E402
from ui.alerts_panel import AlertsPanel  # noqa: E402
from ui.theme import ALARM_TEXT, SEVERITIES  # noqa: E402

NOW = 1_700_000_000.0


def _alert(n: int, severity: str = "medium", camera: str = "gate") -> EventRecord:
    return EventRecord(f"e{n}", "at the gate", camera, n, "person", severity, NOW + n)


class MarkingLink:
    """Just what the panel asks of a link: stored alerts, thumbnails and marks."""

    def __init__(self, stored=()):
        self.stored, self.marks, self.threads = list(stored), [], set()

    def events(self, flt, limit=50, before=None):
        return self.stored, None

    def thumbnail(self, kind, record_id):
        return None

    def mark_event(self, event_id, verdict=None, acknowledged=None, note=None, locked=None):
        self.marks.append((event_id, verdict, acknowledged, note, locked))
        self.threads.add(threading.current_thread().name)


def _panel(qtbot, link=None) -> AlertsPanel:
    panel = AlertsPanel()
    qtbot.addWidget(panel)
    if link is not None:
        job = panel.load_stored(link)
        qtbot.waitUntil(lambda: not job.thread.is_alive(), timeout=5000)
        qtbot.wait(10)  # its done signal is queued to this thread
    return panel


def _shown(panel: AlertsPanel) -> list[str]:
    return [item.data(256) for item in panel._all() if not item.isHidden()]


def test_the_count_follows_new_and_acknowledged_alerts(qtbot):
    panel = _panel(qtbot)
    counts = []
    panel.unacknowledged.connect(counts.append)
    assert panel.header.text() == "0 unacknowledged"
    for n in range(3):
        panel.add_alert(_alert(n))
    assert panel.header.text() == "3 unacknowledged" and counts[-1] == 3
    panel.mark_done("e1", "false alarm")
    assert panel.header.text() == "2 unacknowledged" and counts[-1] == 2
    panel.mark_done("e2", "locked")  # a lock is not an acknowledgement
    assert counts[-1] == 2
    panel.add_stored([(_alert(7), OperatorState()), (_alert(1), None)])  # e1 is listed already
    assert panel.list.count() == 4 and counts[-1] == 3


def test_filters_hide_rows_and_bring_them_back(qtbot):
    panel = _panel(qtbot)
    for n, severity, camera in ((1, "low", "gate"), (2, "high", "yard"), (3, "critical", "gate"),
                                (4, "medium", "yard")):
        panel.add_alert(_alert(n, severity, camera))
    panel.mark_done("e2", "acknowledge")
    cameras = panel.filter.camera
    assert [cameras.itemText(i) for i in range(cameras.count())] == ["Any camera", "gate", "yard"]
    panel.filter.severity.setCurrentText("≥ high")
    assert _shown(panel) == ["e3", "e2"]
    assert panel.header.text() == "3 unacknowledged · 2 of 4 shown"
    panel.filter.camera.setCurrentText("gate")
    assert _shown(panel) == ["e3"]
    panel.filter.severity.setCurrentText("Any severity")
    panel.filter.camera.setCurrentText("yard")
    panel.filter.unacknowledged_only.setChecked(True)
    assert _shown(panel) == ["e4"]
    panel.add_alert(_alert(5, "critical", "yard"))  # a new alert is filtered as it comes
    panel.add_alert(_alert(6, "low", "gate"))
    assert _shown(panel) == ["e5", "e4"]
    panel.filter.camera.setCurrentText("Any camera")
    panel.filter.unacknowledged_only.setChecked(False)
    assert _shown(panel) == ["e6", "e5", "e4", "e3", "e2", "e1"], "hidden, never dropped"


def test_acknowledge_all_marks_exactly_the_shown_unacknowledged_alerts_on_a_worker(qtbot, monkeypatch):
    link = MarkingLink(stored=[(_alert(9, "high", "yard"), OperatorState())])
    panel = _panel(qtbot, link)
    for n, camera in ((1, "gate"), (2, "gate"), (3, "yard"), (4, "gate")):
        panel.add_alert(_alert(n, "medium", camera))
    panel.mark_done("e2", "acknowledge")
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text: asked.append(text)
                        or QMessageBox.StandardButton.Yes)
    panel.filter.camera.setCurrentText("gate")
    panel.acknowledge_all()
    qtbot.waitUntil(lambda: panel.message.text().startswith("acknowledged"), timeout=5000)
    assert asked == ["Acknowledge 2 alerts?"]
    assert sorted(link.marks) == [("e1", None, True, None, None), ("e4", None, True, None, None)]
    assert link.threads == {"gui-job"}, "marked off the GUI thread"
    assert panel.header.text() == "2 unacknowledged · 3 of 5 shown"  # e3 and e9 are on the yard
    assert all("✓ acknowledged" in item.text() for item in panel._items("e4"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a: QMessageBox.StandardButton.No)
    panel.filter.camera.setCurrentText("Any camera")
    assert panel.acknowledge_all() is None and len(link.marks) == 2, "a No marks nothing"


def test_a_row_shows_its_verdict_its_lock_and_its_note_together(qtbot, monkeypatch):
    link = MarkingLink()
    panel = _panel(qtbot)
    item = panel.add_alert(_alert(1))
    panel.action.connect(lambda event_id, what, text: panel.act_on(link, event_id, what, text))  # as the window
    panel.list.setCurrentItem(item)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a: ("gate was open", True))
    for what in ("false_alarm", "lock", "note"):
        panel._act(what)
        qtbot.waitUntil(lambda: panel.job.thread.ident is not None and not panel.job.thread.is_alive(), timeout=5000)
    qtbot.waitUntil(lambda: "note: gate was open" in item.text(), timeout=5000)
    assert item.text().splitlines()[-1] == "✓ false alarm · locked · note: gate was open"
    assert link.marks == [("e1", "false_alarm", True, None, None), ("e1", None, None, None, True),
                          ("e1", None, None, "gate was open", None)]
    panel.mark_done("e1", "note")  # the incident view does not tell a note's text
    assert item.text().endswith("note: gate was open · note")
    stored = OperatorState(verdict="correct", acknowledged=True, locked=True, notes=["a fox", "gone at 3"])
    panel.add_stored([(_alert(2), stored)])
    assert panel._items("e2")[0].text().endswith("✓ correct · locked · note: a fox · note: gone at 3")


def test_the_severity_chip_has_the_theme_colour(qtbot):
    panel = _panel(qtbot)
    panel.resize(460, 400)
    item = panel.add_alert(_alert(1, "critical"))
    low = panel.add_alert(_alert(2, "low"))
    panel.show()
    qtbot.waitExposed(panel)
    chip = chip_rect(panel.list.visualItemRect(item))
    image = panel.list.viewport().grab().toImage()
    colour = image.pixelColor(chip.left() + 3, chip.center().y())
    assert colour == QColor(SEVERITIES["critical"].banner)
    chip = chip_rect(panel.list.visualItemRect(low))
    assert image.pixelColor(chip.left() + 3, chip.center().y()) == QColor(SEVERITIES["low"].banner)


def test_the_tray_shows_loud_alerts_unless_muted(qtbot, tmp_path, monkeypatch):
    from ui.main_window import MainWindow

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    messages = []
    monkeypatch.setattr(QSystemTrayIcon, "showMessage", lambda self, title, text, *a: messages.append(text))
    link = FakeLink(tmp_path)
    window = MainWindow(link, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.tray is not None and not window.tray.icon().isNull()
    for n, severity in ((1, "critical"), (2, "low")):
        _send(link.notices, EngineNotice("alert_started", f"alert {n}", record=_alert(n, severity), camera_id="gate"))
    qtbot.waitUntil(lambda: len(window.alerts._items("e2")) == 1, timeout=5000)
    assert messages == ["alert 1"]
    window.alerts.mute.setChecked(True)
    _send(link.notices, EngineNotice("alert_started", "alert 3", record=_alert(3, "critical"), camera_id="gate"))
    qtbot.waitUntil(lambda: len(window.alerts._items("e3")) == 1, timeout=5000)
    assert messages == ["alert 1"]
    window.close()


def test_no_tray_breaks_nothing(qtbot, tmp_path, monkeypatch):
    from ui.main_window import MainWindow

    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: False))
    link = FakeLink(tmp_path)
    window = MainWindow(link, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.tray is None
    _send(link.notices, EngineNotice("alert_started", "alert 1", record=_alert(1, "critical"), camera_id="gate"))
    qtbot.waitUntil(lambda: len(window.alerts._items("e1")) == 1, timeout=5000)
    window.close()


def test_a_refused_mark_is_said_in_the_panel_and_changes_no_row(qtbot):
    class Refusing(MarkingLink):
        def mark_event(self, event_id, **changes):
            raise ValueError("the service is not reachable")

    panel = _panel(qtbot)
    item = panel.add_alert(_alert(1))
    panel.act_on(Refusing(), "e1", "acknowledge")
    qtbot.waitUntil(lambda: "not reachable" in panel.message.text(), timeout=5000)
    assert panel.message.text() == "could not save 1 of 1: e1: the service is not reachable"
    assert ALARM_TEXT in panel.message.styleSheet() and "✓" not in item.text()
