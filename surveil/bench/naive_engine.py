"""The surveil side of ``surveil bench naive``: the engine itself on one file camera, its alerts and its CPU.

The camera plays the clip at its own speed, looping (``realtime: true``): the engine treats it as
it treats a live camera, and analyses the frames a live camera's defaults send it. (A file read
faster than real time is analysed frame by frame, which no live camera is.) Frames are stamped
with the file's own times from a fixed ``start_time``, so an alert's wall time minus that start is
its time in the footage. Everything else is the default configuration, except recording, which is
off (``record=False``) as on the naive side.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from surveil.bench.naive_match import Span
from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.vision.tracks import TrackState

logger = logging.getLogger(__name__)

CAMERA = "bench"  # whose events and frames are counted
ORIGIN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the file's first frame; any fixed time serves
SLOWEST_S_PER_S = 3.0  # played at its own speed: a run is given up after 3 s of wall time per second of footage
DRIFT_S = 0.5  # a paced file that falls a second behind is re-timed, and its alerts with it: then say so


@dataclass
class EngineRun:
    """What the engine did with ``footage_s`` seconds of one clip."""

    cpu_s: float
    wall_s: float
    footage_s: float
    frames: int
    detected: int
    drift_s: float
    spans: list[Span] = field(default_factory=list)


class _Listener:
    """Counts analysed frames and collects alerts; ``done`` is set once the footage wanted is analysed."""

    def __init__(self, seconds: float, period: float):
        self.seconds, self.period = seconds, period
        self.done = threading.Event()
        self.frames, self.detected, self.last_t = 0, 0, 0.0
        self.lead: float | None = None  # footage time minus frame count times period: constant unless re-timed
        self.drift = 0.0
        self.starts: dict[str, tuple[str, float, int]] = {}
        self.boxes: dict[int, list] = defaultdict(list)  # per track: (t, x1, y1, x2, y2) at each sighting
        self.ends: dict[str, float] = {}

    def frame(self, frame, analysis, names) -> None:
        """Analysis thread; the first camera's frames only."""
        if frame.camera_id != CAMERA:
            return
        self.frames += 1
        self.detected += analysis.detected
        t = frame.t_wall - ORIGIN.timestamp()
        self.last_t = max(self.last_t, t)
        self.lead = t - frame.seq * self.period if self.lead is None else self.lead
        self.drift = max(self.drift, abs(t - frame.seq * self.period - self.lead))
        for track in analysis.changed:
            if track.state in (TrackState.NEW, TrackState.UPDATED):
                self.boxes[track.track_id].append((t, *(float(v) for v in track.box)))
        if self.last_t + self.period >= self.seconds:
            self.done.set()

    def notice(self, notice: EngineNotice) -> None:
        """Store-writer and capture threads."""
        record = notice.record
        if record is not None and record.camera_id != CAMERA:
            return
        if notice.kind == "alert_started" and record is not None:
            self.starts[record.event_id] = (record.rule, record.start - ORIGIN.timestamp(), record.track_id)
        elif notice.kind == "alert_ended" and record is not None and record.end is not None:
            self.ends[record.event_id] = record.end - ORIGIN.timestamp()
        elif (notice.kind == "camera_status" and notice.camera_id == CAMERA
              and notice.detail.get("state") in ("ended", "failed")):
            logger.warning("bench camera stopped early: %s", notice.message)
            self.done.set()

    def spans(self) -> list[Span]:
        """Alerts raised within the footage wanted (the engine may see a frame or two more before it stops)."""
        return [Span.of(rule, start, self.ends.get(event_id, self.last_t), self.boxes[track_id])
                for event_id, (rule, start, track_id) in sorted(self.starts.items(), key=lambda kv: kv[1][1])
                if start < self.seconds]


def config_for(clip: Path, rules: list[dict], root: Path, count: int = 1, follow: float | None = None) -> SurveilConfig:
    """``count`` looping file cameras of one clip played at its own speed; defaults for everything else.

    ``follow``: the cameras' ``motion.follow_detect_fps`` (None: the default, unset).
    """
    motion = {} if follow is None else {"follow_detect_fps": follow}
    cameras = [{"id": CAMERA if i == 0 else f"{CAMERA}{i}", "source": str(clip), "loop": True, "realtime": True,
                "start_time": ORIGIN.isoformat(), "motion": motion} for i in range(count)]
    return SurveilConfig.model_validate({
        "cameras": cameras, "storage": {"path": str(root / "store")},
        "recording": {"folder": str(root / "recordings"), "clips_dir": str(root / "clips")}, "rules": rules})


def run_engine(clip: Path, seconds: float, fps: float, detector, rules: list[dict], cameras: int = 1,
               follow: float | None = None) -> EngineRun:
    """Start an engine on ``clip``, stop it after ``seconds`` of footage; CPU counts start to stop, all threads.

    With several ``cameras`` (all showing the clip) the CPU is the process's shared out per camera,
    and the events are the first camera's: what one camera gets when others compete for the machine.
    """
    root = Path(tempfile.mkdtemp(prefix="surveil-bench-naive-"))
    listener = _Listener(seconds, 1.0 / fps)
    config = config_for(clip, rules, root, cameras, follow)
    engine = Engine(config, app_paths(), detector=detector, clip_reason="benchmark", record=False)
    engine.listeners.append(listener.notice)
    cpu, wall = time.process_time(), time.perf_counter()
    try:
        engine.start()
        engine.watch_frames(listener.frame)  # only once started; a frame or two analysed before it goes uncounted
        if not listener.done.wait(max(60.0, seconds * SLOWEST_S_PER_S)):
            logger.warning("the engine analysed only %.1f of %.0f s of %s in time", listener.last_t, seconds, clip)
    finally:
        engine.stop()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        shutil.rmtree(root, ignore_errors=True)
    if listener.drift > DRIFT_S:
        logger.warning("%s fell behind and was re-timed by %.1f s: its alerts are off by as much", clip.name,
                       listener.drift)
    return EngineRun(cpu / cameras, wall, listener.last_t + listener.period, listener.frames, listener.detected,
                     listener.drift, listener.spans())
