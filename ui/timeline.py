"""Events per hour as bars stacked by camera, with an hour axis, counts and a legend; a click asks for that hour.

The axis spans the filter's range (up to the current hour: the future holds no events), at least
a day of it, so one busy hour is one narrow bar among its neighbours rather than the whole width.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QDateTime, QEvent, QLocale, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QToolTip, QWidget

from ui.theme import local_date_time, local_time

CAMERA_COLOURS = [QColor(c) for c in ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176")]
LABEL_STEPS_H = (1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720)  # hours between axis labels, the first that fits
TEXT, GRID, BACKGROUND = QColor("#bbb"), QColor("#3a3a3a"), QColor("#1e1e1e")
HOUR = 3600
MIN_HOURS = 24  # the shortest axis: a day around the events
LONG_HOURS = 31 * 24  # a longer range starts the axis a day before its first event, not at its empty start


class Timeline(QWidget):
    """``hourClicked(start_unix_s)`` when a bar is clicked. Paints only: the counts come from ``set_counts``."""

    hourClicked = Signal(float)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.counts: dict[int, int] = {}
        self.by_camera: dict[str, dict[int, int]] = {}
        self.range: tuple[float | None, float | None] = (None, None)
        self.setMinimumHeight(110)
        self.setToolTip("Events per hour; click a bar to see that hour")

    def set_counts(self, by_camera: dict[str, dict[int, int]], since: float | None = None,
                   until: float | None = None) -> None:
        """Per camera, hour start (Unix s) to count; ``since`` and ``until`` the range they were counted over."""
        self.range = (since, until)
        self.by_camera = {camera: counts for camera, counts in by_camera.items() if counts}
        totals: dict[int, int] = {}
        for counts in by_camera.values():
            for hour, n in counts.items():
                totals[hour] = totals.get(hour, 0) + n
        self.counts = dict(sorted(totals.items()))
        self.update()

    def colour(self, camera: str) -> QColor:
        """The camera's colour in the bars and the legend."""
        return CAMERA_COLOURS[sorted(self.by_camera).index(camera) % len(CAMERA_COLOURS)]

    # -- geometry -------------------------------------------------------------------------------

    def _plot(self) -> QRectF:
        """The bars' area: a line for the legend above, one for the hour labels below."""
        line = self.fontMetrics().height()
        return QRectF(4, line + 6, self.width() - 8, self.height() - 2 * line - 12)

    def _span(self) -> tuple[int, int]:
        """The first hour and the number of hours shown: the range to the current hour, at least ``MIN_HOURS``."""
        first, end = min(self.counts), max(self.counts) + HOUR
        data_end, now = end, _hour_up(time.time())
        since, until = self.range
        if since is not None:
            first = min(first, int(since) // HOUR * HOUR)
        if until is not None:
            end = max(end, min(_hour_up(until), now))
        if (end - first) // HOUR > LONG_HOURS:
            first = max(first, min(self.counts) - MIN_HOURS * HOUR)
        pad = max(0, -(-(MIN_HOURS - (end - first) // HOUR) // 2)) * HOUR  # as much on either side
        first, end = first - pad, end + pad
        back = min(pad, max(0, end - max(now, data_end)))  # not into the future: earlier hours instead
        return first - back, (end - first) // HOUR
    def _bars(self) -> list[tuple[int, QRectF]]:
        if not self.counts:
            return []
        plot, (first, hours) = self._plot(), self._span()
        width, top = plot.width() / hours, max(self.counts.values())
        return [(hour, QRectF(plot.left() + (hour - first) // 3600 * width, plot.bottom() - plot.height() * n / top,
                              max(1.0, width - 1), plot.height() * n / top)) for hour, n in self.counts.items()]

    def hour_at(self, x: float) -> int | None:
        """The hour (with events) whose bar is under ``x``."""
        for hour, rect in self._bars():
            if rect.left() <= x <= rect.right() + 1:
                return hour
        return None

    # -- events ---------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Pick the hour under the cursor."""
        hour = self.hour_at(event.position().x())
        if hour is not None:
            self.hourClicked.emit(float(hour))

    def event(self, event) -> bool:
        """A tooltip over a bar: its hour and its count per camera (bars too thin for their numbers have only this)."""
        if event.type() == QEvent.Type.ToolTip:
            hour = self.hour_at(event.pos().x())
            QToolTip.showText(event.globalPos(), self.describe(hour) if hour is not None else self.toolTip(), self)
            return True
        return super().event(event)

    def describe(self, hour: int) -> str:
        """One hour in words: when, how many, and how many on each camera."""
        parts = [f"{camera}: {counts[hour]}" for camera, counts in sorted(self.by_camera.items()) if counts.get(hour)]
        return f"{_when(hour, QLocale.FormatType.LongFormat)}: {self.counts.get(hour, 0)} events\n" + "\n".join(parts)

    def paintEvent(self, event) -> None:  # noqa: N802
        """Legend, grid, bars stacked by camera with their counts, and the hour axis."""
        painter = QPainter(self)
        painter.fillRect(self.rect(), BACKGROUND)
        if not self.counts:
            painter.setPen(TEXT)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "no events for these filters")
            painter.end()
            return
        self._paint_legend(painter)
        ticks, plot = self._ticks(), self._plot()
        painter.setPen(GRID)
        for x, _hour in ticks:
            painter.drawLine(QPointF(x, plot.top()), QPointF(x, plot.bottom() + 4))
        bars = self._bars()
        cameras = sorted(self.by_camera)
        for hour, rect in bars:
            bottom = rect.bottom()
            for camera in cameras:
                height = rect.height() * self.by_camera[camera].get(hour, 0) / self.counts[hour]
                painter.fillRect(QRectF(rect.x(), bottom - height, rect.width(), height), self.colour(camera))
                bottom -= height
        self._paint_counts(painter, bars)
        self._paint_axis(painter, ticks)
        painter.end()

    def _paint_legend(self, painter: QPainter) -> None:
        metrics, x = self.fontMetrics(), 4.0
        painter.setPen(TEXT)
        total = sum(self.counts.values())
        summary = f"{total} event{'s' if total != 1 else ''}, at most {max(self.counts.values())} in an hour"
        painter.drawText(QPointF(self.width() - 4 - metrics.horizontalAdvance(summary), metrics.ascent() + 2), summary)
        for camera in sorted(self.by_camera):
            painter.fillRect(QRectF(x, 3, 10, metrics.height() - 4), self.colour(camera))
            painter.drawText(QPointF(x + 14, metrics.ascent() + 2), camera)
            x += 14 + metrics.horizontalAdvance(camera) + 12

    def _paint_counts(self, painter: QPainter, bars: list[tuple[int, QRectF]]) -> None:
        """Each bar's count over it, where the bar is wide enough for the number."""
        metrics = self.fontMetrics()
        painter.setPen(TEXT)
        for hour, rect in bars:
            text = str(self.counts[hour])
            if metrics.horizontalAdvance(text) + 2 <= rect.width() + 1:
                y = max(rect.top() - 2, self._plot().top() + metrics.ascent())
                painter.drawText(QPointF(rect.center().x() - metrics.horizontalAdvance(text) / 2, y), text)

    def _ticks(self) -> list[tuple[float, int]]:
        """Where the axis is labelled: round local hours (midnights for a long range), as often as labels fit."""
        plot, (first, hours), metrics = self._plot(), self._span(), self.fontMetrics()
        width = plot.width() / hours
        label_w = max(metrics.horizontalAdvance(local_time(first)), metrics.horizontalAdvance(_day(first))) + 12
        step = next((s for s in LABEL_STEPS_H if s * width >= label_w), LABEL_STEPS_H[-1])
        offset = QDateTime.fromSecsSinceEpoch(first).offsetFromUtc()  # labels on round local hours
        round_s = min(step, 24) * HOUR
        start = -(-(first + offset) // round_s) * round_s - offset
        return [(plot.left() + (hour - first) // HOUR * width, hour)
                for hour in range(start, first + hours * HOUR, step * HOUR)]

    def _paint_axis(self, painter: QPainter, ticks: list[tuple[float, int]]) -> None:
        """A baseline; each tick's time, or its date at midnight; the first with its date if no midnight is shown."""
        plot, metrics = self._plot(), self.fontMetrics()
        painter.setPen(GRID)
        painter.drawLine(QPointF(plot.left(), plot.bottom() + 1), QPointF(plot.right(), plot.bottom() + 1))
        texts = [_day(hour) if _midnight(hour) else local_time(hour) for _x, hour in ticks]
        if ticks and not any(_midnight(hour) for _x, hour in ticks):
            texts[0] = local_date_time(ticks[0][1])
        painter.setPen(TEXT)
        right = -1e9  # where the last label drawn ends: one that would overlap it is left out
        for (x, _hour), text in zip(ticks, texts, strict=True):
            text_w = metrics.horizontalAdvance(text)
            left = min(max(plot.left(), x - text_w / 2), plot.right() - text_w)
            if left >= right + 8:
                painter.drawText(QPointF(left, self.height() - metrics.descent() - 3), text)
                right = left + text_w


def _hour_up(epoch: float) -> int:
    """The start of the next hour, or ``epoch`` if it starts one."""
    return -(-int(epoch) // HOUR) * HOUR


def _midnight(hour: int) -> bool:
    return QDateTime.fromSecsSinceEpoch(hour).time().hour() == 0


def _day(epoch: int) -> str:
    """A date in the operator's locale (ISO under the C locale, as ``local_date_time``)."""
    day, locale = QDateTime.fromSecsSinceEpoch(int(epoch)).date(), QLocale()
    if locale.language() == QLocale.Language.C:
        return day.toString("yyyy-MM-dd")
    return locale.toString(day, QLocale.FormatType.ShortFormat)


def _when(hour: int, fmt: QLocale.FormatType) -> str:
    """An hour in the operator's locale."""
    return local_date_time(hour, long=fmt == QLocale.FormatType.LongFormat)
