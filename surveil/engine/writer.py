"""The store writer thread: the only thread that writes to the event store.

Jobs queue here from the analysis and recorder threads, so a slow disk never stalls
analysis. A failed write (a full disk) is reported once; the jobs are kept and retried, and
the store reopened, until writes go through again: freeing space needs no restart.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from surveil.engine.watch import Watch
from surveil.store.db import StoreError
from surveil.store.store import EventStore, Put

logger = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_MAX = 0.5, 5.0  # seconds between tries while the store refuses writes
LAST_TRY = 2.0  # seconds stop() waits beyond its timeout for the try in progress (a reopen takes ~1 s)


@dataclass
class WriteJob:
    """Records to write together, and who to tell once they are on disk."""

    items: list[Put]
    on_written: Callable[[], None] | None = None
    queued: float = field(default_factory=time.monotonic)


class StoreWriter:
    """Drains a queue of write jobs into the store, one synced batch per queue visit.

    ``on_error`` is called once per outage and ``on_resumed`` once when writes go through
    again, both on the writer's thread.
    """

    def __init__(self, store: EventStore, on_error: Callable[[str], None],
                 on_resumed: Callable[[str], None] | None = None, watch: Watch | None = None):
        self.store, self._on_error, self._on_resumed, self._watch = store, on_error, on_resumed, watch
        self._queue: queue.Queue[WriteJob | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._deadline = float("inf")
        self._held = 0  # jobs of the batch being written, or held for the next try
        self._outage: float | None = None  # when the current outage began (monotonic)
        self.written = 0
        self.failures = 0  # outages, not tries
        self.dropped = 0  # jobs the store could not take at all (a bug, not the disk): reported and skipped

    def start(self) -> None:
        """Start the writer thread."""
        body = self._watch.target("store writer", self._run, self._stopping.is_set) if self._watch else self._run
        self._thread = threading.Thread(target=body, name="store-writer", daemon=True)
        self._thread.start()

    def submit(self, job: WriteJob) -> None:
        """Queue records; they are written in order."""
        self._queue.put(job)

    def stop(self, timeout: float = 30.0) -> None:
        """Write what is queued, then join; a store that still refuses writes after ``timeout`` loses them."""
        self._deadline = time.monotonic() + timeout
        self._stopping.set()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout + LAST_TRY)

    @property
    def pending(self) -> int:
        """Jobs waiting, including the batch being written (or held for a retry)."""
        return self._queue.qsize() + self._held

    def _run(self) -> None:
        running = True
        while running:
            jobs = [self._queue.get()]
            while not self._queue.empty() and len(jobs) < 64:
                jobs.append(self._queue.get_nowait())
            if None in jobs:
                running = False
                jobs = [j for j in jobs if j is not None]
            if jobs and not self._write(jobs):
                self._give_up(jobs)
                return

    def _write(self, jobs: list[WriteJob]) -> bool:
        """Write the jobs, trying again through an outage; False when stop's time ran out first."""
        items, delay, writable = [item for job in jobs for item in job.items], BACKOFF_FIRST, True
        self._held = len(jobs)  # in flight: pending until written (a caller waiting on pending must see them)
        while True:
            done = self._put(items) if writable else False
            if done is True:
                break
            # The store turns every I/O failure into StoreError; anything else came from staging a record
            # (encoding it), before any write: a job the store cannot take, not a disk that refuses.
            if isinstance(done, Exception):
                return self._write_apart(jobs, done)
            if not self._pause(delay):
                return False
            delay = min(delay * 2, BACKOFF_MAX)
            writable = self._reopen()
        self._succeeded(jobs)
        return True

    def _write_apart(self, jobs: list[WriteJob], error: Exception) -> bool:
        """Write the jobs one by one, so that only the bad one is skipped (and reported)."""
        if len(jobs) > 1:
            return all(self._write([job]) for job in jobs)
        self._held = 0
        self.dropped += 1
        logger.error("a write job the store cannot take was skipped: %s", error, exc_info=error)
        if self._watch is not None:
            self._watch.failed("store writer", error)
        return True

    def _put(self, items: list[Put]) -> bool | Exception:
        try:
            self.store.put(items)
        except StoreError as exc:
            if self._outage is None:
                self._outage = time.monotonic()
                self.failures += 1
                self._on_error(str(exc))
            return False
        except Exception as exc:
            return exc
        return True

    def _pause(self, delay: float) -> bool:
        """Wait before the next try; stop cuts the wait short once, then bounds it by its timeout."""
        if not self._stopping.is_set():
            self._stopping.wait(delay)
            return True
        delay = min(delay, self._deadline - time.monotonic())
        if delay <= 0:
            return False
        time.sleep(delay)
        return True

    def _reopen(self) -> bool:
        """Reopen the store; False while it still cannot be opened for writing."""
        # RocksDB stays read-only after a failed write, even once space is freed: only reopening clears it.
        try:
            self.store.reopen()
        except StoreError as exc:
            logger.debug("the event store cannot be reopened for writing yet: %s", exc)
            return False
        return True

    def _succeeded(self, jobs: list[WriteJob]) -> None:
        self._held = 0
        if self._outage is not None:
            message = f"store writes resumed after {time.monotonic() - self._outage:.0f} s"
            self._outage = None
            logger.info("%s", message)
            if self._on_resumed is not None:
                self._on_resumed(message)
        self.written += sum(len(job.items) for job in jobs)
        for job in jobs:
            if job.on_written is not None:
                try:
                    job.on_written()
                except Exception as exc:
                    logger.exception("write listener failed")
                    if self._watch is not None:
                        self._watch.failed("store write listener", exc)

    def _give_up(self, jobs: list[WriteJob]) -> None:
        lost = len(jobs)
        while not self._queue.empty():
            lost += self._queue.get_nowait() is not None
        self._held = 0
        logger.error("stopping with the event store still refusing writes: %d write jobs were lost", lost)
