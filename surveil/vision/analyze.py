"""``surveil analyze``: the seeing stage over one video file, headless, with tracks as JSON lines."""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from surveil.capture.opener import open_capture, stream_info
from surveil.config.vision import MotionConfig
from surveil.sources import SourceKind, SourceSpec
from surveil.vision.detector import Detector
from surveil.vision.flow import heading_deg
from surveil.vision.pipeline import Analyzer, CameraPipeline
from surveil.vision.tracks import Track

MIN_HITS = 3  # a track seen fewer times is a flicker of the detector, not an object


@dataclass
class AnalysisSummary:
    """What ``surveil analyze`` prints at the end."""

    video: str
    frames_read: int = 0
    frames_detected: int = 0
    frames_failed: int = 0
    tentative_tracks: int = 0
    tracks_by_class: Counter = field(default_factory=Counter)
    stage_ms_total: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    wall_s: float = 0.0

    @property
    def frames_skipped(self) -> int:
        """Frames the motion gate kept away from the detector."""
        return self.frames_read - self.frames_detected - self.frames_failed

    def stage_ms_per_frame(self) -> dict[str, float]:
        """Each stage's time spread over every frame read (what it costs the stream)."""
        n = max(1, self.frames_read)
        return {stage: total / n for stage, total in self.stage_ms_total.items()}

    def to_dict(self) -> dict:
        """JSON-ready."""
        return {"video": self.video, "frames_read": self.frames_read, "frames_detected": self.frames_detected,
                "frames_skipped_by_gate": self.frames_skipped, "frames_failed": self.frames_failed,
                "tentative_tracks_dropped": self.tentative_tracks,
                "tracks_by_class": dict(self.tracks_by_class),
                "ms_per_frame": {k: round(v, 2) for k, v in self.stage_ms_per_frame().items()},
                "wall_s": round(self.wall_s, 2),
                "fps": round(self.frames_read / self.wall_s, 1) if self.wall_s else None}


def track_fields(track: Track, time_offset: float = 0.0) -> dict:
    """A finished track's measurements, named as ObjectRecord names them, rounded once for every writer.

    ``time_offset`` is added to every time: 0 keeps video time (``surveil analyze``), the
    engine passes wall minus monotonic time to store wall times.
    """
    return {"camera_id": track.camera_id, "track_id": track.track_id, "label": track.label,
            "start": round(track.first_t + time_offset, 3), "end": round(track.last_t + time_offset, 3),
            "hits": track.hits, "max_confidence": round(track.max_confidence, 3),
            "mean_speed_bh_s": round(track.mean_speed_bh_s, 3), "max_stationary_s": round(track.max_stationary_s, 2),
            "boxes": [[round(t + time_offset, 3), *(round(float(v), 1) for v in box)] for t, box in track.boxes]}


def track_record(track: Track) -> dict:
    """One finished track as a JSON-ready dict: the stored object's fields under the keys analyze has always used."""
    f = track_fields(track)
    return {"camera": f["camera_id"], "track_id": f["track_id"], "label": f["label"],
            "first_s": f["start"], "last_s": f["end"], "duration_s": round(track.duration_s, 3), "hits": f["hits"],
            "max_confidence": f["max_confidence"], "mean_speed_bh_s": f["mean_speed_bh_s"],
            "last_heading_deg": round(heading_deg(track.vx, track.vy), 1) if track.speed_px_s > 0 else None,
            "max_stationary_s": f["max_stationary_s"], "boxes": f["boxes"]}


def video_frames(path: Path, max_frames: int | None = None, decode_ms: dict | None = None):
    """Yield (seq, video time in s, image) from a file; decode time adds up in ``decode_ms['decode']``.

    Times are video times (frame number / fps), so rate limits and durations mean the
    same as they would live, however fast the file is read.
    """
    cap = open_capture(SourceSpec(SourceKind.FILE, str(path)), 10.0, 10.0)
    fps = stream_info(cap).fps or 25.0
    try:
        seq = 0
        while max_frames is None or seq < max_frames:
            tick = time.perf_counter()
            ok, image = cap.read()
            if not ok:
                return
            if decode_ms is not None:
                decode_ms["decode"] += (time.perf_counter() - tick) * 1e3
            yield seq, seq / fps, image
            seq += 1
    finally:
        cap.release()


def analyze_video(path: Path, detector: Detector, motion: MotionConfig, out: TextIO | None,
                  progress=None, max_frames: int | None = None, appearance=None) -> AnalysisSummary:
    """Run gate, flow, detection and tracking over ``path``; write each finished track to ``out``.

    ``appearance``: the encoder the tracker weighs looks with, as a live camera's has; None: boxes alone.
    """
    pipeline = CameraPipeline(path.stem, motion, detector.names, appearance=appearance)
    analyzer = Analyzer(detector, {path.stem: pipeline})
    summary = AnalysisSummary(str(path))
    started = time.perf_counter()
    for seq, t, image in video_frames(path, max_frames, summary.stage_ms_total):
        _account(summary, analyzer.analyze([(path.stem, image, seq, t)])[0], out)
        if progress is not None:
            progress.update(1)
    for track in pipeline.close():
        _write_track(summary, track, out)
    summary.wall_s = time.perf_counter() - started
    return summary


def _account(summary: AnalysisSummary, result, out: TextIO | None) -> None:
    summary.frames_read += 1
    if result.error:
        summary.frames_failed += 1
    elif result.detected:
        summary.frames_detected += 1
    for stage, ms in result.timings_ms.items():
        summary.stage_ms_total[stage] += ms
    for track in result.changed:
        if track.state.value == "ended":
            _write_track(summary, track, out)


def _write_track(summary: AnalysisSummary, track: Track, out: TextIO | None) -> None:
    if track.hits < MIN_HITS:
        summary.tentative_tracks += 1
        return
    summary.tracks_by_class[track.label] += 1
    if out is not None:
        out.write(json.dumps(track_record(track)) + "\n")
