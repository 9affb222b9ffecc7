"""`run --json` under load: notices from several engine threads, and every line is one whole JSON object."""

import json

from test_engine import _config
from test_vision_synthetic import PatchDetector
from videos import write_video

from surveil.cli.monitor import Printer, run_engine
from surveil.engine.engine import Engine
from surveil.paths import app_paths


def test_every_json_line_parses_with_four_cameras_and_many_alerts(tmp_path):
    cameras = []
    for i in range(4):
        clip = write_video(tmp_path / f"cam{i}.avi", count=100, fps=20, size=(160, 120), step=1)
        cameras.append({"id": f"cam{i}", "source": str(clip), "loop": True})
    engine = Engine(_config(tmp_path, cameras), app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP")
    out_path = tmp_path / "run.jsonl"
    with open(out_path, "w") as out:
        # stats every 50 ms from this thread, on top of alerts, clips and status from the engine's threads
        assert run_engine(engine, Printer(out, as_json=True), "run", seconds=10, stats_every=0.05) == 0
    lines = out_path.read_text().splitlines()
    parsed = [json.loads(line) for line in lines]  # raises on two objects merged on one line
    assert all(set(p) == {"time", "kind", "message", "camera", "event", "detail"} for p in parsed)
    kinds = [p["kind"] for p in parsed]
    assert kinds.count("alert_started") >= 4
    assert {p["camera"] for p in parsed if p["kind"] == "alert_started"} == {f"cam{i}" for i in range(4)}
    assert kinds.count("stats") > 100
    assert kinds[-1] == "stopped"
