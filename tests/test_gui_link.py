"""The window on an EngineLink that is not a LocalLink: a fake with canned data, as a service would answer.

Nothing in the window may know which link it holds; this drives every part of it (tiles, alerts,
triage, review) through a link that has no engine behind it.
"""

import threading
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from surveil.capture.cv import cv2  # noqa: E402
from surveil.config import SurveilConfig  # noqa: E402
from surveil.engine.alerts import EngineNotice  # noqa: E402
from surveil.engine.snapshot import CameraView, Snapshot  # noqa: E402
from surveil.service.link import LiveFrame  # noqa: E402
from surveil.service.queries import QueryError  # noqa: E402
from surveil.store.records import EventRecord, OperatorState  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402

HOUR = 1_700_000_000 // 3600 * 3600
RECORD = EventRecord("e1", "at the gate", "gate", 7, "person", "high", time.time() - 60, object_id="o1")


def _jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((24, 32, 3), 200, np.uint8))
    assert ok
    return data.tobytes()


class FakeLink:
    """An EngineLink with canned answers; it records what the window asked of it, and on which thread."""

    where = "http://127.0.0.1:8765"

    def __init__(self, tmp_path):
        self._config = SurveilConfig.model_validate({
            "cameras": [{"id": "gate", "source": str(tmp_path / "gate.mp4"), "name": "Gate"}],
            "storage": {"path": str(tmp_path / "store")},
            "rules": [{"name": "at the gate", "classes": ["person"]}],
        })
        self.notices, self.frames, self.marks, self.searches = [], [], [], []
        self.thumbnail_threads: list[str] = []
        self.closed = False

    @property
    def config(self):
        return self._config

    def snapshot(self):
        return Snapshot(1, self._config, cameras={"gate": CameraView("gate", "live")}, clip_reason="no CLIP here")

    def health(self):
        return {"cameras": {"gate": {"state": "live", "fps_analysed": 4.0, "dropped": 0}},
                "latency_s": {"p95": 0.2}, "retention": {}, "recording": {}, "failures": {}}

    def text_search(self):
        return False

    def listen(self, listener, listening=True):
        _follow(self.notices, listener, listening)

    def watch_frames(self, listener, watching=True, fps=None, cameras=None):
        if not (watching and listener in self.frames):  # watching again only changes what is watched
            _follow(self.frames, listener, watching)

    def mark_event(self, event_id, verdict=None, acknowledged=None, note=None, locked=None):
        self.marks.append((event_id, verdict, acknowledged, note, locked))

    def events(self, flt, limit=50, before=None):
        return [(RECORD, OperatorState())], None

    def counts_per_hour(self, flt):  # the review counts a stretch of time at a time: one stretch holds RECORD
        return {HOUR: 1} if (flt.since or 0) <= RECORD.start < (flt.until or float("inf")) else {}

    def event(self, event_id):
        return RECORD if event_id == "e1" else None

    def object(self, object_id):
        return None

    def thumbnail(self, kind, record_id):
        self.thumbnail_threads.append(threading.current_thread().name)
        return _jpeg()

    def recordings(self, camera_id, since, until):
        return []

    def search(self, flt, text=None, like_event=None, k=50):
        self.searches.append((text, like_event))
        raise QueryError(f"no stored embedding for event {like_event}")

    def close(self):
        self.closed = True


def _follow(listeners: list, listener, on: bool) -> None:
    if on:
        listeners.append(listener)
    elif listener in listeners:
        listeners.remove(listener)


def _send(listeners, item) -> None:
    """Deliver from another thread, as an engine or a service's stream thread does."""
    thread = threading.Thread(target=lambda: [listener(item) for listener in list(listeners)])
    thread.start()
    thread.join()


