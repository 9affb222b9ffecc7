"""Running long work (search, export, back-test) off the GUI thread, with progress and cancel.

Every started job is kept in one registry until its thread ends, so that closing the window can
cancel and join them all: a job left running would emit into widgets Qt has already deleted, or
still be reading the store when the engine closes it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)

_started: set[Job] = set()  # finished jobs are dropped whenever it is read or added to
_started_lock = threading.Lock()


class Cancelled(Exception):
    """The operator cancelled the work."""


class Job(QObject):
    """Runs ``work(job)`` on a thread; signals arrive on the GUI thread. ``work`` calls ``job.progress``."""

    done = Signal(object)
    failed = Signal(str)
    progressed = Signal(int, int)

    def __init__(self, work: Callable[[Job], object], parent: QObject | None = None):
        super().__init__(parent)
        self._work = work
        self._cancel = threading.Event()
        self.thread = threading.Thread(target=self._run, name="gui-job", daemon=True)

    def start(self) -> Job:
        """Begin, and register the job until its thread ends."""
        with _started_lock:
            _drop_finished()
            _started.add(self)
        self.thread.start()
        return self

    def join(self, timeout: float | None = None) -> bool:
        """Wait for the work to end (cancel first to make that quick); whether it ended in time."""
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def cancel(self) -> None:
        """Ask the work to stop at its next progress report."""
        self._cancel.set()

    def progress(self, done: int, total: int) -> None:
        """Report progress from the work; raises Cancelled once cancel was asked."""
        if self._cancel.is_set():
            raise Cancelled()
        self.progressed.emit(done, total)

    def _run(self) -> None:
        try:
            result = self._work(self)
        except Cancelled:
            self.failed.emit("cancelled")
        except Exception as exc:
            logger.exception("background job failed")
            self.failed.emit(str(exc))
        else:
            self.done.emit(result)


def running_jobs() -> list[Job]:
    """The jobs whose thread has not ended."""
    with _started_lock:
        _drop_finished()
        return list(_started)


def cancel_all_and_join(timeout: float) -> list[Job]:
    """Cancel every running job and wait ``timeout`` seconds in all for them to end; those still running."""
    jobs = running_jobs()
    for job in jobs:
        job.cancel()
    deadline = time.monotonic() + timeout
    left = [job for job in jobs if not job.join(max(0.0, deadline - time.monotonic()))]
    if left:
        logger.warning("%d background job(s) still running after %.0f s (work that does not report progress "
                       "cannot be cancelled)", len(left), timeout)
    return left


def _drop_finished() -> None:
    """Let go of ended jobs (their work's closures hold stores and results); the caller holds the lock."""
    _started.difference_update([job for job in _started if not job.thread.is_alive()])
