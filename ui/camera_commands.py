"""The window's camera commands: add, edit and remove through the link, and tiles that follow the engine's notices.

A mixin of ``MainWindow``: it uses the window's ``link``, ``wall`` and status bar. Every change is
the engine's: the window asks, and the tile comes or goes with the engine's announcement.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox

from surveil.config import CameraConfig
from surveil.engine import changes
from surveil.engine.alerts import EngineNotice

logger = logging.getLogger(__name__)


class CameraCommands:
    """Adds, edits and removes cameras through ``self.link``; keeps ``self.wall``'s tiles in step."""

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
