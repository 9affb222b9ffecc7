"""The incident view's player: the tracked box with a readable label chip, and a recording that grows.

``RecordingPlayer`` (``clip_player``) draws the box as a thin line with thin text; here it is outlined
in the event's severity colour with a filled chip (``overlay_chips``), as the live tiles draw it.
``extend`` hands the segments indexed since the window opened to the playback thread.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QFont, QFontMetricsF, QPainter

from surveil.store.records import SegmentRecord
from ui.clip_player import RecordingPlayer
from ui.overlay_chips import paint_tracked


class IncidentPlayer(RecordingPlayer):
    """A ``RecordingPlayer`` that labels the tracked object ``"label #track"`` in its ``severity``'s colours."""

    def __init__(self, zone=None, parent=None):
        super().__init__(zone, parent)
        self.severity = "medium"
        self.track_id: int | None = None
        self.chip: QRectF | None = None  # where the label chip was last drawn

    def chip_text(self) -> str:
        """What the box's chip says: the label and the track, as on the live tiles."""
        return f"{self.label} #{self.track_id}" if self.label and self.track_id is not None else self.label

    def extend(self, records: list[SegmentRecord]) -> bool:
        """Add segments indexed since it opened; False when nothing plays yet (then ``open`` it instead)."""
        if self._thread is None:
            return False
        self._thread.extend(records)
        return True

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """The frame and its time as ``FrameView`` paints them, then the box with its chip over them."""
        box, self.box = self.box, None  # FrameView's own thin box and text are not drawn
        try:
            super().paintEvent(event)
        finally:
            self.box = box
        self.chip = None
        if box is None or self._image is None:
            return
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        picture = QRectF(0, 0, self._image.width() * scale, self._image.height() * scale)
        picture.moveCenter(QRectF(self.rect()).center())
        x1, y1, x2, y2 = (v * scale for v in box)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        tracked = QRectF(picture.x() + x1, picture.y() + y1, x2 - x1, y2 - y1)
        time_chip = self._time_rect(picture)
        self.chip = paint_tracked(painter, tracked, self.chip_text(), self.severity, picture, [time_chip])
        painter.end()

    def _time_rect(self, picture: QRectF) -> QRectF:
        """Where ``FrameView`` draws the time (its top left corner): the chip keeps off it."""
        if not self.time_text:
            return QRectF()
        text = QFontMetricsF(QFont("monospace", 10)).boundingRect(self.time_text).adjusted(-4, -2, 4, 2)
        text.moveTopLeft(picture.topLeft() + QPointF(6, 6))
        return text
