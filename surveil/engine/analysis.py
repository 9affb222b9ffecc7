"""The analysis thread: a round of latest frames → vision → rules → store, recorder, listeners.

Runs on one thread, which owns the pipelines, the rule engine and the evaluator; other
threads change them only through ``call_soon``.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable

from surveil.capture.camera import CameraSource
from surveil.capture.frame import Frame
from surveil.engine.alerts import EngineNotice
from surveil.engine.health import CameraHealth, Latency
from surveil.engine.persist import event_put, object_id, object_put
from surveil.engine.webhooks import WebhookSender
from surveil.engine.writer import StoreWriter, WriteJob
from surveil.media.cut import ClipResult
from surveil.media.recorder import Recorder
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.rules.events import Event, EventUpdate
from surveil.vision.clip import TextImageEncoder
from surveil.vision.pipeline import Analyzer
from surveil.vision.tracks import Track, TrackState

logger = logging.getLogger(__name__)

Notify = Callable[[EngineNotice], None]


class AnalysisLoop:
    """Owns the per-round work; ``run`` is the thread body."""

    def __init__(self, analyzer: Analyzer, rules: RuleEngine, encoder: TextImageEncoder | None,
                 writer: StoreWriter, recorder: Recorder, webhooks: WebhookSender, notify: Notify):
        self.analyzer, self.rules, self.encoder = analyzer, rules, encoder
        self.evaluator = RuleEvaluator(rules, encoder)
        self.writer, self.recorder, self.webhooks, self._notify = writer, recorder, webhooks, notify
        self.sources: dict[str, CameraSource] = {}
        self.health: dict[str, CameraHealth] = {}
        self.latency = Latency()
        # Called on the analysis thread with (frame, analysis) after each frame's round: a GUI
        # copies what it needs and hands it to its own thread.
        self.frame_listeners: list[Callable] = []
        self.wake = threading.Event()
        self._stop = threading.Event()
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._offset: dict[str, float] = {}  # wall minus monotonic time, per camera
        self._size: dict[str, tuple[int, int]] = {}
        self._last_t: dict[str, float] = {}  # newest frame time per camera: "now" on the camera's own clock
        self._events: dict[str, dict] = {}  # event id -> latest event, clip state, path, hash
        self._track_events: dict[tuple[str, int], list[str]] = {}
        self._lock = threading.Lock()  # _events is shared with the recorder thread

    def call_soon(self, command: Callable[[], None]) -> None:
        """Run ``command`` on the analysis thread before its next round."""
        self._commands.put(command)
        self.wake.set()

    def stop(self) -> None:
        """Ask the loop to finish its round and return."""
        self._stop.set()
        self.wake.set()

    def run(self) -> None:
        """The thread body."""
        while not self._stop.is_set():
            self.wake.wait(0.25)
            self.wake.clear()
            self._run_commands()
            frames = [f for s in list(self.sources.values()) if (f := s.mailbox.take(0)) is not None]
            try:
                if frames:
                    self._round(frames)
            except Exception:
                logger.exception("analysis round failed; the next round goes on")
        self._run_commands()
        self._close_all()

    # -- one round -----------------------------------------------------------------------------

    def _round(self, frames: list[Frame]) -> None:
        for f in frames:
            self._offset[f.camera_id] = f.t_wall - f.t_mono
            self._size[f.camera_id] = f.size
            self._last_t[f.camera_id] = f.t_mono
        results = self.analyzer.analyze([(f.camera_id, f.image, f.seq, f.t_mono) for f in frames])
        for f, r in zip(frames, results, strict=True):
            self.health.setdefault(f.camera_id, CameraHealth(f.camera_id)).record(f.t_mono, r.timings_ms, r.error)
            if r.motion is not None and r.motion.moving:
                self.recorder.mark_motion(f.camera_id, f.t_wall)
            for listener in list(self.frame_listeners):
                try:
                    listener(f, r)
                except Exception:
                    logger.exception("frame listener failed")
        items = [(r, f.image, dt.datetime.fromtimestamp(f.t_wall, dt.UTC))
                 for f, r in zip(frames, results, strict=True) if r.error is None]
        for update in self.evaluator.process(items):
            self._on_update(update)
        for f in frames:  # every event these frames raise is now known to the recorder
            self.recorder.analysed(f.camera_id, f.t_wall)
        ended = [t for r in results for t in r.changed if t.state is TrackState.ENDED]
        if ended:
            self._store_objects(ended)

    def _on_update(self, update: EventUpdate) -> None:
        event = update.event
        key = (event.camera_id, event.track_id)
        with self._lock:
            entry = self._events.setdefault(event.event_id, {
                "clip_state": "recording", "path": None, "sha": None, "start": None, "fps": None,
                "object_id": self._object_id(event.camera_id, event.track_id)})
            entry["event"] = event
        if update.kind == "started":
            self._track_events.setdefault(key, []).append(event.event_id)
            self.recorder.start_clip(event.event_id, event.camera_id, event.start_wall.timestamp())
            self._write_event(event, on_written=lambda: self._started_written(event))
            self._webhooks(event)
        elif update.kind == "ended":
            self.recorder.end_clip(event.event_id, event.end_wall.timestamp())
            self._write_event(event)
            self._notify(EngineNotice("alert_ended", f"{event.rule} on {event.camera_id} ended",
                                      camera_id=event.camera_id))
        else:
            self._write_event(event)

    def _started_written(self, event: Event) -> None:
        source = self.sources.get(event.camera_id)
        if source is not None and source.live_clock:  # a file read ahead of (or behind) the clock has no latency
            self.latency.add(time.time() - event.start_wall.timestamp())
        record = self.writer.store.get_event(event.event_id)
        self._notify(EngineNotice("alert_started", f"[{event.severity}] {event.rule} on {event.camera_id}: "
                                  f"{event.label} #{event.track_id}", record, event.camera_id))

    def _write_event(self, event: Event, on_written=None) -> None:
        with self._lock:
            put = self._put_for(event, self._events[event.event_id])
        self.writer.submit(WriteJob([put], on_written))

    def _put_for(self, event: Event, entry: dict):
        return event_put(event, self.rules.rules.get(event.rule), entry["object_id"], entry["clip_state"],
                         entry["path"], entry["sha"], entry["start"], entry["fps"])

    def on_clip(self, event_id: str, result: ClipResult) -> None:
        """Recorder thread: a clip was written (or failed); store a new version of the event."""
        with self._lock:
            entry = self._events.get(event_id)
            if entry is None:
                return
            entry.update(clip_state="failed" if result.error else "written",
                         path=str(result.path) if result.path else None, sha=result.sha256,
                         start=result.start_wall, fps=result.fps)
            event = entry["event"]
            if not event.open:
                self._events.pop(event_id, None)
            put = self._put_for(event, entry)
        self.writer.submit(WriteJob([put]))
        kind = "clip_failed" if result.error else "clip_written"
        message = result.error or f"clip of {event.rule} on {event.camera_id}: {result.path}"
        self._notify(EngineNotice(kind, message, camera_id=event.camera_id))

    def _object_id(self, camera_id: str, track_id: int) -> str | None:
        pipeline = self.analyzer.pipelines.get(camera_id)
        track = pipeline.tracker.tracks.get(track_id) if pipeline else None
        if track is None:
            return None
        return object_id(camera_id, track_id, track.first_t, self._offset.get(camera_id, 0.0))

    def _store_objects(self, tracks: list[Track]) -> None:
        crops = [t.best_crop for t in tracks]
        embeddings = [None] * len(tracks)
        if self.encoder is not None and all(c is not None for c in crops):
            try:
                embeddings = list(self.encoder.encode_images(crops))
            except Exception:
                logger.exception("CLIP failed on %d finished tracks; stored without embeddings", len(tracks))
        puts = []
        for track, embedding in zip(tracks, embeddings, strict=True):
            offset = self._offset.get(track.camera_id, 0.0)
            obj_id = object_id(track.camera_id, track.track_id, track.first_t, offset)
            events = self._track_events.pop((track.camera_id, track.track_id), [])
            puts.append(object_put(track, obj_id, offset, self._size.get(track.camera_id, (0, 0)), events, embedding))
        self.writer.submit(WriteJob(puts))

    def _webhooks(self, event: Event) -> None:
        rule = self.rules.rules.get(event.rule)
        for action in rule.actions if rule else []:
            self.webhooks.send(action.url, {"event_id": event.event_id, "rule": event.rule, "camera": event.camera_id,
                                            "label": event.label, "severity": event.severity,
                                            "start": event.start_wall.isoformat(), "reasons": event.reasons})

    def _run_commands(self) -> None:
        while not self._commands.empty():
            try:
                self._commands.get_nowait()()
            except Exception:
                logger.exception("engine command failed")

    def _close_all(self) -> None:
        """Stopping: end open events and store every open track, so nothing is left half-written."""
        for camera_id, pipeline in list(self.analyzer.pipelines.items()):
            self.close_camera(camera_id, pipeline)

    def close_camera(self, camera_id: str, pipeline) -> None:
        """A camera is removed or the engine stops: its tracks end now."""
        tracks = pipeline.close()
        offset = self._offset.get(camera_id, 0.0)
        now = self._last_t.get(camera_id, time.monotonic())
        wall = dt.datetime.fromtimestamp(now + offset, dt.UTC)
        for track in tracks:
            for update in self.rules.track_ended(camera_id, track.track_id, now, wall):
                self._on_update(update)
        if tracks:
            self._store_objects(tracks)

