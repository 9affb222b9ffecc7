"""The camera wall: pages of 1, 2x2, 3x3 or 4x4 cameras, and the camera list beside it.

A page holds at most the layout's count of cameras; its cells keep the cameras' shape (no tall
narrow cells): the grid is the one, within the layout's side, that shows the page's cameras
largest, centred. PgUp/PgDn (or the arrows under the wall) turn pages; double-click a tile to
enlarge it, again to go back.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.camera_tile import CameraTile
from ui.theme import STATES, UNKNOWN_STATE, icon

LAYOUTS = (1, 4, 9, 16)
DEFAULT_ASPECT = 16 / 9
GAP = 3


def grid_for(count: int, per_page: int, width: float, height: float, aspect: float) -> tuple[int, int]:
    """(columns, rows) within the layout's side that show ``count`` cells of ``aspect`` largest in the area."""
    side = max(1, math.isqrt(per_page))
    best, best_width = (side, side), -1.0
    for columns in range(1, min(max(count, 1), side) + 1):
        rows = math.ceil(max(count, 1) / columns)
        if rows > side:
            continue
        cell_width = min((width - GAP * (columns - 1)) / columns, (height - GAP * (rows - 1)) / rows * aspect)
        if cell_width > best_width + 0.5:  # ties go to fewer columns
            best, best_width = (columns, rows), cell_width
    return best


class _Area(QWidget):
    """Where the tiles sit; placed by hand so that cells keep their shape."""

    def __init__(self, wall: CameraWall):
        super().__init__(wall)
        self._wall = wall

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Place the tiles again."""
        self._wall._place()


class CameraWall(QWidget):
    """Holds a tile per camera and shows one page of them (or one enlarged)."""

    changed = Signal()  # cameras, pages or a camera's state changed: the camera list follows

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.tiles: dict[str, CameraTile] = {}
        self.per_page, self.page = 4, 0
        self.enlarged: str | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._area = _Area(self)
        self._previous = self._page_button("previous", "Previous page (PgUp)", self.previous_page)
        self._next = self._page_button("next", "Next page (PgDn)", self.next_page)
        self.page_label = QLabel("")
        pager = QHBoxLayout()
        pager.setContentsMargins(4, 0, 4, 0)
        pager.addStretch(1)
        for widget in (self._previous, self.page_label, self._next):
            pager.addWidget(widget)
        pager.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self._area, 1)
        layout.addLayout(pager)

    def _page_button(self, name: str, tip: str, slot) -> QToolButton:
        button = QToolButton(self, toolTip=tip, autoRaise=True)
        button.setIcon(icon(name))
        button.clicked.connect(slot)
        return button

    def add_camera(self, camera_id: str, title: str) -> CameraTile:
        """A tile for a new camera, at the end of the last page."""
        tile = CameraTile(camera_id, title, self._area)
        tile.doubleClicked.connect(self.toggle_enlarged)
        tile.statusChanged.connect(lambda _id: self.changed.emit())
        tile.aspectChanged.connect(lambda _id: self._place())
        self.tiles[camera_id] = tile
        self._relayout()
        return tile

    def remove_camera(self, camera_id: str) -> None:
        """Drop a camera's tile."""
        tile = self.tiles.pop(camera_id, None)
        if tile is not None:
            tile.hide()
            tile.deleteLater()
        self.enlarged = None if self.enlarged == camera_id else self.enlarged
        self._relayout()

    def set_layout(self, per_page: int) -> None:
        """1, 4, 9 or 16 tiles a page; the page shown is the one holding the first camera shown before."""
        if per_page not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}")
        first = self.page * self.per_page
        self.per_page, self.enlarged = per_page, None
        self.page = first // per_page
        self._relayout()

    def pages(self) -> int:
        """How many pages the cameras take (at least one)."""
        return max(1, math.ceil(len(self.tiles) / self.per_page))

    def set_page(self, page: int) -> None:
        """Show a page (counted from 0; past either end it wraps round)."""
        self.page, self.enlarged = page % self.pages(), None
        self._relayout()

    def next_page(self) -> None:
        """The next page (after the last: the first)."""
        self.set_page(self.page + 1)

    def previous_page(self) -> None:
        """The previous page (before the first: the last)."""
        self.set_page(self.page - 1)

    def page_of(self, camera_id: str) -> int:
        """The page a camera is on."""
        return list(self.tiles).index(camera_id) // self.per_page

    def show_camera(self, camera_id: str) -> None:
        """Bring a camera into view (its page, or itself if another is enlarged) and frame it for a moment."""
        if camera_id not in self.tiles:
            return
        if self.enlarged not in (None, camera_id):
            self.enlarged = camera_id
            self._relayout()
        elif self.enlarged is None:
            self.set_page(self.page_of(camera_id))
        tile = self.tiles[camera_id]
        tile.highlight(True)
        QTimer.singleShot(1500, tile, lambda: tile.highlight(False))

    def toggle_enlarged(self, camera_id: str) -> None:
        """Show one camera alone, or go back to its page."""
        if self.enlarged == camera_id:
            self.enlarged, self.page = None, self.page_of(camera_id)
        else:
            self.enlarged = camera_id
        self._relayout()

    def visible_ids(self) -> list[str]:
        """The cameras on screen now."""
        if self.enlarged:
            return [self.enlarged]
        start = self.page * self.per_page
        return list(self.tiles)[start:start + self.per_page]

    def page_text(self) -> str:
        """'page 2 of 3' (with what is enlarged, if anything)."""
        if self.enlarged:
            return f"{self.tiles[self.enlarged].title} enlarged — double-click to go back"
        return f"page {self.page + 1} of {self.pages()}"

    def keyPressEvent(self, event) -> None:  # noqa: N802
        """PgUp and PgDn turn pages while the wall (or a tile) has the focus."""
        if event.key() == Qt.Key.Key_PageDown:
            self.next_page()
        elif event.key() == Qt.Key.Key_PageUp:
            self.previous_page()
        else:
            super().keyPressEvent(event)

    def _relayout(self) -> None:
        self.page = min(self.page, self.pages() - 1)
        shown = set(self.visible_ids())
        for camera_id, tile in self.tiles.items():
            tile.setVisible(camera_id in shown)
        several = self.pages() > 1 or self.enlarged is not None
        for widget in (self._previous, self.page_label, self._next):
            widget.setVisible(several)
        self._previous.setEnabled(self.enlarged is None)
        self._next.setEnabled(self.enlarged is None)
        self.page_label.setText(self.page_text())
        self._place()
        self.changed.emit()

    def _place(self) -> None:
        """Cells of the cameras' shape, as large as the grid allows, centred in the area."""
        ids = self.visible_ids()
        if not ids:
            return
        area = self._area.rect()
        aspect = next((self.tiles[i].aspect for i in ids if self.tiles[i].aspect), DEFAULT_ASPECT)
        columns, rows = grid_for(len(ids), 1 if self.enlarged else self.per_page, area.width(), area.height(), aspect)
        cell_w = min((area.width() - GAP * (columns - 1)) / columns, (area.height() - GAP * (rows - 1)) / rows * aspect)
        cell_h = cell_w / aspect
        left = (area.width() - columns * cell_w - GAP * (columns - 1)) / 2
        top = (area.height() - rows * cell_h - GAP * (rows - 1)) / 2
        for n, camera_id in enumerate(ids):
            row, column = divmod(n, columns)
            x, y = left + column * (cell_w + GAP), top + row * (cell_h + GAP)
            self.tiles[camera_id].setGeometry(QRect(round(x), round(y), round(cell_w), round(cell_h)))


