"""Incident review: filters show what the store holds; export from the panel produces a package that verifies.

The panel fits a 1366x768 laptop's central area beside the docks; its chart reads as a chart.
"""

import time

import pytest

pytest.importorskip("PySide6")

from capture_helpers import wait_for  # noqa: E402
from PySide6.QtCore import QPoint, QSettings, Qt  # noqa: E402
from PySide6.QtWidgets import QMessageBox, QScrollArea  # noqa: E402
from store_factory import BASE, event  # noqa: E402
from test_gui_review_scale import StoreEngine  # noqa: E402

from surveil.media.export import verify_export  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from surveil.store.query import EventFilter, list_events  # noqa: E402
from surveil.store.store import EventStore, Put  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.review import ReviewPanel  # noqa: E402
from ui.timeline import Timeline  # noqa: E402

LAPTOP_PAGE = (960, 560)  # the central area of a 1366x768 window beside its docks
LAPTOP_TAB = (960, 530)  # what the Review tab's page gets of it under the tab bar


def _wait_for_incidents(engine, count):
    wait_for(lambda: len(list_events(engine.store, EventFilter())[0]) >= count
             and engine.recorder.written >= 1, 40, f"{count} stored incidents with a clip")


def _refreshed(qtbot, panel):
    panel.refresh()
    qtbot.waitUntil(lambda: not panel.loading(), timeout=10000)


def test_review_filters_return_what_the_store_holds_and_export_verifies(qtbot, fake_engine, tmp_path, monkeypatch):
    engine = fake_engine
    _wait_for_incidents(engine, 2)
    panel = ReviewPanel(LocalLink(engine))
    qtbot.addWidget(panel)
    _refreshed(qtbot, panel)
    stored = list_events(engine.store, panel.current_filter(), limit=500)[0]
    assert panel.model.rowCount() == len(stored) >= 2
    assert sum(panel.timeline.counts.values()) == len(stored)
    assert set(panel.timeline.by_camera) == {"cam"} and sum(panel.timeline.by_camera["cam"].values()) == len(stored)
    panel.camera.setCurrentText("cam")
    panel.severity.setCurrentText("high")  # the rule raises medium alerts
    _refreshed(qtbot, panel)
    assert panel.model.rowCount() == 0
    panel.severity.setCurrentText("any")
    engine.mark_event(stored[-1][0].event_id, acknowledged=True)
    panel.state.setCurrentText("acknowledged")
    _refreshed(qtbot, panel)
    assert [panel.model.record(0).event_id] == [stored[-1][0].event_id]
    panel.state.setCurrentText("any")
    _refreshed(qtbot, panel)
    panel.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.Yes)
    job = panel.export_selection(tmp_path / "evidence.zip")
    qtbot.waitUntil(lambda: panel.last_export is not None, timeout=30000)
    assert job is not None and verify_export(panel.last_export).ok
    assert "exported 1 incidents" in panel.status.text()
    panel.export_run.result_box.close()


