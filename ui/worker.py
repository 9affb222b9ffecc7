"""Running long work (search, export, back-test) off the GUI thread, with progress and cancel."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

logger = logging.getLogger(__name__)


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
        """Begin."""
        self.thread.start()
        return self

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
