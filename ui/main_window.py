"""The main window: camera wall in the middle, alerts docked, engine health in the status bar.

It reaches the engine only through an ``EngineLink``: one running in this process, or a
service it is attached to. Nothing here knows which.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QSystemTrayIcon, QTabWidget, QToolBar

from surveil.config import CameraConfig
from surveil.engine import changes
from surveil.engine.alerts import EngineNotice
from surveil.service.link import EngineLink, LiveFrame
from surveil.store.db import StoreError
from ui.alerts_panel import LOUD, AlertsPanel
from ui.bridge import EngineBridge
from ui.camera_wall import LAYOUTS, CameraWall
from ui.review import ReviewPanel
from ui.rule_editor import RuleEditor
from ui.status_line import StatusLine
from ui.worker import Job

logger = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """Owns the bridge; closing the window detaches it (the caller closes the link, and stops its engine)."""

    def __init__(self, link: EngineLink, settings: QSettings, title: str = "surveil"):
        super().__init__()
        self.link, self.settings = link, settings
        self.setWindowTitle(title)
        self.wall = CameraWall()
        self.tabs = QTabWidget()
        self.tabs.addTab(self.wall, "Live")
        self.setCentralWidget(self.tabs)
        # Subscribe and connect first, then read the current states: no change can fall in between.
        self.bridge = EngineBridge(link, parent=self)
        self.bridge.frame.connect(self._on_frame)
        self.bridge.notice.connect(self._on_notice)
        snapshot = link.snapshot()
        for camera in snapshot.config.cameras:
            if camera.enabled:
                self._add_tile(camera)
        for camera_id, view in snapshot.cameras.items():  # the engine may have gone live before we subscribed
            if camera_id in self.wall.tiles:
                self.wall.tiles[camera_id].set_status(view.state, view.reason, view.retry_at)
        self.alerts = AlertsPanel()
        self.alerts.action.connect(self._on_action)
        dock = QDockWidget("Alerts", self)
        dock.setObjectName("alerts")
        dock.setWidget(self.alerts)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.rules = RuleEditor(link, frame_for=self._latest_image)
        self.review = ReviewPanel(link)
        self.tabs.addTab(self.rules, "Rules")
        self.tabs.addTab(self.review, "Review")
        self.tabs.currentChanged.connect(lambda i: self.review.refresh() if self.tabs.widget(i) is self.review
                                         else None)
        self._toolbar()
        self.status = StatusLine(self.statusBar())
        self.health_label, self.storage_label = self.status.health_label, self.status.storage_label
        self.tray = QSystemTrayIcon(self) if QSystemTrayIcon.isSystemTrayAvailable() else None
        self._timer = QTimer(self, interval=1000, timeout=self._show_health)
        self._timer.start()
        self._restore()

    def add_camera(self, camera: CameraConfig) -> bool:
        """Ask the engine to add a camera; its tile comes with the engine's announcement."""
        return self._command(lambda: self.link.add_camera(camera))

    def remove_camera(self, camera_id: str, confirm: bool = True) -> bool:
        """Ask the engine to remove a camera, first saying what happens to the rules that watch it."""
        try:
            preview = changes.remove_camera(self.link.config, camera_id)
        except ValueError as exc:  # ChangeRefused, or a service that cannot be reached
            return self._refused(exc)
        if confirm and preview.effects:
            answer = QMessageBox.question(self, "Remove camera", f"Remove {camera_id}?\n\n"
                                          + "\n".join(preview.effects))
            if answer != QMessageBox.StandardButton.Yes:
                return False
        return self._command(lambda: self.link.remove_camera(camera_id))

    def _command(self, command) -> bool:
        try:
            command()
        except ValueError as exc:  # ChangeRefused, or a service that cannot be reached
            return self._refused(exc)
        return True

    def _refused(self, exc: Exception) -> bool:
        self.statusBar().showMessage(f"not changed: {exc}", 15000)
        return False

    def _add_tile(self, camera: CameraConfig) -> None:
        if camera.id not in self.wall.tiles:
            self._tile_menu(self.wall.add_camera(camera.id, camera.display_name))

    def _tile_menu(self, tile) -> None:
        tile.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        edit = QAction("Edit camera…", tile)
        edit.triggered.connect(lambda: self._camera_dialog(tile.camera_id))
        remove = QAction("Remove camera", tile)
        remove.triggered.connect(lambda: self.remove_camera(tile.camera_id))
        tile.addActions([edit, remove])

    def _camera_dialog(self, camera_id: str | None = None) -> None:
        from ui.camera_dialog import CameraDialog

        current = next((c for c in self.link.config.cameras if c.id == camera_id), None)
        dialog = CameraDialog(current, parent=self)
        if dialog.exec() and dialog.camera is not None:
            camera = dialog.camera
            if camera_id is None:
                self.add_camera(camera)
            else:
                self._command(lambda: self.link.update_camera(camera_id, camera))

    def _on_change(self, notice: EngineNotice) -> None:
        """Cameras come and go with the engine's announcements, whoever asked for the change."""
        subject, replaces = notice.detail.get("subject"), notice.detail.get("replaces")
        if notice.kind in ("camera_removed", "camera_updated"):
            self.wall.remove_camera(replaces or subject)
        if notice.kind in ("camera_added", "camera_updated"):
            # The snapshot is published before the change is announced (a service's is read now).
            camera = next((c for c in self.link.snapshot().config.cameras if c.id == subject), None)
            if camera is not None and camera.enabled:
                self._add_tile(camera)
        self.statusBar().showMessage(notice.message, 15000)

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

    def _on_frame(self, view: LiveFrame) -> None:
        tile = self.wall.tiles.get(view.camera_id)
        if tile is not None and (tile.isVisible() or tile.view is None):  # keep one frame for the zone editor
            tile.show_frame(view)

    def _on_notice(self, notice: EngineNotice) -> None:
        tile = self.wall.tiles.get(notice.camera_id or "")
        if notice.kind == "camera_status" and tile is not None:
            tile.set_status(notice.detail["state"], notice.detail["reason"], notice.detail["retry_at"])
        elif notice.kind in ("camera_added", "camera_updated", "camera_removed"):
            self._on_change(notice)
        elif notice.kind == "alert_started" and notice.record is not None:
            self.alerts.add_alert(notice.record)
            self._load_thumbnail(notice.record.event_id)
            if tile is not None:
                tile.set_alert(f"{notice.record.rule}: {notice.record.label} #{notice.record.track_id}")
            if self.tray is not None and notice.record.severity in LOUD:
                self.tray.showMessage("surveil alert", notice.message)
        elif notice.kind == "alert_ended" and tile is not None:
            tile.set_alert("")
        elif notice.kind in ("store_error", "store_resumed", "clip_failed", "recording_error", "recording_resumed",
                             "retention", "storage_warning", "thread_error", "rule_error", "rule_changed",
                             "rule_removed"):
            self.statusBar().showMessage(notice.message, 15000)

    def _on_action(self, event_id: str, what: str, text: str) -> None:
        marks = {"acknowledge": {"acknowledged": True}, "note": {"note": text}, "lock": {"locked": True},
                 "unlock": {"locked": False}}
        try:
            self.link.mark_event(event_id, **marks.get(what, {"verdict": what, "acknowledged": True}))
        except (ValueError, StoreError, KeyError) as exc:  # must reach the operator, not end the window
            logger.exception("could not record the operator's decision")
            self.statusBar().showMessage(f"could not save: {exc}", 15000)
            return
        self.alerts.mark_done(event_id, {"lock": "locked", "unlock": "unlocked"}.get(what, what.replace("_", " ")))

    def _load_thumbnail(self, event_id: str) -> None:
        """Fetch an alert's thumbnail off the GUI thread (a service answers it over its API)."""
        job = Job(lambda _job: self.link.thumbnail("e", event_id), self)
        job.done.connect(lambda jpeg: self.alerts.set_thumbnail(event_id, jpeg))
        job.start()

    def _show_zones(self, snapshot) -> None:
        """Each tile shows the zones of the enabled rules that watch its camera."""
        for camera_id, tile in self.wall.tiles.items():
            tile.set_zones([z.points for r in snapshot.rules_on(camera_id) for z in r.zones])

    def _show_health(self) -> None:
        try:
            snapshot, health = self.link.snapshot(), self.link.health()
        except ValueError as exc:  # a service that went away: say so, and try again on the next tick
            self.status.health_label.setText(f"not connected: {exc}")
            return
        self._show_zones(snapshot)
        for tile in self.wall.tiles.values():
            if tile.retry_at is not None:
                tile.update()  # the countdown moves
        self.status.show(health)

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
        """Remember the layout, end the background jobs, and let go of the link."""
        from ui.worker import cancel_all_and_join

        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.setValue("wall/per_page", self.wall.per_page)
        self.settings.sync()
        self._timer.stop()
        self.rules._timer.stop()
        self.review.player.stop()
        # Back-tests, searches and exports read through the link the caller closes next, and emit into these widgets.
        cancel_all_and_join(timeout=5.0)
        self.bridge.detach()
        super().closeEvent(event)
