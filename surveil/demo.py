"""The demo: the bundled walkway clip as a camera, the default rules, the engine, a fresh data folder.

Headless until the GUI issue makes ``surveil demo`` open the window: it prints what the
engine sees and raises, once a second and as it happens.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import threading
import time
from pathlib import Path
from typing import TextIO

from surveil.config import SurveilConfig, load_config, save_config
from surveil.engine.alerts import EngineNotice
from surveil.engine.engine import Engine
from surveil.paths import AppPaths
from surveil.resources import DEMO_CONFIG, resource_path

logger = logging.getLogger(__name__)


def prepare_demo(paths: AppPaths) -> tuple[SurveilConfig, Path]:
    """Load the bundled demo config and save it into a fresh ``data/demo`` folder with its store."""
    config = load_config(resource_path(DEMO_CONFIG))
    demo_dir = paths.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)  # only ever our own demo folder: the demo starts fresh each time
    demo_dir.mkdir(parents=True)
    config.storage.path = demo_dir / "store"
    config.recording.clips_dir = demo_dir / "clips"
    config.recording.folder = demo_dir / "recordings"
    save_config(config, demo_dir / "config.yaml")
    return config, demo_dir


def run_demo(paths: AppPaths, seconds: float | None, as_json: bool, out: TextIO) -> int:
    """Run the engine on the demo until ``seconds`` pass or a signal; one status line a second."""
    config, demo_dir = prepare_demo(paths)
    _say(out, as_json, {"event": "start", "demo_dir": str(demo_dir), "cameras": [c.id for c in config.cameras]},
         f"surveil demo: data in {demo_dir}; cameras: {', '.join(c.display_name for c in config.cameras)}")
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    engine = Engine(config, paths)
    engine.listeners.append(lambda notice: _notice(notice, as_json, out))
    engine.start()
    try:
        _report_until(engine, stop, seconds, as_json, out)
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
    _say(out, as_json, {"event": "stop", "demo_dir": str(demo_dir)},
         f"surveil demo: stopped; review with `surveil events --config {demo_dir / 'config.yaml'}`")
    return 0


def _report_until(engine: Engine, stop: threading.Event, seconds: float | None, as_json: bool, out: TextIO) -> None:
    deadline = None if seconds is None else time.monotonic() + seconds
    while not stop.wait(1.0):
        for camera_id, health in engine.health()["cameras"].items():
            pipeline = engine.loop.analyzer.pipelines.get(camera_id)
            objects = _objects(pipeline)
            record = {"event": "stats", "camera": camera_id, **health, "objects": objects}
            sees = ", ".join(f"{n} {label}" for label, n in sorted(objects.items())) or "nothing"
            _say(out, as_json, record, f"{camera_id}: {health['state']}, frame {health['frames_read']}, "
                 f"{health['fps_in']:.1f} fps in, {health['fps_analysed']:.1f} analysed, "
                 f"{health['dropped']} dropped; sees {sees}")
        if deadline is not None and time.monotonic() >= deadline:
            return


def _objects(pipeline) -> dict[str, int]:
    """Tracked objects in view, by class."""
    counts: dict[str, int] = {}
    for track in list(pipeline.tracker.tracks.values()) if pipeline else []:
        if track.state.value in ("new", "updated"):
            counts[track.label] = counts.get(track.label, 0) + 1
    return counts


def _notice(notice: EngineNotice, as_json: bool, out: TextIO) -> None:
    record = {"event": notice.kind, "camera": notice.camera_id, "message": notice.message}
    if notice.record is not None:
        record.update(rule=notice.record.rule, label=notice.record.label, event_id=notice.record.event_id,
                      severity=notice.record.severity, reasons=notice.record.reasons)
    text = notice.message
    if notice.kind == "alert_started" and notice.record is not None:
        text = f"ALERT {notice.message} ({'; '.join(notice.record.reasons)})"
    _say(out, as_json, record, text)


def _say(out: TextIO, as_json: bool, record: dict, text: str) -> None:
    stamp = time.strftime("%H:%M:%S")
    out.write((json.dumps({"time": time.time(), **record}) if as_json else f"[{stamp}] {text}") + "\n")
    out.flush()
