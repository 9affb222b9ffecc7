"""From an alert to its evidence: the incident view on the camera's recording, its controls and triage,
and the alerts that are still unacknowledged when the window opens again.

The window runs on a LocalLink over a real store (no camera running) holding recorder-written
segments of numbered frames (see test_playback), so each check reads which frame is on screen.
"""

import threading
from dataclasses import replace

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtGui import QColor  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QPushButton  # noqa: E402
from store_factory import event  # noqa: E402
from test_playback import BASE, PERIOD, StoreEngine, number_of, record_camera, shows, wall_of  # noqa: E402

from surveil.capture.cv import cv2  # noqa: E402
from surveil.engine.alerts import EngineNotice  # noqa: E402
from surveil.media.cut import cut_clip  # noqa: E402
from surveil.media.index import refs  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from surveil.store.records import ObjectRecord, object_id_for  # noqa: E402
from surveil.store.store import EventStore, Put  # noqa: E402
from ui import incident_reader  # noqa: E402
from ui.incident_view import LEAD_S, IncidentView  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.recording_timeline import RecordingTimeline  # noqa: E402
from ui.theme import SEVERITIES  # noqa: E402

BOX = [40.0, 30.0, 80.0, 90.0]


def _jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((24, 32, 3), 200, np.uint8))
    return data.tobytes()


def _site(folder) -> dict:
    """A store with the camera's recording and four events; the earliest already acknowledged."""
    person = ObjectRecord(object_id_for("cam", 7, BASE + 5), "cam", 7, "person", BASE + 5, BASE + 9,
                          boxes=[[BASE + 5 + k * 0.2, *BOX] for k in range(21)])
    events = {"old": event(1, camera="cam", severity="low", start=BASE + 1, end=BASE + 2),
              "climb": event(2, camera="cam", severity="high", start=BASE + 5, end=BASE + 9,
                             object_id=person.object_id),
              "later": event(3, camera="cam", severity="medium", start=BASE + 15.5, end=BASE + 17)}
    recorded = record_camera(folder / "recordings")
    # Another camera whose recording is gone (retention) while its event's clip is kept.
    clip = cut_clip(refs(recorded), BASE + 2, BASE + 6, folder / "clips" / "yard.mp4")
    events["yard"] = event(4, camera="yard", severity="critical", start=BASE + 4, end=BASE + 5,
                           clip_path=str(clip.path), clip_start=clip.start_wall, clip_state="written")
    with EventStore(folder / "store") as store:
        store.put([Put(r) for r in recorded] + [Put(person)])
        store.put([Put(e, _jpeg()) for e in events.values()])
        for name in ("old", "yard"):
            StoreEngine(store).mark_event(events[name].event_id, acknowledged=True)
    return events


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("site")
    return folder, _site(folder)