def test_the_window_works_the_same_on_a_link_that_is_not_local(qtbot, tmp_path):
    link = FakeLink(tmp_path)
    window = MainWindow(link, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    tile = window.wall.tiles["gate"]
    assert tile.title == "Gate" and tile.state == "live"
    image = np.zeros((120, 160, 3), np.uint8)
    _send(link.frames, LiveFrame("gate", image, np.array([[10, 10, 40, 60]], np.float32), ("person",), (7,), True))
    qtbot.waitUntil(lambda: tile.view is not None, timeout=5000)
    assert tile.view.labels == ("person",) and tile.view.track_ids == (7,)
    _send(link.notices, EngineNotice("alert_started", "at the gate on gate", record=RECORD, camera_id="gate"))
    # Listed once, whether the stored (unacknowledged) alerts were read before the live one came or after.
    qtbot.waitUntil(lambda: window.alerts.list.count() == 1 and tile.alert != "", timeout=5000)
    item = window.alerts.list.item(0)
    assert "at the gate: person #7" in item.text() and tile.alert.startswith("at the gate")
    qtbot.waitUntil(lambda: not item.icon().isNull(), timeout=5000)
    assert "MainThread" not in link.thumbnail_threads, "thumbnails are read off the GUI thread"
    window.alerts.list.setCurrentItem(item)
    lock = next(a for a in window.alerts.list.actions() if a.text().startswith("Lock"))
    lock.trigger()
    qtbot.waitUntil(lambda: item.text().endswith("\nlocked"), timeout=5000)  # stored on a worker; not acknowledged
    assert link.marks == [("e1", None, None, None, True)]
    qtbot.waitUntil(lambda: "1/1 cameras live" in window.health_label.text(), timeout=5000)

    window.tabs.setCurrentWidget(window.review)
    review = window.review
    qtbot.waitUntil(lambda: review.model.rowCount() == 1 and not review.loading(), timeout=5000)  # read on workers
    assert review.timeline.counts == {HOUR: 1} and review.model.record(0).event_id == "e1"
    review.table.selectRow(0)
    review.find_similar()
    qtbot.waitUntil(lambda: "search failed: no stored embedding for event e1" in review.status.text(), timeout=5000)
    assert link.searches == [(None, "e1")]
    window.close()
    assert not link.notices and not link.frames, "the window let go of the link"


def test_attaching_shows_the_window_on_the_service_and_closing_only_lets_go(qtbot, tmp_path, monkeypatch):
    from surveil.paths import app_paths
    from surveil.service.remote import RemoteLink
    from ui.app import attach_window

    link = FakeLink(tmp_path)
    asked = []
    monkeypatch.setattr(RemoteLink, "connect", classmethod(lambda cls, url, paths: asked.append(url) or link))
    seen = []

    def look_and_close(app) -> int:  # in place of app.exec(), whose end would stop Qt for the later tests
        window = next(w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
        seen.append((window.windowTitle(), sorted(window.wall.tiles)))
        window.close()
        return 0

    monkeypatch.setattr(QApplication, "exec", look_and_close)
    assert attach_window("http://127.0.0.1:8765", app_paths().ensure()) == 0
    assert asked == ["http://127.0.0.1:8765"]
    assert seen == [("surveil — attached to http://127.0.0.1:8765", ["gate"])]
    assert link.closed and not link.notices and not link.frames


def test_the_bridge_passes_at_most_its_rate_of_frames_per_camera(qtbot, tmp_path):
    from ui.bridge import EngineBridge

    link = FakeLink(tmp_path)
    bridge = EngineBridge(link, max_fps=2.0)
    shown = []
    bridge.frame.connect(lambda frame: shown.append(frame.camera_id))
    image, none = np.zeros((12, 16, 3), np.uint8), np.zeros((0, 4), np.float32)
    for camera_id in ("gate", "gate", "yard", "gate", "yard"):  # within half a second
        _send(link.frames, LiveFrame(camera_id, image, none, (), (), False))
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=2000)
    qtbot.wait(50)
    assert sorted(shown) == ["gate", "yard"]
    bridge.detach()
    bridge.detach()  # idempotent
    assert not link.notices and not link.frames
