"""The window's menu bar, toolbar and shortcuts, on the same actions; full screen; About."""

from __future__ import annotations

import logging

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMessageBox, QToolBar

from ui.camera_wall import LAYOUTS
from ui.theme import icon

logger = logging.getLogger(__name__)


class WindowMenus:
    """A mixin of ``MainWindow``: builds its actions once its wall, docks and Review exist."""

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