def test_the_window_has_live_rules_and_review_tabs(qtbot, fake_engine, tmp_path):
    window = MainWindow(LocalLink(fake_engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert [window.tabs.tabText(i) for i in range(window.tabs.count())] == ["Live", "Rules", "Review"]
    _wait_for_incidents(fake_engine, 1)
    window.tabs.setCurrentWidget(window.review)
    qtbot.waitUntil(lambda: window.review.model.rowCount() >= 1, timeout=10000)
    window.close()


def test_the_clip_player_draws_the_tracked_box_on_the_incident_clip(qtbot, fake_engine):
    from ui.clip_player import ClipPlayer

    store = fake_engine.store

    def playable():
        for record, _ in list_events(store, EventFilter())[0]:
            obj = store.get_object(record.object_id) if record.object_id else None
            if record.clip_state == "written" and obj is not None and obj.boxes:
                return record, obj
        return None

    wait_for(lambda: playable() is not None, 60, "an incident with its clip and its object's boxes")
    record, obj = playable()
    player = ClipPlayer()
    qtbot.addWidget(player)
    player.show()
    player.play(record.clip_path, obj.boxes, record.clip_start, record.clip_fps, "person")
    boxes = []
    for _ in range(40):  # two seconds of the clip at 20 fps
        player._next()
        boxes.append(player.box_at_current_frame())
    found = [b for b in boxes if b is not None]
    # The clip spans the event, during which the square was tracked at 5 detections a second.
    assert len(found) >= 20
    assert all(20 <= b[2] - b[0] <= 23 for b in found), "the box of a 20 px square"


@pytest.fixture
def last_hour(tmp_path):
    """A link over a store of 30 incidents in the last half hour, with long rule names."""
    store = EventStore(tmp_path / "store")
    now = time.time()
    store.put([Put(event(i, camera=("gate", "yard", "dock")[i % 3], rule="person on the near side of the fence",
                         start=now - 1800 + i * 60, peak_probability=0.8)) for i in range(30)])
    yield LocalLink(StoreEngine(store))
    store.close()


def test_the_review_tab_fits_a_laptop_screen_without_scrolling(qtbot, last_hour):
    panel = ReviewPanel(last_hour)
    area = QScrollArea(widgetResizable=True)  # as the window's tabs hold their pages
    area.setWidget(panel)
    qtbot.addWidget(area)
    area.resize(*LAPTOP_PAGE)
    area.show()
    qtbot.waitUntil(lambda: panel.reader.generation >= 1 and not panel.loading(), timeout=10000)
    assert panel.minimumSizeHint().width() <= LAPTOP_PAGE[0] - 20, "filters, table and clip fit beside the docks"
    assert not area.horizontalScrollBar().isVisible() and not area.verticalScrollBar().isVisible()
    assert panel.player.width() >= 300 and panel.table.width() > panel.player.width(), "the clip is watchable"
    panel.splitter.setSizes([panel.splitter.width(), 0])  # dragged all the way: the clip is not collapsed
    assert panel.player.width() >= 300 and not panel.splitter.childrenCollapsible()
    area.resize(*LAPTOP_TAB)
    qtbot.waitUntil(lambda: panel.height() <= LAPTOP_TAB[1], timeout=2000)
    rows = panel.table.viewport().height() // panel.table.verticalHeader().defaultSectionSize()
    assert panel.model.rowCount() == 30 and rows >= 8, f"{rows} whole rows in view"


def test_one_busy_hour_is_a_narrow_bar_on_an_axis_of_the_filter_range(qtbot):
    timeline = Timeline()
    qtbot.addWidget(timeline)
    timeline.resize(LAPTOP_PAGE[0], 72)
    hour = int(BASE) // 3600 * 3600
    timeline.set_counts({"gate": {hour: 9}, "yard": {hour: 4}}, hour - 6 * 86400, hour + 86400)
    [(shown, bar)] = timeline._bars()
    assert shown == hour and bar.width() < timeline.width() / 100, "one hour of a week, not the whole width"
    assert len(timeline._ticks()) >= 4, "an axis with several labels"
    clicked = []
    timeline.hourClicked.connect(clicked.append)
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.center().x()), int(bar.center().y())))
    assert clicked == [float(hour)] and "13 events" in timeline.describe(hour)
    timeline.set_counts({"gate": {hour: 13}}, hour, hour + 3600)  # the range a click on that bar asks for
    assert timeline._span()[1] >= 24 and timeline._bars()[0][1].width() < timeline.width() / 20, "a day around it"


def test_find_similar_lists_look_alike_incidents_without_clip(qtbot, fake_engine):
    """No CLIP here: the incidents' objects carry the detector's appearance vectors, and Find similar uses them."""
    engine = fake_engine
    _wait_for_incidents(engine, 2)
    wait_for(lambda: any(o.event_ids for o in engine.store.objects()), 40, "a stored object that raised an event")
    assert engine.snapshot().clip_reason, "this engine runs without CLIP"
    panel = ReviewPanel(LocalLink(engine))
    qtbot.addWidget(panel)
    _refreshed(qtbot, panel)
    row = next(r for r in range(panel.model.rowCount()) if panel.model.record(r).object_id in
               {o.object_id for o in engine.store.objects()})
    chosen = panel.model.record(row).event_id
    panel.table.selectRow(row)
    panel.find_similar()
    qtbot.waitUntil(lambda: "similar incidents" in panel.status.text(), timeout=10000)
    assert not panel.status.text().startswith("search failed"), panel.status.text()
    found = [panel.model.record(r).event_id for r in range(panel.model.rowCount())]
    assert chosen in found, "an incident looks most like itself"
