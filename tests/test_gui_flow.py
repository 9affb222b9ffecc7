"""The operator's path end to end, on a real engine watching a synthetic camera.

An alert reaches the alerts dock; a double-click opens its recording where it happened; the
scrub bar seeks; triage from the incident view is stored; the incident's export verifies. And a
range marked on the recordings timeline exports that camera's recording.
"""

import json
import zipfile

import pytest

pytest.importorskip("PySide6")

from capture_helpers import wait_for  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox  # noqa: E402

from surveil.media.export import verify_export  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from surveil.store.query import EventFilter  # noqa: E402
from ui.clip_player import wall_text  # noqa: E402
from ui.incident_view import LEAD_S, IncidentView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

FPS = 20
FRAME_S = 1.0 / FPS
WAIT_MS = 30000  # the engine must first record, detect and index


@pytest.fixture
def engine(tmp_path):
    """A running engine on one looping synthetic camera (as ``fake_engine``) cutting 2 s segments."""
    from test_engine import _config
    from test_vision_synthetic import PatchDetector
    from videos import write_video

    from surveil.engine.engine import Engine
    from surveil.paths import app_paths

    clip = write_video(tmp_path / "cam.avi", count=140, fps=FPS, size=(160, 120), step=1)
    config = _config(tmp_path, [{"id": "cam", "source": str(clip), "loop": True, "name": "Walkway"}])
    config.recording.segment_s = 2.0
    running = Engine(config, app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP")
    running.start()
    yield running
    running.stop()


@pytest.fixture
def answers(monkeypatch, tmp_path):
    """Yes to every question, and ``tmp_path/evidence.zip`` to the save dialog; the questions asked."""
    asked = []

    def question(parent, title, text, *args):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(tmp_path / "evidence.zip"), "Zip (*.zip)"))
    return asked


