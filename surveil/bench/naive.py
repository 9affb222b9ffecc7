"""``surveil bench naive``: surveil against a naive pipeline that detects on every frame, in one run.

Per clip, three passes over the same ``seconds`` of footage (the clip looped, as a looping camera
plays it), one after the other in one process, each timed by the process's CPU time (all threads):

- **decode floor**: PyAV decodes every frame to BGR, as a camera's capture thread does, and nothing else.
- **naive**: every frame decoded, detected (the same detector object), tracked by the project's
  ``CameraTracker`` on boxes alone, and its tracks given to the project's ``RuleEvaluator``. No
  gate and no optical flow: a naive pipeline has neither, and leaving flow out makes the naive
  side cheaper, so the ratio errs in its favour.
- **surveil**: the ``Engine`` itself (``naive_engine``), the path a live camera runs, with the
  default configuration, the clip played at its own speed as a live camera delivers it: capture
  thread, the analysis rate a live camera gets by default, motion gate (detection at most 5 times
  a second while something moves), flow, tracker with appearance, rules, incidents written to a
  store. Recording is off on this side as on the naive one (``bench cameras`` measures it). Not
  ``surveil analyze``: it reads through OpenCV, analyses every frame and runs no rules.

CPU per camera-hour is CPU seconds over seconds of footage, times 3600. Model loading and warm-up
come before any pass and count on neither side; the engine's own start and stop count on its.

Both sides run the same rules, made of classes only (no CLIP). ``people`` and ``vehicles`` keep
the default grace but no cooldown, so every object raises its own event and the found share
means something; the ``(defaults)`` pair is the same with every default (a 60 s cooldown: about
one event per rule and clip). Events are matched by ``naive_match``; ``naive_table`` prints them.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from pathlib import Path

import av

from surveil.bench import detectors
from surveil.bench.naive_engine import ORIGIN, run_engine
from surveil.bench.naive_match import Span, compare
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.rules.events import EventUpdate
from surveil.rules.model import Rule
from surveil.vision.pipeline import FrameAnalysis
from surveil.vision.tracker import CameraTracker
from surveil.vision.tracks import TrackState

logger = logging.getLogger(__name__)

CLIPS = ("lobby_cctv_640x360.mp4", "highway_traffic_640x360.mp4")
VEHICLES = ["car", "truck", "bus"]
RULES = [{"name": "people", "classes": ["person"], "cooldown_s": 0},
         {"name": "vehicles", "classes": VEHICLES, "cooldown_s": 0},
         {"name": "people (defaults)", "classes": ["person"]},
         {"name": "vehicles (defaults)", "classes": VEHICLES}]
HOUR_S = 3600.0


def frames(clip: Path, seconds: float):
    """(t, BGR image) for ``seconds`` of footage, the clip looped; t counts from 0 across passes.

    Decoded as the capture thread decodes: slice threads, one decoder thread.
    """
    offset = 0.0
    while True:
        t, count = offset, 0
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.thread_type, stream.codec_context.thread_count = "SLICE", 1
            period = 1.0 / float(stream.average_rate or 25)
            first = None
            for frame in container.decode(stream):
                shown = frame.time if frame.time is not None else count * period
                first = shown if first is None else first
                t, count = offset + shown - first, count + 1
                if t >= seconds:
                    return
                yield t, frame.to_ndarray(format="bgr24")
        if count == 0:
            return
        offset = t + period  # the next pass follows on, as a looping camera's does


def clip_fps(clip: Path) -> float:
    """The clip's frame rate (25 when it declares none)."""
    with av.open(str(clip)) as container:
        return float(container.streams.video[0].average_rate or 25)


def decode_floor(clip: Path, seconds: float) -> tuple[float, int]:
    """CPU seconds to decode ``seconds`` of footage, and the frames decoded."""
    cpu, count = time.process_time(), 0
    for _ in frames(clip, seconds):
        count += 1
    return time.process_time() - cpu, count


