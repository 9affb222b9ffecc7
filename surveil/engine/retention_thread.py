"""The retention thread: plans and runs retention every few minutes, and at once when a limit is reached.

The recorder thread reports each closed segment's bytes: a running estimate of the total
wakes this thread when it passes the cap, and a cheap check of free disk space every
``DISK_CHECK_S`` wakes it when the emergency floor is crossed. Each pass measures for
real (a walk of the folders), so the estimate only decides when, never what.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.watch import Watch
from surveil.media.retention import GB, SIZE_TRIGGER, iso, plan_retention, retention_status, run_retention, size_marks
from surveil.store.retention import disk_usage
from surveil.store.store import EventStore

logger = logging.getLogger(__name__)

DISK_CHECK_S = 30.0
MIN_GAP_S = 2.0  # between woken passes: a cap that locked events keep exceeded must not mean a pass per segment
WAKE_MARGIN = 0.05  # of the cap: growth that wakes a pass early when the last one could not get under
WARN_RESET_SHARE = 0.7  # the storage warning comes again only after usage fell this far below the cap
HEADROOM_S = 15.0  # of recording, measured between passes: kept free under the cap for a woken pass to act


class RetentionThread:
    """Owns retention while the engine runs. Notices go out on this thread."""

    start_delay_s = 5.0  # the first pass waits for cameras and models to start

    def __init__(self, store: EventStore, config: SurveilConfig, recordings: Path, clips: Path,
                 notify: Callable[[EngineNotice], None], watch: Watch | None = None):
        self.store, self.config, self.recordings, self.clips = store, config, Path(recordings), Path(clips)
        self._notify, self._watch = notify, watch
        self._cap = config.storage.max_size_gb * GB
        self._floor = config.storage.min_free_gb * GB
        self._wake, self._stopping = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        self._estimate: float | None = None  # bytes used: the last pass's measure plus segments closed since
        self._wake_at = self._cap * SIZE_TRIGGER  # higher while locked evidence keeps usage up: no pass per segment
        self._last_measure: tuple[float, int] | None = None  # (time, bytes used after the last pass)
        self._headroom = 0.0  # bytes the cameras write in HEADROOM_S at the rate measured between passes
        self._next_disk_check = 0.0
        self._next_pass = time.time() + self.start_delay_s
        self._status: dict = {}
        self._last_run: dict | None = None
        self._warned = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the thread (named ``retention``)."""
        self._next_pass = time.time() + self.start_delay_s
        body = self._watch.target("retention", self._run, self._stopping.is_set) if self._watch else self._run
        self._thread = threading.Thread(target=body, name="retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop and join; a pass under way finishes its current step first."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("retention thread did not stop within %.0f s", timeout)
            self._thread = None

    def note_bytes(self, n: int) -> None:
        """Recorder thread: a segment of ``n`` bytes closed. Wakes the thread when a limit is reached."""
        with self._lock:
            if self._estimate is not None:
                self._estimate += n
            over = self._estimate is not None and self._estimate > self._wake_at
            check_disk = self._floor > 0 and time.monotonic() >= self._next_disk_check
            if check_disk:
                self._next_disk_check = time.monotonic() + DISK_CHECK_S
        if over or (check_disk and self._disk_low()):
            self._wake.set()

    def status(self) -> dict:
        """The last measured retention status, when the next pass is due, and what the last run did."""
        with self._lock:
            return {**self._status, "next_purge": iso(self._next_pass), "last_run": self._last_run}

    # -- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        every = self.config.storage.retention_every_s
        last = -MIN_GAP_S
        while not self._stopping.is_set():
            woken = self._wake.wait(max(0.0, self._next_pass - time.time()))
            self._wake.clear()
            if woken and not self._stopping.is_set():
                self._stopping.wait(max(0.0, last + MIN_GAP_S - time.monotonic()))
            if self._stopping.is_set():
                return
            last = time.monotonic()
            self._pass()
            with self._lock:
                self._next_pass = time.time() + every

    def _pass(self) -> None:
        """Plan, run, measure; any failure is logged and the next pass tries again."""
        started = time.time()
        try:
            plan = plan_retention(self.store, self.config, self.recordings, self.clips, now=started,
                                  headroom=int(self._headroom))
            if self._stopping.is_set():  # the engine is closing the store
                return
            report = run_retention(self.store, plan) if plan.items else None
            usage = plan.usage.after(report.recordings_freed, report.clips_freed) if report else plan.usage
            status = retention_status(self.store, self.config, self.recordings, self.clips, usage)
        except Exception as exc:
            logger.exception("retention pass failed; the next pass tries again")
            if self._watch is not None:
                self._watch.failed("retention", exc)
            with self._lock:
                self._last_run = {"time": iso(started), "error": str(exc)}
            return
        for warning in plan.warnings:
            logger.warning("retention: %s", warning)
        self._measure_rate(started, plan.usage.used, usage.used)
        with self._lock:
            self._estimate, self._status = usage.used, status
            trigger = size_marks(self._cap, self._headroom)[0]
            self._wake_at = max(trigger, usage.used + self._cap * WAKE_MARGIN)
            self._last_run = {"time": iso(started), "seconds": round(time.time() - started, 2),
                              "plan": plan.summary(), "run": report.as_dict() if report else None}
        self._tell(report, status)

    def _measure_rate(self, now: float, before: int, after: int) -> None:
        """Bytes written per second since the last pass (all of it: segments, clips, the store)."""
        if self._last_measure is not None and now > self._last_measure[0]:
            rate = max(0, before - self._last_measure[1]) / (now - self._last_measure[0])
            self._headroom = rate * HEADROOM_S
        self._last_measure = (now, after)

    def _tell(self, report, status: dict) -> None:
        warning = status.get("warning")
        for purge in report.purges if report else ():
            camera = purge.cameras[0] if len(purge.cameras) == 1 else None
            self._send(EngineNotice("retention", purge.line(), camera_id=camera))
        if warning and not self._warned:
            logger.warning("storage: %s", warning)
            self._send(EngineNotice("storage_warning", warning))
        # Once per crossing: at the cap, retention keeps usage near it, which is no news every pass.
        used = status.get("used_bytes", 0)
        self._warned = bool(warning) or (self._warned and used > self._cap * WARN_RESET_SHARE)

    def _send(self, notice: EngineNotice) -> None:
        try:
            self._notify(notice)
        except Exception:
            logger.exception("retention notice %s failed", notice.kind)

    def _disk_low(self) -> bool:
        try:
            return disk_usage(self.recordings).free < self._floor
        except OSError:
            return False
