"""The recorder thread: every camera's own stream into segments, and event clips cut from them.

Capture threads hand over packets (or, for a source without packets worth keeping,
frames) through a queue bounded in bytes, so capture never waits for a disk. The
analysis thread says when events start and end; a clip is cut once the segments that
cover its post-roll are closed. Cameras in ``events`` or ``motion`` mode keep a closed
segment only when an event (or motion) needs it, decided once its pre-roll has passed.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from surveil.capture.demux import Packet, StreamTemplate
from surveil.capture.frame import Frame
from surveil.media.cut import ClipResult, SegmentRef, cut_clip
from surveil.media.keep import KeepBook
from surveil.media.segments import ClosedSegment, RecordingError, SegmentWriter

logger = logging.getLogger(__name__)

MAX_CLIP_S = 600.0  # an event that never ends still gets its first ten minutes cut
CAMERA_QUEUE_BYTES = 32 * 1024 * 1024  # per camera: past this the recorder is behind, packets are dropped and counted
RETRY_S = 5.0  # after a write error, the next try at the next keyframe no sooner than this

ClipDone = Callable[[str, ClipResult], None]
SegmentDone = Callable[[ClosedSegment], None]
GapDone = Callable[[str, float, float, str], None]
Notice = Callable[[str, str, str], None]  # (kind, message, camera id)


@dataclass
class _Clip:
    event_id: str
    camera_id: str
    start: float
    end: float | None = None


@dataclass
class CameraRecording:
    """One camera's recording state and counters (read by health from other threads)."""

    mode: str = "always"
    writer: SegmentWriter | None = None
    template: StreamTemplate | None = None
    recorded_until: float = 0.0  # end of the last closed segment
    last_wall: float = 0.0  # newest packet or frame seen
    error: str | None = None
    retry_at: float = 0.0
    gap: tuple[float, str] | None = None  # (since, reason) while the stream is down
    segments: int = 0
    bytes: int = 0
    discarded: int = 0
    dropped: int = 0
    lossy: bool = False  # packets were dropped: the next one queued is preceded by a resync
    queued_bytes: int = 0
    analysed_until: float = 0.0  # wall time of the newest frame analysis finished (set by the analysis thread)
    recent: list[ClosedSegment] = field(default_factory=list)


