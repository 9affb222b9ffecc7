"""The rule editor's camera side: a camera's picture to draw zones on, and why the rule would or would not fire."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QWidget,
)

from ui.zone_editor import ZoneEditor


class ZonesSide(QWidget):
    """A camera box, the zone picture, where the picture comes from, Clear zones, and the live explanation.

    ``clear`` is the Clear zones button: the editor empties the form's zones and this picture's.
    """

    def __init__(self, camera_ids: list[str], frame_for: Callable[[str], np.ndarray | None],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._frame_for = frame_for
        self.camera = QComboBox()
        self.camera.addItems(camera_ids)
        self.camera.setToolTip("The camera whose live tracks are explained below; zones are drawn on its picture "
                               "when the rule watches it")
        self.camera.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.camera.setMinimumContentsLength(8)  # a long camera id does not widen the column
        self.camera.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.zones = ZoneEditor()
        self.source = QLabel("")
        self.source.setWordWrap(True)
        self.clear = QPushButton("Clear zones")
        self.clear.setToolTip("Remove every zone from the rule (Apply keeps the change)")
        self.why = QPlainTextEdit(readOnly=True)
        self.why.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        grid = QGridLayout(self)  # label and box share a row; the picture and the explanation take the height
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(QLabel("Camera:"), 0, 0)
        grid.addWidget(self.camera, 0, 1)
        grid.addWidget(self.zones, 1, 0, 1, 2)
        below = QHBoxLayout()
        below.addWidget(self.source, 1)
        below.addWidget(self.clear, 0, Qt.AlignmentFlag.AlignTop)
        grid.addLayout(below, 2, 0, 1, 2)
        grid.addWidget(QLabel("Why it would or would not fire now:"), 3, 0, 1, 2)
        grid.addWidget(self.why, 4, 0, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(4, 1)  # the picture keeps its frame's shape; the explanation takes what is left

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A wide, short column: the picture stops at 3/5 of the height, the explanation keeps the rest."""
        self.zones.setMaximumHeight(max(self.zones.minimumHeight(), event.size().height() * 3 // 5))
        super().resizeEvent(event)

    def show_picture(self, watched: list[str]) -> None:
        """A frame from a camera the rule watches (the chosen one if it does, else its first) to draw zones on.

        Once shown the frame stays (zones are drawn on a still picture) until that camera changes.
        """
        chosen = self.camera.currentText() or None
        camera_id = chosen if not watched or chosen in watched else watched[0]
        if camera_id == self.zones.camera_id and self.zones.frame is not None:
            return
        self.zones.set_frame(self._frame_for(camera_id) if camera_id else None, camera_id)
        scope = f"the rule watches {', '.join(watched)}" if watched else "the rule watches every camera"
        missing = "" if self.zones.frame is not None else ": no frame from it yet"
        self.source.setText(f"Zones drawn on {camera_id}'s picture ({scope}){missing}" if camera_id else "")

    def follow_cameras(self, ids: list[str]) -> None:
        """Cameras added or removed since the box was filled."""
        if ids != [self.camera.itemText(i) for i in range(self.camera.count())]:
            current = self.camera.currentText()
            self.camera.blockSignals(True)
            self.camera.clear()
            self.camera.addItems(ids)
            self.camera.setCurrentText(current)
            self.camera.blockSignals(False)

    def follow_rule(self, cameras: list[str]) -> None:
        """Live decisions follow a rule that does not watch the chosen camera to the first one it does."""
        if cameras and self.camera.currentText() not in cameras and self.camera.findText(cameras[0]) >= 0:
            self.camera.setCurrentText(cameras[0])