class CameraList(QListWidget):
    """Every camera with its state and page; click one to bring it into view, double-click to enlarge it."""

    def __init__(self, wall: CameraWall, parent: QWidget | None = None):
        super().__init__(parent)
        self.wall = wall
        self.setMinimumWidth(150)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # the state and page stay in view
        wall.changed.connect(self.refresh)
        self.itemClicked.connect(lambda item: wall.show_camera(item.data(Qt.ItemDataRole.UserRole)))
        self.itemDoubleClicked.connect(self._enlarge)
        self.refresh()

    def refresh(self) -> None:
        """One line per camera: name, state (and countdown), page; the cameras on screen in bold."""
        ids, shown = list(self.wall.tiles), set(self.wall.visible_ids())
        if ids != [self.item(row).data(Qt.ItemDataRole.UserRole) for row in range(self.count())]:
            self.clear()
            for camera_id in ids:
                item = QListWidgetItem()
                item.setData(Qt.ItemDataRole.UserRole, camera_id)
                self.addItem(item)
        for row, camera_id in enumerate(ids):
            tile, item = self.wall.tiles[camera_id], self.item(row)
            alert = " · ALERT" if tile.alert else ""
            item.setText(f"{tile.title} — {tile.state}{alert} · p{self.wall.page_of(camera_id) + 1}")
            item.setToolTip(f"{tile.title}: {tile.status_text()}" + (f"\n{tile.alert}" if tile.alert else ""))
            item.setIcon(_dot(STATES.get(tile.state, UNKNOWN_STATE)[0]))
            font = QFont(self.font())
            font.setBold(camera_id in shown)
            item.setFont(font)

    def _enlarge(self, item: QListWidgetItem) -> None:
        camera_id = item.data(Qt.ItemDataRole.UserRole)
        if self.wall.enlarged != camera_id:
            self.wall.toggle_enlarged(camera_id)


def _dot(colour: str) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)
