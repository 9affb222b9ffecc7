"""One camera on the wall: the live frame, boxes with class and track id, the camera's status and its alert.

Text is drawn on dark chips (white on 75 % black: 10:1 even over a white picture) at a size that
follows the tile; labels that would collide are left out, and small tiles show boxes only.

Boxes come with each frame: the tracks the detector's latest run confirmed, placed where that run
saw them. Between runs (a few a second per camera when several share a CPU) each box moves along
its track's velocity, so it stays on a walker. A track the latest run did not report (missed once,
briefly hidden) keeps its box, drawn dashed, for ``HOLD_S``, unless a box of its class seen more
recently covers it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
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
HOLD_S = 1.0  # a track the detector stopped reporting keeps its (dashed) box this long
MAX_SHIFT_BH = 1.5  # a box moves at most this many of its own heights from where the detector saw it
SAME_OBJECT_IOU = 0.3  # a held box overlapping a newer box of its class this much is the same object


@dataclass(frozen=True)
class ShownBox:
    """One box to draw (image pixels, xyxy): reported by the latest detection, or held from an earlier one."""

    box: tuple[float, float, float, float]
    label: str
    track_id: int
    held: bool = False


@dataclass
class _Seen:
    box: np.ndarray
    label: str
    t: float  # when a frame last carried this track
    box_t: float  # when this box (one detector run's) first arrived
    velocity: np.ndarray | None = None  # pixels a second, from the last two runs


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    return float(inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter))


class HeldBoxes:
    """The boxes a tile draws: each frame's own, and for ``hold_s`` those of tracks a detector run left out.

    Each frame carries the boxes of the detector's latest run; between runs they are the same boxes,
    so every box is moved by its track's velocity (over its last two runs) for the time since the
    run that placed it (for ``hold_s`` at most, and by ``MAX_SHIFT_BH`` of its height at most). A
    track missing from a run (lost for a moment, or replaced by a new one not yet confirmed) is
    drawn ``held`` until ``hold_s`` after a frame last carried it, unless a box of the same class
    seen more recently covers it (the same object under a new id). Times are the caller's clock
    (seconds): frames arrive in bursts of the analysis rounds, which the velocity smooths over.
    """

    def __init__(self, hold_s: float = HOLD_S):
        self.hold_s = hold_s
        self._seen: dict[int, _Seen] = {}
        self._current: list[int] = []
        self._size: tuple[int, int] | None = None

    def clear(self) -> None:
        """Forget every track (the camera's picture changed)."""
        self._seen.clear()
        self._current = []

    def update(self, view: LiveFrame, now: float) -> None:
        """Take a frame's boxes as the tracks in view now."""
        size = (view.image.shape[1], view.image.shape[0])
        if size != self._size:
            self.clear()
            self._size = size
        count = min(len(view.boxes), len(view.labels), len(view.track_ids))
        self._current = []
        for i in range(count):
            track_id, box = int(view.track_ids[i]), np.asarray(view.boxes[i][:4], np.float64)
            seen = self._seen.get(track_id)
            if seen is None:
                self._seen[track_id] = _Seen(box.copy(), view.labels[i], now, now)
            elif not np.array_equal(box, seen.box):  # a new detector run placed it again
                dt = now - seen.box_t
                if dt > 1e-3:
                    velocity = (_centre(box) - _centre(seen.box)) / dt
                    seen.velocity = velocity if seen.velocity is None else (velocity + seen.velocity) / 2
                seen.box, seen.box_t, seen.t, seen.label = box.copy(), now, now, view.labels[i]
            else:
                seen.t = now
            if track_id not in self._current:
                self._current.append(track_id)
        for track_id in [k for k, seen in self._seen.items() if now - seen.t > self.hold_s]:
            del self._seen[track_id]

    def shown(self, now: float) -> list[ShownBox]:
        """The frame's own boxes, then the held ones still fresh, each moved to where it should be ``now``."""
        shown = [ShownBox(tuple(float(v) for v in _moved(seen, now, self.hold_s)), seen.label, k, False)
                 for k in self._current if (seen := self._seen.get(k)) is not None]
        held = sorted(((k, seen) for k, seen in self._seen.items()
                       if k not in self._current and now - seen.t <= self.hold_s), key=lambda item: -item[1].t)
        for track_id, seen in held:  # the most recently seen first: an object's newest id wins
            box = _moved(seen, now, self.hold_s)
            if self._size is not None and (box[2] <= 0 or box[3] <= 0 or box[0] >= self._size[0]
                                           or box[1] >= self._size[1]):
                continue  # walked out of the picture
            if any(other.label == seen.label and _iou(box, np.asarray(other.box)) >= SAME_OBJECT_IOU
                   for other in shown):
                continue  # found again under another id: one box per object
            shown.append(ShownBox(tuple(float(v) for v in box), seen.label, track_id, True))
        return shown

    def expires_in(self, now: float) -> float | None:
        """Seconds until the next held box goes (None when none is held)."""
        left = [seen.t + self.hold_s - now for k, seen in self._seen.items() if k not in self._current]
        return max(0.0, min(left)) if left else None


def _moved(seen: _Seen, now: float, horizon: float) -> np.ndarray:
    """Its box moved by its velocity since the run that placed it, at most MAX_SHIFT_BH of its heights.

    Moved for ``horizon`` s at most: a parked car the gate lets the detector see only every few
    seconds does not drift away on its jitter.
    """
    box = seen.box.copy()
    if seen.velocity is None:
        return box
    shift = seen.velocity * min(max(0.0, now - seen.box_t), horizon)
    limit = MAX_SHIFT_BH * (box[3] - box[1])
    norm = float(np.hypot(*shift))
    if norm > limit > 0:
        shift *= limit / norm
    return box + np.concatenate([shift, shift])


def _centre(box: np.ndarray) -> np.ndarray:
    return np.array([(box[0] + box[2]) / 2, (box[1] + box[3]) / 2])


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
        self.boxes = HeldBoxes()
        self.clock = time.monotonic  # the boxes' clock (tests set their own)
        self._countdown = QTimer(self, interval=250, timeout=self.update)  # runs only while a retry is pending
        self._expiry = QTimer(self, singleShot=True, timeout=self.update)  # a held box's time is up
        self.setMinimumSize(160, 90)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # keys (PgUp/PgDn) then reach the wall

    def show_frame(self, view: LiveFrame) -> None:
        """Keep a reference to the frame and repaint."""
        self.view = view  # the view image below borrows this array: keep the two together
        self._image = qimage_from_bgr(view.image, copy=False)
        self.boxes.update(view, self.clock())
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

    def shown_boxes(self) -> list[ShownBox]:
        """The boxes painted now: the frame's own, then those held from earlier detector runs."""
        return self.boxes.shown(self.clock()) if self.view is not None else []

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
            self._paint_boxes(painter, target, [self.header_rect(), self.banner_rect()], self.shown_boxes())
        else:
            painter.setPen(QColor("#b0b6bd"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no picture yet")
        self._paint_header(painter)
        self._paint_banner(painter)
        self._paint_frame(painter)
        painter.end()
        left = self.boxes.expires_in(self.clock()) if self.view is not None else None
        if left is not None:  # a stalled camera still loses its held boxes on time
            self._expiry.start(int(left * 1000) + 20)

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

    def label_rects(self, target: QRectF, reserved: Sequence[QRectF],
                    shown: Sequence[ShownBox] | None = None) -> list[tuple[int, QRectF, str]]:
        """(index in ``shown``, chip rectangle, text) for each label shown, the firing object's first.

        ``shown`` defaults to ``shown_boxes()``; the frame's own boxes are served before held ones.
        """
        if self.view is None or self.width() < LABELS_FROM[0] or self.height() < LABELS_FROM[1]:
            return []
        shown = self.shown_boxes() if shown is None else shown
        metrics = QFontMetricsF(self._font())
        boxes = [self._box_rect(target, item) for item in shown]
        order = sorted(range(len(boxes)), key=lambda i: (not self._firing(shown[i]), shown[i].held, boxes[i].top()))
        texts = {i: f"{shown[i].label} #{shown[i].track_id}" for i in order}
        sizes = [QSizeF(metrics.horizontalAdvance(texts[i]) + 10, metrics.height() + 4) for i in order]
        spots = place_labels([boxes[i] for i in order], sizes, QRectF(self.rect()), reserved)
        return [(i, spot, texts[i]) for i, spot in zip(order, spots, strict=True) if spot is not None]

    def _font(self) -> QFont:
        font = QFont(self.font())
        font.setPixelSize(self.text_px())
        return font

    def _firing(self, item: ShownBox) -> bool:
        return self.alert_track is not None and item.track_id == self.alert_track

    def _box_rect(self, target: QRectF, item: ShownBox) -> QRectF:
        view = self.view
        sx, sy = target.width() / view.image.shape[1], target.height() / view.image.shape[0]
        x1, y1, x2, y2 = item.box
        return QRectF(target.x() + x1 * sx, target.y() + y1 * sy, (x2 - x1) * sx, (y2 - y1) * sy)

    def _paint_boxes(self, painter: QPainter, target: QRectF, reserved: list[QRectF],
                     shown: list[ShownBox]) -> None:
        severity = SEVERITIES[self.alert_severity]
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for item in shown:
            rect = self._box_rect(target, item)
            style = Qt.PenStyle.DashLine if item.held else Qt.PenStyle.SolidLine  # held: where it should be now
            if self._firing(item):
                painter.setPen(QPen(QColor(0, 0, 0, 200), 7))  # a dark halo keeps the colour readable on any picture
                painter.drawRect(rect)
                painter.setPen(QPen(QColor(severity.outline), 4, style))
            else:
                painter.setPen(QPen(BOX, 2, style))
            painter.drawRect(rect)
        for i, chip, text in self.label_rects(target, [r for r in reserved if not r.isEmpty()], shown):
            firing = self._firing(shown[i])
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
