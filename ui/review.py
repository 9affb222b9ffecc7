"""Incident review: timeline, filters, text search and find-similar, thumbnails, the clip, and export."""

from __future__ import annotations

import datetime as dt
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

from surveil.engine.engine import Engine
from surveil.media.export import export_incidents
from surveil.store.query import STATES, EventFilter, counts_per_hour, list_events
from surveil.store.search import EmbeddingIndex, SearchFilter, text_query
from ui.clip_player import ClipPlayer
from ui.images import icon_from_jpeg
from ui.timeline import Timeline
from ui.worker import Job

ANY = "any"


class ReviewPanel(QWidget):
    """Reads the engine's store; exports and searches run off the GUI thread."""

    def __init__(self, engine: Engine, parent: QWidget | None = None):
        super().__init__(parent)
        self.engine = engine
        self.timeline = Timeline()
        self.timeline.hourClicked.connect(self._pick_hour)
        self.since, self.until = QDateTimeEdit(calendarPopup=True), QDateTimeEdit(calendarPopup=True)
        now = QDateTime.currentDateTime()
        self.since.setDateTime(now.addDays(-7))
        self.until.setDateTime(now.addDays(1))
        self.camera, self.rule, self.label = QComboBox(), QComboBox(), QComboBox()
        self.severity, self.state = QComboBox(), QComboBox()
        self.camera.addItems([ANY] + [c.id for c in engine.config.cameras])
        self.rule.addItems([ANY] + [r.name for r in engine.config.rules])
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
        if self.engine.encoder is None:
            text_button.setEnabled(False)
            text_button.setToolTip(f"CLIP is unavailable ({self.engine.snapshot().clip_reason}); "
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
        page, more = list_events(self.engine.store, flt, limit=500)
        self._fill([(record.event_id, record) for record, _ in page])
        cameras = flt.cameras or [c.id for c in self.engine.config.cameras]
        self.timeline.set_counts({camera: counts_per_hour(self.engine.store, replace(flt, cameras=[camera]))
                                  for camera in cameras})
        self.status.setText(f"{len(page)} incidents" + (" (first 500)" if more else ""))

    def find_similar(self) -> None:
        """Objects that look like the selected incident's, with the same filters."""
        item = self.grid.currentItem()
        record = item.data(Qt.ItemDataRole.UserRole) if item else None
        vector = self.engine.store.embedding("e", record.event_id) if record else None
        if vector is None:
            self.status.setText("select an incident that has an embedding (needs CLIP when it was stored)")
            return
        self._search(vector)

    def cancel_search(self) -> None:
        """Stop a running search; its results are dropped."""
        for job in self._jobs:
            job.cancel()

    def search_text(self) -> None:
        """Search in words (needs CLIP)."""
        encoder = self.engine.encoder
        if encoder is None or not self.text.text().strip():
            return
        self._search(text_query(encoder, self.text.text().strip()))

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
        job = Job(lambda j: export_incidents(self.engine.store, dest, ids, progress=j.progress), self)
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

    def _search(self, vector) -> None:
        flt = self.current_filter()
        store = self.engine.store

        def work(job):
            job.progress(0, 1)
            index = EmbeddingIndex.load(store)
            job.progress(1, 1)  # loading is the long part: cancel takes effect here
            hits = index.search(vector, 50, SearchFilter(flt.since, flt.until, flt.cameras,
                                                                              flt.labels))
            objects = [store.get_object(object_id) for object_id, _ in hits]
            return [(o.event_ids[0], store.get_event(o.event_ids[0])) for o in objects if o and o.event_ids]

        job = Job(work, self)
        job.done.connect(lambda rows: (self._fill([r for r in rows if r[1]]), self.status.setText(
            f"{len(rows)} similar incidents")))
        job.failed.connect(lambda message: self.status.setText(f"search {message}" if message == "cancelled"
                                                               else f"search failed: {message}"))
        self._keep(job)
        job.start()

    def _fill(self, rows) -> None:
        self.grid.clear()
        for event_id, record in rows:
            when = dt.datetime.fromtimestamp(record.start).strftime("%d %b %H:%M:%S")
            item = QListWidgetItem(f"{when}\n{record.camera_id} · {record.rule}")
            item.setData(Qt.ItemDataRole.UserRole, record)
            icon = icon_from_jpeg(self.engine.store.thumbnail("e", event_id))
            if icon is not None:
                item.setIcon(icon)
            self.grid.addItem(item)

    def _show_clip(self, item, _previous=None) -> None:
        if item is None:
            return
        record = item.data(Qt.ItemDataRole.UserRole)
        obj = self.engine.store.get_object(record.object_id) if record.object_id else None
        self.player.play(record.clip_path, obj.boxes if obj else [], record.clip_start, record.clip_fps,
                         f"{record.label} #{record.track_id}")

    def _pick_hour(self, hour: float) -> None:
        self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour)))
        self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour) + 3600))
        self.refresh()