def _window(qtbot, store, tmp_path) -> MainWindow:
    engine = StoreEngine(store)
    window = MainWindow(LocalLink(engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    return window


def _ids(window) -> list[str]:
    alerts = window.alerts.list
    return [alerts.item(i).data(Qt.ItemDataRole.UserRole) for i in range(alerts.count())]


def _button(view, text: str) -> QPushButton:
    return next(b for b in view.findChildren(QPushButton) if b.text() == text)


def test_an_alert_opens_its_recording_where_it_happened_and_the_player_scrubs_steps_and_triages(
        qtbot, site, tmp_path):
    folder, events = site
    climb, later = events["climb"], events["later"]
    with EventStore(folder / "store") as store:
        window = _window(qtbot, store, tmp_path)
        qtbot.waitUntil(lambda: _ids(window) == [later.event_id, climb.event_id], timeout=5000)
        notice = EngineNotice("alert_started", "climb on cam", record=climb, camera_id="cam")
        engine_listeners = window.link.engine.listeners
        sender = threading.Thread(target=lambda: [listener(notice) for listener in list(engine_listeners)])
        sender.start()
        sender.join()
        qtbot.waitUntil(lambda: _ids(window) == [climb.event_id, later.event_id], timeout=5000)  # on top, once

        alerts = window.alerts.list
        where = alerts.visualItemRect(alerts.item(0)).center()
        qtbot.mouseClick(alerts.viewport(), Qt.MouseButton.LeftButton, pos=where)  # a double-click's first press
        qtbot.mouseDClick(alerts.viewport(), Qt.MouseButton.LeftButton, pos=where)
        view = next(v for v in window.findChildren(IncidentView) if v.event_id == climb.event_id)
        player = view.player
        qtbot.waitUntil(lambda: player.shown is not None, timeout=5000)
        assert view.incident.camera_id == "cam" and view.strip.marked == climb.event_id
        assert shows(player.shown, round((climb.start - LEAD_S - BASE) * 10)), "a little before the event"
        assert {e.event_id for e in view.strip.events} == {events[n].event_id for n in ("old", "climb", "later")}
        assert player.time_text.endswith(":42.0"), "the wall-clock time over the picture (BASE is at :40)"
        assert "climber" in view.summary.text() and "high" in view.summary.text()

        strip = view.strip  # scrub: the frame shown is the one at the time under the click
        x = round(strip.x_of(BASE + 16.03))
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
        target = strip.time_at(x)
        qtbot.waitUntil(lambda: abs(player.shown.wall - target) <= PERIOD, timeout=5000)
        assert number_of(player.shown.image) == int((target - BASE) * 10 + 1e-6) and player.box is None

        player.seek(wall_of(60))  # within the event: its tracked box is drawn
        qtbot.waitUntil(lambda: shows(player.shown, 60), timeout=5000)
        assert player.box == BOX and player.label == "person"
        picture = player.grab().toImage()  # its label on a chip filled with the severity's colour, as on the tiles
        assert player.chip is not None and player.chip_text() == "person #2"
        inside = player.chip.topLeft().toPoint() + QPoint(1, 1)
        assert picture.pixelColor(inside) == QColor(SEVERITIES["high"].banner)
        for text, frame in (("|▶", 61), ("◀|", 60), ("◀|", 59), ("+10 s", 159), ("−10 s", 59)):
            qtbot.mouseClick(_button(view, text), Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda f=frame: shows(player.shown, f), timeout=5000)

        view.speed.setCurrentText("4×")
        qtbot.mouseClick(_button(view, "Play"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: player.shown.wall >= wall_of(70) and view.buttons["play"].text() == "Pause",
                        timeout=5000)
        qtbot.mouseClick(_button(view, "Pause"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not player.playing, timeout=5000)

        qtbot.mouseClick(_button(view, "False alarm"), Qt.MouseButton.LeftButton)
        qtbot.mouseClick(_button(view, "Lock"), Qt.MouseButton.LeftButton)
        assert view.mark("note", "the neighbour's cat")
        state = store.get_state(climb.event_id)
        assert state.acknowledged and state.verdict == "false_alarm" and state.locked
        assert state.notes == ["the neighbour's cat"]
        assert _button(view, "Unlock") and "✓" in alerts.item(0).text()
        window.close()
    qtbot.waitUntil(lambda: not [t for t in threading.enumerate() if t.name == "playback"], timeout=5000)


def test_an_event_still_going_on_opens_before_it_once_indexed_and_its_scrub_bar_follows_the_recording(
        qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(incident_reader, "POLL_MS", 100)
    recorded = record_camera(tmp_path / "recordings")  # frames 0-39 | 40-79 | 80-119 | gap | 150-189
    person = ObjectRecord(object_id_for("cam", 9, BASE + 10.5), "cam", 9, "person", BASE + 10.5, BASE + 11,
                          boxes=[[BASE + 10.5, *BOX]])
    going = event(9, camera="cam", severity="critical", start=BASE + 10.5, object_id=person.object_id)  # no end
    with EventStore(tmp_path / "store") as store:
        store.put([Put(recorded[0]), Put(person), Put(going, _jpeg())])  # the indexer is at frame 39 so far
        view = IncidentView(LocalLink(StoreEngine(store)), going.event_id)
        qtbot.addWidget(view)
        qtbot.waitUntil(lambda: view.player.shown is not None, timeout=5000)
        assert shows(view.player.shown, 39), "all there is so far"
        assert view.waiting_for == going.start - LEAD_S and "(not indexed yet)" in view.status.text()
        assert "(still going on)" in view.summary.text()

        store.put([Put(r) for r in recorded[1:]])  # the indexer catches up: the player goes where it opened
        qtbot.waitUntil(lambda: shows(view.player.shown, round((going.start - LEAD_S - BASE) * 10)), timeout=5000)
        assert view.waiting_for is None and view.strip.records[-1].end == recorded[-1].end
        view.player.seek(wall_of(160))  # past the gap: in a segment that came in after the window opened
        qtbot.waitUntil(lambda: shows(view.player.shown, 160), timeout=5000)

        store.put([Put(replace(going, end=BASE + 50.0))])  # it ended: the scrub bar reaches a minute past its end
        qtbot.waitUntil(lambda: not view._poll.isActive(), timeout=5000)
        assert "(still going on)" not in view.summary.text()
        assert view.strip.t1 == BASE + 50.0 + incident_reader.AROUND_S
        view.close()


def test_the_window_opens_an_incident_at_a_time_and_a_camera_at_any_time(qtbot, site, tmp_path):
    folder, events = site
    with EventStore(folder / "store") as store:
        window = _window(qtbot, store, tmp_path)
        view = window.open_incident(events["later"].event_id, at=BASE + 17.25)  # e.g. a back-test hit
        qtbot.waitUntil(lambda: shows(view.player.shown, 172), timeout=5000)
        assert window.open_incident(events["later"].event_id) is view, "one window per incident"
        camera = window.open_recording("cam", BASE + 13.0)  # in the gap: the first frame after it
        qtbot.waitUntil(lambda: shows(camera.player.shown, 150), timeout=5000)
        assert "connection lost" in camera.status.text() and not _button(camera, "Acknowledge").isEnabled()
        yard = window.open_incident(events["yard"].event_id)  # played from its clip
        qtbot.waitUntil(lambda: shows(yard.player.shown, 10), timeout=5000)
        window.close()


def test_unacknowledged_alerts_come_back_after_a_restart_and_acknowledged_ones_do_not(qtbot, tmp_path):
    events = _site(tmp_path)
    climb, later = events["climb"], events["later"]
    with EventStore(tmp_path / "store") as store:
        window = _window(qtbot, store, tmp_path)
        qtbot.waitUntil(lambda: _ids(window) == [later.event_id, climb.event_id], timeout=5000)
        qtbot.waitUntil(lambda: not window.alerts.list.item(1).icon().isNull(), timeout=5000)  # thumbnails too
        window.alerts.list.setCurrentRow(0)
        qtbot.mouseClick(_button(window.alerts, "Acknowledge"), Qt.MouseButton.LeftButton)
        window.close()
    with EventStore(tmp_path / "store") as store:  # the next start
        window = _window(qtbot, store, tmp_path)
        qtbot.waitUntil(lambda: window.alerts.list.count() == 1, timeout=5000)
        assert _ids(window) == [climb.event_id]
        window.close()


def test_the_timeline_zooms_with_the_wheel_and_a_click_plays_that_camera_there(qtbot, site, tmp_path):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    folder, events = site
    with EventStore(folder / "store") as store:
        window = _window(qtbot, store, tmp_path)
        window.timeline_dock.show()  # a first start on a small screen hides it
        timeline = window.recordings
        timeline.set_range(BASE - 100, BASE + 100)
        qtbot.waitUntil(lambda: timeline.loaded == (timeline.t0, timeline.t1), timeout=5000)
        strip = timeline.strips["cam"]
        assert [r.kind for r in strip.records] == ["segment", "gap", "segment"], "back-to-back segments as one span"
        assert {e.event_id for e in strip.events} == {events[n].event_id for n in ("old", "climb", "later")}
        qtbot.waitUntil(lambda: strip.width() > 200, timeout=5000)
        at = QPointF(strip.mapTo(timeline, QPoint(round(strip.x_of(BASE + 10)), 5)))
        wheel = QWheelEvent(at, timeline.mapToGlobal(at), QPoint(), QPoint(0, 240), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(timeline, wheel)  # two notches forward: zoom in around BASE + 10
        assert timeline.t1 - timeline.t0 == pytest.approx(200 * 0.64) and timeline.t0 < BASE + 10 < timeline.t1
        qtbot.waitUntil(lambda: timeline.loaded == (timeline.t0, timeline.t1), timeout=5000)
        x = round(strip.x_of(BASE + 16.5))
        qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(x, strip.height() // 2))
        view = next(v for v in window.findChildren(IncidentView) if v.event_id is None)
        target = strip.time_at(x)
        qtbot.waitUntil(lambda: view.player.shown is not None and abs(view.player.shown.wall - target) <= PERIOD,
                        timeout=5000)
        window.close()


def test_the_timeline_zooms_from_a_minute_to_three_days_and_moves_in_time(qtbot, site):
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    from ui.recording_lanes import LaneName
    from ui.recording_timeline import MAX_SPAN_S, MIN_SPAN_S

    def wheel(widget, x: float, notches: int, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
        at = QPointF(x, widget.height() / 2)
        QApplication.sendEvent(widget, QWheelEvent(at, widget.mapToGlobal(at), QPoint(), QPoint(0, 120 * notches),
                                                   Qt.MouseButton.NoButton, modifiers, Qt.ScrollPhase.NoScrollPhase,
                                                   False))

    folder, _ = site
    with EventStore(folder / "store") as store:
        timeline = RecordingTimeline(LocalLink(StoreEngine(store)))
        qtbot.addWidget(timeline)
        timeline.resize(1000, 300)
        timeline.show()
        timeline.set_range(BASE - 100, BASE + 100)
        qtbot.waitUntil(lambda: "cam" in timeline.strips and timeline.strips["cam"].width() > 200, timeout=5000)
        strip, span = timeline.strips["cam"], lambda: timeline.t1 - timeline.t0
        name = timeline.findChild(LaneName)
        # A new widget is 640x480 at (0, 0) until its layout places it: wait for the layout, not just a size.
        qtbot.waitUntil(lambda: strip.geometry().left() > 0, timeout=5000)
        assert name.camera_id == "cam" and name.geometry().right() < strip.geometry().left(), "a column of its own"
        assert timeline.lanes.axis.width() == strip.width(), "the axis over the strips"

        x = strip.x_of(BASE + 10)
        wheel(strip, x, 1)  # over a strip: zoom in, the time under the cursor staying under it
        assert span() == pytest.approx(160) and strip.x_of(BASE + 10) == pytest.approx(x)
        before = timeline.t0
        wheel(strip, 10, -1, Qt.KeyboardModifier.ShiftModifier)  # Shift: later by a quarter of the span
        assert timeline.t0 == pytest.approx(before + 40) and span() == pytest.approx(160)
        wheel(name, 5, 3)  # over the name column the lanes scroll: no zoom
        assert span() == pytest.approx(160)

        for _ in range(5):
            qtbot.mouseClick(_button(timeline, "+"), Qt.MouseButton.LeftButton)
        assert span() == MIN_SPAN_S, "a minute at the most"
        for _ in range(14):
            qtbot.mouseClick(_button(timeline, "−"), Qt.MouseButton.LeftButton)
        assert span() == MAX_SPAN_S and "(3 days)" in timeline.range_label.text()
        qtbot.mouseClick(_button(timeline, "10 min"), Qt.MouseButton.LeftButton)
        assert span() == pytest.approx(610)


def test_a_range_export_shows_its_progress_and_cancels_while_the_recording_is_being_cut(
        qtbot, site, tmp_path, monkeypatch):
    folder, _ = site
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    cutting, cut = threading.Event(), threading.Event()

    class SlowCut(LocalLink):
        def export(self, dest, event_ids, progress=None, ranges=None):
            cutting.set()
            cut.wait(10)  # checking and cutting a long range: nothing is reported meanwhile
            progress(0, len(event_ids))  # its first report, where a cancel asked for meanwhile stops it
            return super().export(dest, event_ids, progress, ranges)

    with EventStore(folder / "store") as store:
        timeline = RecordingTimeline(SlowCut(StoreEngine(store)))
        qtbot.addWidget(timeline)
        timeline.select("cam", BASE + 1, BASE + 9)
        assert timeline.export_selection(tmp_path / "range.zip") is not None
        run, dialog = timeline.export_run, timeline.export_run.dialog
        assert cutting.wait(5) and dialog.isVisible()
        assert dialog.maximum() == 0 and "cutting the recording of cam" in dialog.labelText(), "busy, saying why"
        qtbot.waitUntil(lambda: "s so far" in dialog.labelText(), timeout=3000)
        with qtbot.waitSignal(timeline.exported, timeout=10000) as done:
            qtbot.mouseClick(run.cancel_button, Qt.MouseButton.LeftButton)
            assert dialog.isVisible() and dialog.labelText().startswith("Cancelling"), "up until the work stops"
            assert not run.cancel_button.isEnabled()
            cut.set()
        assert done.args == [None] and not dialog.isVisible()
        assert timeline.status.text() == "export cancelled: nothing was written"
        assert not (tmp_path / "range.zip").exists()
