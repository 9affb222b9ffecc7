"""The per-camera seeing pipeline (gate, flow, tracking) and the analyser that batches detection."""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from surveil.capture.cv import cv2
from surveil.config.vision import MotionConfig
from surveil.vision.detections import Detections
from surveil.vision.detector import Detector
from surveil.vision.flow import FlowEstimator, FlowField, FlowSummary
from surveil.vision.motion import MotionGate, MotionResult
from surveil.vision.tracker import CameraTracker
from surveil.vision.tracks import Track, TrackState

logger = logging.getLogger(__name__)

SMALL_WIDTH = 320  # gate and flow work on frames this wide
STILL_BH_S = 0.1  # slower than a tenth of its own height a second counts as standing still
_SMOOTHING = 0.5


class FrameError(ValueError):
    """A frame the pipeline cannot use (empty, wrong shape)."""


@dataclass
class FrameAnalysis:
    """What one frame showed: gate decision, tracked detections, changed tracks, stage times (ms)."""

    camera_id: str
    seq: int
    t: float
    frame_size: tuple[int, int] = (0, 0)
    motion: MotionResult | None = None
    flow: FlowSummary | None = None
    detected: bool = False
    detections: Detections = field(default_factory=Detections)
    changed: list[Track] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None
    deferred: bool = False  # the gate asked for detection but the round's time was spent on other cameras


@dataclass
class _Prepared:
    image: np.ndarray
    motion: MotionResult
    flow: FlowField | None
    analysis: FrameAnalysis


