"""``surveil bench vision``: decode floor, per-stage cost and the gate's saving, per clip and backend."""

from __future__ import annotations

import platform
import time
from pathlib import Path

from surveil.bench import detectors
from surveil.capture.cv import cv2
from surveil.config import MotionConfig
from surveil.vision.analyze import analyze_video
from surveil.vision.detector import YoloDetector
from surveil.vision.flow import FlowEstimator

STAGES = ("decode", "gate", "flow", "detect", "track")


def decode_ms(path: Path, frames: int) -> float:
    """Milliseconds per frame to decode ``frames`` frames: the floor no pipeline can beat."""
    cap = cv2.VideoCapture(str(path))
    start, n = time.perf_counter(), 0
    while n < frames and cap.read()[0]:
        n += 1
    cap.release()
    return (time.perf_counter() - start) * 1e3 / max(1, n)


def flow_ms(path: Path, method: str, frames: int = 100) -> float:
    """Milliseconds per flow computation on the pipeline's 320 px grey frames."""
    cap, estimator, grays = cv2.VideoCapture(str(path)), FlowEstimator(method), []
    while len(grays) < frames and (frame := cap.read()[1]) is not None:
        small = cv2.resize(frame, (320, round(frame.shape[0] * 320 / frame.shape[1])))
        grays.append(cv2.cvtColor(small, cv2.COLOR_BGR2GRAY))
    cap.release()
    start = time.perf_counter()
    for i, gray in enumerate(grays):
        estimator.step(gray, i / 25.0, 1.0, compute=True)
    return (time.perf_counter() - start) * 1e3 / max(1, len(grays) - 1)


def bench_clip(path: Path, detector: YoloDetector, frames: int) -> dict:
    """One clip, one backend: stage times with the gate, frames/s with and without it."""
    gated = analyze_video(path, detector, MotionConfig(), None, max_frames=frames)
    ungated = analyze_video(path, detector, MotionConfig(enabled=False), None, max_frames=frames)
    per_frame = gated.stage_ms_per_frame()
    return {"clip": path.name, "frames": gated.frames_read,
            "decode_only": decode_ms(path, frames), **{s: per_frame.get(s, 0.0) for s in STAGES},
            "fps_gate": gated.frames_read / gated.wall_s, "fps_no_gate": ungated.frames_read / ungated.wall_s,
            "skipped": gated.frames_skipped / max(1, gated.frames_read)}


def run(media: Path, models: Path, frames: int) -> list[dict]:
    """Every clip in ``media`` with each detector that loads here (``bench.detectors``)."""
    clips = sorted(p for p in media.iterdir() if p.suffix in (".mp4", ".avi", ".mkv"))
    loaded = detectors.load_all(models)
    return [{**bench_clip(clip, d, frames), "backend": name} for clip in clips for name, d in loaded]


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    head = ("| clip | backend | decode only | gate | flow | detect | track | total ÷ decode | fps with gate "
            "| fps without | gate speed-up | frames skipped |\n|---|---|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        lines.append(f"| {r['clip']} | {r['backend']} | {r['decode_only']:.2f} | {r['gate']:.2f} | {r['flow']:.2f} "
                     f"| {r['detect']:.1f} | {r['track']:.2f} | {sum(r[s] for s in STAGES) / r['decode_only']:.0f}× "
                     f"| {r['fps_gate']:.0f} | {r['fps_no_gate']:.0f} "
                     f"| {r['fps_gate'] / r['fps_no_gate']:.1f}× | {r['skipped']:.0%} |")
    return "\n".join(lines)


def machine() -> str:
    """A line naming the machine the numbers come from."""
    import os

    import torch

    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, " \
           f"OpenCV {cv2.__version__}, Python {platform.python_version()}"


def flow_line(media: Path) -> str:
    """DIS against Farneback on one clip, so the choice of DIS stays measured."""
    clip = sorted(media.glob("pets*"))[0] if list(media.glob("pets*")) else sorted(media.iterdir())[0]
    dis, farneback = flow_ms(clip, "dis"), flow_ms(clip, "farneback")
    return f"optical flow at 320 px on {clip.name}: DIS {dis:.2f} ms, Farneback {farneback:.2f} ms " \
           f"({farneback / dis:.1f}× slower)"
