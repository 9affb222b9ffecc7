"""Reading incidents for the review panel: pages, the timeline's counts and searches, all on workers.

Every read goes through the ``EngineLink`` (a service answers over HTTP; a store of 20 000
events takes seconds), so none runs on the GUI thread, which only appends what a worker
returned to the model. Each refresh or search starts a generation; an answer for an older
one is dropped, so the newest filters win however the reads finish.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal

from surveil.service.link import EngineLink, SearchHit
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord
from ui.review_model import IncidentModel
from ui.worker import Job

logger = logging.getLogger(__name__)

PAGE = 500  # incidents per read; "Load more" reads the next page
BURST_S = 0.015  # CPU a worker spends counting before it rests (see _paced_counts)


class IncidentReader(QObject):
    """Fills ``model``. ``changed()`` after each answer; ``counted(config, counts per camera)``; ``said(text)``."""

    changed = Signal()
    counted = Signal(object, object)
    said = Signal(str)

    def __init__(self, link: EngineLink, model: IncidentModel, parent: QObject | None = None):
        super().__init__(parent)
        self.link, self.model = link, model
        self.generation = 0  # of the refresh or search whose answers are shown
        self.filter = EventFilter()
        self.cursor: str | None = None  # where the next page starts; None: nothing more
        self.reading: dict[str, Job] = {}  # "page", "counts": the job of the current generation
        self.searches: list[Job] = []

    def loading(self) -> bool:
        """Whether a page or the counts are still being read."""
        return bool(self.reading)

    def refresh(self, flt: EventFilter) -> None:
        """Read the first page and the timeline for ``flt``; whatever an older refresh still reads is dropped."""
        self._supersede()
        self.filter = flt
        self.model.clear()
        self._read_page(None)
        self._read_counts()

    def load_more(self) -> None:
        """Read the next page (older incidents) onto the end of the list."""
        if self.cursor is not None and "page" not in self.reading:
            self._read_page(self.cursor)

    def search(self, search: Callable[[EventFilter], list[SearchHit]], flt: EventFilter, found: str) -> Job:
        """Run ``search(flt)`` on a worker; its hits' incidents replace the list (the best ones, no pages)."""
        generation = self._supersede()

        def work(job: Job):
            job.progress(0, 1)
            hits = search(flt)
            job.progress(1, 1)  # the search itself cannot be interrupted: a cancel drops its result here
            return generation, found, _incidents(hits)

        job = self._job(work, self._searched, self._search_failed)
        self.searches = [j for j in self.searches if j.thread.is_alive()] + [job]
        return job.start()

    def cancel_searches(self) -> None:
        """Stop running searches; their results are dropped."""
        for job in self.searches:
            job.cancel()

    def _supersede(self) -> int:
        self.generation += 1
        for job in self.reading.values():
            job.cancel()
        self.reading.clear()
        self.cursor = None
        return self.generation

    def _read_page(self, before: str | None) -> None:
        link, flt, generation = self.link, self.filter, self.generation

        def work(job: Job):
            page, cursor = link.events(flt, limit=PAGE, before=before)
            job.progress(1, 1)  # superseded meanwhile: dropped here
            return generation, page, cursor

        self.reading["page"] = self._job(work, self._page_read, self._read_failed).start()
        self.changed.emit()

    def _read_counts(self) -> None:
        """The timeline per camera, and the configuration now (its cameras and rules are the filters' choices)."""
        link, flt, generation = self.link, self.filter, self.generation

        def work(job: Job):
            config = link.snapshot().config
            cameras = flt.cameras or [c.id for c in config.cameras]
            return generation, config, {camera: _paced_counts(link, replace(flt, cameras=[camera]), job)
                                        for camera in cameras}

        self.reading["counts"] = self._job(work, self._counts_read, self._read_failed).start()

    def _job(self, work, done, failed) -> Job:
        job = Job(work, self)
        job.done.connect(done)
        job.failed.connect(failed)
        for ended in (job.done, job.failed):  # after the slots above: a session reads thousands of pages
            ended.connect(job.deleteLater)
        return job

    def _page_read(self, answer) -> None:
        generation, page, cursor = answer
        if generation == self.generation:
            self.reading.pop("page", None)
            self.model.append(page)
            self.cursor = cursor
            self.changed.emit()

    def _counts_read(self, answer) -> None:
        generation, config, counts = answer
        if generation == self.generation:
            self.reading.pop("counts", None)
            self.counted.emit(config, counts)
            self.changed.emit()

    def _read_failed(self, message: str) -> None:
        names = [name for name, job in self.reading.items() if job is self.sender()]
        for name in names:  # none: a superseded read, cancelled
            del self.reading[name]
        if names:
            self.changed.emit()
            self.said.emit(f"could not read the incidents: {message}")

    def _searched(self, answer) -> None:
        generation, found, records = answer
        if generation == self.generation:
            self.model.clear()
            self.model.append([(record, None) for record in records])
            self.changed.emit()
            self.said.emit(f"{len(records)} {found}")

    def _search_failed(self, message: str) -> None:
        self.said.emit(f"search {message}" if message == "cancelled" else f"search failed: {message}")


def _paced_counts(link: EngineLink, flt: EventFilter, job: Job) -> dict[int, int]:
    """Events per hour, counted a stretch of time at a time, resting after each as long as it kept the CPU.

    Counting in this process is Python for as long as it takes (half a second for 20 000
    events), and while a worker runs Python every call from Qt into Python on the GUI thread
    waits for the GIL, up to 5 ms each: a paint of the table (hundreds of such calls) would
    wait for the whole count. Short stretches with rests let it through. A service counts on
    its side: the worker only waits for the answer, uses no CPU here, and takes big stretches.
    """
    if flt.since is None or flt.until is None:
        return link.counts_per_hour(flt)
    counts: dict[int, int] = {}
    start, span = flt.since, 6 * 3600.0
    while start < flt.until:
        job.progress(int(start - flt.since), int(flt.until - flt.since))  # a newer refresh cancels here
        end = min(flt.until, start + span)
        used = time.thread_time()
        for hour, n in link.counts_per_hour(replace(flt, since=start, until=end)).items():
            counts[hour] = counts.get(hour, 0) + n  # an hour cut in two is counted in both stretches
        used = time.thread_time() - used
        span = span * 2 if used < BURST_S / 2 else max(3600.0, span / 2) if used > BURST_S else span
        if used > 0.002:
            time.sleep(min(used, 0.05))
        start = end
    return counts


def _incidents(hits: list[SearchHit]) -> list[EventRecord]:
    """The incidents of the hits that belong to one, best first, each once."""
    seen: dict[str, EventRecord] = {}
    for hit in hits:
        if hit.event is not None:
            seen.setdefault(hit.event.event_id, hit.event)
    return list(seen.values())
