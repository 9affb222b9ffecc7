"""Incident review: timeline, filters, text search and find-similar, thumbnails, the clip, and export.

Everything is read through the ``EngineLink``; the list and the timeline are read when asked,
searches, exports and thumbnails on worker threads (a service answers them over its API).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QDateTime, QSize, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from surveil.service.link import EngineLink, SearchHit
from surveil.store.query import STATES, EventFilter
from surveil.store.records import EventRecord
from ui.clip_player import ClipPlayer
from ui.images import icon_from_jpeg
from ui.timeline import Timeline
from ui.worker import Job

logger = logging.getLogger(__name__)

ANY = "any"


class ReviewPanel(QWidget):
    """Reads the link's store; searches, exports and thumbnails run off the GUI thread."""

    def __init__(self, link: EngineLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.link = link
        self.timeline = Timeline()
        self.timeline.hourClicked.connect(self._pick_hour)
        self.since, self.until = QDateTimeEdit(calendarPopup=True), QDateTimeEdit(calendarPopup=True)
        now = QDateTime.currentDateTime()
        self.since.setDateTime(now.addDays(-7))
        self.until.setDateTime(now.addDays(1))
        self.camera, self.rule, self.label = QComboBox(), QComboBox(), QComboBox()
        self.severity, self.state = QComboBox(), QComboBox()
        config = link.config
        self.camera.addItems([ANY] + [c.id for c in config.cameras])
        self.rule.addItems([ANY] + [r.name for r in config.rules])
        self.label.addItems([ANY, "person", "car", "truck", "bicycle", "motorcycle", "bus", "dog"])
        self.severity.addItems([ANY, "low", "medium", "high", "critical"])
        self.state.addItems([ANY, *STATES])
        self.text = QLineEdit(placeholderText="search in words, e.g. a person with a ladder")
        self.grid = QListWidget(viewMode=QListWidget.ViewMode.IconMode, iconSize=QSize(96, 96),
                                resizeMode=QListWidget.ResizeMode.Adjust)
        self.grid.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.grid.currentItemChanged.connect(self._show_clip)
        self.player = ClipPlayer()
        self.status = QLabel("")
        self.last_export: Path | None = None
        self._jobs: list[Job] = []
        self._thumbnails: Job | None = None
        self._build()
        self.refresh()

    def _build(self) -> None:
        filters = QHBoxLayout()
        for label, widget in (("From", self.since), ("to", self.until), ("Camera", self.camera), ("Rule", self.rule),
                              ("Label", self.label), ("Severity", self.severity), ("State", self.state)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
        search = QHBoxLayout()
        search.addWidget(self._button("Apply filters", self.refresh))
        search.addWidget(self.text)
        text_button = self._button("Search", self.search_text)
        search.addWidget(text_button)
        if not self.link.text_search():
            text_button.setEnabled(False)
            text_button.setToolTip(f"CLIP is unavailable ({self.link.snapshot().clip_reason}); "
                                   "Find similar works without it")
        search.addWidget(self._button("Find similar", self.find_similar))
        search.addWidget(self._button("Cancel search", self.cancel_search))
        search.addWidget(self._button("Export selection…", self.export_selection))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.grid)
        splitter.addWidget(self.player)
        layout = QVBoxLayout(self)
        layout.addWidget(self.timeline)
        layout.addLayout(filters)
        layout.addLayout(search)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status)

    @staticmethod
    def _button(text: str, slot) -> QPushButton:
        button = QPushButton(text)
        button.clicked.connect(lambda: slot())
        return button

    def current_filter(self) -> EventFilter:
        """The filters as the store's EventFilter."""
        pick = lambda box: [] if box.currentText() == ANY else [box.currentText()]  # noqa: E731
        return EventFilter(self.since.dateTime().toSecsSinceEpoch(), self.until.dateTime().toSecsSinceEpoch(),
                           pick(self.camera), pick(self.rule), pick(self.label), pick(self.severity), pick(self.state))

    def refresh(self) -> None:
        """List what the store holds for the filters, newest first, and the timeline."""
        flt = self.current_filter()
        try:
            page, more = self.link.events(flt, limit=500)
            cameras = flt.cameras or [c.id for c in self.link.config.cameras]
            counts = {camera: self.link.counts_per_hour(replace(flt, cameras=[camera])) for camera in cameras}
        except ValueError as exc:  # the engine stopped, or the service cannot be reached
            self.status.setText(f"could not read the incidents: {exc}")
            return
        self._fill([record for record, _ in page])
        self.timeline.set_counts(counts)
        self.status.setText(f"{len(page)} incidents" + (" (first 500)" if more else ""))

    def find_similar(self) -> None:
        """Incidents whose objects look like the selected incident's, with the same filters."""
        item = self.grid.currentItem()
        if item is None:
            self.status.setText("select an incident to find similar ones")
            return
        event_id = item.data(Qt.ItemDataRole.UserRole).event_id
        self._search(lambda flt: self.link.search(flt, like_event=event_id), "similar incidents")

    def cancel_search(self) -> None:
        """Stop a running search; its results are dropped."""
        for job in self._jobs:
            job.cancel()

    def search_text(self) -> None:
        """Search in words (needs CLIP)."""
        words = self.text.text().strip()
        if words and self.link.text_search():
            self._search(lambda flt: self.link.search(flt, text=words), f"incidents like '{words}'")

    def export_selection(self, dest: Path | None = None) -> Job | None:
        """Export the selected incidents (all listed when none selected) with a progress dialog."""
        ids = [i.data(Qt.ItemDataRole.UserRole).event_id for i in self.grid.selectedItems()] or \
              [self.grid.item(r).data(Qt.ItemDataRole.UserRole).event_id for r in range(self.grid.count())]
        if not ids:
            return None
        if dest is None:
            name, _ = QFileDialog.getSaveFileName(self, "Export incidents", "evidence.zip", "Zip (*.zip)")
            if not name:
                return None
            dest = Path(name)
        dialog = QProgressDialog("Exporting…", "Cancel", 0, len(ids), self)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        job = Job(lambda j: self.link.export(dest, ids, progress=j.progress), self)
        job.progressed.connect(lambda done, total: dialog.setValue(done))
        dialog.canceled.connect(job.cancel)
        job.done.connect(lambda result: self._exported(result, dialog))
        job.failed.connect(lambda message: (dialog.close(), self.status.setText(f"export failed: {message}")))
        self._keep(job)
        return job.start()

    def _keep(self, job: Job) -> None:
        """Remember a job for Cancel; finished ones are let go (the window's close joins any still running)."""
        self._jobs = [j for j in self._jobs if j.thread.is_alive()] + [job]

    def _exported(self, result, dialog) -> None:
        dialog.close()
        self.last_export = result.path
        self.status.setText(f"exported {len(result.events)} incidents to {result.path} "
                            f"(manifest sha256 {result.manifest_sha256[:16]}…)")
        if self.isVisible():
            QMessageBox.information(self, "Export done", f"Saved to {result.path}")

    def _search(self, search, found: str) -> None:
        """Run ``search(filter)`` on a worker; its hits' incidents replace the list."""
        flt = self.current_filter()

        def work(job: Job) -> list[EventRecord]:
            job.progress(0, 1)
            hits = search(flt)
            job.progress(1, 1)  # the search itself cannot be interrupted: a cancel drops its result here
            return _incidents(hits)

        job = Job(work, self)
        job.done.connect(lambda records: (self._fill(records), self.status.setText(f"{len(records)} {found}")))
        job.failed.connect(lambda message: self.status.setText(f"search {message}" if message == "cancelled"
                                                               else f"search failed: {message}"))
        self._keep(job)
        job.start()

    def _fill(self, records: list[EventRecord]) -> None:
        self.grid.clear()
        for record in records:
            when = dt.datetime.fromtimestamp(record.start).strftime("%d %b %H:%M:%S")
            item = QListWidgetItem(f"{when}\n{record.camera_id} · {record.rule}")
            item.setData(Qt.ItemDataRole.UserRole, record)
            self.grid.addItem(item)
        self._load_thumbnails([record.event_id for record in records])

    def _load_thumbnails(self, event_ids: list[str]) -> None:
        """Read the listed incidents' thumbnails on a worker; the icons appear when they are all in."""
        if self._thumbnails is not None:
            self._thumbnails.cancel()  # the list it was reading for is gone
        link = self.link

        def work(job: Job) -> dict[str, bytes | None]:
            found = {}
            for i, event_id in enumerate(event_ids):
                job.progress(i, len(event_ids))
                found[event_id] = link.thumbnail("e", event_id)
            return found

        self._thumbnails = Job(work, self)
        self._thumbnails.done.connect(self._show_thumbnails)
        self._thumbnails.start()

    def _show_thumbnails(self, found: dict[str, bytes | None]) -> None:
        for row in range(self.grid.count()):
            item = self.grid.item(row)
            icon = icon_from_jpeg(found.get(item.data(Qt.ItemDataRole.UserRole).event_id))
            if icon is not None:
                item.setIcon(icon)

    def _show_clip(self, item, _previous=None) -> None:
        if item is None:
            return
        record = item.data(Qt.ItemDataRole.UserRole)
        try:
            obj = self.link.object(record.object_id) if record.object_id else None
        except ValueError as exc:  # still play the clip, without its boxes
            logger.warning("could not read object %s: %s", record.object_id, exc)
            obj = None
        self.player.play(record.clip_path, obj.boxes if obj else [], record.clip_start, record.clip_fps,
                         f"{record.label} #{record.track_id}")

    def _pick_hour(self, hour: float) -> None:
        self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour)))
        self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour) + 3600))
        self.refresh()


def _incidents(hits: list[SearchHit]) -> list[EventRecord]:
    """The incidents of the hits that belong to one, best first, each once."""
    seen: dict[str, EventRecord] = {}
    for hit in hits:
        if hit.event is not None:
            seen.setdefault(hit.event.event_id, hit.event)
    return list(seen.values())