def _window(qtbot, engine, tmp_path) -> MainWindow:
    window = MainWindow(LocalLink(engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def _recorded(link, camera_id: str, start: float, end: float) -> bool:
    spans = [r for r in link.recordings(camera_id, start, end) if r.kind == "segment"]
    # A frame's slack either side: a segment ends a frame period before the next one starts.
    return bool(spans) and min(r.start for r in spans) <= start + FRAME_S and max(r.end for r in spans) >= end - FRAME_S


def test_an_alert_leads_to_its_recording_triage_and_a_verified_export(qtbot, engine, answers, tmp_path):
    window = _window(qtbot, engine, tmp_path)
    link, alerts = window.link, window.alerts.list
    found = []  # an alert (in the dock) whose recording is indexed from the lead-in to inside the event

    def playable() -> bool:
        for row in range(alerts.count()):
            event = link.event(alerts.item(row).data(Qt.ItemDataRole.UserRole))
            if event is not None and _recorded(link, "cam", event.start - LEAD_S, event.start + 1):
                found[:] = [row, event]
                return True
        return False

    qtbot.waitUntil(playable, timeout=WAIT_MS)
    row, event = found
    event_id, inside = event.event_id, event.start + 0.5
    assert event.camera_id == "cam"

    where = alerts.visualItemRect(alerts.item(row)).center()
    qtbot.mouseClick(alerts.viewport(), Qt.MouseButton.LeftButton, pos=where)  # a double-click's first press
    qtbot.mouseDClick(alerts.viewport(), Qt.MouseButton.LeftButton, pos=where)
    view = next(v for v in window.findChildren(IncidentView) if v.event_id == event_id)
    player = view.player
    qtbot.waitUntil(lambda: player.shown is not None, timeout=WAIT_MS)
    assert view.incident.camera_id == "cam" and view.strip.marked == event_id
    assert abs(player.shown.wall - view.incident.at) <= 2 * FRAME_S, "opened just before the event"

    strip = view.strip  # scrub into the event: the frame shown is the one recorded then
    x = round(strip.x_of(inside))
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
    target = strip.time_at(x)
    assert event.start <= target <= event.start + 1
    qtbot.waitUntil(lambda: abs(player.shown.wall - target) <= 2 * FRAME_S, timeout=WAIT_MS)
    assert player.time_text == wall_text(player.shown.wall, link.config.zone()), "the wall time over the picture"

    qtbot.waitUntil(lambda: view.buttons["acknowledge"].isEnabled(), timeout=WAIT_MS)
    qtbot.mouseClick(view.buttons["acknowledge"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.buttons["lock"], Qt.MouseButton.LeftButton)
    rows = link.events(EventFilter(since=event.start - 1, until=event.start + 1, cameras=["cam"]), limit=50)[0]
    state = next(s for r, s in rows if r.event_id == event_id)
    assert state.acknowledged and state.locked

    with qtbot.waitSignal(view.exported, timeout=WAIT_MS) as done:
        qtbot.mouseClick(view.buttons["export"], Qt.MouseButton.LeftButton)
    assert answers == [answers[0]] and answers[0].startswith("Export 1 incident")
    result = done.args[0]
    assert result is not None and result.events == [event_id]
    assert verify_export(result.path).ok
    view.export_run.result_box.close()
    window.close()


def test_a_range_marked_on_the_timeline_exports_that_cameras_recording(qtbot, engine, answers, tmp_path):
    window = _window(qtbot, engine, tmp_path)
    link = window.link
    wait_for(lambda: any(r.kind == "segment" for r in link.recordings("cam", 0, 2e9)), 30, "a recorded segment")
    first = min(r.start for r in link.recordings("cam", 0, 2e9) if r.kind == "segment")
    wait_for(lambda: _recorded(link, "cam", first, first + 4), 30, "four seconds of recording")
    window.timeline_dock.show()  # a first start on a small screen hides it
    timeline = window.recordings
    timeline.set_range(first - 20, first + 40)
    qtbot.waitUntil(lambda: timeline.loaded == (timeline.t0, timeline.t1) and "cam" in timeline.strips,
                    timeout=WAIT_MS)
    strip = timeline.strips["cam"]
    strip.show()
    qtbot.waitUntil(lambda: strip.width() > 200, timeout=5000)
    left, right = (QPoint(round(strip.x_of(first + t)), strip.height() // 2) for t in (0.5, 3.5))
    shift = Qt.KeyboardModifier.ShiftModifier
    qtbot.mousePress(strip, Qt.MouseButton.LeftButton, shift, left)
    qtbot.mouseMove(strip, right)
    qtbot.mouseRelease(strip, Qt.MouseButton.LeftButton, shift, right)
    assert timeline.selection is not None and timeline.selection[0] == "cam"
    _, start, end = timeline.selection
    assert start == pytest.approx(first + 0.5, abs=1) and end == pytest.approx(first + 3.5, abs=1)
    assert timeline.export_button.isEnabled() and not window.findChildren(IncidentView), "a mark opens nothing"
    strip.customContextMenuRequested.emit(right)  # a right-click offers the same export
    menu = strip.findChild(QMenu)
    assert [(a.text(), a.isEnabled()) for a in menu.actions()] == [("Export this range…", True)]
    menu.close()

    with qtbot.waitSignal(timeline.exported, timeout=WAIT_MS) as done:
        qtbot.mouseClick(timeline.export_button, Qt.MouseButton.LeftButton)
    assert answers[0].startswith("Export Walkway from ") and "(the recording and " in answers[0]
    result = done.args[0]
    assert result is not None and verify_export(result.path).ok
    with zipfile.ZipFile(result.path) as package:
        manifest = json.loads(package.read("manifest.json"))
    assert [r["camera"] for r in manifest["ranges"]] == ["cam"]
    assert any(name.startswith("recordings/cam_") and name.endswith(".mp4") for name in manifest["files"])
    exported = [link.event(event_id) for event_id in result.events]
    assert all(e.start <= end and (e.end or e.start) >= start for e in exported), "the range's events, no others"
    stored = link.events(EventFilter(cameras=["cam"]), limit=1000)[0]
    outside = [r for r, _ in stored if r.start > end or (r.end or r.start) < start]
    assert not {r.event_id for r in outside} & set(result.events)
    timeline.export_run.result_box.close()
    window.close()


def test_a_remote_link_sends_the_ranges_to_the_services_export(tmp_path):
    from surveil.service.remote import RemoteLink

    sent = []

    class Client:  # what RemoteLink asks of its ApiClient
        def post(self, path, body, **kw):
            sent.append((path, body))
            return {"path": body["out"], "events": body["events"], "files": 3, "manifest_sha256": "ab", "warnings": []}

    remote = RemoteLink.__new__(RemoteLink)
    remote.client = Client()
    done = remote.export(tmp_path / "e.zip", ["e1"], ranges=[("cam", 10.0, 20.0)])
    assert sent == [("/api/exports", {"out": str((tmp_path / "e.zip").resolve()), "events": ["e1"],
                                      "ranges": [{"camera_id": "cam", "start": 10.0, "end": 20.0}]})]
    assert done.events == ["e1"] and done.files == 3
