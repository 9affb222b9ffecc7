"""``surveil bench cameras``: how many real-time cameras this machine sustains, and what recording costs.

File cameras replay the 640x360 clips at their own frame rate, looping; detection runs
behind the motion gate at up to 5 fps per camera; a rule fires on people and cars (at
most every 10 s per camera, so clip cutting stays a realistic load) and alert latency,
from the frame that raised the alert to the event on disk, is measured under load.
Each count runs twice back to back, recording on and off, so the cost of recording is
a difference measured in one run; the recorder thread's own CPU time is read directly.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from pathlib import Path

import psutil

from surveil.config import DetectorConfig, SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.vision.detector import YoloDetector

CLIPS = ("lobby_cctv_640x360.mp4", "highway_traffic_640x360.mp4")


def config_for(count: int, media: Path, root: Path) -> SurveilConfig:
    """``count`` looping real-time file cameras and one rule that fires on new people and cars."""
    cameras = [{"id": f"cam{i}", "source": str(media / CLIPS[i % len(CLIPS)]), "loop": True} for i in range(count)]
    return SurveilConfig.model_validate({
        "cameras": cameras, "storage": {"path": str(root / "store")},
        "recording": {"folder": str(root / "recordings"), "clips_dir": str(root / "clips"), "pre_roll_s": 2,
                      "post_roll_s": 1},
        "rules": [{"name": "anyone", "classes": ["person", "car"], "cooldown_s": 10, "grace_s": 1}]})


def _thread_cpu(name: str) -> float:
    """CPU seconds used so far by the Python thread called ``name`` (0 when there is none)."""
    native = {t.native_id for t in threading.enumerate() if t.name == name}
    return sum(t.user_time + t.system_time for t in psutil.Process().threads() if t.id in native)


def measure(count: int, media: Path, detector, seconds: float, warmup: float, record: bool = True) -> dict:
    """Run ``count`` cameras for ``warmup + seconds``; report the last ``seconds``."""
    root = Path(tempfile.mkdtemp(prefix="surveil-bench-cams-"))
    engine = Engine(config_for(count, media, root), app_paths(), detector=detector, clip_reason="benchmark",
                    record=record)
    process = psutil.Process()
    try:
        engine.start()
        time.sleep(warmup)
        start = {c: (h["frames_read"], h["dropped"]) for c, h in engine.health()["cameras"].items()}
        analysed0 = {c: engine.loop.health[c].frames_analysed for c in start if c in engine.loop.health}
        process.cpu_percent(None)
        recorder0 = _thread_cpu("recorder")
        time.sleep(seconds)
        cpu = process.cpu_percent(None) / psutil.cpu_count()
        recorder_cpu = (_thread_cpu("recorder") - recorder0) / seconds / count
        health = engine.health()
        analysed = [(engine.loop.health[c].frames_analysed - analysed0.get(c, 0)) / seconds for c in start]
        read = sum(h["frames_read"] - start[c][0] for c, h in health["cameras"].items())
        dropped = sum(h["dropped"] - start[c][1] for c, h in health["cameras"].items())
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
    latency = health["latency_s"]
    return {"cameras": count, "backend": detector.backend, "recording": record,
            "fps_analysed": sum(analysed) / len(analysed), "drop_share": dropped / max(1, read), "cpu": cpu,
            "cpu_per_camera": cpu * psutil.cpu_count() / count, "recorder_cpu": recorder_cpu,
            "p50": latency["p50"], "p95": latency["p95"], "alerts": latency["count"]}


def run(media: Path, models: Path, counts: list[int], seconds: float, warmup: float) -> list[dict]:
    """Every count with each backend that loads here."""
    cache = app_paths().model_cache_dir
    detectors = [YoloDetector(DetectorConfig(weights=str(models / name)), cache)
                 for name in ("yolo11n.pt", "yolo11n_int8_openvino_model") if (models / name).exists()]
    detectors = list({d.backend: d for d in detectors}.values())
    for detector in detectors:
        detector.warmup()
    return [measure(n, media, d, seconds, warmup, record)
            for d in detectors for n in counts for record in (True, False)]


def table(rows: list[dict]) -> str:
    """Markdown."""
    lines = ["| backend | cameras | recording | analysed fps per camera | frames dropped | CPU (share of all cores) "
             "| CPU per camera (% of a core) | recorder thread per camera | alert latency p50 | p95 | alerts |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p50 = f"{r['p50'] * 1e3:.0f} ms" if r["p50"] is not None else "-"
        p95 = f"{r['p95'] * 1e3:.0f} ms" if r["p95"] is not None else "-"
        recorder = f"{r['recorder_cpu']:.2%}" if r["recording"] else "-"
        lines.append(f"| {r['backend']} | {r['cameras']} | {'on' if r['recording'] else 'off'} "
                     f"| {r['fps_analysed']:.1f} | {r['drop_share']:.0%} | {r['cpu']:.0f} % "
                     f"| {r['cpu_per_camera']:.1f} % "
                     f"| {recorder} | {p50} | {p95} | {r['alerts']} |")
    return "\n".join(lines)