def run_naive(clip: Path, seconds: float, detector, rules: list[Rule]) -> tuple[float, int, list[Span]]:
    """CPU seconds, frames and events of detect-every-frame, track, evaluate."""
    tracker = CameraTracker("naive", detector.names)
    evaluator = RuleEvaluator(RuleEngine(rules, None, clip_unavailable="benchmark"), None)
    updates: list[EventUpdate] = []
    boxes: dict[int, list] = defaultdict(list)  # per track: (t, x1, y1, x2, y2), for matching objects afterwards
    cpu, seq, t = time.process_time(), 0, 0.0
    for seq, (t, image) in enumerate(frames(clip, seconds)):
        wall = ORIGIN + dt.timedelta(seconds=t)
        _, changed = tracker.update(detector.detect([image])[0], image, t)
        analysis = FrameAnalysis("naive", seq, t, (image.shape[1], image.shape[0]), detected=True, changed=changed)
        updates += evaluator.process([(analysis, image, wall)])
        for track in changed:
            if track.state in (TrackState.NEW, TrackState.UPDATED):
                boxes[track.track_id].append((t, *(float(v) for v in track.box)))
    ended = [track.track_id for track in tracker.finish()]
    updates += evaluator.end("naive", ended, t, ORIGIN + dt.timedelta(seconds=t))
    return time.process_time() - cpu, seq + 1, _spans(updates, t, boxes)


def _spans(updates: list[EventUpdate], last_t: float, boxes: dict[int, list]) -> list[Span]:
    events = {u.event.event_id: u.event for u in updates}  # the last update of each event holds its end
    spans = [Span.of(e.rule, e.start_t, last_t if e.end_t is None else e.end_t, boxes[e.track_id])
             for e in events.values()]
    return sorted(spans, key=lambda s: s.start)


def bench_clip(clip: Path, seconds: float, detector, cameras: int = 1, follow: float | None = None) -> dict:
    """The three passes over one clip and how their events compare; ``follow``: surveil's follow rate."""
    rules = [Rule.model_validate(r) for r in RULES]
    floor_cpu, decoded = decode_floor(clip, seconds)
    footage = decoded / clip_fps(clip)
    started = time.perf_counter()
    naive_cpu, naive_frames, naive_spans = run_naive(clip, seconds, detector, rules)
    naive_wall = time.perf_counter() - started
    mine = run_engine(clip, seconds, clip_fps(clip), detector, RULES, cameras, follow)
    logger.info("%s: naive %.0f s, surveil %.0f s of wall time", clip.name, naive_wall, mine.wall_s)
    return {"clip": clip.name, "cameras": cameras, "footage_s": footage,
            "naive_frames": naive_frames, "surveil_frames": mine.frames, "surveil_detected": mine.detected,
            "surveil_footage_s": mine.footage_s, "surveil_drift_s": mine.drift_s, "naive_wall_s": naive_wall,
            "surveil_wall_s": mine.wall_s,
            "floor_cpu_h": floor_cpu / footage * HOUR_S, "naive_cpu_h": naive_cpu / footage * HOUR_S,
            "surveil_cpu_h": mine.cpu_s / mine.footage_s * HOUR_S,
            "rules": compare(naive_spans, mine.spans, [r.name for r in rules])}


def run(media: Path, models: Path, seconds: float, backend: str, cameras: int = 1,
        follow: float | None = None) -> list[dict]:
    """Every busy clip with one detector."""
    from surveil.vision import pools
    from surveil.vision.appearance import load_if_enabled

    pools.configure()  # as the engine sizes them: before the first pass, so every pass runs with the same threads
    loaded = detectors.load(models, backend)
    if loaded is None:
        return []
    detector = loaded
    load_if_enabled(True)  # loaded once here, so the engine's start finds it cached and measures no loading
    return [{**bench_clip(media / name, seconds, detector, cameras, follow), "backend": backend}
            for name in CLIPS if (media / name).is_file()]

