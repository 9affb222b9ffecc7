"""The main window: camera wall in the middle, alerts docked, engine health in the status bar.

It reaches the engine only through an ``EngineLink``: one running in this process, or a
service it is attached to. Nothing here knows which.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSystemTrayIcon,
    QTabWidget,
    QToolBar,
    QWidget,
)

from surveil.config import CameraConfig
from surveil.engine import changes
from surveil.engine.alerts import EngineNotice
from surveil.service.link import EngineLink, LiveFrame
from ui.alerts_panel import LOUD, AlertsPanel
from ui.bridge import EngineBridge
from ui.camera_wall import LAYOUTS, CameraList, CameraWall
from ui.incident_view import IncidentView
from ui.recording_timeline import RecordingTimeline
from ui.review import ReviewPanel
from ui.review_model import RECORD_ROLE
from ui.rule_editor import RuleEditor
from ui.status_line import StatusLine
from ui.theme import app_icon, icon
from ui.worker import Job

logger = logging.getLogger(__name__)

ROOMY_HEIGHT = 900  # screens at least this tall show the Timeline dock at first start
TIMELINE_HEADER, TIMELINE_LANE = 56, 50  # its buttons row, and a camera's strip with its spacing


def scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a scroll area: it may then be smaller than its layout needs (a 1366x768 screen)."""
    area = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


class ScrollingTabs(QTabWidget):
    """Tabs whose pages scroll rather than widen the window past a 1366x768 screen (the wall never scrolls).

    Callers see their own pages: ``widget``, ``indexOf``, ``currentWidget`` and ``setCurrentWidget``
    look through the scroll areas.
    """

    def __init__(self, unscrolled=(), parent: QWidget | None = None):
        super().__init__(parent)
        self._unscrolled = list(unscrolled)

    def addTab(self, page: QWidget, label: str) -> int:  # noqa: N802 (Qt's name)
        """Add a page, in a scroll area unless it was named as one that fits any size."""
        if any(page is fixed for fixed in self._unscrolled):
            return super().addTab(page, label)
        return super().addTab(scrolling(page), label)

    def widget(self, index: int) -> QWidget | None:
        """The page itself, not its scroll area."""
        found = super().widget(index)
        return found.widget() if isinstance(found, QScrollArea) else found

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        """The page shown."""
        return self.widget(self.currentIndex())

    def indexOf(self, page: QWidget) -> int:  # noqa: N802
        """A page's index, whether or not it scrolls."""
        return next((i for i in range(self.count()) if self.widget(i) is page), -1)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        """Show a page."""
        self.setCurrentIndex(self.indexOf(page))


