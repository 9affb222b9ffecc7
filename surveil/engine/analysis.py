"""The analysis thread: a round of latest frames → vision → rules → incidents; cameras and rules change here.

One thread owns the camera sources, the pipelines, the rule engine and the evaluator. Other
threads change them only through ``call_soon`` and read them only through ``snapshot``,
which this thread replaces after every round and every change.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
import time
from collections.abc import Callable

from surveil.capture.camera import CameraSource
from surveil.capture.frame import Frame, FrameMailbox
from surveil.config import CameraConfig, SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.health import CameraHealth
from surveil.engine.incidents import Incidents
from surveil.engine.overload import OverloadWatch, detector_hint
from surveil.engine.persist import object_id, object_put, tagged
from surveil.engine.snapshot import CameraView, Snapshot, TrackView, frozen
from surveil.engine.watch import Watch
from surveil.engine.writer import WriteJob
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.rules.events import EventUpdate
from surveil.rules.model import Rule
from surveil.vision.appearance import AppearanceEncoder
from surveil.vision.clip import TextImageEncoder
from surveil.vision.pipeline import Analyzer, CameraPipeline
from surveil.vision.tracks import Track, TrackState

logger = logging.getLogger(__name__)

Notify = Callable[[EngineNotice], None]
CLOSE_WAIT_S = 1.0  # how long a camera's removal waits for its capture thread before leaving it to end alone
ROUND_SHARE = 0.6  # of the shortest analysis period among live cameras: a round's time for detection


class AnalysisLoop:
    """Owns the per-round work; ``run`` is the thread body."""

    def __init__(self, config: SurveilConfig, analyzer: Analyzer, rules: RuleEngine,
                 encoder: TextImageEncoder | None, incidents: Incidents, watch: Watch, notify: Notify,
                 appearance: AppearanceEncoder | None = None):
        self.config, self.analyzer, self.rules, self.encoder = config, analyzer, rules, encoder
        self.appearance = appearance
        self.evaluator = RuleEvaluator(rules, encoder, appearance=appearance)
        self.incidents, self.watch, self._notify = incidents, watch, notify
        self.recorder, self.writer = incidents.recorder, incidents.writer
        self.sources: dict[str, CameraSource] = {}  # replaced whole on change: other threads may hold the old one
        self.lingering: list[CameraSource] = []  # closed cameras whose capture thread is still ending (joined at stop)
        self.health: dict[str, CameraHealth] = {}
        self.overload = OverloadWatch(more=detector_hint(analyzer.detector))
        # Called on the analysis thread with (frame, analysis, class names) after each frame's round:
        # a GUI copies what it needs and hands it to its own thread.
        self.frame_listeners: list[Callable] = []
        # (listener, fps, cameras or None for all): frames to show, handed over on the capture threads
        self.display: tuple[Callable, float, frozenset[str] | None] | None = None
        self.wake = threading.Event()
        self.snapshot = Snapshot(0, config)
        self._stop = threading.Event()
        self._commands: queue.Queue[Callable[[], None]] = queue.Queue()
        self._offset: dict[str, float] = {}  # wall minus monotonic time, per camera
        self._size: dict[str, tuple[int, int]] = {}
        self._last_t: dict[str, float] = {}  # newest frame time per camera: "now" on the camera's own clock

    def call_soon(self, command: Callable[[], None]) -> None:
        """Run ``command`` on the analysis thread before its next round."""
        self._commands.put(command)
        self.wake.set()

    def stop(self) -> None:
        """Ask the loop to finish its round and return."""
        self._stop.set()
        self.wake.set()

    def stopping(self) -> bool:
        """Whether stop was asked (the watch does not restart a loop that was told to end)."""
        return self._stop.is_set()

    def run(self) -> None:
        """The thread body."""
        while not self._stop.is_set():
            self.wake.wait(0.25)
            self.wake.clear()
            self._run_commands()
            frames = [f for s in self.sources.values() if (f := s.mailbox.take(0)) is not None]
            try:
                if frames:
                    self._round(frames)
            except Exception as exc:  # counted and announced; the next round goes on
                logger.exception("analysis round failed")
                self.watch.failed("analysis", exc)
            self.publish()
            self._announce_rule_failures()  # after the snapshot that shows them
            self._watch_overload()
        self._run_commands()
        for camera_id in list(self.sources):
            self.close_camera(camera_id)
        self.analyzer.close()

    # -- changes (analysis thread) -------------------------------------------------------------

    def open_camera(self, camera: CameraConfig, tap, on_status) -> None:
        """Start watching a camera: its pipeline, recording (if ``tap``), and capture thread."""
        self.analyzer.pipelines[camera.id] = CameraPipeline(camera.id, camera.motion, self.analyzer.detector.names,
                                                            appearance=self.appearance)
        if tap is not None:
            self.recorder.add_camera(camera.id, camera.record)
        source = CameraSource(camera, FrameMailbox(self.wake), tap=tap)
        source.add_status_listener(on_status)
        self.analyzer.pipelines[camera.id].live = not source.waited_for
        self.sources = {**self.sources, camera.id: source}
        self._show(source)  # after the camera is listed: a ``show_frames`` meanwhile reaches it either way
        self.analyzer.budget_s = round_budget(self.sources.values())
        source.start()

    def show_frames(self, listener: Callable | None, fps: float, cameras: frozenset[str] | None = None) -> None:
        """Send the frames of ``cameras`` (None: all) to ``listener`` at up to ``fps`` (None: stop); any thread."""
        self.display = None if listener is None else (listener, fps, cameras)
        for source in list(self.sources.values()):
            self._show(source)

    def _show(self, source: CameraSource) -> None:
        display = self.display
        if display is None or (display[2] is not None and source.camera_id not in display[2]):
            source.show(None)
        else:
            source.show(display[0], display[1])

    def close_camera(self, camera_id: str) -> None:
        """Stop a camera: capture stops, its tracks and events end, then the recorder closes it and cuts clips."""
        source = self.sources.get(camera_id)
        self.sources = {k: v for k, v in self.sources.items() if k != camera_id}
        # A camera stuck opening may take its whole stop bound (~20 s): analysis of the others must not wait.
        if source is not None and not source.stop(timeout=CLOSE_WAIT_S):
            self.lingering.append(source)
        pipeline = self.analyzer.pipelines.pop(camera_id, None)
        if pipeline is not None:
            tracks = pipeline.close()
            t, wall = self.clock(camera_id)
            self._updates(self.evaluator.end(camera_id, [tr.track_id for tr in tracks], t, wall))
            if tracks:
                self._store_objects(tracks)
        self.recorder.remove_camera(camera_id)
        self.health.pop(camera_id, None)
        self.analyzer.budget_s = round_budget(self.sources.values())

    def set_rule(self, rule: Rule) -> None:
        """Add or replace a rule; the open events of the old one end first."""
        self._updates(self.rules.set_rule(rule, self.clock))

    def remove_rule(self, name: str) -> None:
        """Remove a rule; its open events end now."""
        self._updates(self.rules.remove_rule(name, self.clock))
        self.watch.forget(f"rule {name}")

    def clock(self, camera_id: str) -> tuple[float, dt.datetime]:
        """"Now" on a camera's own clock: its newest frame (monotonic) and the wall time that goes with it."""
        t = self._last_t.get(camera_id, time.monotonic())
        return t, dt.datetime.fromtimestamp(t + self._offset.get(camera_id, time.time() - time.monotonic()), dt.UTC)

    # -- one round -----------------------------------------------------------------------------

    def _round(self, frames: list[Frame]) -> None:
        for f in frames:
            self._offset[f.camera_id] = f.t_wall - f.t_mono
            self._size[f.camera_id] = f.size
            self._last_t[f.camera_id] = f.t_mono
        results = self.analyzer.analyze([(f.camera_id, f.image, f.seq, f.t_mono) for f in frames])
        for f, r in zip(frames, results, strict=True):
            self.health.setdefault(f.camera_id, CameraHealth(f.camera_id)).record(f.t_mono, r.timings_ms, r.error,
                                                                                   r.detected, r.deferred)
            if r.motion is not None and r.motion.moving:
                self.recorder.mark_motion(f.camera_id, f.t_wall)
            self._tell_frame_listeners(f, r)
        items = [(r, f.image, dt.datetime.fromtimestamp(f.t_wall, dt.UTC))
                 for f, r in zip(frames, results, strict=True) if r.error is None]
        self._updates(self.evaluator.process(items))
        for f in frames:  # every event these frames raise is now known to the recorder
            self.recorder.analysed(f.camera_id, f.t_wall)
        ended = [t for r in results for t in r.changed if t.state is TrackState.ENDED]
        if ended:
            self._store_objects(ended)

    def _tell_frame_listeners(self, frame: Frame, analysis) -> None:
        for listener in list(self.frame_listeners):
            try:
                listener(frame, analysis, self.analyzer.detector.names)
            except Exception as exc:
                logger.exception("frame listener failed")
                self.watch.failed("frame listener", exc)

    def _updates(self, updates: list[EventUpdate]) -> None:
        for update in updates:
            event = update.event
            self.incidents.update(update, self.rules.rules.get(event.rule), self._object_id(event.camera_id,
                                                                                            event.track_id))

    def _object_id(self, camera_id: str, track_id: int) -> str | None:
        pipeline = self.analyzer.pipelines.get(camera_id)
        track = pipeline.tracker.tracks.get(track_id) if pipeline else None
        if track is None:
            return None
        return object_id(camera_id, track_id, track.first_t, self._offset.get(camera_id, 0.0))

    def _store_objects(self, tracks: list[Track]) -> None:
        crops = [t.best_crop for t in tracks]
        embeddings = self._vectors("CLIP", self.encoder and self.encoder.encode_images, crops)
        appearances = self._vectors("the appearance model", self.appearance and self.appearance.encode, crops)
        tag = self.appearance.model_tag if self.appearance is not None else None
        puts = []
        for track, embedding, look in zip(tracks, embeddings, appearances, strict=True):
            offset = self._offset.get(track.camera_id, 0.0)
            obj_id = object_id(track.camera_id, track.track_id, track.first_t, offset)
            events = self.incidents.events_of_track(track.camera_id, track.track_id)
            puts.append(object_put(track, obj_id, offset, self._size.get(track.camera_id, (0, 0)), events, embedding,
                                   tagged(look, tag)))
        self.writer.submit(WriteJob(puts))

    def _vectors(self, what: str, encode, crops: list) -> list:
        """One vector per crop from ``encode``, or None for each where there is no model, no crop, or it failed."""
        out = [None] * len(crops)
        have = [i for i, crop in enumerate(crops) if crop is not None]
        if encode is None or not have:
            return out
        try:
            for i, vector in zip(have, encode([crops[i] for i in have]), strict=True):
                out[i] = vector
        except Exception as exc:
            logger.exception("%s failed on %d finished tracks; stored without its vectors", what, len(have))
            self.watch.failed(f"{what} on finished tracks", exc)
        return out

    def _run_commands(self) -> None:
        while not self._commands.empty():
            try:
                self._commands.get_nowait()()
            except Exception as exc:
                logger.exception("engine command failed")
                self.watch.failed("engine command", exc)

    def _watch_overload(self) -> None:
        if self.overload.update({c: (s.mailbox.puts, s.mailbox.drops) for c, s in self.sources.items()}):
            state = self.overload.state
            text = (f"analysis overloaded: {state.drop_share:.0%} of frames due dropped" if state.overloaded
                    else "analysis keeps up again")
            self._notify(EngineNotice("overload", text, detail=state.as_dict()))

    def _announce_rule_failures(self) -> None:
        for name, failure in self.rules.new_failures():
            self.watch.failed(f"rule {name}", f"{failure.reason}; paused, tried again later", kind="rule_error")

    def publish(self) -> None:
        """Replace the snapshot other threads read (analysis thread, or the engine before the thread starts)."""
        cameras = {}
        for camera_id, source in self.sources.items():
            status, pipeline = source.status, self.analyzer.pipelines.get(camera_id)
            tracks = tuple(TrackView(t.track_id, t.label, tuple(float(v) for v in t.box))
                           for t in (pipeline.tracker.tracks.values() if pipeline else ())
                           if t.state in (TrackState.NEW, TrackState.UPDATED))
            cameras[camera_id] = CameraView(camera_id, status.state.value, status.reason, status.retry_at, tracks)
        rules = self.rules
        self.snapshot = Snapshot(
            self.snapshot.seq + 1, self.config, frozen(cameras), frozen(rules.decisions()),
            frozen({name: f.reason for name, f in rules.failures.items()}),
            None if self.encoder is not None else rules.clip_unavailable,
            frozen({name: (len(ex.positives), len(ex.negatives)) for name, ex in rules.examples.items()}))


def round_budget(sources) -> float | None:
    """Seconds a round may spend before deferring live cameras' detection; None with no live camera."""
    periods = [1.0 / s.config.analysis_rate for s in sources if not s.waited_for and s.config.analysis_rate]
    return ROUND_SHARE * min(periods) if periods else None