class CameraPipeline:
    """One per camera: holds the gate's background, the previous small frame and the tracker."""

    def __init__(self, camera_id: str, motion: MotionConfig, names: dict[int, str], flow_method: str = "dis",
                 appearance=None):
        self.camera_id = camera_id
        self.gate = MotionGate(motion)
        self.flow = FlowEstimator(flow_method)
        self.tracker = CameraTracker(camera_id, names, appearance=appearance)  # None: boxes alone
        self.live = False  # frames that are not waited for (a stream, a paced file): detection may be deferred
        self.last_detected = -1  # the analyser's turn number of its last detection: the longest waiting go first

    def prepare(self, image: np.ndarray, seq: int, t: float) -> _Prepared:
        """Gate and flow on a small grey copy; raises FrameError for an unusable frame."""
        if image is None or image.ndim != 3 or image.shape[0] < 8 or image.shape[1] < 8:
            raise FrameError(f"unusable frame {seq} from {self.camera_id}: shape {getattr(image, 'shape', None)}")
        analysis = FrameAnalysis(self.camera_id, seq, t, (image.shape[1], image.shape[0]))
        start = time.perf_counter()
        scale = SMALL_WIDTH / image.shape[1]
        small = cv2.resize(image, (SMALL_WIDTH, max(8, round(image.shape[0] * scale))), interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        motion = self.gate.update(gray, t, self.tracker.followed(t) * scale if self.gate.following else None)
        mid = time.perf_counter()
        flow = self.flow.step(gray, t, scale, compute=motion.detect)
        analysis.timings_ms.update(gate=(mid - start) * 1e3, flow=(time.perf_counter() - mid) * 1e3)
        analysis.motion, analysis.detected = motion, motion.detect
        analysis.flow = flow.summary() if flow is not None else None
        return _Prepared(image, motion, flow, analysis)

    def defer(self, prepared: _Prepared) -> FrameAnalysis:
        """Detection was wanted on this frame but put off: tracks keep their state, the gate asks again."""
        self.gate.defer()
        prepared.analysis.detected, prepared.analysis.deferred = False, True
        return prepared.analysis

    def finish(self, prepared: _Prepared, dets: Detections | None) -> FrameAnalysis:
        """Track this frame's detections (if detection ran) and update their kinematics."""
        analysis = prepared.analysis
        if dets is None:
            return analysis
        start = time.perf_counter()
        analysis.detections, analysis.changed = self.tracker.update(dets, prepared.image, analysis.t)
        for track in analysis.changed:
            if track.state in (TrackState.NEW, TrackState.UPDATED):
                self._kinematics(track, prepared.flow, analysis.t)
        analysis.timings_ms["track"] = (time.perf_counter() - start) * 1e3
        return analysis

    def close(self) -> list[Track]:
        """End every open track."""
        return self.tracker.finish()

    @staticmethod
    def _kinematics(track: Track, flow: FlowField | None, t: float) -> None:
        if flow is None:
            return
        vx, vy = flow.box_velocity(track.box)
        fresh = track.hits == 1
        track.vx = vx if fresh else _SMOOTHING * vx + (1 - _SMOOTHING) * track.vx
        track.vy = vy if fresh else _SMOOTHING * vy + (1 - _SMOOTHING) * track.vy
        track.speed_bh_sum += track.speed_bh_s
        track.speed_samples += 1
        if track.speed_bh_s < STILL_BH_S:
            track.stationary_since = track.stationary_since if track.stationary_since is not None else t
        else:
            track.stationary_since = None
        track.max_stationary_s = max(track.max_stationary_s, track.stationary_s(t))


class Analyzer:
    """Runs every camera's pipeline over a round of frames, with detection shared out across them.

    A bad frame or a failing camera is reported in its own FrameAnalysis; the other
    cameras in the round carry on. With ``budget_s``, detection on live cameras' frames
    stops once the round has taken that long: the rest is deferred to their next frame,
    the cameras whose last detection is oldest going first, so an overloaded machine
    shares detection out evenly and every round still ends in time for the next frames.
    """

    def __init__(self, detector: Detector, pipelines: dict[str, CameraPipeline], budget_s: float | None = None):
        self.detector = detector
        self.pipelines = pipelines
        self.budget_s = budget_s
        self._group_s = 0.0  # what a detection call took lately (moving average)
        self._worker: ThreadPoolExecutor | None = None  # detection beside tracking, under a budget only
        self._turn = 0  # detection calls made under the budget, numbered

    def close(self) -> None:
        """Stop and join the detection thread (the analysis thread calls this when it ends)."""
        if self._worker is not None:
            self._worker.shutdown(wait=True)
            self._worker = None

    def analyze(self, frames: list[tuple[str, np.ndarray, int, float]]) -> list[FrameAnalysis]:
        """``frames``: (camera id, image, seq, t) tuples, at most one per camera."""
        start = time.perf_counter()
        prepared: list[_Prepared | FrameAnalysis] = []
        for camera_id, image, seq, t in frames:
            try:
                prepared.append(self.pipelines[camera_id].prepare(image, seq, t))
            except Exception as exc:
                logger.warning("camera %s, frame %d: %s", camera_id, seq, exc)
                prepared.append(FrameAnalysis(camera_id, seq, t, error=str(exc)))
        done = {id(p): self._finish(p, {}) for p in prepared if not isinstance(p, _Prepared) or not p.motion.detect}
        groups = self._groups([p for p in prepared if id(p) not in done])
        if self.budget_s is None:
            for group in groups:
                detections = self._detect(group)
                done.update({id(p): self._finish(p, detections) for p in group})
        else:
            self._detect_in_turn(groups, start, done)
        return [done[id(p)] for p in prepared]

    def _detect_in_turn(self, groups: list[list[_Prepared]], start: float, done: dict) -> None:
        """Each call decided once the one before it has detected; its frames tracked while the next one runs.

        On two cores the detector's call and the tracking of the call before keep both busy,
        where in turn one of them waited for the other.
        """
        if self._worker is None:
            self._worker = ThreadPoolExecutor(1, thread_name_prefix="detection")
        running = None  # (group, future)
        for n, group in enumerate(groups):
            detections = running[1].result() if running else None
            if n and self._out_of_time(start, group):  # the first call always runs: detection never starves
                done.update({id(p): self.pipelines[p.analysis.camera_id].defer(p) for p in group})
                group, future = None, None
            else:
                self._turn += 1
                for p in group:
                    self.pipelines[p.analysis.camera_id].last_detected = self._turn
                future = self._worker.submit(self._detect, group)
            if running:
                done.update({id(p): self._finish(p, detections) for p in running[0]})
            running = (group, future) if group else None
        if running:
            detections = running[1].result()
            done.update({id(p): self._finish(p, detections) for p in running[0]})

    def _groups(self, wanting: list[_Prepared]) -> list[list[_Prepared]]:
        """Detection calls in turn: all at once without a budget; else in pairs, longest waiting first."""
        if self.budget_s is None or not wanting:
            return [wanting] if wanting else []
        wanting.sort(key=lambda p: self.pipelines[p.analysis.camera_id].last_detected)
        return [wanting[i:i + 2] for i in range(0, len(wanting), 2)]

    def _out_of_time(self, start: float, group: list[_Prepared]) -> bool:
        """Whether this call would end the round past its budget (never for files, which are waited for)."""
        if self.budget_s is None or time.perf_counter() - start + self._group_s <= self.budget_s:
            return False
        return all(self.pipelines[p.analysis.camera_id].live for p in group)  # files wait for analysis instead

    def _detect(self, todo: list[_Prepared]) -> dict[int, Detections | None]:
        if not todo:
            return {}
        start = time.perf_counter()
        try:
            results = self.detector.detect([p.image for p in todo])
        except Exception as exc:
            logger.exception("detection failed for %d frame(s)", len(todo))
            for p in todo:
                p.analysis.error = f"detection failed: {exc}"
            return {}
        took = time.perf_counter() - start
        self._group_s = 0.8 * self._group_s + 0.2 * took if self._group_s else took
        for p in todo:
            p.analysis.timings_ms["detect"] = took * 1e3 / len(todo)
        return {id(p): dets for p, dets in zip(todo, results, strict=True)}

    def _finish(self, item: _Prepared | FrameAnalysis, detections: dict[int, Detections | None]) -> FrameAnalysis:
        if isinstance(item, FrameAnalysis):
            return item
        return self.pipelines[item.analysis.camera_id].finish(item, detections.get(id(item)))
