"""``surveil bench cameras``: how many real-time cameras this machine sustains.

File cameras replay the 640x360 clips at their own frame rate, looping; detection runs
behind the motion gate at up to 5 fps per camera; a rule fires on people and cars (at
most every 10 s per camera, so clip writing stays a realistic load) and alert latency,
from the frame that raised the alert to the event on disk, is measured under load.
"""

from __future__ import annotations

import shutil
import tempfile
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
        "recording": {"clips_dir": str(root / "clips"), "pre_roll_s": 2, "post_roll_s": 1},
        "rules": [{"name": "anyone", "classes": ["person", "car"], "cooldown_s": 10, "grace_s": 1}]})


def measure(count: int, media: Path, detector, seconds: float, warmup: float) -> dict:
    """Run ``count`` cameras for ``warmup + seconds``; report the last ``seconds``."""
    root = Path(tempfile.mkdtemp(prefix="surveil-bench-cams-"))
    engine = Engine(config_for(count, media, root), app_paths(), detector=detector, clip_reason="benchmark")
    process = psutil.Process()
    try:
        engine.start()
        time.sleep(warmup)
        start = {c: (h["frames_read"], h["dropped"]) for c, h in engine.health()["cameras"].items()}
        analysed0 = {c: engine.loop.health[c].frames_analysed for c in start if c in engine.loop.health}
        process.cpu_percent(None)
        time.sleep(seconds)
        cpu = process.cpu_percent(None) / psutil.cpu_count()
        health = engine.health()
        analysed = [(engine.loop.health[c].frames_analysed - analysed0.get(c, 0)) / seconds for c in start]
        read = sum(h["frames_read"] - start[c][0] for c, h in health["cameras"].items())
        dropped = sum(h["dropped"] - start[c][1] for c, h in health["cameras"].items())
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
    latency = health["latency_s"]
    return {"cameras": count, "backend": detector.backend, "fps_analysed": sum(analysed) / len(analysed),
            "drop_share": dropped / max(1, read), "cpu": cpu, "p50": latency["p50"], "p95": latency["p95"],
            "alerts": latency["count"]}


def run(media: Path, models: Path, counts: list[int], seconds: float, warmup: float) -> list[dict]:
    """Every count with each backend that loads here."""
    cache = app_paths().model_cache_dir
    detectors = [YoloDetector(DetectorConfig(weights=str(models / name)), cache)
                 for name in ("yolo11n.pt", "yolo11n_int8_openvino_model") if (models / name).exists()]
    detectors = list({d.backend: d for d in detectors}.values())
    for detector in detectors:
        detector.warmup()
    return [measure(n, media, d, seconds, warmup) for d in detectors for n in counts]


def table(rows: list[dict]) -> str:
    """Markdown."""
    lines = ["| backend | cameras | analysed fps per camera | frames dropped | CPU (share of all cores) "
             "| alert latency p50 | p95 | alerts |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p50 = f"{r['p50'] * 1e3:.0f} ms" if r["p50"] is not None else "-"
        p95 = f"{r['p95'] * 1e3:.0f} ms" if r["p95"] is not None else "-"
        lines.append(f"| {r['backend']} | {r['cameras']} | {r['fps_analysed']:.1f} | {r['drop_share']:.0%} "
                     f"| {r['cpu']:.0f} % | {p50} | {p95} | {r['alerts']} |")
    return "\n".join(lines)
