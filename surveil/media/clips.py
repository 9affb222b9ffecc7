"""Writing an event clip from encoded frames: MP4 that common players open, then its sha256."""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from surveil.capture.cv import cv2
from surveil.hashing import file_sha256
from surveil.media.ring import EncodedFrame

logger = logging.getLogger(__name__)

# H.264 where OpenCV's FFmpeg was built with an encoder for it; the pip wheels are not, and
# MPEG-4 Part 2 ('mp4v') in an MP4 container is what they can write and players open.
CODECS = ("avc1", "mp4v")


@dataclass(frozen=True)
class ClipResult:
    """Where the clip went and its hash, or why it failed."""

    path: Path | None
    sha256: str | None
    frames: int
    error: str | None = None
    start_wall: float | None = None  # wall time of the first frame
    fps: float | None = None


def write_clip(frames: list[EncodedFrame], path: Path) -> ClipResult:
    """Write ``frames`` to ``path`` at their measured frame rate; atomic (a temp file renamed at the end)."""
    if not frames:
        return ClipResult(None, None, 0, "no frames to write")
    first = cv2.imdecode(np.frombuffer(frames[0].jpeg, np.uint8), cv2.IMREAD_COLOR)
    height, width = first.shape[:2]
    span = frames[-1].t_mono - frames[0].t_mono
    fps = min(60.0, max(1.0, (len(frames) - 1) / span)) if span > 0 else 10.0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial.mp4")
    try:
        writer = _open_writer(tmp, fps, (width, height))
        for frame in frames:
            image = cv2.imdecode(np.frombuffer(frame.jpeg, np.uint8), cv2.IMREAD_COLOR)
            if image is not None and image.shape[:2] == (height, width):
                writer.write(image)
        writer.release()
        _check_written(tmp, len(frames))
        digest = file_sha256(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return ClipResult(None, None, len(frames), f"cannot write clip {path}: {exc}")
    return ClipResult(path, digest, len(frames), start_wall=frames[0].t_wall, fps=fps)


def _open_writer(path: Path, fps: float, size: tuple[int, int]):
    codec = clip_codec(str(path.parent))
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), fps, size)
    if not writer.isOpened():
        raise OSError(f"OpenCV cannot write {codec} video to {path}")
    return writer


@functools.cache
def clip_codec(folder: str) -> str:
    """The first codec of CODECS this OpenCV build writes, found once (quietly: failures log errors)."""
    logging_api = cv2.utils.logging
    level = logging_api.getLogLevel()
    logging_api.setLogLevel(logging_api.LOG_LEVEL_SILENT)
    try:
        for codec in CODECS:
            probe = Path(folder) / f".codec-probe-{os.getpid()}.mp4"
            writer = cv2.VideoWriter(str(probe), cv2.VideoWriter_fourcc(*codec), 10.0, (64, 48))
            works = writer.isOpened()
            writer.release()
            probe.unlink(missing_ok=True)
            if works:
                logger.info("event clips are written as %s", codec)
                return codec
    finally:
        logging_api.setLogLevel(level)
    return CODECS[-1]


def _check_written(path: Path, expected: int) -> None:
    """OpenCV's writer fails silently on a full disk: read the file back before trusting it."""
    cap = cv2.VideoCapture(str(path))
    count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) if cap.isOpened() else 0
    cap.release()
    if count < expected * 0.9:
        free = os.statvfs(path.parent).f_bavail * os.statvfs(path.parent).f_frsize
        reason = "the disk is full" if free < 1024 * 1024 else "the file is incomplete"
        raise OSError(f"{reason}: {count} of {expected} frames readable")
