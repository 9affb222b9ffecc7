"""The demo: the bundled walkway clip as a camera, in a fresh data folder, reported on stdout.

Headless until the GUI issue makes ``surveil demo`` open the window; the engine
issue replaces this loop (capture, then analysis on the main thread) with the real engine.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import TextIO

from surveil.capture import CameraSource, Frame, SourceStatus
from surveil.config import SurveilConfig, load_config, save_config
from surveil.paths import AppPaths
from surveil.resources import DEMO_CONFIG, resource_path
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.rules.events import EventUpdate
from surveil.vision.clip import load_encoder_or_reason
from surveil.vision.detector import YoloDetector
from surveil.vision.pipeline import Analyzer, CameraPipeline, FrameAnalysis
from surveil.vision.tracks import TrackState

logger = logging.getLogger(__name__)


def prepare_demo(paths: AppPaths) -> tuple[SurveilConfig, Path]:
    """Load the bundled demo config and save it into a fresh ``data/demo`` folder."""
    config = load_config(resource_path(DEMO_CONFIG))
    demo_dir = paths.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)  # only ever our own demo folder: the demo starts fresh each time
    demo_dir.mkdir(parents=True)
    config.storage.path = demo_dir / "store"
    config.recording.clips_dir = demo_dir / "clips"
    save_config(config, demo_dir / "config.yaml")
    return config, demo_dir


def run_demo(paths: AppPaths, seconds: float | None, as_json: bool, out: TextIO) -> int:
    """Capture the demo camera(s) and print one line a second until ``seconds`` pass or a signal."""
    config, demo_dir = prepare_demo(paths)
    _say(out, as_json, {"event": "start", "demo_dir": str(demo_dir), "cameras": [c.id for c in config.cameras]},
         f"surveil demo: data in {demo_dir}; cameras: {', '.join(c.display_name for c in config.cameras)}")
    stop = threading.Event()
    _stop_on_sigterm(stop)
    analyzer, evaluator = _analyzer(config, paths), _evaluator(config, paths)
    sources = [CameraSource(camera) for camera in config.cameras if camera.enabled]
    for source in sources:
        source.add_status_listener(lambda status: _say(out, as_json, _status_record(status), status.describe()))
        source.start()
    try:
        _report_until(sources, analyzer, evaluator, stop, seconds, as_json, out)
    except KeyboardInterrupt:
        pass
    finally:
        for source in reversed(sources):
            source.stop()
    total = sum(s.frames_read for s in sources)
    _say(out, as_json, {"event": "stop", "frames": total}, f"surveil demo: stopped after {total} frames")
    return 0


def _analyzer(config: SurveilConfig, paths: AppPaths) -> Analyzer:
    detector = YoloDetector(config.models.detector, paths.model_cache_dir)
    detector.warmup()
    pipelines = {c.id: CameraPipeline(c.id, c.motion, detector.names) for c in config.cameras if c.enabled}
    return Analyzer(detector, pipelines)


def _evaluator(config: SurveilConfig, paths: AppPaths) -> RuleEvaluator:
    encoder, reason = load_encoder_or_reason(config.models.clip, paths.model_cache_dir)
    engine = RuleEngine(config.rules, encoder, clip_unavailable=reason)
    return RuleEvaluator(engine, encoder)


def _report_until(sources: list[CameraSource], analyzer: Analyzer, evaluator: RuleEvaluator,
                  stop: threading.Event, seconds: float | None, as_json: bool, out: TextIO) -> None:
    """Analyse every frame that arrives, and print one line per camera each second."""
    deadline = None if seconds is None else time.monotonic() + seconds
    latest: dict[str, tuple[Frame, FrameAnalysis]] = {}
    next_report = time.monotonic() + 1.0
    while not stop.is_set():
        for source in sources:
            frame = source.mailbox.take(timeout=0.05)
            if frame is not None:
                result = analyzer.analyze([(frame.camera_id, frame.image, frame.seq, frame.t_mono)])[0]
                wall = dt.datetime.fromtimestamp(frame.t_wall, dt.timezone.utc)
                for update in evaluator.process([(result, frame.image, wall)]):
                    _alert(update, as_json, out)
                previous = latest.get(source.camera_id)
                keep = result if result.detected or previous is None else previous[1]
                latest[source.camera_id] = (frame, keep)
        if time.monotonic() < next_report:
            continue
        next_report += 1.0
        for source in sources:
            _report(source, *latest.get(source.camera_id, (None, None)), as_json, out)
        if deadline is not None and time.monotonic() >= deadline:
            return
        if all(source.status.state.final for source in sources):
            return


def _report(source: CameraSource, frame: Frame | None, seen: FrameAnalysis | None, as_json: bool, out: TextIO) -> None:
    stats = source.stats()
    objects = _objects(seen)
    record = {"event": "stats", "camera": stats.camera_id, "state": stats.state.value,
              "frames": stats.frames_read, "fps_in": round(stats.fps_in, 1), "drops": stats.frames_dropped,
              "reconnects": stats.reconnects, "size": list(frame.size) if frame else None, "objects": objects}
    sees = ", ".join(f"{n} {label}" for label, n in sorted(objects.items())) or "nothing"
    _say(out, as_json, record, f"{stats.camera_id}: {stats.state.value}, frame {stats.frames_read}, "
         f"{stats.fps_in:.1f} fps in, {stats.frames_dropped} dropped; sees {sees}")


def _objects(seen: FrameAnalysis | None) -> dict[str, int]:
    """Tracked objects by class in the latest detected frame."""
    if seen is None:
        return {}
    names = [t.label for t in seen.changed if t.state in (TrackState.NEW, TrackState.UPDATED)]
    return dict(Counter(names))


def _alert(update: EventUpdate, as_json: bool, out: TextIO) -> None:
    if update.kind == "updated":
        return
    e = update.event
    record = {"event": f"alert_{update.kind}", "rule": e.rule, "camera": e.camera_id, "track_id": e.track_id,
              "label": e.label, "severity": e.severity, "reasons": e.reasons}
    verb = "ALERT" if update.kind == "started" else "alert ended"
    _say(out, as_json, record, f"{verb} [{e.severity}] {e.rule} on {e.camera_id}: {e.label} #{e.track_id}"
         + (f" ({'; '.join(e.reasons)})" if update.kind == "started" else ""))


def _status_record(status: SourceStatus) -> dict:
    return {"event": "status", "camera": status.camera_id, "state": status.state.value, "reason": status.reason}


def _say(out: TextIO, as_json: bool, record: dict, text: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    out.write((json.dumps({"time": time.time(), **record}) if as_json else f"[{stamp}] {text}") + "\n")
    out.flush()


def _stop_on_sigterm(stop: threading.Event) -> None:
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
