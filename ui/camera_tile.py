"""One camera on the wall: the live frame, boxes with class and track id, the camera's status and its alert.

Text is drawn on dark chips (white on 75 % black: 10:1 even over a white picture) at a size that
follows the tile; labels that would collide are left out, and small tiles show boxes only.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from surveil.service.link import LiveFrame
from ui.images import qimage_from_bgr
from ui.theme import SEVERITIES, STATES, UNKNOWN_STATE, local_time

BOX = QColor("#4fc3f7")
CHIP = QColor(0, 0, 0, 190)
BAR = QColor(0, 0, 0, 210)
REASON_TEXT = QColor("#ffd180")
LABELS_FROM = (280, 160)  # smaller tiles show boxes without labels
WAITING = ("connecting", "reconnecting")


def place_labels(boxes: Sequence[QRectF], sizes: Sequence[QSizeF], bounds: QRectF,
                 reserved: Sequence[QRectF] = ()) -> list[QRectF | None]:
    """Where each box's label chip goes: above the box, else inside its top, else below it.

    The first spot that stays in ``bounds`` and clears the chips placed before it and the
    ``reserved`` rectangles (header, banner) wins; None where every spot collides. Boxes earlier
    in the list are served first: put the firing object first.
    """
    taken, placed = list(reserved), []
    for box, size in zip(boxes, sizes, strict=True):
        x = min(max(box.left(), bounds.left()), bounds.right() - size.width())
        spot = None
        for y in (box.top() - size.height(), box.top(), box.bottom()):
            rect = QRectF(QPointF(x, y), size)
            if bounds.contains(rect) and not any(rect.intersects(other) for other in taken):
                spot = rect
                break
        if spot is not None:
            taken.append(spot)
        placed.append(spot)
    return placed


class CameraTile(QWidget):
    """Paints straight from the frame's buffer: the QImage wraps the numpy array, no copy per paint."""

    doubleClicked = Signal(str)
    statusChanged = Signal(str)  # camera id: the state, reason or alert changed
    aspectChanged = Signal(str)  # camera id: the picture's width/height changed

    def __init__(self, camera_id: str, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.camera_id, self.title = camera_id, title
        self.view: LiveFrame | None = None
        self._image: QImage | None = None
        self.aspect: float | None = None
        self.state, self.reason, self.alert = "connecting", "", ""
        self.alert_track: int | None = None
        self.alert_since: float | None = None
        self.alert_severity = "medium"
        self.retry_at: float | None = None
        self.highlighted = False
        self.zones: list[list[tuple[float, float]]] = []
        self._countdown = QTimer(self, interval=250, timeout=self.update)  # runs only while a retry is pending
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys (PgUp/PgDn) then reach the wall

    def show_frame(self, view: LiveFrame) -> None:
        """Keep a reference to the frame and repaint."""
        self.view = view  # the view image below borrows this array: keep the two together
        self._image = qimage_from_bgr(view.image, copy=False)
        aspect = view.image.shape[1] / max(1, view.image.shape[0])
        if aspect != self.aspect:
            self.aspect = aspect
            self.aspectChanged.emit(self.camera_id)
        self.update()

    def set_status(self, state: str, reason: str = "", retry_at: float | None = None) -> None:
        """Connecting, live, reconnecting (with its reason and countdown), failed..."""
        self.state, self.reason, self.retry_at = state, reason, retry_at
        if retry_at is not None and state in WAITING:
            self._countdown.start()
        else:
            self._countdown.stop()
        self.setToolTip(f"{self.title}: {self.status_text()}")
        self.statusChanged.emit(self.camera_id)
        self.update()

    def set_zones(self, zones: list[list[tuple[float, float]]]) -> None:
        """Rule zones on this camera (normalised polygons), drawn over the picture."""
        self.zones = zones
        self.update()

    def countdown(self) -> str:
        """'next try in 7 s' while a retry is pending, 'retrying…' once it is due ('' otherwise)."""
        if self.retry_at is None or self.state not in WAITING:
            return ""
        left = self.retry_at - time.monotonic()
        return "retrying…" if left < 0.5 else f"next try in {left:.0f} s"

    def status_text(self) -> str:
        """State, reason and countdown on one line (the tooltip, and the camera list)."""
        text = self.state + (f": {self.reason}" if self.reason and self.state != "live" else "")
        return text + (f" — {self.countdown()}" if self.countdown() else "")

    def set_alert(self, text: str, track_id: int | None = None, severity: str = "medium",
                  since: float | None = None) -> None:
        """The rule firing on this camera ('' when none), the track that fired it, and the alert's severity."""
        self.alert, self.alert_since = text, since if text else None
        self.alert_track = track_id if text else None
        self.alert_severity = severity if severity in SEVERITIES else "medium"
        self.statusChanged.emit(self.camera_id)
        self.update()

    def highlight(self, on: bool = True) -> None:
        """A white frame round the tile (the camera list points at it for a moment)."""
        self.highlighted = on
        self.update()

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Enlarge or restore this camera."""
        self.doubleClicked.emit(self.camera_id)

    # -- painting ---------------------------------------------------------------------------------

    def text_px(self) -> int:
        """The tile's text size in pixels: 11 on a small tile, up to 16 on a large one."""
        return int(max(11, min(16, self.width() / 40, self.height() / 22)))

    def paintEvent(self, event) -> None:  # noqa: N802
        """Frame, zones, boxes and labels, the header with the state, the reason, and the alert banner."""
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#0b0d10"))
        painter.setFont(self._font())
        if self._image is not None:
            target = self._fit(self._image.width(), self._image.height())
            painter.drawImage(target, self._image)
            self._paint_zones(painter, target)
            self._paint_boxes(painter, target, [self.header_rect(), self.banner_rect()])
        else:
            painter.setPen(QColor("#b0b6bd"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no picture yet")
        self._paint_header(painter)
        self._paint_banner(painter)
        self._paint_frame(painter)
        painter.end()

    def header_rect(self) -> QRectF:
        """The top bar, with the reason's line below it when the camera is not live."""
        line = QFontMetricsF(self._font()).height()
        reason = bool(self.reason) and self.state != "live"
        return QRectF(0, 0, self.width(), line + 8 + (line + 6 if reason else 0))

    def banner_rect(self) -> QRectF:
        """The alert banner at the bottom (empty when nothing fires)."""
        if not self.alert:
            return QRectF()
        height = QFontMetricsF(self._banner_font()).height() + (16 if SEVERITIES[self.alert_severity].strong else 8)
        return QRectF(0, self.height() - height, self.width(), height)

    def _fit(self, width: int, height: int) -> QRectF:
        scale = min(self.width() / width, self.height() / height)
        w, h = width * scale, height * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def label_rects(self, target: QRectF, reserved: Sequence[QRectF]) -> list[tuple[int, QRectF, str]]:
        """(box index, chip rectangle, text) for each label shown, the firing object's first."""
        view = self.view
        if view is None or self.width() < LABELS_FROM[0] or self.height() < LABELS_FROM[1]:
            return []
        metrics = QFontMetricsF(self._font())
        boxes = [self._box_rect(target, i) for i in range(min(len(view.boxes), len(view.labels), len(view.track_ids)))]
        order = sorted(range(len(boxes)), key=lambda i: (not self._firing(i), boxes[i].top()))
        texts = {i: f"{view.labels[i]} #{view.track_ids[i]}" for i in order}
        sizes = [QSizeF(metrics.horizontalAdvance(texts[i]) + 10, metrics.height() + 4) for i in order]
        spots = place_labels([boxes[i] for i in order], sizes, QRectF(self.rect()), reserved)
        return [(i, spot, texts[i]) for i, spot in zip(order, spots, strict=True) if spot is not None]

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(self.text_px())
        return font

    def _firing(self, index: int) -> bool:
        view = self.view
        return self.alert_track is not None and index < len(view.track_ids) and \
            view.track_ids[index] == self.alert_track

    def _box_rect(self, target: QRectF, index: int) -> QRectF:
        view = self.view
        sx, sy = target.width() / view.image.shape[1], target.height() / view.image.shape[0]
        x1, y1, x2, y2 = (float(v) for v in view.boxes[index][:4])
        return QRectF(target.x() + x1 * sx, target.y() + y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy)

    def _paint_boxes(self, painter: QPainter, target: QRectF, reserved: list[QRectF]) -> None:
        severity = SEVERITIES[self.alert_severity]
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for i in range(len(self.view.boxes)):
            rect = self._box_rect(target, i)
            if self._firing(i):
                painter.setPen(QPen(QColor(0, 0, 0, 200), 7))  # a dark halo keeps the colour readable on any picture
                painter.drawRect(rect)
                painter.setPen(QPen(QColor(severity.outline), 4))
            else:
                painter.setPen(QPen(BOX, 2))
            painter.drawRect(rect)
        for i, chip, text in self.label_rects(target, [r for r in reserved if not r.isEmpty()]):
            firing = self._firing(i)
            painter.fillRect(chip, QColor(severity.banner) if firing else CHIP)
            painter.setPen(QColor(severity.text) if firing else QColor("white"))
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_zones(self, painter: QPainter, target: QRectF) -> None:
        painter.setPen(QPen(QColor("#66bb6a"), 1, Qt.PenStyle.DashLine))
        painter.setBrush(QColor(102, 187, 106, 40))
        for zone in self.zones:
            painter.drawPolygon(QPolygonF([QPointF(target.x() + x * target.width(), target.y() + y * target.height())
                                           for x, y in zone]))
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_header(self, painter: QPainter) -> None:
        """Name on the left, the state chip on the right; the reason on a line of its own below."""
        metrics = QFontMetricsF(painter.font())
        line = metrics.height() + 8
        painter.fillRect(QRectF(0, 0, self.width(), line), BAR)
        state = self.state + (f" · {self.countdown()}" if self.countdown() else "")
        background, foreground = STATES.get(self.state, UNKNOWN_STATE)
        chip_w = min(metrics.horizontalAdvance(state) + 12, self.width() * 0.6)
        chip = QRectF(self.width() - chip_w - 4, 3, chip_w, line - 6)
        painter.fillRect(chip, QColor(background))
        painter.setPen(QColor(foreground))
        painter.drawText(chip, Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(state, Qt.TextElideMode.ElideRight, chip_w - 8))
        painter.setPen(QColor("white"))
        name = QRectF(8, 0, chip.left() - 14, line)
        painter.drawText(name, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, name.width()))
        if not self.reason or self.state == "live":
            return
        reason = QRectF(0, line, self.width(), metrics.height() + 6)
        painter.fillRect(reason, BAR)
        painter.setPen(REASON_TEXT)
        painter.drawText(reason.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self.reason, Qt.TextElideMode.ElideRight, reason.width() - 16))

    def _banner_font(self) -> QFont:
        font = self._font()
        font.setBold(self.alert_severity in ("high", "critical"))
        return font

    def _paint_banner(self, painter: QPainter) -> None:
        """The firing rule at the bottom, in its severity's colours (critical: taller and bold)."""
        if not self.alert:
            return
        severity, area = SEVERITIES[self.alert_severity], self.banner_rect()
        painter.fillRect(area, QColor(severity.banner))
        painter.setFont(self._banner_font())
        painter.setPen(QColor(severity.text))
        since = f" {local_time(self.alert_since)}" if self.alert_since is not None else ""
        text = f"⚠ {self.alert_severity.upper()}{since} · {self.alert}"
        painter.drawText(area.adjusted(8, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                         painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, int(area.width()) - 16))

    def _paint_frame(self, painter: QPainter) -> None:
        """A critical alert frames the whole tile in red; a highlighted tile is framed in white."""
        if self.alert and SEVERITIES[self.alert_severity].strong:
            painter.setPen(QPen(QColor(SEVERITIES[self.alert_severity].outline), 4))
            painter.drawRect(QRectF(self.rect()).adjusted(2, 2, -2, -2))
        if self.highlighted:
            painter.setPen(QPen(QColor("white"), 3))
            painter.drawRect(QRectF(self.rect()).adjusted(1.5, 1.5, -1.5, -1.5))
