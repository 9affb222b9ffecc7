"""The status bar's permanent figures: cameras and rates, storage and recording, and anything failing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QStatusBar

from ui.theme import ALARM_TEXT, local_time

ALARM = f"color: {ALARM_TEXT}; font-weight: bold"


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with … rather than widening the window; all of it in the tooltip."""

    def __init__(self, text: str = ""):
        super().__init__(text)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        """Narrow: a status bar must never be what keeps the window wide."""
        return QSize(min(80, super().sizeHint().width()), super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802
        """The text, elided to the width there is."""
        painter = QPainter(self)
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        self.style().drawItemText(painter, rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                                  self.palette(), self.isEnabled(), text, self.foregroundRole())
        painter.end()


class StatusLine:
    """Three labels in a status bar, refreshed from ``EngineLink.health()``."""

    def __init__(self, bar: QStatusBar):
        self.health_label = ElidedLabel("starting…")
        self.storage_label = ElidedLabel("")
        self.failures_label = ElidedLabel("")
        for label in (self.storage_label, self.failures_label):
            label.setContentsMargins(16, 0, 4, 0)  # apart from the figures beside it
        for label in (self.health_label, self.storage_label, self.failures_label):
            bar.addPermanentWidget(label)

    def show(self, health: dict) -> None:
        """Refresh every label."""
        cameras = health["cameras"].values()
        live = sum(c["state"] == "live" for c in cameras)
        fps = sum(c["fps_analysed"] for c in cameras)
        drops = sum(c["dropped"] for c in cameras)
        latency = health["latency_s"]["p95"]
        shown = f", alerts p95 {latency * 1000:.0f} ms" if latency is not None else ""
        overload = health.get("analysis") or {}
        over = (f"OVERLOADED ({overload['drop_share']:.0%} of frames due dropped); " if overload.get("overloaded")
                else "")
        self.health_label.setText(f"{over}{live}/{len(health['cameras'])} cameras live, {fps:.1f} fps analysed, "
                                  f"{drops} dropped{shown}")
        self.health_label.setToolTip(self.health_label.text() + ("\nanalysis cannot keep up: every camera keeps an "
                                     "equal share; lower analysis_fps or the detection rate" if over else ""))
        self.health_label.setStyleSheet(ALARM if over else "")
        self._storage(health)
        self._failures(health.get("failures") or {})

    def _storage(self, health: dict) -> None:
        """Disk used against the cap, days kept, the next purge, and any camera that is not recording."""
        retention, recording = health.get("retention") or {}, health.get("recording") or {}
        failing = [c for c, r in recording.items() if r["state"].startswith("error")]
        if "used_bytes" not in retention:
            text = "storage: measuring…"
        else:
            days = min((c["days"] for c in retention.get("cameras", {}).values()), default=0.0)
            nxt = retention.get("next_purge")
            at = local_time(dt.datetime.fromisoformat(nxt).timestamp()) if nxt else "-"
            text = (f"storage {retention['used_bytes'] / 1e9:.1f} of {retention['cap_bytes'] / 1e9:.0f} GB "
                    f"({retention['cap_share']:.0%}), {days:.1f} days kept, next purge {at}")
        if failing:  # first: the end of the line is what gets cut on a narrow window
            text = f"NOT RECORDING: {', '.join(failing)}; {text}"
        self.storage_label.setText(text)
        tips = [recording[c]["state"] for c in failing] + ([retention["warning"]] if retention.get("warning") else [])
        self.storage_label.setToolTip("\n".join([text, *tips]) if tips else
                                      f"{text}\nrecordings, clips and the store, against storage.max_size_gb")
        self.storage_label.setStyleSheet(ALARM if failing or retention.get("warning") else "")

    def _failures(self, failures: dict) -> None:
        """Engine parts and rules that failed: how many times, the latest reason in the tooltip."""
        if not failures:
            self.failures_label.setText("")
            self.failures_label.setToolTip("")
            return
        total = sum(f["failures"] for f in failures.values())
        stopped = [name for name, f in failures.items() if not f["running"]]
        text = f"{total} failure{'s' * (total != 1)} in {', '.join(sorted(failures))}"
        self.failures_label.setText((f"STOPPED: {', '.join(stopped)}; " if stopped else "") + text)
        self.failures_label.setToolTip("\n".join(f"{name}: {f['failures']}× — {f['last_error']}"
                                                 for name, f in sorted(failures.items())))
        self.failures_label.setStyleSheet(ALARM)
