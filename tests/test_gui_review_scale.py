"""Review at scale: 20 000 stored events load page by page off the GUI thread; triage, filters and export.

The panel runs on a LocalLink over a real store, with a stand-in for the engine (no cameras,
no models): the reads, marks and exports are the real ones.
"""

import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QDateTime, QPoint, Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QMessageBox  # noqa: E402
from store_factory import BASE, event  # noqa: E402

from surveil.capture.cv import cv2  # noqa: E402
from surveil.config import SurveilConfig  # noqa: E402
from surveil.engine.snapshot import Snapshot  # noqa: E402
from surveil.engine.verdicts import record_verdict  # noqa: E402
from surveil.media.export import verify_export  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from surveil.store.store import EventStore, Put  # noqa: E402
from ui.review import ReviewPanel  # noqa: E402
from ui.review_export import ExportRun  # noqa: E402
from ui.review_reader import PAGE  # noqa: E402

CAMERAS = ("gate", "yard", "dock")
STEP_S = 30  # 20 000 events over a week


class StoreEngine:
    """What LocalLink asks of an engine, over a store: the configuration, snapshots, marks stored and audited."""

    encoder = None

    def __init__(self, store, cameras=CAMERAS):
        self.store, self.listeners = store, []
        self.config = _config(store.folder, cameras)

    def snapshot(self):
        return Snapshot(1, self.config)

    def mark_event(self, event_id, verdict=None, acknowledged=None, note=None, locked=None):
        record_verdict(self.store, event_id, verdict, acknowledged, note, locked)


def _config(folder, cameras):
    return SurveilConfig.model_validate({
        "cameras": [{"id": c, "source": f"/nowhere/{c}.mp4"} for c in cameras],
        "storage": {"path": str(folder)},
        "rules": [{"name": "climber", "classes": ["person"]}],
    })


def _jpeg() -> bytes:
    ok, data = cv2.imencode(".jpg", np.full((48, 64, 3), 120, np.uint8))
    assert ok
    return data.tobytes()


def _fill(store, count: int, thumbnails: int = 0) -> None:
    jpeg = _jpeg()
    for first in range(0, count, 1000):
        store.put([Put(event(i, camera=CAMERAS[i % 3], start=BASE + i * STEP_S, peak_probability=0.5 + i % 50 / 100),
                       jpeg if i >= count - thumbnails else None) for i in range(first, min(count, first + 1000))])


def _panel(qtbot, link, count):
    panel = ReviewPanel(link)
    qtbot.addWidget(panel)
    panel.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(BASE) - 3600))
    panel.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(BASE + count * STEP_S) + 3600))
    return panel


def _loaded(qtbot, panel, timeout=20000):
    qtbot.waitUntil(lambda: not panel.loading(), timeout=timeout)


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    store = EventStore(tmp_path_factory.mktemp("big") / "store")
    _fill(store, 20_000, thumbnails=100)
    yield store
    store.close()


@pytest.fixture
def small(tmp_path):
    store = EventStore(tmp_path / "store")
    _fill(store, 30, thumbnails=30)
    engine = StoreEngine(store)
    yield engine, LocalLink(engine)
    store.close()


def test_review_loads_20000_events_page_by_page_without_stalling_the_gui(qtbot, big_store):
    """A timer on the GUI thread ticks every 10 ms while the panel shows, reads, refreshes and pages to the end."""
    panel = _panel(qtbot, LocalLink(StoreEngine(big_store)), 20_000)
    panel.resize(1366, 768)
    gaps, last = [0.0], [time.monotonic()]

    def tick():
        now = time.monotonic()
        gaps.append(now - last[0])
        last[0] = now

    ticker = QTimer(interval=10, timeout=tick)
    ticker.start()
    started = time.monotonic()
    panel.show()  # the first show reads
    qtbot.waitUntil(lambda: panel.reader.generation == 1 and not panel.loading(), timeout=20000)
    assert panel.model.rowCount() == PAGE
    panel.refresh()
    _loaded(qtbot, panel)
    assert panel.model.rowCount() == PAGE and panel.more.isEnabled()
    assert "500 incidents shown: more match" in panel.status.text()
    pages = 1
    while panel.reader.cursor is not None:
        panel.more.click()
        qtbot.waitUntil(lambda: "page" not in panel.reader.reading, timeout=10000)
        pages += 1
    qtbot.waitUntil(lambda: not panel.model.thumbnails.busy(), timeout=10000)
    elapsed = time.monotonic() - started
    ticker.stop()
    print(f"\n20 000 events in {pages} pages in {elapsed:.1f} s; longest GUI stall {max(gaps) * 1000:.0f} ms")
    assert pages == 20_000 // PAGE and panel.model.rowCount() == 20_000
    assert "20000 incidents shown (all that match)" in panel.status.text() and not panel.more.isEnabled()
    rows = panel.model.rows
    assert rows[0][0].start > rows[-1][0].start and len({r.event_id for r, _ in rows}) == 20_000
    assert sum(panel.timeline.counts.values()) == 20_000 and set(panel.timeline.by_camera) == set(CAMERAS)
    assert panel.model.icons, "the thumbnails of the rows on screen were read"
    assert max(gaps) < 0.1, f"the GUI thread stalled for {max(gaps) * 1000:.0f} ms"


def test_a_newer_refresh_drops_the_answers_of_an_older_one(qtbot, small):
    _, link = small
    panel = _panel(qtbot, link, 30)
    panel.refresh()
    panel.camera.setCurrentText("gate")
    panel.refresh()
    _loaded(qtbot, panel)
    assert panel.model.rowCount() == 10 and {r.camera_id for r, _ in panel.model.rows} == {"gate"}
    assert set(panel.timeline.by_camera) == {"gate"}


