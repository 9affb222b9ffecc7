"""Back-testing a rule: run it over the stored history off the GUI thread, list what it would have caught."""

from __future__ import annotations

import logging

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from surveil.rules.model import Rule
from surveil.service.link import EngineLink
from ui.images import icon_from_jpeg
from ui.worker import Job

logger = logging.getLogger(__name__)

SHOWN_HITS = 100  # back-test hits listed with their thumbnails


class BacktestPanel(QWidget):
    """The Back-test and Cancel buttons, the count of what would have fired, and the hits with thumbnails.

    ``start`` is clicked by Back-test: the editor checks its form first and calls ``run`` with the rule.
    A hit's item holds (camera id, wall time as a timestamp) for whoever plays it on a double-click.
    """

    def __init__(self, link: EngineLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.link = link
        self.job: Job | None = None
        self.start = QPushButton("Back-test")
        self.start.setToolTip("Run the rule as the form has it over the stored history: what it would have caught")
        stop = QPushButton("Cancel")
        stop.clicked.connect(self.cancel)
        self.result = QLabel("")
        self.result.setWordWrap(True)
        self.hits = QListWidget(viewMode=QListWidget.ViewMode.IconMode, iconSize=QSize(64, 64))
        self.hits.setResizeMode(QListWidget.ResizeMode.Adjust)  # the thumbnails reflow as the column narrows
        lines = self.fontMetrics().lineSpacing() * 2 + 8  # "camera" over "time": two a row in a narrow column
        self.hits.setGridSize(QSize(78, 64 + lines))
        self.hits.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start)
        buttons.addWidget(stop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(self.result)
        layout.addWidget(self.hits, 1)

    def run(self, rule: Rule) -> Job:
        """Back-test ``rule`` on a job; the result and hits show as it ends."""
        self.result.setText("back-testing…")
        self.job = Job(lambda job: self._backtest(rule, job), self)
        self.job.progressed.connect(lambda done, _: self.result.setText(f"back-testing… {done} objects"))
        self.job.done.connect(self._show)
        self.job.failed.connect(lambda message: self.result.setText(
            "back-test cancelled" if message == "cancelled" else f"back-test failed: {message}"))
        return self.job.start()

    def cancel(self) -> None:
        """Stop a running back-test at its next progress report."""
        if self.job is not None:
            self.job.cancel()

    def _backtest(self, rule: Rule, job: Job):  # worker thread
        """The back-test's result and the thumbnails of the hits shown (the first 100)."""
        result = self.link.backtest(rule, progress=job.progress)
        thumbnails = {}
        for hit in result.hits[:SHOWN_HITS]:
            job.progress(result.checked, 0)  # a cancel still takes effect here
            thumbnails[hit.obj.object_id] = self.link.thumbnail("o", hit.obj.object_id)
        return result, thumbnails

    def _show(self, done) -> None:
        result, thumbnails = done
        days = ", ".join(f"{day:%d %b}: {n}" for day, n in sorted(result.per_day().items())) or "none"
        left_out = f" Not replayed: {'; '.join(result.left_out)}." if result.left_out else ""
        self.result.setText(f"{len(result.hits)} of {result.checked} stored objects would have fired "
                            f"(per day: {days}).{left_out}")
        self.hits.clear()
        for hit in result.hits[:SHOWN_HITS]:
            item = QListWidgetItem(f"{hit.obj.camera_id} {hit.obj.start_wall:%H:%M:%S}")
            item.setData(Qt.ItemDataRole.UserRole, (hit.obj.camera_id, hit.obj.start_wall.timestamp()))
            item.setToolTip("double-click to play the recording at that moment")
            icon = icon_from_jpeg(thumbnails.get(hit.obj.object_id))
            if icon is not None:
                item.setIcon(icon)
            self.hits.addItem(item)
