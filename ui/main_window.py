"""The main window: camera wall in the middle, alerts docked, engine health in the status bar."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QSystemTrayIcon, QTabWidget, QToolBar

from surveil.engine.alerts import EngineNotice
from surveil.engine.engine import Engine
from ui.alerts_panel import LOUD, AlertsPanel
from ui.bridge import EngineBridge, FrameView
from ui.camera_wall import LAYOUTS, CameraWall
from ui.review import ReviewPanel
from ui.rule_editor import RuleEditor

logger = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Owns the bridge; closing the window detaches it (the caller stops the engine)."""

    def __init__(self, engine: Engine, settings: QSettings, config_path: Path | None = None):
        super().__init__()
        self.engine, self.settings = engine, settings
        self.setWindowTitle("surveil")
        self.wall = CameraWall()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.wall, "Live")
        self.setCentralWidget(self.tabs)
        # Subscribe and connect first, then read the current states: no change can fall in between.
        self.bridge = EngineBridge(engine, parent=self)
        self.bridge.frame.connect(self._on_frame)
        self.bridge.notice.connect(self._on_notice)
        for camera in engine.config.cameras:
            if camera.enabled:
                tile = self.wall.add_camera(camera.id, camera.display_name)
                self._tile_menu(tile)
                source = engine.loop.sources.get(camera.id)
                if source is not None:  # the engine may have gone live before the window subscribed
                    tile.set_status(source.status.state.value, source.status.reason, source.status.retry_at)
        self.alerts = AlertsPanel()
        self.alerts.action.connect(self._on_action)
        dock = QDockWidget("Alerts", self)
        dock.setObjectName("alerts")
        dock.setWidget(self.alerts)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.rules = RuleEditor(engine, config_path, frame_for=self._latest_image)
        self.review = ReviewPanel(engine)
        self.tabs.addTab(self.rules, "Rules")
        self.tabs.addTab(self.review, "Review")
        self.tabs.currentChanged.connect(lambda i: self.review.refresh() if self.tabs.widget(i) is self.review
                                         else None)
        self._toolbar()
        self.health_label = QLabel("starting…")
        self.statusBar().addPermanentWidget(self.health_label)
        self.storage_label = QLabel("")
        self.storage_label.setContentsMargins(16, 0, 4, 0)  # apart from the health figures beside it
        self.statusBar().addPermanentWidget(self.storage_label)
        self.tray = QSystemTrayIcon(self) if QSystemTrayIcon.isSystemTrayAvailable() else None
        self._timer = QTimer(self, interval=1000, timeout=self._show_health)
        self._timer.start()
        self._restore()

    def add_camera(self, camera) -> None:
        """Start a camera in the engine, give it a tile, and keep it in the config."""
        self.engine.add_camera(camera)
        self.engine.config.cameras = [c for c in self.engine.config.cameras if c.id != camera.id] + [camera]
        self._tile_menu(self.wall.add_camera(camera.id, camera.display_name))

    def remove_camera(self, camera_id: str) -> None:
        """Stop a camera and drop its tile."""
        self.engine.remove_camera(camera_id)
        self.engine.config.cameras = [c for c in self.engine.config.cameras if c.id != camera_id]
        self.wall.remove_camera(camera_id)

    def _tile_menu(self, tile) -> None:
        tile.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        edit = QAction("Edit camera…", tile)
        edit.triggered.connect(lambda: self._camera_dialog(tile.camera_id))
        remove = QAction("Remove camera", tile)
        remove.triggered.connect(lambda: self.remove_camera(tile.camera_id))
        tile.addActions([edit, remove])

    def _camera_dialog(self, camera_id: str | None = None) -> None:
        from ui.camera_dialog import CameraDialog

        current = next((c for c in self.engine.config.cameras if c.id == camera_id), None)
        dialog = CameraDialog(current, parent=self)
        if dialog.exec() and dialog.camera is not None:
            for old in {camera_id, dialog.camera.id} & set(self.wall.tiles):  # an edit replaces the camera
                self.remove_camera(old)
            self.add_camera(dialog.camera)

    def _toolbar(self) -> None:
        bar = QToolBar("Layout", self)
        bar.setObjectName("layout")
        group = QActionGroup(self)
        for per_page in LAYOUTS:
            side = int(per_page ** 0.5)
            action = QAction(f"{side}×{side}", self, checkable=True)
            action.triggered.connect(lambda _=False, n=per_page: self.wall.set_layout(n))
            action.setChecked(per_page == self.wall.per_page)
            group.addAction(action)
            bar.addAction(action)
        bar.addSeparator()
        add = QAction("Add camera…", self)
        add.triggered.connect(lambda: self._camera_dialog())
        bar.addAction(add)
        self.addToolBar(bar)

    def _latest_image(self, camera_id: str):
        tile = self.wall.tiles.get(camera_id)
        return tile.view.image if tile is not None and tile.view is not None else None

    def _on_frame(self, view: FrameView) -> None:
        tile = self.wall.tiles.get(view.camera_id)
        if tile is not None and (tile.isVisible() or tile.view is None):  # keep one frame for the zone editor
            tile.show_frame(view)

    def _on_notice(self, notice: EngineNotice) -> None:
        tile = self.wall.tiles.get(notice.camera_id or "")
        if notice.kind == "camera_status" and tile is not None:
            source = self.engine.loop.sources.get(notice.camera_id)
            if source is not None:
                tile.set_status(source.status.state.value, source.status.reason, source.status.retry_at)
        elif notice.kind == "alert_started" and notice.record is not None:
            self.alerts.add_alert(notice.record, self.engine.store.thumbnail("e", notice.record.event_id))
            if tile is not None:
                tile.set_alert(f"{notice.record.rule}: {notice.record.label} #{notice.record.track_id}")
            if self.tray is not None and notice.record.severity in LOUD:
                self.tray.showMessage("surveil alert", notice.message)
        elif notice.kind == "alert_ended" and tile is not None:
            tile.set_alert("")
        elif notice.kind in ("store_error", "store_resumed", "clip_failed", "recording_error", "recording_resumed",
                             "retention", "storage_warning"):
            self.statusBar().showMessage(notice.message, 15000)

    def _on_action(self, event_id: str, what: str, text: str) -> None:
        try:
            if what == "acknowledge":
                self.engine.mark_event(event_id, acknowledged=True)
            elif what == "note":
                self.engine.mark_event(event_id, note=text)
            else:
                self.engine.mark_event(event_id, verdict=what, acknowledged=True)
        except Exception as exc:  # a store error must reach the operator, not end the window
            logger.exception("could not record the operator's decision")
            self.statusBar().showMessage(f"could not save: {exc}", 15000)
            return
        self.alerts.mark_done(event_id, what.replace("_", " "))

    def _show_zones(self) -> None:
        """Each tile shows the zones of the enabled rules that watch its camera."""
        rules = list(self.engine.loop.rules.rules.values()) if self.engine.loop else []
        for camera_id, tile in self.wall.tiles.items():
            tile.set_zones([z.points for r in rules if r.enabled and (not r.cameras or camera_id in r.cameras)
                            for z in r.zones])

    def _show_health(self) -> None:
        self._show_zones()
        for tile in self.wall.tiles.values():
            if tile.retry_at is not None:
                tile.update()  # the countdown moves
        health = self.engine.health()
        cameras = health["cameras"].values()
        live = sum(c["state"] == "live" for c in cameras)
        fps = sum(c["fps_analysed"] for c in cameras)
        drops = sum(c["dropped"] for c in cameras)
        latency = health["latency_s"]["p95"]
        shown = f", alerts p95 {latency * 1000:.0f} ms" if latency is not None else ""
        self.health_label.setText(f"{live}/{len(health['cameras'])} cameras live, {fps:.1f} fps analysed, "
                                  f"{drops} dropped{shown}")
        self._show_storage(health)

    def _show_storage(self, health: dict) -> None:
        """Disk used against the cap, days kept, the next purge, and any camera that is not recording."""
        retention, recording = health.get("retention") or {}, health.get("recording") or {}
        failing = [c for c, r in recording.items() if r["state"].startswith("error")]
        if "used_bytes" not in retention:
            text = "storage: measuring…"
        else:
            days = min((c["days"] for c in retention.get("cameras", {}).values()), default=0.0)
            nxt = retention.get("next_purge")
            at = dt.datetime.fromisoformat(nxt).astimezone().strftime("%H:%M") if nxt else "-"
            text = (f"storage {retention['used_bytes'] / 1e9:.1f} of {retention['cap_bytes'] / 1e9:.0f} GB "
                    f"({retention['cap_share']:.0%}), {days:.1f} days kept, next purge {at}")
        if failing:
            text += f"; NOT RECORDING: {', '.join(failing)}"
        self.storage_label.setText(text)
        tips = [recording[c]["state"] for c in failing] + ([retention["warning"]] if retention.get("warning") else [])
        self.storage_label.setToolTip("\n".join(tips) or "recordings, clips and the store, against storage.max_size_gb")
        self.storage_label.setStyleSheet("color: #b00020; font-weight: bold" if failing or retention.get("warning")
                                         else "")

    def _restore(self) -> None:
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        if state is not None:
            self.restoreState(state)
        per_page = int(self.settings.value("wall/per_page", 4))
        self.wall.set_layout(per_page if per_page in LAYOUTS else 4)

    def closeEvent(self, event) -> None:  # noqa: N802
        """Remember the layout and let go of the engine."""
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("wall/per_page", self.wall.per_page)
        self.settings.sync()
        self._timer.stop()
        self.rules._timer.stop()
        self.review.player.stop()
        self.bridge.detach()
        super().closeEvent(event)
