"""Files read as fast as analysis goes: the same events as live, and `surveil index` for archived footage."""

import datetime as dt
import re
import subprocess
import sys
import time

import pytest

from surveil.config import DetectorConfig, SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.store.store import EventStore
from surveil.vision.detector import YoloDetector

pytestmark = [pytest.mark.media, pytest.mark.slow]


def _events_of(clip, realtime, root, detector) -> tuple[list, int]:
    config = SurveilConfig.model_validate({
        "cameras": [{"id": "shop", "source": str(clip), "realtime": realtime}],
        "storage": {"path": str(root / "store")},
        "recording": {"folder": str(root / "rec"), "clips_dir": str(root / "clips")},
        "rules": [{"name": "someone", "classes": ["person"], "min_duration_s": 1, "cooldown_s": 5}]})
    engine = Engine(config, app_paths(), detector=detector, clip_reason="test")
    started = []
    engine.listeners.append(lambda n: started.append(n.record) if n.kind == "alert_started" else None)
    engine.start()
    source = engine.loop.sources["shop"]
    try:
        while not (source.status.state.final and source.mailbox.peek() is None):
            time.sleep(0.05)
    finally:
        engine.stop()
    first = source.first_wall
    return [round(r.start - first, 1) for r in started], source.mailbox.drops


def test_an_unpaced_file_gives_the_same_events_as_playing_it_at_its_own_speed(tmp_path, assets):
    clip = assets / "media" / "lobby_cctv_640x360.mp4"
    detector = YoloDetector(DetectorConfig(weights=str(assets / "models" / "yolo11n.pt"), classes=["person"]),
                            tmp_path / "cache")
    live, _ = _events_of(clip, True, tmp_path / "live", detector)
    fast, drops = _events_of(clip, False, tmp_path / "fast", detector)
    assert drops == 0, "an unpaced file is never dropped"
    # Measured: someone is in the lobby throughout, so an alert every 5 s (the cooldown) from 1 s.
    assert fast == [1.0, 6.0, 11.0, 16.0, 21.0]
    assert len(live) == len(fast), (live, fast)
    # Stamped by the file's own clock: each alert at the same moment of the clip.
    assert all(abs(a - b) <= 0.5 for a, b in zip(live, fast, strict=True)), (live, fast)


CONFIG = """
models: {{detector: {{weights: {models}/yolo11n.pt, runtime: torch, classes: [person]}}}}
storage: {{path: {root}/store}}
recording: {{folder: {root}/recordings, clips_dir: {root}/clips}}
rules: [{{name: someone, classes: [person], cooldown_s: 5}}]
"""


def test_index_stores_a_clips_tracked_objects_events_and_recording_at_its_own_time(tmp_path, assets):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(CONFIG.format(models=assets / "models", root=tmp_path))
    clip = assets / "media" / "lobby_cctv_640x360.mp4"
    done = subprocess.run([sys.executable, "-m", "surveil", "index", str(clip), "--camera", "lobby",
                           "--start", "2026-01-02T10:00:00Z", "--config", str(cfg)],
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    found = re.search(r"641 frames .* stored (\d+) tracked objects, (\d+) events, (\d+) recording segments",
                      done.stdout)
    assert found, done.stdout
    objects, events, segments = map(int, found.groups())
    # Measured on this clip: 26 objects with boxes alone, 23 since tracking weighs appearance (fewer broken tracks).
    # On torch (runtime: torch above): an exact count needs the same arithmetic on every CPU.
    assert (objects, events, segments) == (23, 5, 2), "measured on this clip"
    start = dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC).timestamp()
    with EventStore(tmp_path / "store", read_only=True) as store:
        recorded = list(store.segments("lobby"))
        stored = [r for r in store.objects() if r.camera_id == "lobby"]
    assert len(stored) == objects and all(start <= o.start <= o.end <= start + 21.5 for o in stored)
    assert recorded[0].start == pytest.approx(start, abs=0.1)
    assert recorded[-1].end == pytest.approx(start + 21.4, abs=0.2)
    listing = subprocess.run([sys.executable, "-m", "surveil", "events", "--config", str(cfg), "--camera", "lobby",
                              "--since", "2026-01-02T10:00:00Z", "--until", "2026-01-02T10:01:00Z"],
                             capture_output=True, text=True, timeout=60)
    assert listing.stdout.count("2026-01-02T10:00:") == events, listing.stdout
