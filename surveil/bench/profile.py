"""Where the CPU goes in a running engine: per thread group and per analysis stage, against decode alone.

Python threads are named (``capture-cam3``, ``analysis``, ``recorder``…) and psutil reads each
one's CPU time from the kernel; threads that libraries start for themselves (OpenVINO,
OpenCV, torch, FFmpeg) carry no Python name and are read together as ``library pools``.
Stage times (gate, flow, detect, track) are wall time inside the analysis thread, summed.
The decode-only floor decodes the same clips the same way capture does (PyAV, one thread
per decoder), every frame, nothing else, in the same run.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import av
import psutil

GROUPS = ("capture", "analysis", "detection", "recorder", "store-writer", "library pools", "other")


def group_of(name: str | None) -> str:
    """The group a thread counts in: its Python name without the camera, or ``library pools``."""
    if name is None:
        return "library pools"
    base = next((g for g in ("capture", "detection") if name.startswith(g)), name)
    return base if base in GROUPS else "other"


def thread_cpu() -> dict[str, float]:
    """CPU seconds used so far, per thread group (threads that ended are not counted)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out = dict.fromkeys(GROUPS, 0.0)
    for thread in psutil.Process().threads():
        out[group_of(names.get(thread.id))] += thread.user_time + thread.system_time
    return out


def per_camera_second(before: dict[str, float], after: dict[str, float], seconds: float, cameras: int,
                      scale: float = 1e3) -> dict[str, float]:
    """Differences of running totals as ms per camera-second (``scale`` turns seconds into ms)."""
    return {k: (after.get(k, 0.0) - before.get(k, 0.0)) * scale / seconds / cameras for k in after}


def decode_floor(clips: list[Path], seconds: float = 10.0, bgr: bool = False, skip: str = "DEFAULT") -> float:
    """CPU ms per second of footage to decode each clip (one decoder thread), optionally to BGR arrays.

    ``skip`` is FFmpeg's skip_frame: NONREF drops frames no other frame refers to (B-frames),
    NONKEY decodes keyframes alone (what watching an idle camera on keyframes would cost).
    """
    cpu, footage = 0.0, 0.0
    for clip in clips:
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.thread_type, stream.codec_context.thread_count = "SLICE", 1
            stream.codec_context.skip_frame = skip
            rate = float(stream.average_rate or 25)
            start, packets = time.thread_time(), 0
            for packet in container.demux(stream):
                for frame in packet.decode():
                    if bgr:
                        frame.to_ndarray(format="bgr24")
                packets += bool(packet.size)
                if packets >= seconds * rate:
                    break
            cpu += time.thread_time() - start
            footage += packets / rate
    return cpu * 1e3 / max(footage, 1e-9)


def skip_line(clips: list[Path]) -> str:
    """What decoding less would save, clip by clip: all frames, reference frames only, keyframes only."""
    parts = []
    for clip in clips:
        ms = [decode_floor([clip], skip=mode) for mode in ("DEFAULT", "NONREF", "NONKEY")]
        parts.append(f"{clip.name}: every frame {ms[0]:.1f}, reference frames only {ms[1]:.1f}, "
                     f"keyframes only {ms[2]:.1f}")
    return "Decoding, CPU ms per second of footage — " + "; ".join(parts)


def table(rows: list[dict]) -> str:
    """Markdown: one row per run, CPU ms per camera-second by thread group and by stage."""
    stages = sorted({s for r in rows for s in r["stages"]})
    head = (["backend", "cameras", "decode-only floor", "decode + BGR"] + list(GROUPS) + ["all", "all ÷ floor"]
            + [f"stage: {s}" for s in stages])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        total = sum(r["threads"].values())
        cells = [r["backend"], str(r["cameras"]), f"{r['floor']:.1f}", f"{r['floor_bgr']:.1f}"]
        cells += [f"{r['threads'].get(g, 0.0):.1f}" for g in GROUPS]
        cells += [f"{total:.1f}", f"{total / r['floor']:.0f}×"]
        cells += [f"{r['stages'].get(s, 0.0):.1f}" for s in stages]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
