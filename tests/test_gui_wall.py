"""The camera wall and its tiles, offscreen: pages, the camera list, cell shapes, labels, the firing object,
full screen, and a window that fits 1366x768."""

import random
import time

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, QRect, QRectF, QSettings, QSizeF, Qt  # noqa: E402
from PySide6.QtGui import QColor, QImage  # noqa: E402
from PySide6.QtWidgets import QPushButton, QScrollArea  # noqa: E402
from test_gui_link import FakeLink  # noqa: E402

from surveil.engine.snapshot import CameraView, Snapshot  # noqa: E402
from surveil.service.link import LiveFrame  # noqa: E402
from ui.camera_tile import BOX, HOLD_S, CameraTile, place_labels  # noqa: E402
from ui.camera_wall import CameraList, CameraWall, grid_for  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402
from ui.theme import SEVERITIES  # noqa: E402


def _wall(qtbot, cameras: int, per_page: int = 4) -> CameraWall:
    wall = CameraWall()
    qtbot.addWidget(wall)
    for i in range(cameras):
        wall.add_camera(f"c{i}", f"Camera {i}")
    wall.set_layout(per_page)
    wall.resize(1280, 720)
    wall.show()
    return wall


def test_six_cameras_in_2x2_take_two_pages_and_pgdn_reaches_the_fifth(qtbot):
    wall = _wall(qtbot, 6)
    assert wall.pages() == 2 and wall.visible_ids() == ["c0", "c1", "c2", "c3"]
    assert wall.page_label.isVisible() and wall.page_label.text() == "page 1 of 2"
    qtbot.keyClick(wall, Qt.Key.Key_PageDown)
    assert wall.visible_ids() == ["c4", "c5"] and wall.page_label.text() == "page 2 of 2"
    assert wall.tiles["c4"].isVisible() and not wall.tiles["c0"].isVisible()
    qtbot.keyClick(wall.tiles["c4"], Qt.Key.Key_PageDown)  # from a tile too; past the last page: the first
    assert wall.page == 0
    qtbot.keyClick(wall, Qt.Key.Key_PageUp)
    assert wall.page == 1
    wall.set_layout(9)
    assert wall.pages() == 1 and len(wall.visible_ids()) == 6 and not wall.page_label.isVisible()


def test_cells_keep_the_picture_shape_and_few_cameras_fill_a_large_layout(qtbot):
    assert grid_for(4, 16, 1600, 900, 16 / 9) == (2, 2)
    assert grid_for(2, 16, 1600, 900, 16 / 9) == (2, 1)
    assert grid_for(9, 9, 1600, 900, 16 / 9) == (3, 3)
    assert grid_for(3, 4, 1600, 900, 16 / 9) == (2, 2)
    wall = _wall(qtbot, 4, per_page=16)
    qtbot.waitUntil(lambda: wall.tiles["c0"].width() > 300, timeout=2000)
    for tile in wall.tiles.values():
        assert tile.isVisible() and abs(tile.width() / tile.height() - 16 / 9) < 0.03
    assert len({tile.x() for tile in wall.tiles.values()}) == 2  # two columns, not four narrow ones


