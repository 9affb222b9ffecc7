"""``surveil bench clip``: how fast CLIP embeds crops and text, and how often tracks need it.

No pretrained CLIP weights exist on the development machines, so the encoders here are
built with random weights: the arithmetic, and so the speed, is the same as with real ones.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import numpy as np

from surveil.config import DetectorConfig, MotionConfig
from surveil.rules.embed_policy import EmbedPolicy
from surveil.vision.analyze import video_frames
from surveil.vision.clip import ClipEncoder
from surveil.vision.detector import YoloDetector
from surveil.vision.pipeline import Analyzer, CameraPipeline
from surveil.vision.tracks import TrackState

MODELS = ("ViT-B-32", "ViT-S-32")  # the default, and open_clip's smallest ViT


def encoder_speed(model: str, crops: int = 32) -> dict:
    """Crops per second one at a time and in one batch; ms per text prompt."""
    logging.getLogger("root").setLevel(logging.ERROR)  # open_clip warns about random weights
    encoder = ClipEncoder.random_weights(model)
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (120, 60, 3), dtype=np.uint8) for _ in range(crops)]
    encoder.encode_images(images[:2])  # warm-up
    start = time.perf_counter()
    for image in images:
        encoder.encode_images([image])
    single = crops / (time.perf_counter() - start)
    start = time.perf_counter()
    encoder.encode_images(images)
    batched = crops / (time.perf_counter() - start)
    prompts = [f"a person doing thing number {i}" for i in range(16)]
    start = time.perf_counter()
    encoder.encode_text(prompts)
    text_ms = (time.perf_counter() - start) * 1e3 / len(prompts)
    return {"model": model, "single": single, "batched": batched, "text_ms": text_ms}


def embed_share(clip: Path, detector: YoloDetector, frames: int) -> dict:
    """Share of track updates on a real clip that the embedding policy sent to CLIP."""
    pipeline = CameraPipeline("bench", MotionConfig(), detector.names)
    analyzer, policy = Analyzer(detector, {"bench": pipeline}), EmbedPolicy()
    for seq, t, image in video_frames(clip, frames):
        for track in analyzer.analyze([("bench", image, seq, t)])[0].changed:
            if track.state in (TrackState.NEW, TrackState.UPDATED):
                policy.needs("bench", track.track_id, track.box, t)
            elif track.state is TrackState.ENDED:
                policy.forget("bench", track.track_id)
    return {"clip": clip.name, "updates": policy.asked, "embedded": policy.embedded, "share": policy.share}


def run(media: Path, models_dir: Path, frames: int, cache: Path) -> tuple[list[dict], list[dict]]:
    """Speeds per model, shares per clip."""
    speeds = [encoder_speed(model) for model in MODELS]
    detector = YoloDetector(DetectorConfig(weights=str(models_dir / "yolo11n.pt")), cache)
    clips = sorted(p for p in media.iterdir() if p.suffix in (".mp4", ".avi"))
    return speeds, [embed_share(clip, detector, frames) for clip in clips]


def tables(speeds: list[dict], shares: list[dict]) -> str:
    """Both tables in Markdown."""
    lines = ["| model | crops/s one at a time | crops/s in a batch of 32 | batch speed-up | text ms/prompt |",
             "|---|---|---|---|---|"]
    lines += [f"| {s['model']} | {s['single']:.1f} | {s['batched']:.1f} | {s['batched'] / s['single']:.1f}× "
              f"| {s['text_ms']:.1f} |" for s in speeds]
    lines += ["", "| clip | track updates | new embeddings | share |", "|---|---|---|---|"]
    lines += [f"| {s['clip']} | {s['updates']} | {s['embedded']} | {s['share']:.0%} |" for s in shares]
    return "\n".join(lines)
