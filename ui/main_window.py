"""The main window: camera wall in the middle, alerts docked, engine health in the status bar.

It reaches the engine only through an ``EngineLink``: one running in this process, or a
service it is attached to. Nothing here knows which.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QMainWindow,
    QSystemTrayIcon,
)

from surveil.engine.alerts import EngineNotice
from surveil.service.link import EngineLink, LiveFrame
from ui.alerts_panel import LOUD, AlertsPanel
from ui.bridge import EngineBridge
from ui.camera_commands import CameraCommands
from ui.camera_wall import LAYOUTS, CameraList, CameraWall
from ui.incident_view import IncidentView
from ui.recording_timeline import RecordingTimeline
from ui.review import ReviewPanel
from ui.review_model import RECORD_ROLE
from ui.rule_editor import RuleEditor
from ui.scrolling_tabs import ScrollingTabs, scrolling
from ui.status_line import StatusLine
from ui.theme import app_icon
from ui.window_menus import WindowMenus
from ui.worker import Job

logger = logging.getLogger(__name__)

ROOMY_HEIGHT = 900  # screens at least this tall show the Timeline dock at first start
TIMELINE_HEADER, TIMELINE_LANE = 56, 38  # its buttons row and axis, and a camera's lane with its spacing


class MainWindow(CameraCommands, WindowMenus, QMainWindow):
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
        self.tabs.currentChanged.connect(lambda _: self._follow_view())
        self.wall.changed.connect(self._follow_view)
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
                             "rule_removed", "overload"):
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
        self._follow_view()

    def _follow_view(self) -> None:
        """Frames at the view's rate only for the tiles on screen: none while minimised or on another tab."""
        shown = set() if self.isMinimized() else {c for c, tile in self.wall.tiles.items() if tile.isVisible()}
        self.bridge.show_cameras(shown)

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