class Recorder:
    """Implements the capture tap; ``start``/``stop`` run its thread."""

    def __init__(self, folder: Path, clips_dir: Path, segment_s: float, pre_roll_s: float, post_roll_s: float,
                 on_segment: SegmentDone, on_clip: ClipDone, on_gap: GapDone, notify: Notice, watch=None):
        self.folder, self.clips_dir, self.segment_s = folder, clips_dir, segment_s
        self.pre_roll_s, self.post_roll_s = pre_roll_s, post_roll_s
        self._on_segment, self._on_clip, self._on_gap, self._notify = on_segment, on_clip, on_gap, notify
        self._watch = watch  # the engine's Watch: failures are counted and announced, never only logged
        self._stopped = threading.Event()
        self.cameras: dict[str, CameraRecording] = {}  # the recorder thread's own: changed in queue order
        self._current: dict[str, CameraRecording] = {}  # what capture and analysis feed now (their threads)
        self.keep = KeepBook(pre_roll_s, post_roll_s)
        self._clips: dict[str, _Clip] = {}
        self._queue: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failed = 0

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the recorder thread."""
        body = self._watch.target("recorder", self._run, self._stopped.is_set) if self._watch else self._run
        self._thread = threading.Thread(target=body, name="recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Close every segment, cut every pending clip with what was recorded, and join."""
        self._queue.put(("stop",))
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("recorder did not finish within %.0f s", timeout)

    def add_camera(self, camera_id: str, mode: str) -> None:
        """Record this camera (call before its capture starts)."""
        recording = CameraRecording(mode, SegmentWriter(camera_id, self.folder, self.segment_s))
        with self._lock:
            self._current[camera_id] = recording
        # In queue order: an edited camera's old packets, still queued, go to its old recording first.
        self._queue.put(("add", camera_id, recording))

    def records(self, camera_id: str) -> bool:
        """Whether this camera is recorded (so its events will get clips)."""
        return camera_id in self._current

    def remove_camera(self, camera_id: str) -> None:
        """The camera is gone (call after its capture stopped and its events ended): close it, cut its clips."""
        with self._lock:
            which = self._current.pop(camera_id, None)
        if which is not None:
            self._queue.put(("remove", camera_id, which))

    # -- capture tap (capture threads) -----------------------------------------------------------

    def on_stream(self, camera_id: str, template: StreamTemplate | None) -> None:
        """A new run of a camera's stream."""
        self._queue.put(("stream", camera_id, template))

    def on_packet(self, packet: Packet) -> None:
        """One of the camera's own packets."""
        self._put_media(packet.camera_id, packet, len(packet.data))

    def on_frame(self, frame: Frame) -> None:
        """A frame to encode (a source whose packets are not kept)."""
        self._put_media(frame.camera_id, frame, frame.image.nbytes)

    def on_gap(self, camera_id: str, t_wall: float, reason: str) -> None:
        """The camera's stream stopped."""
        self._queue.put(("gap", camera_id, t_wall, reason))

    def _put_media(self, camera_id: str, item, size: int) -> None:
        camera = self._current.get(camera_id)
        if camera is None:
            return
        with self._lock:
            if camera.queued_bytes + size > CAMERA_QUEUE_BYTES:
                camera.dropped += 1
                camera.lossy = True
                return
            camera.queued_bytes += size
            resync, camera.lossy = camera.lossy, False
        if resync:  # in queue order: the segment restarts at the first keyframe after the hole
            self._queue.put(("resync", camera_id))
        self._queue.put(("media", camera_id, item, size, camera))

    # -- events (analysis thread) -----------------------------------------------------------------

    def start_clip(self, event_id: str, camera_id: str, start_wall: float) -> None:
        """An event began: its clip will run from ``start_wall - pre_roll`` (cameras not recorded get none)."""
        if camera_id in self._current:
            self._queue.put(("clip", _Clip(event_id, camera_id, start_wall)))

    def end_clip(self, event_id: str, end_wall: float) -> None:
        """The event ended: its clip is cut once ``end_wall + post_roll`` is recorded."""
        self._queue.put(("end", event_id, end_wall))

    def analysed(self, camera_id: str, t_wall: float) -> None:
        """Analysis finished a frame of ``t_wall``: events before it are known (keep decisions wait for this)."""
        camera = self._current.get(camera_id)
        if camera is not None:
            camera.analysed_until = t_wall

    def mark_motion(self, camera_id: str, t_wall: float) -> None:
        """Motion seen at ``t_wall`` (kept by cameras in ``motion`` mode)."""
        camera = self._current.get(camera_id)
        if camera is not None and camera.mode == "motion":
            self._queue.put(("motion", camera_id, t_wall))

    def status(self) -> dict:
        """Per camera: mode, state, segments and bytes written this run, packets dropped, segments discarded."""
        out = {}
        for camera_id, cam in list(self._current.items()):
            state = f"error: {cam.error}" if cam.error else ("waiting for the stream" if cam.gap else "recording")
            out[camera_id] = {"mode": cam.mode, "state": state, "segments": cam.segments, "bytes": cam.bytes,
                              "dropped_packets": cam.dropped, "discarded_segments": cam.discarded}
        return out

    # -- recorder thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                item = None
            if item is not None and item[0] == "stop":
                try:
                    self._finish()
                except Exception as exc:  # stopping must end the thread whatever happened
                    logger.exception("recorder failed while stopping")
                    self._failed(exc)
                self._stopped.set()
                return
            try:
                if item is not None:
                    self._handle(item)
                self._service()
            except Exception as exc:  # a bug must not end recording for every camera
                logger.exception("recorder step failed on %s", item[0] if item else "service")
                self._failed(exc)

    def _failed(self, exc: Exception) -> None:
        if self._watch is not None:
            self._watch.failed("recorder", exc)

    def _handle(self, item: tuple) -> None:
        kind = item[0]
        if kind == "media":
            with self._lock:
                item[4].queued_bytes -= item[3]  # the recording it was counted against, even if replaced since
            self._media(item[1], item[2])
        elif kind == "add":
            with self._lock:
                self.cameras[item[1]] = item[2]
        elif kind == "resync":
            cam = self.cameras.get(item[1])
            if cam is not None:
                self._guarded(item[1], cam, lambda: cam.writer.begin(cam.template))
        elif kind == "stream":
            self._stream(item[1], item[2])
        elif kind == "gap":
            self._gap(item[1], item[2], item[3])
        elif kind == "clip":
            self._clips[item[1].event_id] = item[1]
            self.keep.add_event(item[1].event_id, item[1].camera_id, item[1].start)
        elif kind == "end":
            self._end_clip(item[1], item[2])
        elif kind == "motion":
            self.keep.add_motion(item[1], item[2])
        elif kind == "remove":
            self._remove(item[1], item[2])

    def _end_clip(self, event_id: str, end_wall: float) -> None:
        job = self._clips.get(event_id)
        if job is not None:
            job.end = min(end_wall, job.start + MAX_CLIP_S)
        self.keep.end_event(event_id, end_wall)  # also when its first MAX_CLIP_S were already cut

    def _stream(self, camera_id: str, template: StreamTemplate | None) -> None:
        cam = self.cameras.get(camera_id)
        if cam is None:
            return
        cam.template = template
        self._guarded(camera_id, cam, lambda: cam.writer.begin(template))

    def _media(self, camera_id: str, item) -> None:
        cam = self.cameras.get(camera_id)
        if cam is None:
            return
        cam.last_wall = item.t_wall
        if cam.gap is not None:
            since, reason = cam.gap
            cam.gap = None
            self._on_gap(camera_id, since, item.t_wall, reason)
        if cam.error is not None and item.t_wall < cam.retry_at:
            return
        write = cam.writer.write_frame if isinstance(item, Frame) else cam.writer.write_packet
        self._guarded(camera_id, cam, lambda: write(item))

    def _guarded(self, camera_id: str, cam: CameraRecording, action) -> None:
        """Run a writer step; index what it closed; a failure stops this camera's recording until a retry."""
        try:
            closed = action()
        except RecordingError as exc:
            self._closed(camera_id, exc.segment)
            try:
                self._closed(camera_id, cam.writer.close())
            except RecordingError as again:
                self._closed(camera_id, again.segment)
            if cam.error is None:
                logger.error("%s; analysis and alerts go on, recording retries every %.0f s", exc, RETRY_S)
                self._notify("recording_error", str(exc), camera_id)
            cam.error, cam.retry_at = str(exc), cam.last_wall + RETRY_S
            return
        if closed is not None and cam.error is not None:  # a whole segment closed again: the disk has room
            cam.error = None
            logger.warning("recording of %s resumed", camera_id)
            self._notify("recording_resumed", f"recording of {camera_id} resumed", camera_id)
        self._closed(camera_id, closed)

    def _gap(self, camera_id: str, t_wall: float, reason: str) -> None:
        cam = self.cameras.get(camera_id)
        if cam is None:
            return
        self._guarded(camera_id, cam, cam.writer.close)
        cam.gap = (t_wall, reason)

    def _close(self, camera_id: str) -> None:
        cam = self.cameras.get(camera_id)
        if cam is not None:
            self._guarded(camera_id, cam, cam.writer.close)
            if cam.gap is not None and cam.gap[1] != "stopped":  # still down: the gap runs until now
                self._on_gap(camera_id, cam.gap[0], max(cam.gap[0], time.time()), cam.gap[1])
                cam.gap = None

    def _remove(self, camera_id: str, which: CameraRecording | None) -> None:
        """Close a removed camera's recording, cut its clips and settle what it held."""
        if self.cameras.get(camera_id) is not which:  # never added (stopped before its add was handled)
            return
        self._close(camera_id)
        for job in [j for j in self._clips.values() if j.camera_id == camera_id]:
            self._cut(job, which)
        for segment, keep in self.keep.settle({camera_id: which.recorded_until}, final=True, only=camera_id):
            self._settled(segment, keep)
        with self._lock:
            self.cameras.pop(camera_id, None)

    def _closed(self, camera_id: str, segment: ClosedSegment | None) -> None:
        """A segment closed: index it now (always) or once its keep decision is due."""
        if segment is None:
            return
        cam = self.cameras[camera_id]
        cam.recorded_until = max(cam.recorded_until, segment.end)
        cam.recent.append(segment)
        # What a clip may still need: back to the oldest pending clip's pre-roll, or MAX_CLIP_S for a new one.
        pending = [j.start for j in self._clips.values() if j.camera_id == camera_id]
        horizon = min([segment.end - MAX_CLIP_S, *pending]) - self.pre_roll_s - self.segment_s
        cam.recent = [s for s in cam.recent if s.end >= horizon]
        if cam.mode == "always":
            self._index(cam, segment)
        else:
            self.keep.hold(segment)

    def _index(self, cam: CameraRecording, segment: ClosedSegment) -> None:
        cam.segments += 1
        cam.bytes += segment.bytes
        self._on_segment(segment)

    def _service(self, final: bool = False) -> None:
        """Cut clips whose post-roll is recorded; settle held segments whose pre-roll has passed."""
        with self._lock:
            cameras = dict(self.cameras)
        for job in list(self._clips.values()):
            cam = cameras.get(job.camera_id)
            # An event that never ends still gets its first MAX_CLIP_S cut.
            end = job.end if job.end is not None else job.start + MAX_CLIP_S
            due = cam is None or cam.recorded_until >= end + self.post_roll_s or (job.end is not None and cam.gap)
            if due or final:
                self._cut(job, cam)
        # Keep decisions wait until analysis has seen the frames (an event it has not raised yet may need them).
        now = {c: min(cam.recorded_until, cam.analysed_until or cam.recorded_until) for c, cam in cameras.items()}
        for segment, keep in self.keep.settle(now, final):
            self._settled(segment, keep)

    def _settled(self, segment: ClosedSegment, keep: bool) -> None:
        cam = self.cameras.get(segment.camera_id)
        if keep and cam is not None:
            self._index(cam, segment)
        elif keep:  # the camera is gone, its recording is still evidence
            self._on_segment(segment)
        else:
            segment.path.unlink(missing_ok=True)
            if cam is not None:
                cam.discarded += 1

    def _cut(self, job: _Clip, cam: CameraRecording | None) -> None:
        self._clips.pop(job.event_id, None)
        end = job.end if job.end is not None else min(job.start + MAX_CLIP_S, cam.recorded_until if cam else job.start)
        segments = [SegmentRef(str(s.path), s.start, s.end) for s in (cam.recent if cam else [])]
        path = self.clips_dir / job.camera_id / f"{job.event_id}.mp4"
        try:
            result = cut_clip(segments, job.start - self.pre_roll_s, end + self.post_roll_s, path)
        except Exception as exc:  # the event must still hear that its clip failed
            logger.exception("cutting the clip of event %s failed", job.event_id)
            result = ClipResult(None, None, 0, f"cannot cut clip {path}: {exc}")
        if result.error:
            self.failed += 1
            logger.error("clip of event %s: %s", job.event_id, result.error)
        else:
            self.written += 1
        try:
            self._on_clip(job.event_id, result)
        except Exception:
            logger.exception("clip listener failed for %s", job.event_id)

    def _finish(self) -> None:
        while True:  # what capture queued before it stopped still goes into the segments
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item[0] != "stop":
                self._handle(item)
        for camera_id in list(self.cameras):
            self._close(camera_id)
        self._service(final=True)
