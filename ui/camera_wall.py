"""The camera wall: 1, 2x2, 3x3 or 4x4 tiles; double-click a tile to enlarge it, again to go back."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QGridLayout, QWidget

from ui.camera_tile import CameraTile

LAYOUTS = (1, 4, 9, 16)


class CameraWall(QWidget):
    """Holds a tile per camera and lays out a page of them."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tiles: dict[str, CameraTile] = {}
        self.per_page = 4
        self.enlarged: str | None = None
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(2, 2, 2, 2)
        self._grid.setSpacing(2)

    def add_camera(self, camera_id: str, title: str) -> CameraTile:
        """A tile for a new camera."""
        tile = CameraTile(camera_id, title, self)
        tile.doubleClicked.connect(self.toggle_enlarged)
        self.tiles[camera_id] = tile
        self._relayout()
        return tile

    def remove_camera(self, camera_id: str) -> None:
        """Drop a camera's tile."""
        tile = self.tiles.pop(camera_id, None)
        if tile is not None:
            tile.deleteLater()
        self.enlarged = None if self.enlarged == camera_id else self.enlarged
        self._relayout()

    def set_layout(self, per_page: int) -> None:
        """1, 4, 9 or 16 tiles."""
        if per_page not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        self.per_page, self.enlarged = per_page, None
        self._relayout()

    def toggle_enlarged(self, camera_id: str) -> None:
        """Show one camera alone, or go back to the grid."""
        self.enlarged = None if self.enlarged == camera_id else camera_id
        self._relayout()

    def visible_ids(self) -> list[str]:
        """The cameras on screen now."""
        return [self.enlarged] if self.enlarged else list(self.tiles)[: self.per_page]

    def _relayout(self) -> None:
        for tile in self.tiles.values():
            self._grid.removeWidget(tile)
            tile.hide()
        shown = self.visible_ids()
        side = 1 if self.enlarged else int(math.sqrt(self.per_page))
        for i, camera_id in enumerate(shown):
            tile = self.tiles[camera_id]
            self._grid.addWidget(tile, i // side, i % side)
            tile.show()