def test_the_table_shows_state_verdict_lock_note_and_score(qtbot, small):
    engine, link = small
    newest = f"{int((BASE + 29 * STEP_S) * 1000):013d}-{29:08x}"
    engine.mark_event(newest, verdict="false_alarm", acknowledged=True, note="the neighbour's cat", locked=True)
    panel = _panel(qtbot, link, 30)
    panel.refresh()
    _loaded(qtbot, panel)
    model = panel.model
    cells = {model.headerData(c, Qt.Orientation.Horizontal): model.data(model.index(0, c))
             for c in range(model.columnCount())}
    assert cells["Camera"] == "dock" and cells["Rule"] == "climber" and cells["Severity"].endswith("high")
    assert (cells["State"], cells["Verdict"], cells["Lock"]) == ("acknowledged", "false alarm", "locked")
    assert cells["Note"] == "the neighbour's cat" and cells["Score"] == "0.79"
    assert model.data(model.index(1, 5)) == "new" and model.data(model.index(1, 8)) == ""


def test_triage_from_review_updates_the_row_and_the_store(qtbot, small):
    engine, link = small
    panel = _panel(qtbot, link, 30)
    panel.refresh()
    _loaded(qtbot, panel)
    panel.table.selectRow(2)
    ids = panel.selected_ids()
    assert len(ids) == 1
    panel.triage.act("correct")
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(2, 6)) == "correct", timeout=5000)
    panel.triage.act("lock")
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(2, 7)) == "locked", timeout=5000)
    panel.triage.act("note", "seen on the gate camera too")
    qtbot.waitUntil(lambda: panel.model.data(panel.model.index(2, 8)) == "seen on the gate camera too", timeout=5000)
    state = engine.store.get_state(ids[0])
    assert state.verdict == "correct" and state.acknowledged and state.locked
    assert state.notes == ["seen on the gate camera too"]
    assert panel.model.data(panel.model.index(2, 5)) == "acknowledged"
    panel.triage.act("unlock")
    qtbot.waitUntil(lambda: not engine.store.get_state(ids[0]).locked and
                    panel.model.data(panel.model.index(2, 7)) == "", timeout=5000)


def test_the_filters_pick_up_a_camera_added_after_the_panel_opened(qtbot, small):
    engine, link = small
    panel = _panel(qtbot, link, 30)
    panel.refresh()
    _loaded(qtbot, panel)
    panel.camera.setCurrentText("yard")
    engine.config = _config(engine.store.folder, (*CAMERAS, "porch"))
    panel.refresh()
    _loaded(qtbot, panel)
    assert [panel.camera.itemText(i) for i in range(panel.camera.count())] == ["any", *CAMERAS, "porch"]
    assert panel.camera.currentText() == "yard", "the choice is kept"


def test_export_asks_first_then_reports_the_zip_step_to_the_end(qtbot, small, tmp_path, monkeypatch):
    _, link = small
    asked, answers, reports = [], [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes], []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text) or answers.pop(0))
    shown = ExportRun._progress

    def recording(run, done, total):
        shown(run, done, total)
        reports.append((done, total, run.dialog.labelText(), run.dialog.value()))

    monkeypatch.setattr(ExportRun, "_progress", recording)
    panel = _panel(qtbot, link, 30)
    panel.refresh()
    _loaded(qtbot, panel)
    assert panel.export_selection(tmp_path / "all.zip") is None, "answered No: nothing exported"
    assert asked[0].startswith("Nothing is selected. Export all 30 listed incidents (from ")
    panel.table.selectRow(0)
    job = panel.export_selection(tmp_path / "one.zip")
    assert job is not None and asked[1].startswith("Export 1 incident (from ")
    qtbot.waitUntil(lambda: panel.last_export is not None, timeout=20000)
    assert verify_export(panel.last_export).ok
    # A modal progress dialog's setValue runs queued events, so a newer report can finish inside an older
    # one and be recorded first: order them by step.
    copied = sorted(r for r in reports if r[1] == 1)
    packed = sorted(r for r in reports if r[1] > 1)
    assert copied and packed and packed[-1][0] == packed[-1][1], "the zip step reports each file to the last"
    assert copied[-1][2] == "Copying incident 1 of 1" and packed[-1][2].startswith("Packing the zip: ")
    assert [r[3] for r in reports] == sorted(r[3] for r in reports) and reports[-1][3] == 1000, "never backwards"
    assert panel.export_run.dialog.minimumDuration() == 0 and not panel.export_run.dialog.isVisible()
    box = panel.export_run.result_box
    assert box is not None and any(b.text() == "Open folder" for b in box.buttons())
    box.close()
    assert not box.isVisible(), "closing the message dismisses it"


def test_the_timeline_has_an_axis_counts_a_legend_and_a_tooltip_per_hour(qtbot):
    from ui.timeline import Timeline

    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(1366, 120)
    hour = int(BASE) // 3600 * 3600
    timeline.set_counts({"gate": {hour: 3, hour + 7200: 1}, "yard": {hour: 2}, "dock": {}})
    assert timeline.counts == {hour: 5, hour + 7200: 1} and set(timeline.by_camera) == {"gate", "yard"}
    assert "5 events" in timeline.describe(hour) and "gate: 3\nyard: 2" in timeline.describe(hour)
    assert not timeline.grab().isNull()  # legend, stacked bars, counts and hour labels painted
    x = timeline._bars()[0][1].center().x()
    assert timeline.hour_at(x) == hour and timeline.hour_at(timeline.width() / 2) is None  # the empty hour
    clicked = []
    timeline.hourClicked.connect(clicked.append)
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(x), 60))
    assert clicked == [float(hour)]
