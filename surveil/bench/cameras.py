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
import time
from pathlib import Path

import psutil

from surveil.bench import detectors, profile
from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import app_paths

CLIPS = ("lobby_cctv_640x360.mp4", "highway_traffic_640x360.mp4")


def config_for(count: int, media: Path, root: Path) -> SurveilConfig:
    """``count`` looping real-time file cameras and one rule that fires on new people and cars."""
    cameras = [{"id": f"cam{i}", "source": str(media / CLIPS[i % len(CLIPS)]), "loop": True} for i in range(count)]
    return SurveilConfig.model_validate({
        "cameras": cameras, "storage": {"path": str(root / "store")},
        "recording": {"folder": str(root / "recordings"), "clips_dir": str(root / "clips"), "pre_roll_s": 2,
                      "post_roll_s": 1},
        "rules": [{"name": "anyone", "classes": ["person", "car"], "cooldown_s": 10, "grace_s": 1}]})


def _stage_totals(engine: Engine) -> dict[str, float]:
    totals: dict[str, float] = {}
    for health in list(engine.loop.health.values()):
        for stage, ms in health.stage_total_ms.items():
            totals[stage] = totals.get(stage, 0.0) + ms
    return totals


def measure(count: int, media: Path, detector, seconds: float, warmup: float, record: bool = True,
            profiled: bool = False) -> dict:
    """Run ``count`` cameras for ``warmup + seconds``; report the last ``seconds``."""
    root = Path(tempfile.mkdtemp(prefix="surveil-bench-cams-"))
    engine = Engine(config_for(count, media, root), app_paths(), detector=detector, clip_reason="benchmark",
                    record=record)
    process = psutil.Process()
    try:
        engine.start()
        time.sleep(warmup)
        start = {c: (h["frames_read"], h["frames_offered"], h["dropped"])
                 for c, h in engine.health()["cameras"].items()}
        analysed0 = {c: engine.loop.health[c].frames_analysed for c in start if c in engine.loop.health}
        detected0 = sum(engine.loop.health[c].detected for c in start if c in engine.loop.health)
        threads0, stages0 = profile.thread_cpu(), _stage_totals(engine)
        process.cpu_percent(None)
        time.sleep(seconds)
        cpu = process.cpu_percent(None) / psutil.cpu_count()
        threads = profile.per_camera_second(threads0, profile.thread_cpu(), seconds, count)
        stages = profile.per_camera_second(stages0, _stage_totals(engine), seconds, count, scale=1.0)
        health = engine.health()
        analysed = [(engine.loop.health[c].frames_analysed - analysed0.get(c, 0)) / seconds for c in start]
        detected = sum(engine.loop.health[c].detected for c in start) - detected0
        read = sum(h["frames_read"] - start[c][0] for c, h in health["cameras"].items())
        offered = sum(h["frames_offered"] - start[c][1] for c, h in health["cameras"].items())
        dropped = sum(h["dropped"] - start[c][2] for c, h in health["cameras"].items())
    finally:
        engine.stop()
        shutil.rmtree(root, ignore_errors=True)
    latency = health["latency_s"]
    row = {"cameras": count, "recording": record,
           "fps_in": read / seconds / count, "fps_analysed": sum(analysed) / len(analysed),
           "fps_detected": detected / seconds / count,
           "drop_share": dropped / max(1, offered), "cpu": cpu,
           "cpu_per_camera": cpu * psutil.cpu_count() / count, "recorder_cpu": threads["recorder"] / 1e3,
           "p50": latency["p50"], "p95": latency["p95"], "alerts": latency["count"]}
    return {**row, "threads": threads, "stages": stages} if profiled else row


def run(media: Path, models: Path, counts: list[int], seconds: float, warmup: float, backend: str = "all",
        record_off: bool = True, profiled: bool = False) -> list[dict]:
    """Every count with each backend asked for; recording on, and off too unless ``record_off`` is False."""
    rows = [{**measure(n, media, d, seconds, warmup, record, profiled), "backend": name}
            for name, d in detectors.load_all(models, backend) for n in counts
            for record in ((True, False) if record_off else (True,))]
    if profiled:
        clips = [media / c for c in CLIPS]
        floor, floor_bgr = profile.decode_floor(clips), profile.decode_floor(clips, bgr=True)
        for row in rows:
            row["floor"], row["floor_bgr"] = floor, floor_bgr
    return rows


def table(rows: list[dict]) -> str:
    """Markdown."""
    lines = ["| backend | cameras | recording | fps read per camera | analysed | detected | analysis drops "
             "| CPU (share of all cores) | CPU per camera (% of a core) | recorder thread per camera "
             "| alert latency p50 | p95 | alerts |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        p50 = f"{r['p50'] * 1e3:.0f} ms" if r["p50"] is not None else "-"
        p95 = f"{r['p95'] * 1e3:.0f} ms" if r["p95"] is not None else "-"
        recorder = f"{r['recorder_cpu']:.2%}" if r["recording"] else "-"
        lines.append(f"| {r['backend']} | {r['cameras']} | {'on' if r['recording'] else 'off'} "
                     f"| {r['fps_in']:.1f} | {r['fps_analysed']:.1f} | {r['fps_detected']:.1f} "
                     f"| {r['drop_share']:.1%} | {r['cpu']:.0f} % "
                     f"| {r['cpu_per_camera']:.1f} % "
                     f"| {recorder} | {p50} | {p95} | {r['alerts']} |")
    return "\n".join(lines)
