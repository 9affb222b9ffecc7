"""The recorder: pre-roll rings fed by the capture threads, clip jobs, and a thread that writes clips.

Capture threads call ``on_frame`` (JPEG encoding happens there, in parallel per camera);
the analysis thread calls ``start``/``end``; a clip is written on the recorder's own
thread, so neither capture nor analysis ever waits for a disk.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from surveil.capture.frame import Frame
from surveil.media.clips import ClipResult, write_clip
from surveil.media.ring import EncodedFrame, FrameRing, encode

logger = logging.getLogger(__name__)

MAX_CLIP_S = 600.0  # an event that never ends still gets its first ten minutes written

ClipDone = Callable[[str, ClipResult], None]


@dataclass
class _Job:
    event_id: str
    camera_id: str
    frames: list[EncodedFrame]
    started: float
    end_at: float | None = None
    done: bool = False
    extra: dict = field(default_factory=dict)


class Recorder:
    """Pre-roll per camera and the clips of open events."""

    def __init__(self, clips_dir: Path, pre_roll_s: float, post_roll_s: float, on_done: ClipDone):
        self.clips_dir, self.pre_roll_s, self.post_roll_s = clips_dir, pre_roll_s, post_roll_s
        self._on_done = on_done
        self._rings: dict[str, FrameRing] = {}
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self.written = 0
        self.failed = 0

    def start(self) -> None:
        """Start the clip-writing thread."""
        self._thread = threading.Thread(target=self._run, name="recorder", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Close every open clip where it is, write what is queued, and join."""
        with self._lock:
            for job in self._jobs.values():
                self._queue.put(job)
            self._jobs.clear()
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                logger.warning("recorder did not finish writing clips within %.0f s", timeout)

    def on_frame(self, frame: Frame) -> None:
        """Called on a capture thread for every frame."""
        encoded = encode(frame)
        if encoded is None:
            return
        ring = self._rings.get(frame.camera_id)
        if ring is None:
            ring = self._rings.setdefault(frame.camera_id, FrameRing(max(self.pre_roll_s, 0.5)))
        ring.push(encoded)
        with self._lock:
            jobs = [j for j in self._jobs.values() if j.camera_id == frame.camera_id]
            for job in jobs:
                job.frames.append(encoded)
                if (job.end_at is not None and frame.t_mono >= job.end_at) or frame.t_mono - job.started > MAX_CLIP_S:
                    self._finish(job)

    def start_clip(self, event_id: str, camera_id: str, t_mono: float) -> None:
        """An event began at ``t_mono``: start its clip with the pre-roll."""
        ring = self._rings.get(camera_id)
        frames = ring.since(t_mono - self.pre_roll_s) if ring else []
        with self._lock:
            self._jobs[event_id] = _Job(event_id, camera_id, frames, t_mono)

    def end_clip(self, event_id: str, t_mono: float) -> None:
        """The event ended at ``t_mono``: keep recording for the post-roll, then write."""
        with self._lock:
            job = self._jobs.get(event_id)
            if job is not None:
                job.end_at = t_mono + self.post_roll_s
                if self.post_roll_s == 0:
                    self._finish(job)

    def memory_bytes(self) -> int:
        """Bytes held in rings and open clips."""
        with self._lock:
            jobs = sum(len(f.jpeg) for j in self._jobs.values() for f in j.frames)
        return jobs + sum(r.nbytes for r in self._rings.values())

    def _finish(self, job: _Job) -> None:
        self._jobs.pop(job.event_id, None)
        self._queue.put(job)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            path = self.clips_dir / job.camera_id / f"{job.event_id}.mp4"
            start = time.perf_counter()
            result = write_clip(job.frames, path)
            if result.error:
                self.failed += 1
                logger.error("clip of event %s failed: %s", job.event_id, result.error)
            else:
                self.written += 1
                logger.info("clip of event %s: %d frames in %.1f s", job.event_id, result.frames,
                            time.perf_counter() - start)
            try:
                self._on_done(job.event_id, result)
            except Exception:
                logger.exception("clip listener failed for %s", job.event_id)
