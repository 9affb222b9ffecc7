"""The engine: starts its parts in order, stops them in reverse, and owns every change to cameras and rules.

Order: store (and repairs after a crash) → store writer → webhooks → retention → recorder →
analysis thread → cameras. Stopping runs backwards, joining each thread, so every event
that was raised is ended, written, and has its clip cut before the store closes.

Changes (cameras, rules, operator verdicts) are commands: checked against a copy of the
whole configuration, saved, applied on the analysis thread, then announced to listeners.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from surveil.capture.status import SourceStatus
from surveil.config import CameraConfig, SurveilConfig, save_config
from surveil.engine import changes
from surveil.engine.alerts import EngineNotice
from surveil.engine.analysis import AnalysisLoop
from surveil.engine.changes import Change, ChangeRefused
from surveil.engine.incidents import Incidents
from surveil.engine.parts import start_parts
from surveil.engine.snapshot import Snapshot
from surveil.engine.verdicts import Verdict, learn_stored_verdicts, record_verdict
from surveil.engine.watch import Watch
from surveil.paths import AppPaths
from surveil.rules.engine import RuleEngine
from surveil.rules.model import Rule
from surveil.store.retention import file_bytes
from surveil.store.store import EventStore
from surveil.vision import pools
from surveil.vision.clip import TextImageEncoder, load_encoder_or_reason
from surveil.vision.detector import Detector, YoloDetector
from surveil.vision.pipeline import Analyzer

logger = logging.getLogger(__name__)

Listener = Callable[[EngineNotice], None]


class Engine:
    """Everything from cameras to stored incidents, headless. Listeners are called on engine threads."""

    def __init__(self, config: SurveilConfig, paths: AppPaths, detector: Detector | None = None,
                 encoder: TextImageEncoder | None = None, clip_reason: str | None = None, record: bool = True,
                 config_path: Path | None = None, serve: bool = False, appearance=None):
        self.config, self.paths, self.config_path = config, paths, config_path
        self._serve = serve  # the local API, for `surveil run` and the window (config.service says where)
        self.api = None  # the ApiServer while it serves
        self._record = record  # False only for benchmarks: what recording costs, measured against none
        self._detector, self._encoder, self._clip_reason = detector, encoder, clip_reason
        self._appearance = appearance  # an AppearanceEncoder, False for none, None: as the config says
        self.listeners: list[Listener] = []
        self.watch = Watch(self._notify)
        self.store: EventStore | None = None
        self.loop: AnalysisLoop | None = None
        self._thread: threading.Thread | None = None
        self._parts: list = []
        self._change_lock = threading.Lock()
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
        logger.info("engine started with %d camera(s) and %d rule(s)", len(self.config.cameras),
                    len(self.config.rules))
        if self._serve and self.config.service.enabled:
            self._start_api()

    def _start_api(self) -> None:
        """Last to start: the API. One that cannot listen is logged; monitoring and recording go on."""
        from surveil.service.server import ApiServer

        service = self.config.service
        api = ApiServer(self, service.host, service.port, self.paths.config_dir)
        try:
            api.start()
        except OSError as exc:
            api.stop()
            logger.error("the local API is not served: cannot listen on %s:%s: %s", service.host, service.port,
                         exc.strerror or exc)
            return
        self.api = api

    def _start(self) -> None:
        self.store, self._parts = start_parts(self.config, self.paths, self.watch, self._notify,
                                              on_segment=self._segment_closed, on_clip=self._clip_done,
                                              config_now=lambda: self.config)
        self.writer, self.webhooks, *publishers, self.retention, self.recorder = self._parts
        self.listeners.extend(publisher.notice for publisher in publishers)  # MQTT, when enabled: every notice
        pools.configure()  # before the first model runs
        detector = self._detector or YoloDetector(self.config.models.detector, self.paths.model_cache_dir)
        if hasattr(detector, "warmup"):
            detector.warmup()
        encoder, reason = self._encoder, self._clip_reason or "no CLIP encoder"
        if encoder is None and self._clip_reason is None:
            encoder, reason = load_encoder_or_reason(self.config.models.clip, self.paths.model_cache_dir)
        appearance = self._load_appearance()
        rules = RuleEngine(self.config.rules, encoder, self.config.zone(), clip_unavailable=reason,
                           night=self.config.night)
        learn_stored_verdicts(self.store, rules, appearance.model_tag if appearance else None)
        incidents = Incidents(self.writer, self.recorder, self.webhooks, self._notify, self._live_clock)
        incidents.appearance_tag = appearance.model_tag if appearance else None
        self.loop = AnalysisLoop(self.config, Analyzer(detector, {}), rules, encoder, incidents, self.watch,
                                 self._notify, appearance)
        for camera in self.config.cameras:  # before the thread starts: until then this thread owns the loop
            if camera.enabled:
                self._open(camera)
        self.loop.publish()
        self._thread = threading.Thread(target=self.watch.target("analysis", self.loop.run, self.loop.stopping),
                                        name="analysis", daemon=True)
        self._thread.start()

    def _load_appearance(self):
        """The appearance model: given, refused (False), or loaded from the bundled detector when the config asks."""
        if self._appearance is not None:
            return self._appearance or None
        from surveil.vision.appearance import load_if_enabled

        return load_if_enabled(self.config.models.appearance)

    def stop(self) -> None:
        """Stop in reverse order, joining each part. Safe to call twice."""
        if self.api is not None:  # first to stop: no client asks anything of a stopping engine
            self.api.stop()
            self.api = None
        with self._change_lock:
            self._started = False  # no command is accepted from here on
        if self.loop is not None:
            for source in self.loop.sources.values():
                source.request_stop()  # every camera at once; the loop joins them as it closes them
            self.loop.stop()  # the loop closes its cameras, ending their events, as it returns
        if self._thread is not None:
            self._thread.join(60)
            self._thread = None
        leftover = [*self.loop.sources.values(), *self.loop.lingering] if self.loop is not None else []
        for source in leftover:  # cameras still ending, or never closed because the loop never ran
            source.stop()
        for part in reversed(self._parts):
            part.stop()
        self._parts = []
        if self.store is not None:
            self.store.close()
            self.store = None
        logger.info("engine stopped")

    def __enter__(self) -> Engine:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- commands (any thread) ---------------------------------------------------------------------

    def add_camera(self, camera: CameraConfig) -> Change:
        """Start watching a new camera."""
        return self._apply(lambda config: changes.put_camera(config, camera),
                           lambda change: self._open(camera) if camera.enabled else None)

    def update_camera(self, camera_id: str, camera: CameraConfig) -> Change:
        """Replace a camera's settings (its id may change: the rules that name it follow)."""

        def apply(change: Change) -> None:
            self.loop.close_camera(camera_id)
            if camera.enabled:
                self._open(camera)
            self._rules_changed(change.config)

        return self._apply(lambda config: changes.put_camera(config, camera, replaces=camera_id), apply)

    def remove_camera(self, camera_id: str, orphaned: str = "disable") -> Change:
        """Stop a camera; its events end; rules naming it stop watching it.

        ``orphaned`` says what becomes of a rule that watched only this camera: disable or delete
        (the change's effects list each rule).
        """

        def apply(change: Change) -> None:
            self.loop.close_camera(camera_id)
            kept = {rule.name for rule in change.config.rules}
            for name in [name for name in self.loop.rules.rules if name not in kept]:
                self.loop.remove_rule(name)  # deleted with the camera: its open events end
            self._rules_changed(change.config)

        return self._apply(lambda config: changes.remove_camera(config, camera_id, orphaned), apply)

    def update_rule(self, data: dict | Rule) -> Rule:
        """Add or replace a rule; an invalid one raises ChangeRefused and the old rule keeps running."""
        change = self._apply(lambda config: changes.put_rule(config, data),
                             lambda change: self.loop.set_rule(change.config.rule(change.subject)))
        return change.config.rule(change.subject)

    def remove_rule(self, name: str) -> Change:
        """Stop a rule; its open events end now."""
        return self._apply(lambda config: changes.remove_rule(config, name), lambda _: self.loop.remove_rule(name))

    def mark_event(self, event_id: str, verdict: str | None = None, acknowledged: bool | None = None,
                   note: str | None = None, locked: bool | None = None) -> None:
        """Operator triage: stored and audited; a verdict also teaches the rule (and is relearned at start)."""
        with self._change_lock:
            if not self._started:
                raise ChangeRefused("the engine is not running")
        marked = record_verdict(self.store, event_id, verdict, acknowledged, note, locked)
        if marked.embedding is not None and verdict is not None:
            self.loop.call_soon(lambda: self._learn(marked))
        self._notify(EngineNotice("event_marked", f"event {event_id}: {marked.describe()}",
                                  camera_id=marked.camera_id, detail={"event_id": event_id, **marked.changes}))

    # -- reading (any thread) -----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The newest immutable view of cameras, tracks, rules and decisions."""
        return self.loop.snapshot if self.loop is not None else Snapshot(0, self.config)

    def watch_frames(self, listener: Callable, watching: bool = True) -> None:
        """Add (or remove) a listener called on the analysis thread with (frame, analysis, class names)."""
        listeners = self.loop.frame_listeners if self.loop is not None else []
        if watching:
            listeners.append(listener)
        elif listener in listeners:
            listeners.remove(listener)

    def watch_display(self, listener: Callable | None, fps: float = 15.0,
                      cameras: frozenset[str] | None = None) -> None:
        """Frames of ``cameras`` (None: all) to show, up to ``fps`` a second each, to ``listener`` (None: stop).

        ``listener`` is called on the capture threads, between analysed frames too: a live view moves
        at its own rate, not analysis's. No frame is converted for display for a camera not shown.
        """
        if self.loop is not None:
            self.loop.show_frames(listener, fps, cameras)

    @property
    def encoder(self) -> TextImageEncoder | None:
        """The CLIP encoder (None when unavailable): thread-safe for text, used by search and back-test."""
        return self.loop.encoder if self.loop is not None else None

    def health(self) -> dict:
        """Per camera: state, fps in, fps analysed, drops, stage times; plus latency, queues and failures."""
        cameras = {}
        for camera_id, source in list(self.loop.sources.items()):  # a command may change it meanwhile
            stats, health = source.stats(), self.loop.health.get(camera_id)
            cameras[camera_id] = {
                "state": stats.state.value, "reason": source.status.reason, "fps_in": round(stats.fps_in, 2),
                "fps_analysed": round(health.analysed.rate(), 2) if health else 0.0,
                "frames_read": stats.frames_read, "frames_offered": source.mailbox.puts,
                "dropped": stats.frames_dropped, "reconnects": stats.reconnects,
                "detected": health.detected if health else 0, "deferred": health.deferred if health else 0,
                "stage_ms": {k: round(v, 2) for k, v in (health.stage_ms if health else {}).items()}}
        return {"cameras": cameras, "latency_s": self.loop.incidents.latency.percentiles(),
                "analysis": self.loop.overload.state.as_dict(),
                "clips": {"written": self.recorder.written, "failed": self.recorder.failed},
                "webhooks": self.webhooks.status(),
                "mqtt": next((p.status() for p in self._parts if hasattr(p, "notice")), None),
                "recording": self.recorder.status(), "retention": self.retention.status(),
                "store": {"written": self.writer.written, "failures": self.writer.failures,
                          "pending": self.writer.pending, "dropped": self.writer.dropped,
                          "open_incidents": len(self.loop.incidents)},
                "failures": self.watch.status(),
                "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}

    # -- internals ---------------------------------------------------------------------------

    def _apply(self, make: Callable[[SurveilConfig], Change], action: Callable[[Change], None]) -> Change:
        """Check a change against the running configuration and save it, then apply it on the analysis thread.

        The snapshot that shows the change is published before the change is announced. A refused
        change raises ChangeRefused and changes nothing.
        """
        with self._change_lock:  # one change at a time: each starts from the one before
            if not self._started:
                raise ChangeRefused("the engine is not running")
            change = make(self.config)
            if self.config_path is not None:
                try:
                    save_config(change.config, self.config_path, keep_layout=True)
                except OSError as exc:
                    raise ChangeRefused(f"cannot save the configuration to {self.config_path}: {exc}") from None
            self.config = self.retention.config = change.config

        def run() -> None:
            try:
                action(change)
            finally:  # even half applied, the configuration and the window must agree with the file
                self.loop.config = change.config
                self.loop.publish()
                self._notify(EngineNotice(change.kind, change.describe(), detail={
                    "subject": change.subject, "effects": change.effects, "replaces": change.replaces}))

        self.loop.call_soon(run)
        return change

    def _rules_changed(self, config: SurveilConfig) -> None:
        """Analysis thread: rules a camera change rewrote (dropped or renamed cameras) take effect."""
        for rule in config.rules:
            if self.loop.rules.rules.get(rule.name) != rule:
                self.loop.set_rule(rule)

    def _open(self, camera: CameraConfig) -> None:
        self.loop.open_camera(camera, self.recorder if self._record else None, self._on_status)

    def _learn(self, marked: Verdict) -> None:
        tag = self.loop.appearance.model_tag if self.loop.appearance else None
        appearance = marked.appearance[1] if marked.appearance and marked.appearance[0] == tag else None
        self.loop.rules.learn(marked.rule, marked.embedding, marked.correct, key=marked.event_id,
                              appearance=appearance)

    def _live_clock(self, camera_id: str) -> bool:
        source = self.loop.sources.get(camera_id) if self.loop else None
        return source is not None and source.live_clock

    def _segment_closed(self, segment) -> None:
        self.retention.note_bytes(segment.bytes)

    def _clip_done(self, event_id: str, result) -> None:
        """Recorder thread: a clip was cut (or failed); its bytes count towards the size cap too."""
        self.loop.incidents.on_clip(event_id, result)
        if result.path is not None:
            self.retention.note_bytes(file_bytes(result.path))  # 0 if retention already took it

    def _on_status(self, status: SourceStatus) -> None:
        self._notify(EngineNotice("camera_status", status.describe(), camera_id=status.camera_id,
                                  detail={"state": status.state.value, "reason": status.reason,
                                          "retry_at": status.retry_at}))

    def _notify(self, notice: EngineNotice) -> None:
        for listener in list(self.listeners):
            try:
                listener(notice)
            except Exception:  # a listener's bug is its own; logged, and the others still hear
                logger.exception("engine listener failed on %s", notice.kind)
