"""The store writer thread: the only thread that writes to the event store.

Jobs queue here from the analysis and recorder threads, so a slow disk never stalls
analysis. A failed write (a full disk) is reported to listeners; the engine keeps running.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from surveil.store.db import StoreError
from surveil.store.store import EventStore, Put

logger = logging.getLogger(__name__)


@dataclass
class WriteJob:
    """Records to write together, and who to tell once they are on disk."""

    items: list[Put]
    on_written: Callable[[], None] | None = None
    queued: float = field(default_factory=time.monotonic)


class StoreWriter:
    """Drains a queue of write jobs into the store, one synced batch per queue visit."""

    def __init__(self, store: EventStore, on_error: Callable[[str], None]):
        self.store, self._on_error = store, on_error
        self._queue: queue.Queue[WriteJob | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failures = 0

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)
        self._thread.start()

    def submit(self, job: WriteJob) -> None:
        """Queue records; they are written in order."""
        self._queue.put(job)

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then join."""
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def pending(self) -> int:
        """Jobs waiting."""
        return self._queue.qsize()

    def _run(self) -> None:
        running = True
        while running:
            jobs = [self._queue.get()]
            while not self._queue.empty() and len(jobs) < 64:
                jobs.append(self._queue.get_nowait())
            if None in jobs:
                running = False
                jobs = [j for j in jobs if j is not None]
            if jobs:
                self._write(jobs)

    def _write(self, jobs: list[WriteJob]) -> None:
        try:
            self.store.put([item for job in jobs for item in job.items])
        except StoreError as exc:
            self.failures += 1
            self._on_error(str(exc))
            return
        self.written += sum(len(job.items) for job in jobs)
        for job in jobs:
            if job.on_written is not None:
                try:
                    job.on_written()
                except Exception:
                    logger.exception("write listener failed")
