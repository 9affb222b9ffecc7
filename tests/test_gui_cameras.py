"""The camera dialog: test connection shows a frame or the error; a saved camera joins the running engine."""

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QSettings  # noqa: E402
from videos import write_video  # noqa: E402

from surveil.config import CameraConfig  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from ui.camera_dialog import CameraDialog  # noqa: E402
from ui.main_window import MainWindow  # noqa: E402


def test_test_connection_shows_a_frame_or_the_reason(qtbot, tmp_path):
    dialog = CameraDialog()
    qtbot.addWidget(dialog)
    dialog.source.setText(str(write_video(tmp_path / "a.avi", count=5)))
    dialog.test_connection()
    qtbot.waitUntil(lambda: dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull(), timeout=10000)
    assert dialog.error.text() == ""
    dialog.source.setText("rtsp://admin:hunter2@127.0.0.1:1/live")
    dialog.test_connection()
    qtbot.waitUntil(lambda: "connection refused" in dialog.error.text(), timeout=10000)
    assert "hunter2" not in dialog.preview.text() + dialog.error.text()


def test_an_invalid_camera_stays_in_the_dialog(qtbot):
    dialog = CameraDialog()
    qtbot.addWidget(dialog)
    dialog.id.setText("Front Door")
    dialog.source.setText("gopher://x/y")
    dialog.accept()
    assert dialog.camera is None and "id" in dialog.error.text() and "unsupported URL scheme" in dialog.error.text()


