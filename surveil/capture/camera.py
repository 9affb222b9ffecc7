"""One capture thread per camera: open, read, stamp, hand over, and reconnect when a stream dies."""

from __future__ import annotations

import enum
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from surveil.capture.backoff import Backoff
from surveil.capture.cv import cv2
from surveil.capture.frame import Frame, FrameMailbox
from surveil.capture.opener import SourceOpenError, StreamInfo, open_capture, stream_info
from surveil.capture.spec import SourceKind, parse_source
from surveil.capture.status import SourceState, SourceStatus
from surveil.metrics import RateMeter

if TYPE_CHECKING:  # config validates sources with capture.spec, so capture must not import config at run time
    from surveil.config.camera import CameraConfig

logger = logging.getLogger(__name__)

StatusListener = Callable[[SourceStatus], None]
_DEFAULT_FILE_FPS = 25.0
_TRUNCATED_SHARE = 0.95  # a file that ends before this share of its declared frames is reported as truncated


class _Outcome(enum.Enum):
    ENDED = "ended"
    FAILED = "failed"
    LOOP = "loop"
    DROPPED = "dropped"
    STOPPED = "stopped"


@dataclass(frozen=True)
class CaptureStats:
    """Counters for one camera, for the CLI and the GUI's status bar."""

    camera_id: str
    state: SourceState
    frames_read: int
    frames_dropped: int
    reconnects: int
    fps_in: float