class MainWindow(QMainWindow):
    """Owns the bridge; closing the window detaches it (the caller closes the link, and stops its engine)."""

    def __init__(self, link: EngineLink, settings: QSettings, title: str = "surveil"):
        super().__init__()
        self.link, self.settings = link, settings
        self.setWindowTitle(title)
        self.wall = CameraWall()
        self.tabs = ScrollingTabs(unscrolled=(self.wall,))
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
        self.alerts.opened.connect(self.open_incident)
        self.alerts.load_stored(link)  # the unacknowledged alerts from before, below the live ones
        self._incidents: dict[str, IncidentView] = {}
        self.recordings = RecordingTimeline(link)  # every camera's recording; a click plays it there
        self.recordings.opened.connect(self.open_recording)
        timeline_dock = QDockWidget("Timeline", self)
        timeline_dock.setObjectName("timeline")
        timeline_dock.setWidget(scrolling(self.recordings))  # a strip per camera: 16 would not fit 768 pixels
        timeline_dock.toggleViewAction().setShortcut(QKeySequence("Ctrl+T"))  # View → Timeline
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, timeline_dock)
        dock = QDockWidget("Alerts", self)
        dock.setObjectName("alerts")
        dock.setWidget(self.alerts)
        self.alerts.unacknowledged.connect(lambda n: dock.setWindowTitle(f"Alerts ({n})" if n else "Alerts"))
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.camera_list = CameraList(self.wall)
        self.cameras_dock = QDockWidget("Cameras", self)
        self.cameras_dock.setObjectName("cameras")
        self.cameras_dock.setWidget(self.camera_list)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.cameras_dock)  # under the alerts: no width taken
        self.rules = RuleEditor(link, frame_for=self._latest_image)
        self.review = ReviewPanel(link)
        self.tabs.addTab(self.rules, "Rules")
        self.tabs.addTab(self.review, "Review")
        self.tabs.currentChanged.connect(lambda i: self.review.refresh() if self.tabs.widget(i) is self.review
                                         else None)  # coming back to Review shows what happened meanwhile
        self.review.table.doubleClicked.connect(lambda index: self.open_incident(index.data(RECORD_ROLE).event_id))
        self.rules.backtest_hits.itemDoubleClicked.connect(
            lambda item: self.open_recording(*item.data(Qt.ItemDataRole.UserRole)))  # (camera, time) of the hit
        self.timeline_dock = timeline_dock
        self._actions()
        self.setWindowIcon(app_icon())
        self.status = StatusLine(self.statusBar())
        self.health_label, self.storage_label = self.status.health_label, self.status.storage_label
        self.tray = QSystemTrayIcon(app_icon(), self) if QSystemTrayIcon.isSystemTrayAvailable() else None
        if self.tray is not None:  # its notifications tell of loud alerts while the window is hidden
            self.tray.setToolTip(title)
            self.tray.show()
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
        orphaned = "disable"
        if confirm and preview.effects:
            orphaned = self._ask_remove(camera_id, preview.effects)
            if orphaned is None:
                return False
        return self._command(lambda: self.link.remove_camera(camera_id, orphaned))

    def _ask_remove(self, camera_id: str, effects: list[str]) -> str | None:
        """What the operator wants for the rules that watch the camera: disable, delete, or None to cancel."""
        box = QMessageBox(QMessageBox.Icon.Question, "Remove camera", f"Remove {camera_id}?\n\n" + "\n".join(effects),
                          parent=self)
        orphans = any("watched only" in effect for effect in effects)
        disable = box.addButton("Remove, disable its rules" if orphans else "Remove",
                                QMessageBox.ButtonRole.AcceptRole)
        delete = box.addButton("Remove, delete its rules", QMessageBox.ButtonRole.DestructiveRole) if orphans else None
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return {disable: "disable", delete: "delete"}.get(box.clickedButton())

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

    def _actions(self) -> None:
        """The menu bar and the toolbar, on the same actions; shortcuts work from anywhere in the window."""
        self.layout_actions = QActionGroup(self)
        for n, per_page in enumerate(LAYOUTS, start=1):
            side = int(per_page ** 0.5)
            action = self._action(f"{side}×{side}", f"layout-{per_page}", f"Ctrl+{n}", lambda _=False, p=per_page:
                                  self.wall.set_layout(p), checkable=True)
            action.setChecked(per_page == self.wall.per_page)
            self.layout_actions.addAction(action)
        self.wall.changed.connect(lambda: self.layout_actions.actions()[LAYOUTS.index(self.wall.per_page)]
                                  .setChecked(True))  # also when the layout is set from elsewhere
        self.full_screen_action = self._action("Full screen", "full-screen", "F11", self.toggle_full_screen,
                                               checkable=True)
        self.leave_full_screen = self._action("Leave full screen", "full-screen", "Esc", self.toggle_full_screen)
        self.leave_full_screen.setEnabled(False)  # Esc belongs to the widgets until then
        self._was_maximized = False
        self.addAction(self.leave_full_screen)
        cameras = self.cameras_dock.toggleViewAction()
        cameras.setText("Camera list")
        cameras.setIcon(icon("camera-list"))
        cameras.setShortcut(QKeySequence("Ctrl+L"))
        self.add_camera_action = self._action("Add camera…", "add-camera", "Ctrl+N", lambda: self._camera_dialog())
        self._menus(cameras)
        bar = QToolBar("Layout", self)
        bar.setObjectName("layout")
        bar.addActions(self.layout_actions.actions())
        bar.addSeparator()
        bar.addActions([self.full_screen_action, cameras, self.add_camera_action])
        self.addToolBar(bar)

    def _action(self, text: str, icon_name: str, shortcut: str, slot, checkable: bool = False) -> QAction:
        action = QAction(icon(icon_name), text, self, checkable=checkable)
        action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{text} ({QKeySequence(shortcut).toString(QKeySequence.SequenceFormat.NativeText)})")
        action.triggered.connect(slot)
        return action

    def _menus(self, cameras: QAction) -> None:
        file = self.menuBar().addMenu("&File")
        export = file.addAction(icon("export"), "Export…", self._export)
        export.setShortcut(QKeySequence("Ctrl+E"))
        file.addSeparator()
        quit_action = file.addAction(icon("quit"), "Quit", self.close)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        view = self.menuBar().addMenu("&View")
        view.addActions(self.layout_actions.actions())
        view.addSeparator()
        view.addAction(icon("previous"), "Previous page\tPgUp", self.wall.previous_page)
        view.addAction(icon("next"), "Next page\tPgDn", self.wall.next_page)
        view.addSeparator()
        view.addActions([self.full_screen_action, cameras, self.timeline_dock.toggleViewAction()])
        self.menuBar().addMenu("&Cameras").addAction(self.add_camera_action)
        self.menuBar().addMenu("&Help").addAction(icon("about"), "About surveil", self._about)

    def toggle_full_screen(self) -> None:
        """F11: the window over the whole screen, and back (Esc also leaves)."""
        if not self.isFullScreen():
            self._was_maximized = self.isMaximized()
            self.showFullScreen()
        elif self._was_maximized:
            self.showMaximized()
        else:
            self.showNormal()
        self.full_screen_action.setChecked(self.isFullScreen())
        self.leave_full_screen.setEnabled(self.isFullScreen())

    def _export(self) -> None:
        """File → Export…: the Review tab's export of the selected (or listed) incidents."""
        self.tabs.setCurrentWidget(self.review)
        self.review.export_selection()

    def _about(self) -> None:
        from surveil import __version__

        QMessageBox.about(self, "About surveil", f"<b>surveil {__version__}</b><p>Surveillance event monitoring "
                          "on your own machine.</p><p>AGPL-3.0-or-later. Icons: Material Design Icons via "
                          "qtawesome.</p>")

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
                record = notice.record
                tile.set_alert(f"{record.rule}: {record.label} #{record.track_id}", record.track_id, record.severity,
                               record.start)
            if self.tray is not None and notice.record.severity in LOUD and not self.alerts.mute.isChecked():
                self.tray.showMessage(f"surveil: {notice.record.severity} alert", notice.message,
                                      QSystemTrayIcon.MessageIcon.Critical)
        elif notice.kind == "alert_ended" and tile is not None:
            tile.set_alert("")
        elif notice.kind in ("store_error", "store_resumed", "clip_failed", "recording_error", "recording_resumed",
                             "retention", "storage_warning", "thread_error", "rule_error", "rule_changed",
                             "rule_removed"):
            self.statusBar().showMessage(notice.message, 15000)

    def _on_action(self, event_id: str, what: str, text: str) -> None:
        """Store the operator's decision off the GUI thread (a service answers over HTTP); a refusal shows there."""
        self.alerts.act_on(self.link, event_id, what, text)

    def open_incident(self, event_id: str, at: float | None = None) -> IncidentView:
        """Show an incident's evidence: its camera's recording from just before it (or at ``at``), with triage."""
        view = self._incidents.get(event_id)
        if view is None:
            view = self._track_view(event_id, IncidentView(self.link, event_id, at, parent=self))
        elif at is not None:
            view.show_at(at)
        view.show()
        view.raise_()
        view.activateWindow()
        return view

    def open_recording(self, camera_id: str, at: float) -> IncidentView:
        """Show a camera's recording at ``at`` (the recordings timeline's click); one window per camera."""
        key = f"camera:{camera_id}"
        if key in self._incidents:
            self._incidents.pop(key).close()
        view = self._track_view(key, IncidentView(self.link, at=at, camera_id=camera_id, parent=self))
        view.show()
        return view

    def _track_view(self, key: str, view: IncidentView) -> IncidentView:
        self._incidents[key] = view
        view.marked.connect(self.alerts.mark_done)
        view.destroyed.connect(lambda _=None: self._incidents.pop(key, None) if self._incidents.get(key) is view
                               else None)
        return view

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
        for camera_id, view in snapshot.cameras.items():  # a change announced before the bridge listened
            tile = self.wall.tiles.get(camera_id)
            if tile is not None and (tile.state, tile.reason) != (view.state, view.reason):
                tile.set_status(view.state, view.reason, view.retry_at)
        self.status.show(health)

    def _restore(self) -> None:
        geometry, state = self.settings.value("window/geometry"), self.settings.value("window/state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:  # first start: the whole screen; un-maximized, as large as fits screens down to 1366x768
            screen = self.screen().availableGeometry()
            self.resize(min(1280, screen.width()), min(760, screen.height()))
            self.setWindowState(Qt.WindowState.WindowMaximized)
        if state is not None:
            self.restoreState(state)
        else:
            self.lay_out_docks(self.screen().availableGeometry().height())
        per_page = int(self.settings.value("wall/per_page", 4))
        per_page = per_page if per_page in LAYOUTS else 4
        self.wall.set_layout(per_page)
        self.wall.setFocus()  # PgUp/PgDn turn the wall's pages from the start

    def lay_out_docks(self, screen_height: int) -> None:
        """The first start's docks (no saved layout) for a screen ``screen_height`` pixels tall.

        The wall and the Review table keep the height: the Timeline dock below them is shown only on
        screens of at least ROOMY_HEIGHT (a laptop's 768 would leave Review a few rows; View → Timeline,
        Ctrl+T, shows it there), a strip per camera high and at most a fifth of the window.
        """
        self.timeline_dock.setVisible(screen_height >= ROOMY_HEIGHT)
        QTimer.singleShot(0, self._fit_docks)  # once the window has its size

    def _fit_docks(self) -> None:
        if not self.timeline_dock.isHidden():
            lanes = TIMELINE_HEADER + TIMELINE_LANE * max(len(self.link.config.cameras), 1)
            self.resizeDocks([self.timeline_dock], [min(lanes, self.height() // 5)], Qt.Orientation.Vertical)

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
        for view in list(self._incidents.values()):
            view.close()  # stops its decoding thread
        cancel_all_and_join(timeout=5.0)
        self.bridge.detach()
        super().closeEvent(event)
