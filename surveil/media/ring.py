"""The pre-roll ring: the last few seconds of every camera, JPEG-compressed, bounded in memory."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

from surveil.capture.cv import cv2
from surveil.capture.frame import Frame

JPEG_QUALITY = 85


@dataclass(frozen=True)
class EncodedFrame:
    """One frame as JPEG bytes with its times."""

    jpeg: bytes
    t_mono: float
    t_wall: float


def encode(frame: Frame) -> EncodedFrame | None:
    """JPEG-compress a frame (about 30 KB at 640x360, a tenth of the raw image)."""
    ok, data = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    return EncodedFrame(data.tobytes(), frame.t_mono, frame.t_wall) if ok else None


class FrameRing:
    """Keeps ``seconds`` of encoded frames, and never more than ``max_bytes``."""

    def __init__(self, seconds: float, max_bytes: int = 64 * 1024 * 1024):
        self.seconds, self.max_bytes = seconds, max_bytes
        self._frames: deque[EncodedFrame] = deque()
        self._bytes = 0
        self._lock = threading.Lock()

    def push(self, frame: EncodedFrame) -> None:
        """Add the newest frame and forget what fell out of the window."""
        with self._lock:
            self._frames.append(frame)
            self._bytes += len(frame.jpeg)
            while self._frames and (frame.t_mono - self._frames[0].t_mono > self.seconds
                                    or self._bytes > self.max_bytes):
                self._bytes -= len(self._frames.popleft().jpeg)

    def since(self, t_mono: float) -> list[EncodedFrame]:
        """Frames at or after ``t_mono``, oldest first."""
        with self._lock:
            return [f for f in self._frames if f.t_mono >= t_mono]

    @property
    def nbytes(self) -> int:
        """Memory held by the ring."""
        return self._bytes
