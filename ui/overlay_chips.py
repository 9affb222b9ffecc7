"""Labels drawn over video: a tracked box outlined in its severity's colour and a filled chip with its label.

Shared by the pictures that show a tracked object (the incident player; the live tiles draw the same
chips). Text colours come from ``ui.theme.SEVERITIES``, where each background is paired with a text
colour that keeps a contrast of at least 4.5:1; the outline has a dark halo so it reads on any picture.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from ui.camera_tile import place_labels
from ui.theme import SEVERITIES

HALO = QColor(0, 0, 0, 200)


def text_px(width: float, height: float) -> int:
    """A label's text size for a picture of that size: 11 pixels on a small one, up to 16 on a large one."""
    return int(max(11, min(16, width / 40, height / 22)))


def chip_size(metrics: QFontMetricsF, text: str) -> QSizeF:
    """The chip that holds ``text``: the text and a little padding."""
    return QSizeF(metrics.horizontalAdvance(text) + 10, metrics.height() + 4)


def paint_chip(painter: QPainter, chip: QRectF, text: str, severity: str) -> None:
    """``text`` centred on a chip filled with the severity's banner colour, in its paired text colour."""
    colours = SEVERITIES.get(severity, SEVERITIES["medium"])
    painter.fillRect(chip, QColor(colours.banner))
    painter.setPen(QColor(colours.text))
    painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)


def paint_outline(painter: QPainter, box: QRectF, severity: str) -> None:
    """The box in the severity's outline colour over a dark halo."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(QPen(HALO, 5))
    painter.drawRect(box)
    painter.setPen(QPen(QColor(SEVERITIES.get(severity, SEVERITIES["medium"]).outline), 2))
    painter.drawRect(box)


def paint_tracked(painter: QPainter, box: QRectF, text: str, severity: str, bounds: QRectF,
                  reserved: list[QRectF] | None = None) -> QRectF | None:
    """The outlined box and its label chip (above it, else inside its top, else below); the chip's place.

    The chip keeps inside ``bounds`` and off the ``reserved`` rectangles; None (no chip) where no spot is free.
    """
    font = QFont(painter.font())
    font.setPixelSize(text_px(bounds.width(), bounds.height()))
    painter.setFont(font)
    paint_outline(painter, box, severity)
    if not text:
        return None
    metrics = QFontMetricsF(font)
    chip = place_labels([box], [chip_size(metrics, text)], bounds, reserved or [])[0]
    if chip is not None:
        paint_chip(painter, chip, text, severity)
    return chip
