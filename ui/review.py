"""Incident review: timeline, filters, a table of incidents read page by page, triage, search, the clip, export.

The panel lays out and connects; the parts are beside it: the filters and search
(``review_filters``), reading (``review_reader``, every link call on a worker), the table's
model and thumbnails (``review_model``), triage (``review_triage``) and export (``review_export``).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QSplitter, QVBoxLayout, QWidget

from surveil.service.link import EngineLink
from surveil.store.query import EventFilter
from ui.clip_player import ClipPlayer
from ui.review_export import ExportRun, choose_destination, confirm_export
from ui.review_filters import FilterBar
from ui.review_model import IncidentModel, incident_table
from ui.review_reader import PAGE, IncidentReader
from ui.review_triage import TriageBar
from ui.status_line import ElidedLabel
from ui.theme import icon
from ui.timeline import Timeline
from ui.worker import Job

logger = logging.getLogger(__name__)

PLAYER_MIN_W, TABLE_MIN_W = 300, 280  # the clip stays watchable; the table keeps a few columns in view
SPLIT = (2, 1)  # table to clip, at first and as the panel grows
ROOMY_HEIGHT, TIMELINE_TALL, TIMELINE_SHORT = 700, 110, 72  # the chart's height above and below ROOMY_HEIGHT


class ReviewPanel(QWidget):
    """Reads the link's store on workers, page by page; shows, triages and exports what it read.

    Laid out to fit a 1366x768 laptop's central area (about 940x530) without scrolling: the chart
    is shorter on short screens, the filters take two rows, the clip keeps a usable width beside
    the table (which scrolls its own columns), and triage shares the bottom row with the status.
    """

    def __init__(self, link: EngineLink, parent: QWidget | None = None):
        super().__init__(parent)
        self.link = link
        self.timeline = Timeline()
        self.timeline.hourClicked.connect(self._pick_hour)
        self.filters = FilterBar()
        self.filters.fill(link.config)
        bar = self.filters  # the panel's own names for the filters, as callers and tests know them
        self.since, self.until, self.text = bar.since, bar.until, bar.text
        self.camera, self.rule, self.label, self.severity, self.state = (bar.camera, bar.rule, bar.label,
                                                                          bar.severity, bar.state)
        self.model = IncidentModel(self)
        self.model.thumbnails.read = link.thumbnail
        self.table = incident_table(self.model)
        self.table.selectionModel().currentRowChanged.connect(self._show_clip)
        self.player = ClipPlayer()
        self.triage = TriageBar(link, self.model, self.selected_ids, self)
        self.triage.report.connect(self._say)
        self.busy = QProgressBar(minimum=0, maximum=0, maximumWidth=80, visible=False)  # indeterminate
        self.status = ElidedLabel("")
        self.export = QPushButton(icon("export"), "Export…",
                                  toolTip="Export the selected incidents (all listed ones when none is)")
        self.more = QPushButton("Load more", toolTip=f"Read the next {PAGE} (older) incidents", enabled=False)
        self.last_export: Path | None = None
        self.export_run: ExportRun | None = None
        self.reader = IncidentReader(link, self.model, self)
        self.reader.changed.connect(self._show_progress)
        self.reader.counted.connect(self._counted)
        self.reader.said.connect(self._say)
        self._clip: Job | None = None  # reading the chosen incident's object
        self._export_when_read: tuple[Path | None] | None = None  # an export asked before the list was read
        self._connect()
        self._build()

    def _connect(self) -> None:
        bar = self.filters
        for button, slot in ((bar.apply, self.refresh), (bar.search, self.search_text),
                             (bar.similar, self.find_similar), (bar.cancel, self.cancel_search),
                             (self.export, self.export_selection), (self.more, self.load_more)):
            button.clicked.connect(lambda _=False, slot=slot: slot())
        if not self.link.text_search():
            bar.search.setEnabled(False)
            bar.search.setToolTip("CLIP is unavailable here; Find similar works without it")

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, childrenCollapsible=False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.player)
        self.table.setMinimumWidth(TABLE_MIN_W)
        self.player.setMinimumWidth(max(PLAYER_MIN_W, self.player.minimumWidth()))
        for i, share in enumerate(SPLIT):  # the table's columns first; the clip beside them, never a sliver
            splitter.setStretchFactor(i, share)
        bottom = QHBoxLayout()
        bottom.addWidget(self.triage)
        bottom.addWidget(self.export)  # it too acts on the selection
        bottom.addSpacing(6)
        bottom.addWidget(self.busy)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.more)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(6)
        layout.addWidget(self.timeline)
        layout.addWidget(self.filters)
        layout.addWidget(splitter, 1)
        layout.addLayout(bottom)
        self.splitter, self._split = splitter, False

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A shorter chart on a short screen (the table's rows are what the operator reads); the first split."""
        super().resizeEvent(event)
        roomy = event.size().height() >= ROOMY_HEIGHT
        self.timeline.setFixedHeight(TIMELINE_TALL if roomy else TIMELINE_SHORT)
        total = self.splitter.width() - self.splitter.handleWidth()
        if not self._split and total > 0:  # once: then the operator's drag, and growth by SPLIT, decide
            self._split = True
            self.splitter.setSizes([total * SPLIT[0] // sum(SPLIT), total * SPLIT[1] // sum(SPLIT)])

    def current_filter(self) -> EventFilter:
        """The filters as the store's EventFilter."""
        return self.filters.current_filter()

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
        self.filters.fill(config)
        flt = self.reader.filter  # the filter these counts are for: the chart shows its whole range
        self.timeline.set_counts(counts, flt.since, flt.until)

    def _show_progress(self) -> None:
        reader, shown = self.reader, self.model.rowCount()
        self.busy.setVisible(reader.loading())
        self.more.setEnabled(reader.cursor is not None and "page" not in reader.reading)
        if "page" in reader.reading:
            self._say(f"{shown} incidents shown, loading…" if shown else "loading…")
            return
        more = f": more match, Load more reads the next {PAGE}" if reader.cursor else " (all that match)"
        self._say(f"{shown} incidents shown{more}" + (", counting…" if reader.loading() else ""))
        if self._export_when_read is not None:
            (dest,), self._export_when_read = self._export_when_read, None
            self.export_selection(dest)

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
            self._say("select an incident to find similar ones")
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
            self._say("reading the incidents to export…")
            return None
        if not records:
            self._say("no incidents listed: nothing to export")
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
        self.status.setToolTip(text)  # the label elides a long message: all of it here

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
        self.player.severity = record.severity
        self.player.play(record.clip_path, obj.boxes if obj else [], record.clip_start, record.clip_fps,
                         f"{record.label} #{record.track_id}")

    def _pick_hour(self, hour: float) -> None:
        self.filters.show_hour(int(hour))
        self.refresh()