def test_a_camera_added_and_removed_in_the_window_changes_the_engine(qtbot, fake_engine, tmp_path):
    window = MainWindow(LocalLink(fake_engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    clip = write_video(tmp_path / "b.avi", count=60, fps=20)
    assert window.add_camera(CameraConfig(id="back", source=str(clip), loop=True))
    qtbot.waitUntil(lambda: "back" in window.wall.tiles, timeout=5000)  # the tile comes with the engine's notice
    qtbot.waitUntil(lambda: fake_engine.health()["cameras"].get("back", {}).get("frames_read", 0) > 5, timeout=10000)
    assert not window.add_camera(CameraConfig(id="back", source=str(clip))), "an id in use is refused"
    assert "camera id 'back' is already used" in window.statusBar().currentMessage()
    assert window.remove_camera("back")
    qtbot.waitUntil(lambda: "back" not in window.wall.tiles, timeout=5000)
    assert "back" not in fake_engine.snapshot().cameras and "back" not in fake_engine.health()["cameras"]
    assert [c.id for c in fake_engine.config.cameras] == ["cam"]
    window.close()


def test_editing_a_camera_keeps_the_settings_the_dialog_does_not_show(qtbot, tmp_path):
    clip = write_video(tmp_path / "a.avi", count=10, fps=20)
    current = CameraConfig(id="gate", source=str(clip), record="events", recording_days=3,
                           motion={"masks": [[[0, 0], [0.5, 0], [0.5, 0.5]]]})
    dialog = CameraDialog(current)
    qtbot.addWidget(dialog)
    dialog.name.setText("Gate")
    dialog.accept()
    edited = dialog.camera
    assert edited.name == "Gate" and edited.record == "events" and edited.recording_days == 3
    assert edited.motion == current.motion


def test_a_camera_password_is_never_shown_and_goes_back_into_the_address(qtbot):
    camera = CameraConfig(id="gate", source="rtsp://admin:p%40ss@10.0.0.9:554/ch1")
    dialog = CameraDialog(camera)
    qtbot.addWidget(dialog)
    assert dialog.source.text() == "rtsp://10.0.0.9:554/ch1"  # the address field holds no credentials
    assert dialog.user.text() == "admin" and dialog.password.text() == "p@ss"
    assert dialog.password.echoMode() == dialog.password.EchoMode.Password
    dialog.password.setText("n3w:pw")
    dialog.accept()
    assert dialog.camera.source == "rtsp://admin:n3w%3Apw@10.0.0.9:554/ch1"
    assert CameraConfig(id="f", source="/tmp/a.mp4").source == CameraDialog(
        CameraConfig(id="f", source="/tmp/a.mp4")).source_url()  # files and webcams pass through


def test_removing_a_camera_asks_what_to_do_with_the_rules_that_watch_only_it(qtbot, fake_engine, tmp_path,
                                                                           monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    link = LocalLink(fake_engine)
    link.update_rule({"name": "gate only", "classes": ["person"], "cameras": ["cam"]})
    window = MainWindow(link, QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    offered = []

    def choose(box, label):
        offered.append([b.text() for b in box.buttons()])
        next(b for b in box.buttons() if b.text() == label).click()

    monkeypatch.setattr(QMessageBox, "exec", lambda box: choose(box, "Cancel"))
    assert not window.remove_camera("cam"), "cancelled: nothing changes"
    assert [c.id for c in fake_engine.config.cameras] == ["cam"]
    assert {"Remove, disable its rules", "Remove, delete its rules", "Cancel"} <= set(offered[0])
    monkeypatch.setattr(QMessageBox, "exec", lambda box: choose(box, "Remove, delete its rules"))
    assert window.remove_camera("cam")
    qtbot.waitUntil(lambda: "cam" not in window.wall.tiles, timeout=5000)
    assert [r.name for r in fake_engine.config.rules if r.name == "gate only"] == []
    window.close()


SITE = """\
# The night shift's site. Ask Sam before changing it.
cameras:
  # The gate, on the pole by the road.
  - id: gate
    source: gate.avi   # relative to this file
    enabled: false     # its stream is down for repairs
  - id: yard
    source: yard.avi
    enabled: false
storage: {{path: {store}}}   # the test's own store
recording: {{folder: {rec}, clips_dir: {clips}}}
rules:
  # Only the yard camera sees the bins.
  - name: bins
    cameras: [yard]
    classes: [person]
  - name: anyone     # every camera
    classes: [person]
"""


def test_camera_changes_in_the_window_are_saved_in_the_operators_file_with_its_comments(qtbot, tmp_path,
                                                                                       monkeypatch):
    from PySide6.QtWidgets import QMessageBox
    from test_vision_synthetic import PatchDetector

    from surveil.config import load_config
    from surveil.engine.engine import Engine
    from surveil.paths import app_paths

    path = tmp_path / "config.yaml"
    path.write_text(SITE.format(store=tmp_path / "store", rec=tmp_path / "rec", clips=tmp_path / "clips"))
    comments = [line.split("#", 1)[1] for line in path.read_text().splitlines() if "#" in line]
    engine = Engine(load_config(path), app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP",
                    config_path=path)
    engine.start()
    window = MainWindow(LocalLink(engine), QSettings(str(tmp_path / "w.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    try:
        assert window.add_camera(CameraConfig(id="desk", source="0", enabled=False))

        def rename(dialog):  # the operator types a name in the edit dialog and presses OK
            dialog.name.setText("North gate")
            dialog.accept()
            return True
        monkeypatch.setattr(CameraDialog, "exec", rename)
        window._camera_dialog("gate")
        monkeypatch.setattr(QMessageBox, "exec", lambda box: next(
            b for b in box.buttons() if b.text() == "Remove, delete its rules").click())
        assert window.remove_camera("yard")
    finally:
        window.close()
        engine.stop()
    text = path.read_text()
    saved = load_config(path)
    assert [(c.id, c.name) for c in saved.cameras] == [("gate", "North gate"), ("desk", "")]
    assert [r.name for r in saved.rules] == ["anyone"], "the rule that watched only the removed camera is deleted"
    kept = [c for c in comments if "yard" not in c and "bins" not in c]
    assert all(c in text for c in kept), [c for c in kept if c not in text]
    assert "source: gate.avi   # relative to this file" in text, "an unchanged line keeps its layout"
    assert "yard" not in text and "bins" not in text