def test_a_click_in_the_camera_list_brings_the_camera_into_view(qtbot):
    wall = _wall(qtbot, 6)
    cameras = CameraList(wall)
    qtbot.addWidget(cameras)
    cameras.show()
    assert cameras.count() == 6 and cameras.item(5).text().endswith("p2")
    wall.tiles["c5"].set_status("failed", "gave up after 5 attempts: connection refused")
    assert cameras.item(5).text() == "Camera 5 — failed · p2"
    rect = cameras.visualItemRect(cameras.item(5))
    qtbot.mouseClick(cameras.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert "c5" in wall.visible_ids() and wall.page == 1 and wall.tiles["c5"].highlighted
    first = cameras.visualItemRect(cameras.item(0)).center()
    qtbot.mouseClick(cameras.viewport(), Qt.MouseButton.LeftButton, pos=first)  # Qt 6: a click, then the second
    qtbot.mouseDClick(cameras.viewport(), Qt.MouseButton.LeftButton, pos=first)
    assert wall.visible_ids() == ["c0"]


def _tile(qtbot, boxes, track_ids, size=(640, 360)) -> CameraTile:
    tile = CameraTile("cam", "Front gate")
    qtbot.addWidget(tile)
    tile.resize(*size)
    image = np.zeros((360, 640, 3), np.uint8)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    tile.show_frame(LiveFrame("cam", image, boxes, ("person",) * len(boxes), tuple(track_ids), True))
    tile.set_status("live")
    return tile


def test_label_chips_never_overlap_and_small_tiles_show_boxes_only(qtbot):
    rng = random.Random(4)
    boxes = []
    for _ in range(60):
        x, y = rng.uniform(0, 560), rng.uniform(0, 280)
        boxes.append([x, y, x + rng.uniform(20, 80), y + rng.uniform(40, 80)])
    tile = _tile(qtbot, boxes, range(60))
    reserved = [tile.header_rect()]
    labels = tile.label_rects(QRectF(0, 0, 640, 360), reserved)
    assert 5 < len(labels) < 60, "some labels are shown, the colliding ones left out"
    rects = [rect for _, rect, _ in labels]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    assert not any(rect.intersects(reserved[0]) for rect in rects)
    assert all(QRectF(tile.rect()).contains(rect) for rect in rects)
    assert tile.text_px() >= 11
    tile.resize(220, 124)
    assert tile.label_rects(QRectF(0, 0, 220, 124), []) == []
    # the pure placement: two boxes at the same spot get one label each where there is room, else none
    same = [QRectF(100, 100, 50, 50)] * 3
    placed = place_labels(same, [QSizeF(60, 16)] * 3, QRectF(0, 0, 400, 300))
    assert placed[0] is not None and placed.count(None) <= 1


def _pixel(image: QImage, x: int, y: int) -> str:
    return QColor(image.pixel(x, y)).name()


@pytest.mark.parametrize("severity", ["medium", "critical"])
def test_the_firing_object_is_outlined_in_its_severity_colour(qtbot, severity):
    tile = _tile(qtbot, [[100, 100, 300, 300], [400, 100, 500, 300]], (1, 2))
    tile.set_alert("running person: person #2", track_id=2, severity=severity, since=time.time())
    image = tile.grab().toImage()
    assert _pixel(image, 400, 200) == SEVERITIES[severity].outline  # the left edge of track 2's box
    assert _pixel(image, 100, 200) == BOX.name()  # the other object keeps the ordinary colour
    banner = tile.banner_rect()
    assert _pixel(image, 320, int(banner.top()) + 1) == SEVERITIES[severity].banner
    assert (banner.height() > 30) == (severity == "critical")


class Clock:
    """The tile's clock, moved by hand."""

    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def _clocked_tile(qtbot) -> tuple[CameraTile, Clock]:
    tile, clock = _tile(qtbot, [], ()), Clock()
    tile.clock = clock
    return tile, clock


def _show(tile, clock, t, tracks, detected=True):
    """A frame at ``t`` s carrying ``tracks`` ({track id: (x1, y1, x2, y2)}), as the link sends it."""
    clock.now = 100.0 + t
    boxes = np.asarray(list(tracks.values()), np.float32).reshape(-1, 4)
    tile.show_frame(LiveFrame("cam", np.zeros((360, 640, 3), np.uint8), boxes, ("person",) * len(tracks),
                              tuple(tracks), detected))


def _shown(tile):
    return {b.track_id: ([round(v, 1) for v in b.box], b.held) for b in tile.shown_boxes()}


def _box_pixels(image: QImage, x: int, y1: int, y2: int) -> int:
    return sum(_pixel(image, x, y) == BOX.name() for y in range(y1, y2))


def test_a_track_the_detector_run_left_out_keeps_its_box_for_a_moment_then_loses_it(qtbot):
    # Four cameras on a CPU: a detector run every 0.4 s per camera. Track 2 walks right at 50 px/s; the
    # third run misses it. The tile used to draw only the latest run's boxes: track 2 vanished at once.
    tile, clock = _clocked_tile(qtbot)
    _show(tile, clock, 0.0, {1: (400, 100, 440, 200), 2: (100, 100, 140, 200)})
    _show(tile, clock, 0.4, {1: (400, 100, 440, 200), 2: (120, 100, 160, 200)})
    _show(tile, clock, 0.8, {1: (400, 100, 440, 200)})
    assert _shown(tile) == {1: ([400, 100, 440, 200], False), 2: ([140, 100, 180, 200], True)}
    assert [text for _, _, text in tile.label_rects(QRectF(0, 0, 640, 360), [])] == ["person #1", "person #2"]
    image = tile.grab().toImage()
    assert _box_pixels(image, 140, 100, 200) > 20, "the held box is drawn (dashed) where track 2 should be"
    assert tile._expiry.isActive(), "it goes on time even if no frame comes"
    clock.now = 100.0 + 0.4 + HOLD_S + 0.05  # a second after a frame last carried it
    assert 2 not in _shown(tile)
    _show(tile, clock, 1.5, {1: (400, 100, 440, 200)})
    assert _shown(tile) == {1: ([400, 100, 440, 200], False)}
    assert _box_pixels(tile.grab().toImage(), 160, 100, 200) == 0


def test_boxes_follow_their_track_between_detector_runs(qtbot):
    tile, clock = _clocked_tile(qtbot)
    _show(tile, clock, 0.0, {7: (100, 100, 140, 200)})
    assert _shown(tile) == {7: ([100, 100, 140, 200], False)}  # one sighting: no velocity yet, no move
    _show(tile, clock, 0.5, {7: (120, 110, 160, 210)})  # 40 px/s right, 20 px/s down
    _show(tile, clock, 0.75, {7: (120, 110, 160, 210)}, detected=False)  # between runs: the same box again
    assert _shown(tile) == {7: ([130, 115, 170, 215], False)}
    clock.now = 100.0 + 30  # no new run for long (the gate saw nothing move): moved for a second at most
    assert _shown(tile) == {7: ([160, 130, 200, 230], False)}
    _show(tile, clock, 40.0, {8: (100, 110, 140, 210)})
    _show(tile, clock, 40.1, {8: (250, 110, 290, 210)})  # a sprinter, or a bad match: 1500 px/s
    clock.now = 100.0 + 40.5
    assert _shown(tile)[8] == ([400, 110, 440, 210], False), "never further than 1.5 of its heights"


def test_a_held_box_gives_way_when_its_object_is_found_again_under_a_new_id(qtbot):
    tile, clock = _clocked_tile(qtbot)
    _show(tile, clock, 0.0, {5: (100, 100, 140, 200)})
    _show(tile, clock, 0.4, {5: (120, 100, 160, 200)})
    _show(tile, clock, 0.8, {9: (142, 100, 182, 200), 6: (400, 100, 440, 200)})  # the tracker lost 5, made it 9
    assert _shown(tile) == {9: ([142, 100, 182, 200], False), 6: ([400, 100, 440, 200], False)}
    _show(tile, clock, 0.9, {})  # a run that reports nothing: 9 and 6 held, 5 still hidden under 9
    assert sorted(_shown(tile)) == [6, 9] and all(held for _, held in _shown(tile).values())


def test_a_new_picture_size_forgets_the_boxes(qtbot):
    tile, clock = _clocked_tile(qtbot)
    _show(tile, clock, 0.0, {5: (100, 100, 140, 200)})
    clock.now += 0.1
    tile.show_frame(LiveFrame("cam", np.zeros((720, 1280, 3), np.uint8), np.zeros((0, 4), np.float32), (), (),
                              True))
    assert tile.shown_boxes() == []


def test_the_reason_has_its_own_line_and_the_countdown_says_retrying_when_due(qtbot):
    tile = _tile(qtbot, [], ())
    plain = tile.header_rect().height()
    tile.set_status("reconnecting", "connection refused by 10.0.0.9:554", time.monotonic() + 7.4)
    assert tile.header_rect().height() > plain * 1.5  # the reason sits below the name, not over it
    assert tile.countdown() == "next try in 7 s"
    tile.set_status("reconnecting", "connection refused by 10.0.0.9:554", time.monotonic() + 0.3)
    assert tile.countdown() == "retrying…"
    tile.set_status("reconnecting", "connection refused by 10.0.0.9:554", time.monotonic() - 4)
    assert tile.countdown() == "retrying…" and "0 s" not in tile.status_text()
    tile.set_status("live")
    assert tile.countdown() == "" and not tile._countdown.isActive()


def _scroll_area(widget):
    while widget is not None and not isinstance(widget, QScrollArea):
        widget = widget.parentWidget()
    return widget


class DemoLink(FakeLink):
    """The demo's configuration with its camera repeated nine times: what an operator's window holds."""

    def __init__(self, tmp_path):
        super().__init__(tmp_path)
        from surveil.config import load_config
        from surveil.resources import DEMO_CONFIG, resource_path

        config = load_config(resource_path(DEMO_CONFIG))
        first = config.cameras[0]
        cameras = [first] + [first.model_copy(update={"id": f"walkway{n}", "name": f"Walkway {n} (demo)"})
                             for n in range(2, 10)]
        self._config = config.model_copy(update={"cameras": cameras})

    def snapshot(self):
        views = {c.id: CameraView(c.id, "live") for c in self._config.cameras}
        return Snapshot(1, self._config, cameras=views, clip_reason="no CLIP here")


def test_the_window_fits_1366x768_with_every_button_and_the_status_bar(qtbot, tmp_path):
    window = MainWindow(DemoLink(tmp_path), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.setWindowState(Qt.WindowState.WindowNoState)  # a first start is maximized: here, a laptop's size
    window.resize(1366, 768 - 60)  # less a title bar and a panel
    window.show()
    if hasattr(window, "recordings"):  # the recordings dock grows a strip per camera once it has read them
        window.timeline_dock.show()  # a first start on a small screen hides it: shown, it must fit too
        qtbot.waitUntil(lambda: len(window.recordings.strips) == 9, timeout=5000)
    hint = window.minimumSizeHint()
    assert hint.width() <= 1366 and hint.height() <= 768 - 60, f"minimum {hint.width()}x{hint.height()}"
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        qtbot.wait(20)
        assert window.width() <= 1366 and window.height() <= 768 - 60
    inside = window.rect()
    for tab in range(window.tabs.count()):
        window.tabs.setCurrentIndex(tab)
        for button in [b for b in window.findChildren(QPushButton) if b.isVisible()]:
            area = _scroll_area(button)
            if area is not None:  # a tab's page scrolls: the button must come into view inside the window
                area.ensureWidgetVisible(button)
                assert inside.contains(QRect(area.viewport().mapTo(window, QPoint()), area.viewport().size()))
            corners = button.mapTo(window, QPoint()), button.mapTo(window, button.rect().bottomRight())
            assert all(inside.contains(corner) for corner in corners), f"{button.text()} at {corners}"
    assert window.statusBar().isVisible() and window.statusBar().geometry().bottom() <= inside.bottom()
    window.close()


def test_f11_toggles_full_screen_and_esc_leaves(qtbot, tmp_path):
    window = MainWindow(FakeLink(tmp_path), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    assert [a.shortcut().toString() for a in window.layout_actions.actions()] == [f"Ctrl+{n}" for n in range(1, 5)]
    assert window.full_screen_action.shortcut().toString() == "F11"
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    qtbot.keyClick(window.wall, Qt.Key.Key_F11)
    assert window.isFullScreen() and window.leave_full_screen.isEnabled()
    qtbot.keyClick(window.wall, Qt.Key.Key_Escape)
    assert not window.isFullScreen() and not window.leave_full_screen.isEnabled()
    window.toggle_full_screen()
    window.toggle_full_screen()
    assert not window.isFullScreen()
    menus = [action.text() for action in window.menuBar().actions()]
    assert menus == ["&File", "&View", "&Cameras", "&Help"]
    window.close()
