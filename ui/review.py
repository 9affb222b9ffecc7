"""Incident review: timeline, filters, a table of incidents read page by page, triage, search, the clip, export.

The panel lays out and connects; the parts are beside it: reading (``review_reader``, every link
call on a worker), the table's model and thumbnails (``review_model``), triage
(``review_triage``) and export (``review_export``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QDateTime, QModelIndex, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from surveil.service.link import EngineLink
from surveil.store.query import STATES, EventFilter
from ui.clip_player import ClipPlayer
from ui.review_export import ExportRun, choose_destination, confirm_export
from ui.review_model import IncidentModel, incident_table
from ui.review_reader import PAGE, IncidentReader
from ui.review_triage import TriageBar
from ui.timeline import Timeline
from ui.worker import Job

logger = logging.getLogger(__name__)

ANY = "any"


class ReviewPanel(QWidget):
    """Reads the link's store on workers, page by page; shows, triages and exports what it read."""

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
        self._fill_filters(link.config)
        self.label.addItems([ANY, "person", "car", "truck", "bicycle", "motorcycle", "bus", "dog"])
        self.severity.addItems([ANY, "low", "medium", "high", "critical"])
        self.state.addItems([ANY, *STATES])
        self.text = QLineEdit(placeholderText="search in words, e.g. a person with a ladder")
        self.model = IncidentModel(self)
        self.model.thumbnails.read = link.thumbnail
        self.table = incident_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._show_clip)
        self.player = ClipPlayer()
        self.triage = TriageBar(link, self.model, self.selected_ids, self)
        self.triage.report.connect(self._say)
        self.busy = QProgressBar(minimum=0, maximum=0, maximumWidth=120, visible=False)  # indeterminate
        self.status = QLabel("")
        self.more = self._button("Load more", self.load_more)
        self.more.setEnabled(False)
        self.last_export: Path | None = None
        self.export_run: ExportRun | None = None
        self.reader = IncidentReader(link, self.model, self)
        self.reader.changed.connect(self._show_progress)
        self.reader.counted.connect(self._counted)
        self.reader.said.connect(self._say)
        self._clip: Job | None = None  # reading the chosen incident's object
        self._export_when_read: tuple[Path | None] | None = None  # an export asked before the list was read
        self._build()

    def _build(self) -> None:
        filters = QHBoxLayout()
        for label, widget in (("From", self.since), ("to", self.until), ("Camera", self.camera), ("Rule", self.rule),
                              ("Label", self.label), ("Severity", self.severity), ("State", self.state)):
            filters.addWidget(QLabel(label))
            filters.addWidget(widget)
            if isinstance(widget, QComboBox):  # a long rule name must not push the row past a laptop's width
                widget.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
                widget.setMinimumContentsLength(8)
        search = QHBoxLayout()
        search.addWidget(self._button("Apply filters", self.refresh))
        search.addWidget(self.text)
        text_button = self._button("Search", self.search_text)
        search.addWidget(text_button)
        if not self.link.text_search():
            text_button.setEnabled(False)
            text_button.setToolTip("CLIP is unavailable here; Find similar works without it")
        for text, slot in (("Find similar", self.find_similar), ("Cancel search", self.cancel_search),
                           ("Export…", self.export_selection)):
            search.addWidget(self._button(text, slot))
        list_side = QWidget()
        column = QVBoxLayout(list_side)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.table, 1)
        column.addWidget(self.triage)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(list_side)
        splitter.addWidget(self.player)
        splitter.setSizes([1000, 350])  # the table's columns first; the clip beside them
        footer = QHBoxLayout()
        footer.addWidget(self.busy)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.addWidget(self.timeline)
        layout.addLayout(filters)
        layout.addLayout(search)
        layout.addWidget(splitter, 1)
        layout.addLayout(footer)

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

    def loading(self) -> bool:
        """Whether a refresh or a page is still being read."""
        return self.reader.loading()

    def refresh(self) -> None:
        """Read the first page and the timeline for the filters, on workers (an older refresh is dropped)."""
        self.reader.refresh(self.current_filter())

    def load_more(self) -> None:
        """Read the next page (older incidents) onto the end of the list."""
        self.reader.load_more()

    def showEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Read on first show, unless a refresh was asked meanwhile (the window refreshes when the tab opens)."""
        super().showEvent(event)
        if self.reader.generation == 0:
            QTimer.singleShot(0, self._first_read)

    def _first_read(self) -> None:
        if self.reader.generation == 0:  # else the tab switch that showed the panel has refreshed it
            self.refresh()

    def _counted(self, config, counts: dict) -> None:
        self._fill_filters(config)
        self.timeline.set_counts(counts)

    def _show_progress(self) -> None:
        reader, shown = self.reader, self.model.rowCount()
        self.busy.setVisible(reader.loading())
        self.more.setEnabled(reader.cursor is not None and "page" not in reader.reading)
        if "page" in reader.reading:
            self.status.setText(f"{shown} incidents shown, loading…" if shown else "loading…")
            return
        more = f": more match, Load more reads the next {PAGE}" if reader.cursor else " (all that match)"
        self.status.setText(f"{shown} incidents shown{more}" + (", counting…" if reader.loading() else ""))
        if self._export_when_read is not None:
            (dest,), self._export_when_read = self._export_when_read, None
            self.export_selection(dest)

    def _fill_filters(self, config) -> None:
        """Cameras and rules as configured now, keeping the current choice (even if it is gone: it is the filter)."""
        for box, names in ((self.camera, [c.id for c in config.cameras]), (self.rule, [r.name for r in config.rules])):
            current = box.currentText() or ANY
            items = [ANY, *names] + ([current] if current not in (ANY, *names) else [])
            if items != [box.itemText(i) for i in range(box.count())]:
                box.blockSignals(True)
                box.clear()
                box.addItems(items)
                box.setCurrentText(current)
                box.blockSignals(False)

    # -- selection, triage, search, export ------------------------------------------------------

    def selected_rows(self) -> list[int]:
        """The selected rows, top first."""
        return sorted(index.row() for index in self.table.selectionModel().selectedRows())

    def selected_ids(self) -> list[str]:
        """The selected incidents' ids."""
        return [self.model.record(row).event_id for row in self.selected_rows()]

    def find_similar(self) -> None:
        """Incidents whose objects look like the selected incident's, with the same filters."""
        row = self.table.currentIndex().row()
        if row < 0:
            self.status.setText("select an incident to find similar ones")
            return
        event_id = self.model.record(row).event_id
        self.reader.search(lambda flt: self.link.search(flt, like_event=event_id), self.current_filter(),
                           "similar incidents")

    def cancel_search(self) -> None:
        """Stop a running search; its results are dropped."""
        self.reader.cancel_searches()

    def search_text(self) -> None:
        """Search in words (needs CLIP)."""
        words = self.text.text().strip()
        if words and self.link.text_search():
            self.reader.search(lambda flt: self.link.search(flt, text=words), self.current_filter(),
                               f"incidents like '{words}'")

    def export_selection(self, dest: Path | None = None) -> Job | None:
        """Export the selected incidents (all listed ones when none is, after asking) with a progress dialog."""
        rows = self.selected_rows()
        records = [self.model.record(row) for row in rows or range(self.model.rowCount())]
        if not records and "page" in self.reader.reading:  # File → Export opened the tab, which refreshes
            self._export_when_read = (dest,)
            self.status.setText("reading the incidents to export…")
            return None
        if not records:
            self.status.setText("no incidents listed: nothing to export")
            return None
        if not confirm_export(self, records, bool(rows), self.reader.cursor is not None):
            return None
        dest = dest or choose_destination(self)
        if dest is None:
            return None
        self.export_run = ExportRun(self.link, dest, [r.event_id for r in records], self, self._say)
        self.export_run.finished.connect(self._exported)
        return self.export_run.start()

    def _exported(self, result) -> None:
        if result is not None:
            self.last_export = result.path

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _show_clip(self, current: QModelIndex, _previous=None) -> None:
        """Play the incident's clip with its object's boxes, read on a worker."""
        if not current.isValid():
            return
        record, link = self.model.record(current.row()), self.link

        def work(_job: Job):
            try:
                return record, link.object(record.object_id) if record.object_id else None
            except ValueError as exc:  # still play the clip, without its boxes
                logger.warning("could not read object %s: %s", record.object_id, exc)
                return record, None

        self._clip = Job(work, self)
        self._clip.done.connect(self._play)
        self._clip.start()

    def _play(self, answer) -> None:
        if self.sender() is not self._clip:
            return  # another incident was chosen meanwhile
        record, obj = answer
        self.player.play(record.clip_path, obj.boxes if obj else [], record.clip_start, record.clip_fps,
                         f"{record.label} #{record.track_id}")

    def _pick_hour(self, hour: float) -> None:
        self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour)))
        self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(hour) + 3600))
        self.refresh()

