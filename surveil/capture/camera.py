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

import av

from surveil.capture.backoff import Backoff
from surveil.capture.cv import cv2
from surveil.capture.demux import AvSource, bgr, copy_packet, open_av
from surveil.capture.display import Display, DisplayListener
from surveil.capture.frame import AnalysisRate, Frame, FrameMailbox
from surveil.capture.opener import SourceOpenError, StreamInfo, open_capture, stream_info
from surveil.capture.status import SourceState, SourceStatus
from surveil.capture.tap import CaptureTap
from surveil.capture.timeline import FrameTimes, Timeline
from surveil.metrics import RateMeter
from surveil.sources import SourceKind, parse_source

if TYPE_CHECKING:  # capture sits below config: it reads a CameraConfig but never loads the config package
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
                 rng: random.Random | None = None, tap: CaptureTap | None = None):
        self.config = config
        self.spec = parse_source(config.source)
        self.mailbox = mailbox if mailbox is not None else FrameMailbox()
        self.info: StreamInfo | None = None
        self.frames_read = 0
        self.reconnects = 0
        self._analysis = AnalysisRate(config.analysis_rate)
        self.stop_bound_s = 2 * max(config.open_timeout_s, config.read_timeout_s) + 1.0
        self._rng = rng or random.Random()
        self._tap = tap  # the recorder: sees every packet (or frame) on the capture thread, before any drop
        self._display: Display | None = None  # a live view's frames, only while one is attached
        # A file read as fast as analysis goes waits for it instead of dropping frames.
        self._backpressure = self.spec.kind is SourceKind.FILE and not config.realtime
        self._start_wall = config.start_time.timestamp() if config.start_time else None
        self._next: tuple[float, float] | None = None  # (mono, wall) where a file's next pass begins
        self._timeline: Timeline | None = None
        self.first_wall: float | None = None  # wall time of the first frame read
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
    def last_wall(self) -> float | None:
        """Wall time of the newest packet or frame read, or None before the first."""
        timeline = self._timeline
        return timeline.last[1] if timeline is not None and timeline.last is not None else None

    @property
    def live_clock(self) -> bool:
        """True when frame times follow the clock (a stream, or a file played at its own speed)."""
        return self.spec.kind is not SourceKind.FILE or (self.config.realtime and self.config.start_time is None)

    @property
    def frames_skipped(self) -> int:
        """Frames read but not analysed: over the camera's analysis rate (not drops)."""
        return self.frames_read - self.mailbox.puts

    @property
    def waited_for(self) -> bool:
        """True for a file read as fast as analysis goes: capture waits for analysis instead of dropping."""
        return self._backpressure

    @property
    def status(self) -> SourceStatus:
        """The latest status snapshot."""
        with self._status_lock:
            return self._status

    def show(self, listener: DisplayListener | None, fps: float = 15.0) -> None:
        """Hand frames to ``listener`` on the capture thread at up to ``fps`` a second (None: stop, convert none)."""
        self._display = None if listener is None else Display(listener, fps)

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

    def request_stop(self) -> None:
        """Ask the thread to stop without waiting (so that many cameras stop at once)."""
        self._stop.set()

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to stop and join it; False (and a warning) if it did not end in time."""
        self._stop.set()
        if self._thread is None:
            return True
        self._thread.join(self.stop_bound_s if timeout is None else timeout)
        if self._thread.is_alive():
            level = logging.WARNING if timeout is None else logging.INFO  # a short wait is allowed to run out
            logger.log(level, "capture thread of %s did not stop within %.1f s", self.camera_id,
                       self.stop_bound_s if timeout is None else timeout)
            return False
        return True

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
                opened = self._open()
            except SourceOpenError as exc:
                if exc.permanent:
                    self._set_status(SourceState.FAILED, exc.reason)
                    return
                if not self._wait_retry(backoff, exc.reason):
                    return
                continue
            try:
                pump = self._pump_av if isinstance(opened, AvSource) else self._pump_cv
                outcome, reason = pump(opened, backoff)
            finally:
                opened.release()
            last = self.last_wall
            if self._tap is not None and last is not None and outcome is not _Outcome.LOOP:  # a loop just goes on
                self._tap.on_gap(self.camera_id, last, reason or outcome.value)
            if outcome in (_Outcome.ENDED, _Outcome.FAILED):
                self._set_status(SourceState(outcome.value), reason)
                return
            if outcome is _Outcome.DROPPED and not self._wait_retry(backoff, reason):
                return

    def _open(self) -> AvSource | cv2.VideoCapture:
        if self.spec.kind is SourceKind.WEBCAM:
            return open_capture(self.spec, self.config.open_timeout_s, self.config.read_timeout_s)
        return open_av(self.spec, self.config.open_timeout_s, self.config.read_timeout_s)

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

    # -- PyAV: packets to the recorder, each frame decoded once -------------------------------------

    def _pump_av(self, src: AvSource, backoff: Backoff) -> tuple[_Outcome, str]:
        """Demux until the stream ends, drops or we are stopped."""
        self.info = src.info
        self._timeline = self._new_timeline()
        self._frame_times = FrameTimes()
        remux = src.remuxable and self._tap is not None
        self._begin_stream(src.template if remux else None)
        jumps, pass_frames = 0, 0
        try:
            for packet in src.packets():
                if self._stop.is_set():
                    return _Outcome.STOPPED, "stopped"
                ts = packet.dts if packet.dts is not None else packet.pts
                _, wall = self._timeline.stamp(None if ts is None else float(ts * packet.time_base))
                if self._timeline.jumps != jumps:  # timestamps jumped: the recorder starts a new segment
                    jumps = self._timeline.jumps
                    self._begin_stream(src.template if remux else None)
                if remux:
                    self._tap.on_packet(copy_packet(packet, self.camera_id, wall))
                for decoded in src.decode(packet):
                    pass_frames += self._hand_over_av(decoded, src.template.time_base, pass_frames, backoff, remux)
            for decoded in src.flush():
                pass_frames += self._hand_over_av(decoded, src.template.time_base, pass_frames, backoff, remux)
        except av.error.FFmpegError as exc:
            if self.spec.kind is not SourceKind.FILE:
                return _Outcome.DROPPED, f"stream stopped delivering frames after {pass_frames}: {exc.strerror}"
            logger.warning("%s: read error after %d frames: %s", self.camera_id, pass_frames, exc.strerror)
        if self._stop.is_set():
            return _Outcome.STOPPED, "stopped"
        if self.spec.kind is SourceKind.FILE:
            return self._file_end(pass_frames)
        return _Outcome.DROPPED, f"stream stopped delivering frames after {pass_frames}"

    def _hand_over_av(self, decoded, time_base, pass_frames: int, backoff: Backoff, remux: bool) -> int:
        # From the stream's time base: frames flushed at the end carry no time base of their own.
        ts = self._frame_times.seconds(decoded.pts, decoded.dts, time_base)
        t_mono, t_wall = self._timeline.stamp(ts)
        due, encode = self._analysis.due(t_mono), not remux and self._tap is not None
        display = self._display_due(t_mono)
        shown = display is not None
        needed = due or encode or shown
        frame = Frame(bgr(decoded), self.camera_id, self.frames_read, t_mono, t_wall) if needed else None
        if encode:  # a stream the recorder cannot keep as it is: it encodes every frame
            self._tap.on_frame(frame)
        self._deliver(frame if due else None, t_mono, t_wall, pass_frames, backoff)
        if shown:
            display.show(frame)
        return 1

    def _display_due(self, t_mono: float) -> Display | None:
        """The live view to show this frame to, if one watches and it is due."""
        display = self._display
        # A file read faster than real time is shown at the view's rate of real time, not of the stream's.
        if display is None or not display.due(t_mono if self.live_clock else time.monotonic()):
            return None
        return display

    def _new_timeline(self) -> Timeline:
        if self.spec.kind is not SourceKind.FILE:
            return Timeline(live=True)
        now_mono, now_wall = time.monotonic(), time.time()
        if self._next is None:
            return Timeline(False, start_wall=self._start_wall or now_wall, start_mono=now_mono)
        # A file's next pass starts where the last one ended, never earlier, even when it was read ahead of time.
        next_mono, next_wall = self._next
        mono = max(now_mono, next_mono)
        return Timeline(False, start_wall=next_wall if self._start_wall else now_wall + mono - now_mono,
                        start_mono=mono)

    def _begin_stream(self, template) -> None:
        if self._tap is not None:
            self._tap.on_stream(self.camera_id, template)

    # -- OpenCV: webcams (no packets; the recorder encodes their frames) -----------------------------

    def _pump_cv(self, cap: cv2.VideoCapture, backoff: Backoff) -> tuple[_Outcome, str]:
        """Read frames until the stream drops or we are stopped."""
        self.info = stream_info(cap)
        self._timeline = Timeline(live=True)
        self._begin_stream(None)
        pass_frames = 0
        while not self._stop.is_set():
            ok, image = cap.read()
            if not ok or image is None or image.size == 0:
                return _Outcome.DROPPED, f"stream stopped delivering frames after {pass_frames}"
            t_mono, t_wall = self._timeline.stamp(None)
            frame = Frame(image, self.camera_id, self.frames_read, t_mono, t_wall)
            if self._tap is not None:
                self._tap.on_frame(frame)
            self._deliver(frame if self._analysis.due(t_mono) else None, t_mono, t_wall, pass_frames, backoff)
            display = self._display_due(t_mono)
            if display is not None:
                display.show(frame)
            pass_frames += 1
        return _Outcome.STOPPED, "stopped"

    # -- common ------------------------------------------------------------------------------

    def _deliver(self, frame: Frame | None, t_mono: float, t_wall: float, pass_frames: int,
                 backoff: Backoff) -> None:
        """Count a frame read and hand it to analysis (None: not due): newest wins live, back-pressure for files."""
        if self.first_wall is None:
            self.first_wall = t_wall
        if pass_frames == 0:  # live before its first frame is handed over
            backoff.reset()
            self._set_status(SourceState.LIVE)
        paced = self.spec.kind is SourceKind.FILE and self.config.realtime
        if paced:
            self._pace(t_mono)
        if frame is not None:
            self.mailbox.put(frame, wait=self._stop if self._backpressure else None)
        self._next = (t_mono + self._period(), t_wall + self._period())
        self.frames_read += 1
        self._rate.tick(time.monotonic())

    def _period(self) -> float:
        return 1.0 / (self.info.fps if self.info and self.info.fps else _DEFAULT_FILE_FPS)

    def _pace(self, due: float) -> None:
        """Sleep until the file's own time for this frame; far behind, restart the schedule instead."""
        lag = time.monotonic() - due
        if lag > 1.0:  # a slow disk, a paused VM: do not burst to catch up
            self._timeline.shift(lag)
        elif lag < 0:
            self._stop.wait(-lag)

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
