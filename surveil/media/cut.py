"""Evidence cut from the recording: segments remuxed into one MP4, from the keyframe before the start.

No decoding and no encoding: the clip holds the camera's own packets, so it is as good as
the recording and costs milliseconds. H.264 in MP4 with the index in front (faststart)
plays in common players and browsers.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import av

from surveil.capture.demux import StreamTemplate, add_copy_stream
from surveil.hashing import file_sha256

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SegmentRef:
    """What a cut needs of an indexed segment."""

    path: str
    start: float
    end: float


@dataclass(frozen=True)
class ClipResult:
    """Where the clip went and its hash, or why it failed."""

    path: Path | None
    sha256: str | None
    frames: int
    error: str | None = None
    start_wall: float | None = None  # wall time of the first frame
    fps: float | None = None


@dataclass
class _Out:
    path: Path
    container: object = None
    shape: tuple | None = None  # codec, width, height of what is being written
    stream: object = None
    origin: float | None = None  # wall time of the first kept keyframe
    last_dts: int = -1
    packets: int = 0
    last_wall: float = 0.0


def cut_clip(segments: Sequence[SegmentRef], start: float, end: float, dest: Path) -> ClipResult:
    """Cut ``[start, end]`` (wall times) out of ``segments`` into ``dest``; atomic (renamed when whole)."""
    chosen = sorted((s for s in segments if s.end >= start and s.start <= end), key=lambda s: s.start)
    chosen = [s for s in chosen if Path(s.path).is_file()]
    if not chosen:
        return ClipResult(None, None, 0, f"no recording covers {start:.0f}–{end:.0f}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".partial.mp4")
    out = _Out(tmp)
    try:
        for segment in chosen:
            _copy(segment, start, end, out)
        if out.container is None:
            return ClipResult(None, None, 0, "the recording holds no keyframe in that range")
        out.container.close()
        out.container = None
        digest = file_sha256(tmp)
        os.replace(tmp, dest)
    except (av.error.FFmpegError, OSError) as exc:
        if out.container is not None:
            try:
                out.container.close()
            except (av.error.FFmpegError, OSError):
                pass
        tmp.unlink(missing_ok=True)
        return ClipResult(None, None, out.packets, f"cannot cut clip {dest}: {getattr(exc, 'strerror', None) or exc}")
    span = out.last_wall - out.origin
    fps = (out.packets - 1) / span if span > 0 else None
    return ClipResult(dest, digest, out.packets, start_wall=out.origin, fps=fps)


def _copy(segment: SegmentRef, start: float, end: float, out: _Out) -> None:
    """Copy a segment's packets in range; a segment cut short by a crash or a full disk gives what it has."""
    try:
        source = av.open(segment.path)
    except av.error.FFmpegError as exc:
        logger.warning("segment %s cannot be read (%s): skipped", segment.path, exc)
        return
    with source:
        context = source.streams.video[0].codec_context
        shape = (context.name, context.width, context.height)
        if out.shape is not None and shape != out.shape:
            logger.warning("segment %s holds %s, not %s: left out of the clip", segment.path, shape, out.shape)
            return
        try:
            _copy_packets(source, segment, start, end, out)
        except av.error.InvalidDataError as exc:
            logger.warning("segment %s is damaged after some packets (%s): cut up to there", segment.path, exc)


def _copy_packets(source, segment: SegmentRef, start: float, end: float, out: _Out) -> None:
    stream = source.streams.video[0]
    tb = stream.time_base
    keep: list = []  # the current GOP, until we know whether it reaches the start
    for packet in source.demux(stream):
        if not packet.size or packet.dts is None:
            continue
        wall = segment.start + float(packet.dts * tb)
        if wall > end:
            break
        if out.origin is None:
            if packet.is_keyframe:
                keep = []
            keep.append((packet, wall))
            if wall < start:
                continue
            if not keep[0][0].is_keyframe:
                keep = []
                continue
            _begin(out, stream, keep[0][1])
            for held, held_wall in keep:
                _write(out, held, held_wall, tb)
            keep = []
            continue
        _write(out, packet, wall, tb)


def _begin(out: _Out, stream, origin: float) -> None:
    """Open the MP4 with the recording's own stream parameters; ``origin`` is its time zero."""
    out.container = av.open(str(out.path), "w", format="mp4", options={"movflags": "+faststart"})
    template = StreamTemplate.of(stream)
    out.stream = add_copy_stream(out.container, template)
    out.origin = origin
    out.shape = (template.codec, template.width, template.height)


def _write(out: _Out, packet, wall: float, tb) -> None:
    dts = int(round((wall - out.origin) / tb))
    if dts <= out.last_dts:
        dts = out.last_dts + 1
    pts = dts + (packet.pts - packet.dts if packet.pts is not None else 0)
    packet.dts, packet.pts = dts, max(pts, dts)
    packet.stream = out.stream
    out.container.mux(packet)
    out.last_dts = dts
    out.packets += 1
    out.last_wall = wall
