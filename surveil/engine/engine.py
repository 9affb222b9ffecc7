"""The engine: starts its parts in order, stops them in reverse, and lets cameras and rules change live.

Order: store (and repairs after a crash) → store writer → webhooks → retention → recorder →
analysis thread → cameras. Stopping runs backwards, joining each thread, so every event
that was raised is ended, written, and has its clip cut before the store closes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from surveil.capture.camera import CameraSource
from surveil.capture.frame import FrameMailbox
from surveil.capture.status import SourceStatus
from surveil.config import CameraConfig, SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.analysis import AnalysisLoop
from surveil.engine.retention_thread import RetentionThread
from surveil.engine.webhooks import WebhookSender
from surveil.engine.writer import StoreWriter, WriteJob
from surveil.media.index import gap_record, segment_record
from surveil.media.reconcile import reconcile
from surveil.media.recorder import Recorder
from surveil.paths import AppPaths
from surveil.rules.engine import RuleEngine
from surveil.rules.model import Rule
from surveil.store.paths import clips_folder, recordings_folder, store_folder
from surveil.store.retention import file_bytes
from surveil.store.store import EventStore, Put
from surveil.vision.clip import TextImageEncoder, load_encoder_or_reason
from surveil.vision.detector import Detector, YoloDetector
from surveil.vision.pipeline import Analyzer, CameraPipeline

logger = logging.getLogger(__name__)

Listener = Callable[[EngineNotice], None]


class Engine:
    """Everything from cameras to stored incidents, headless. Listeners are called on engine threads."""

    def __init__(self, config: SurveilConfig, paths: AppPaths, detector: Detector | None = None,
                 encoder: TextImageEncoder | None = None, clip_reason: str | None = None, record: bool = True):
        self.config, self.paths = config, paths
        self._record = record  # False only for benchmarks: what recording costs, measured against none
        self._detector, self._encoder, self._clip_reason = detector, encoder, clip_reason
        self.listeners: list[Listener] = []
        self.store: EventStore | None = None
        self.loop: AnalysisLoop | None = None
        self._thread: threading.Thread | None = None
        self._started = False

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        """Start every part in order; on failure, stop what had started and raise."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self._started = True
        logger.info("engine started with %d camera(s) and %d rule(s)", len(self.loop.sources), len(self.config.rules))

    def _start(self) -> None:
        rec = self.config.recording
        recordings, clips = recordings_folder(self.config, self.paths), clips_folder(self.config, self.paths)
        self.store = EventStore(store_folder(self.config, self.paths))
        reconcile(self.store, recordings, clips, rec.pre_roll_s, rec.post_roll_s)
        self.writer = StoreWriter(self.store, lambda msg: self._notify(EngineNotice("store_error", msg)),
                                  on_resumed=lambda msg: self._notify(EngineNotice("store_resumed", msg)))
        self.writer.start()
        self.webhooks = WebhookSender()
        self.webhooks.start()
        self.retention = RetentionThread(self.store, self.config, recordings, clips, self._notify)
        self.retention.start()
        self.recorder = Recorder(recordings, clips, rec.segment_s, rec.pre_roll_s, rec.post_roll_s,
                                 on_segment=self._index_segment,
                                 on_clip=self._clip_done,
                                 on_gap=self._index_gap,
                                 notify=lambda kind, msg, cam: self._notify(EngineNotice(kind, msg, camera_id=cam)))
        self.recorder.start()
        detector = self._detector or YoloDetector(self.config.models.detector, self.paths.model_cache_dir)
        if hasattr(detector, "warmup"):
            detector.warmup()
        encoder, reason = self._encoder, self._clip_reason or "no CLIP encoder"
        if encoder is None and self._clip_reason is None:
            encoder, reason = load_encoder_or_reason(self.config.models.clip, self.paths.model_cache_dir)
        zone = ZoneInfo(self.config.timezone) if self.config.timezone else None
        rules = RuleEngine(self.config.rules, encoder, zone, clip_unavailable=reason)
        self.loop = AnalysisLoop(Analyzer(detector, {}), rules, encoder, self.writer, self.recorder,
                                 self.webhooks, self._notify)
        self._thread = threading.Thread(target=self.loop.run, name="analysis", daemon=True)
        self._thread.start()
        for camera in self.config.cameras:
            if camera.enabled:
                self._open_camera(camera)

    def stop(self) -> None:
        """Stop in reverse order, joining each part. Safe to call twice."""
        if self.loop is not None:
            for source in reversed(list(self.loop.sources.values())):
                source.stop()
            self.loop.stop()
        if self._thread is not None:
            self._thread.join(60)
            self._thread = None
        for part in ("recorder", "retention", "webhooks", "writer"):
            if hasattr(self, part):
                getattr(self, part).stop()
                delattr(self, part)
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._started:
            logger.info("engine stopped")
        self._started = False

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- live changes ----------------------------------------------------------------------------

    def add_camera(self, camera: CameraConfig) -> None:
        """Start watching a camera now."""
        self._open_camera(camera)

    def remove_camera(self, camera_id: str) -> None:
        """Stop a camera; its open tracks and events end now."""
        source = self.loop.sources.pop(camera_id, None)
        if source is not None:
            source.stop()
        pipeline = self.loop.analyzer.pipelines.get(camera_id)
        recording = self.recorder.recording_of(camera_id)  # an edit re-adds the camera before close() runs

        def close() -> None:  # on the analysis thread: its events end, then the recorder cuts their clips
            if pipeline is not None:
                self.loop.close_camera(camera_id, pipeline)
                if self.loop.analyzer.pipelines.get(camera_id) is pipeline:
                    self.loop.analyzer.pipelines.pop(camera_id, None)
            self.recorder.remove_camera(camera_id, recording)

        self.loop.call_soon(close)

    def update_rule(self, data: dict) -> Rule:
        """Validate an edited rule here (raising if invalid: the old rule keeps running), then swap it in."""
        rule = Rule.model_validate(data)
        self.loop.call_soon(lambda: self.loop.rules.set_rule(rule))
        return rule

    def mark_event(self, event_id: str, verdict: str | None = None, acknowledged: bool | None = None,
                   note: str | None = None) -> None:
        """Operator feedback: stored (and audited); a verdict also teaches the rule through its examples."""
        changes = {k: v for k, v in (("verdict", verdict), ("acknowledged", acknowledged), ("note", note))
                   if v is not None}
        if verdict not in (None, "false_alarm", "correct"):
            raise ValueError(f"unknown verdict {verdict!r}: use false_alarm or correct")
        self.store.set_state(event_id, **changes)
        record, embedding = self.store.get_event(event_id), self.store.embedding("e", event_id)
        if verdict and record is not None and embedding is not None:
            self.loop.call_soon(lambda: self.loop.rules.learn(record.rule, embedding, verdict == "correct"))

    def remove_rule(self, name: str) -> None:
        """Stop a rule."""
        self.loop.call_soon(lambda: self.loop.rules.remove_rule(name))

    # -- state -------------------------------------------------------------------------------

    def health(self) -> dict:
        """Per camera: state, fps in, fps analysed, drops, stage times; plus latency and queues."""
        cameras = {}
        for camera_id, source in list(self.loop.sources.items()):
            stats, health = source.stats(), self.loop.health.get(camera_id)
            cameras[camera_id] = {
                "state": stats.state.value, "reason": source.status.reason, "fps_in": round(stats.fps_in, 2),
                "fps_analysed": round(health.analysed.rate(), 2) if health else 0.0,
                "frames_read": stats.frames_read, "dropped": stats.frames_dropped, "reconnects": stats.reconnects,
                "stage_ms": {k: round(v, 2) for k, v in (health.stage_ms if health else {}).items()}}
        return {"cameras": cameras, "latency_s": self.loop.latency.percentiles(),
                "clips": {"written": self.recorder.written, "failed": self.recorder.failed},
                "recording": self.recorder.status(), "retention": self.retention.status(),
                "store": {"written": self.writer.written, "failures": self.writer.failures,
                          "pending": self.writer.pending},
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    # -- internals ---------------------------------------------------------------------------

    def _open_camera(self, camera: CameraConfig) -> None:
        pipeline = CameraPipeline(camera.id, camera.motion, self.loop.analyzer.detector.names)
        self.loop.analyzer.pipelines[camera.id] = pipeline
        if self._record:
            self.recorder.add_camera(camera.id, camera.record)
        source = CameraSource(camera, FrameMailbox(self.loop.wake), tap=self.recorder if self._record else None)
        source.add_status_listener(self._on_status)
        self.loop.sources[camera.id] = source
        source.start()

    def _index_segment(self, segment) -> None:
        """Recorder thread: a closed segment enters the index and the audit chain; retention may be due."""
        self.writer.submit(WriteJob([Put(segment_record(segment))]))
        self.retention.note_bytes(segment.bytes)

    def _clip_done(self, event_id: str, result) -> None:
        """Recorder thread: a clip was cut (or failed); its bytes count towards the size cap too."""
        self.loop.on_clip(event_id, result)
        if result.path is not None:
            self.retention.note_bytes(file_bytes(result.path))  # 0 if retention already took it

    def _index_gap(self, camera_id: str, start: float, end: float, reason: str) -> None:
        self.writer.submit(WriteJob([Put(gap_record(camera_id, start, end, reason))]))

    def _on_status(self, status: SourceStatus) -> None:
        self._notify(EngineNotice("camera_status", status.describe(), camera_id=status.camera_id))

    def _notify(self, notice: EngineNotice) -> None:
        for listener in list(self.listeners):
            try:
                listener(notice)
            except Exception:
                logger.exception("engine listener failed on %s", notice.kind)