class CameraSource:
    """Reads one camera on its own thread into a one-slot FrameMailbox.

    Status listeners are called on the capture thread; a GUI must move them onto
    its own thread. ``stop()`` returns once the thread is joined: reads and opens
    are bounded by the camera's timeouts, so that takes at most ``stop_bound_s``.
    """

    def __init__(self, config: CameraConfig, mailbox: FrameMailbox | None = None,
                 rng: random.Random | None = None, tap: Callable[[Frame], None] | None = None):
        self.config = config
        self.spec = parse_source(config.source)
        self.mailbox = mailbox if mailbox is not None else FrameMailbox()
        self.info: StreamInfo | None = None
        self.frames_read = 0
        self.reconnects = 0
        self.stop_bound_s = 2 * max(config.open_timeout_s, config.read_timeout_s) + 1.0
        self._rng = rng or random.Random()
        self._tap = tap  # sees every frame on the capture thread (the recorder's pre-roll), before any drop
        self._listeners: list[StatusListener] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._status = SourceStatus(config.id, SourceState.CONNECTING)
        self._status_lock = threading.Lock()
        self._rate = RateMeter()

    def __repr__(self) -> str:
        return f"CameraSource({self.config.id!r}, {self.spec.masked!r}, {self.status.state.value})"

    @property
    def camera_id(self) -> str:
        """The camera's configured id."""
        return self.config.id

    @property
    def status(self) -> SourceStatus:
        """The latest status snapshot."""
        with self._status_lock:
            return self._status

    def add_status_listener(self, listener: StatusListener) -> None:
        """Call ``listener(status)`` on the capture thread at every change of state or reason."""
        self._listeners.append(listener)

    def stats(self) -> CaptureStats:
        """A snapshot of this camera's counters."""
        return CaptureStats(self.camera_id, self.status.state, self.frames_read,
                            self.mailbox.drops, self.reconnects, self._rate.rate())

    def start(self) -> None:
        """Start the capture thread."""
        if self._thread is not None:
            raise RuntimeError(f"camera {self.camera_id} was already started")
        self._thread = threading.Thread(target=self._run, name=f"capture-{self.camera_id}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to stop and join it; False (and a warning) if it did not end in time."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(self.stop_bound_s if timeout is None else timeout)
        if self._thread.is_alive():
            logger.warning("capture thread of %s did not stop within its bound", self.camera_id)
            return False
        return True

    def wait_final(self, timeout: float) -> bool:
        """Wait until the source ended, failed or stopped; True if it did within ``timeout``."""
        if self._thread is None:
            return False
        self._thread.join(timeout)
        return not self._thread.is_alive()

    # -- capture thread ---------------------------------------------------------------

    def _run(self) -> None:
        backoff = Backoff(self.config.reconnect.initial_delay_s, self.config.reconnect.max_delay_s,
                          self.config.reconnect.multiplier, self.config.reconnect.jitter,
                          self.config.reconnect.max_attempts, rng=self._rng)
        try:
            self._loop(backoff)
        except Exception as exc:  # a bug must not kill the process; it ends this camera, visibly
            logger.exception("capture of %s crashed", self.camera_id)
            self._set_status(SourceState.FAILED, f"internal error: {exc}")
        finally:
            if not self.status.state.final:
                self._set_status(SourceState.STOPPED)

    def _loop(self, backoff: Backoff) -> None:
        while not self._stop.is_set():
            try:
                cap = open_capture(self.spec, self.config.open_timeout_s, self.config.read_timeout_s)
            except SourceOpenError as exc:
                if exc.permanent:
                    self._set_status(SourceState.FAILED, exc.reason)
                    return
                if not self._wait_retry(backoff, exc.reason):
                    return
                continue
            try:
                outcome, reason = self._pump(cap, backoff)
            finally:
                cap.release()
            if outcome in (_Outcome.ENDED, _Outcome.FAILED):
                self._set_status(SourceState(outcome.value), reason)
                return
            if outcome is _Outcome.DROPPED and not self._wait_retry(backoff, reason):
                return

    def _wait_retry(self, backoff: Backoff, reason: str) -> bool:
        delay = backoff.next_delay()
        if delay is None:
            self._set_status(SourceState.FAILED, f"gave up after {backoff.attempts} attempts: {reason}")
            return False
        self.reconnects += 1
        state = SourceState.CONNECTING if self.frames_read == 0 else SourceState.RECONNECTING
        self._set_status(state, reason, attempt=backoff.attempts, retry_at=time.monotonic() + delay)
        logger.info("%s: %s; retrying in %.1f s", self.camera_id, reason, delay)
        return not self._stop.wait(delay)

    def _pump(self, cap: cv2.VideoCapture, backoff: Backoff) -> tuple[_Outcome, str]:
        """Read frames until the stream ends, drops or we are stopped."""
        is_file = self.spec.kind is SourceKind.FILE
        self.info = stream_info(cap)
        period = 1.0 / (self.info.fps or _DEFAULT_FILE_FPS) if is_file and self.config.realtime else 0.0
        pass_frames, pass_start = 0, time.monotonic()
        while not self._stop.is_set():
            ok, image = cap.read()
            if not ok or image is None or image.size == 0:
                if is_file:
                    return self._file_end(pass_frames)
                return _Outcome.DROPPED, f"stream stopped delivering frames after {pass_frames}"
            now = time.monotonic()
            frame = Frame(image, self.camera_id, self.frames_read, now, time.time())
            if pass_frames == 0:  # live before its first frame is handed over
                backoff.reset()
                self._set_status(SourceState.LIVE)
            if self._tap is not None:
                self._tap(frame)
            self.mailbox.put(frame)
            self.frames_read += 1
            pass_frames += 1
            self._rate.tick(now)
            if period:
                pass_start = self._pace(pass_start, pass_frames, period)
        return _Outcome.STOPPED, ""

    def _pace(self, pass_start: float, frames: int, period: float) -> float:
        """Sleep until the file's own time for the next frame; returns the (maybe reset) pass start."""
        lag = time.monotonic() - (pass_start + frames * period)
        if lag > 1.0:  # far behind (a slow disk, a paused VM): restart the schedule instead of bursting
            return pass_start + lag
        if lag < 0:
            self._stop.wait(-lag)
        return pass_start

    def _file_end(self, pass_frames: int) -> tuple[_Outcome, str]:
        if pass_frames == 0:
            return _Outcome.FAILED, f"no decodable frames in {self.spec.target}"
        if self.config.loop:
            return _Outcome.LOOP, ""
        declared = self.info.frame_count if self.info else None
        if declared and pass_frames < declared * _TRUNCATED_SHARE:
            return _Outcome.ENDED, f"file ended after {pass_frames} of {declared} frames: it may be truncated"
        return _Outcome.ENDED, f"end of file after {pass_frames} frames"

    def _set_status(self, state: SourceState, reason: str = "", attempt: int = 0,
                    retry_at: float | None = None) -> None:
        with self._status_lock:
            old = self._status
            if (old.state, old.reason, old.attempt) == (state, reason, attempt):
                return
            self._status = SourceStatus(self.camera_id, state, reason, attempt, retry_at)
            status = self._status
        log = logger.warning if state in (SourceState.FAILED, SourceState.RECONNECTING) else logger.info
        log("%s", status.describe())
        for listener in list(self._listeners):
            try:
                listener(status)
            except Exception:
                logger.exception("status listener failed for %s", self.camera_id)
