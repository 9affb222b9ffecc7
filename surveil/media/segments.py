"""Segment files of one camera: its own packets remuxed into MPEG-TS, or its frames encoded to H.264.

MPEG-TS survives a kill: every packet written so far stays playable, with no index to
finish. A segment starts at a keyframe, so each one plays on its own; its timestamps
start at zero, and its index record holds the wall time of that zero.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from surveil.capture.demux import Packet, StreamTemplate, add_copy_stream
from surveil.capture.frame import Frame
from surveil.hashing import file_sha256

logger = logging.getLogger(__name__)

SUFFIX = ".ts"
ENCODE_RATE = 10  # frames/s the encoder assumes; real times come from the frames' stamps
_ENCODE_TB = Fraction(1, 1000)


class RecordingError(Exception):
    """A segment could not be written (a full disk, a vanished folder); the message says where.

    ``segment`` is what was closed on the way (playable up to the failure), to index like any other.
    """

    def __init__(self, message: str, segment: ClosedSegment | None = None):
        super().__init__(message)
        self.segment = segment


@dataclass(frozen=True)
class ClosedSegment:
    """A finished segment file, ready to be indexed."""

    camera_id: str
    path: Path
    start: float  # wall time of timestamp zero
    end: float
    bytes: int
    sha256: str
    codec: str
    packets: int
    encoded: bool  # True when surveil encoded it (a source without packets worth keeping)


def segment_path(folder: Path, camera_id: str, start_wall: float) -> Path:
    """``<folder>/<camera>/<YYYY-MM-DD>/<start ms>.ts``: the start time is in the name, for recovery."""
    day = dt.datetime.fromtimestamp(start_wall, dt.UTC).strftime("%Y-%m-%d")
    return folder / camera_id / day / f"{round(start_wall * 1000):013d}{SUFFIX}"  # as in its index key


class _Open:
    """The segment being written."""

    def __init__(self, path: Path, start: float, codec: str, encoded: bool):
        self.path, self.start, self.end, self.codec, self.encoded = path, start, start, codec, encoded
        self.packets = 0
        self.container = None
        self.stream = None
        self.last_dts: int | None = None


class SegmentWriter:
    """Writes one camera's segments; used only on the recorder thread."""

    def __init__(self, camera_id: str, folder: Path, segment_s: float):
        self.camera_id, self.folder, self.segment_s = camera_id, folder, segment_s
        self._template: StreamTemplate | None = None
        self._seg: _Open | None = None
        self._base = 0  # dts of the segment's first packet, in the stream's time base

    @property
    def open_start(self) -> float | None:
        """Wall start of the segment being written, or None."""
        return self._seg.start if self._seg else None

    def begin(self, template: StreamTemplate | None) -> ClosedSegment | None:
        """A new run of the stream: close what is open; the next keyframe (or frame) opens a segment."""
        closed = self.close()
        self._template = template
        return closed

    def write_packet(self, packet: Packet) -> ClosedSegment | None:
        """Remux one packet; returns the segment it closed, if any. Waits for a keyframe to start."""
        closed = None
        if self._seg is not None and packet.keyframe and packet.t_wall - self._seg.start >= self.segment_s:
            closed = self.close()
        if self._seg is None:
            if not packet.keyframe or self._template is None:
                return closed
            self._open_remux(packet)
        self._mux(packet)
        return closed

    def write_frame(self, frame: Frame) -> ClosedSegment | None:
        """Encode one frame (a source without packets); a new segment starts every ``segment_s``."""
        closed = None
        if self._seg is not None and frame.t_wall - self._seg.start >= self.segment_s:
            closed = self.close()
        if self._seg is None:
            self._open_encode(frame)
        seg = self._seg
        image = av.VideoFrame.from_ndarray(frame.image, format="bgr24")
        image.pts = max(int(round((frame.t_wall - seg.start) * 1000)), (seg.last_dts or -1) + 1)
        image.time_base = _ENCODE_TB
        seg.last_dts = image.pts
        self._guard(lambda: [seg.container.mux(p) for p in seg.stream.encode(image)])
        seg.packets += 1
        seg.end = max(seg.end, frame.t_wall)
        return closed

    def close(self) -> ClosedSegment | None:
        """Finish the open segment: flush, close, hash. None when nothing was open."""
        seg, self._seg = self._seg, None
        if seg is None:
            return None
        error = None
        try:  # the muxer buffers: a full disk often shows only here
            if seg.container is not None:
                if seg.encoded:
                    seg.container.mux(seg.stream.encode(None))
                seg.container.close()
        except (av.error.FFmpegError, OSError) as exc:
            error = f"recording {self.camera_id} to {seg.path} failed: {getattr(exc, 'strerror', None) or exc}"
        closed = None
        if seg.path.exists() and seg.packets and seg.path.stat().st_size:
            closed = ClosedSegment(self.camera_id, seg.path, seg.start, seg.end, seg.path.stat().st_size,
                                   file_sha256(seg.path), seg.codec, seg.packets, seg.encoded)
        else:
            seg.path.unlink(missing_ok=True)
        if error:
            raise RecordingError(error, closed)
        return closed

    # -- internals ---------------------------------------------------------------------------

    def _create(self, start: float, codec: str, encoded: bool) -> _Open:
        path = segment_path(self.folder, self.camera_id, start)
        while path.exists():  # two runs in one millisecond (a reconnect): never overwrite evidence
            start += 0.001
            path = segment_path(self.folder, self.camera_id, start)
        seg = _Open(path, start, codec, encoded)

        def open_container():
            path.parent.mkdir(parents=True, exist_ok=True)
            seg.container = av.open(str(path), "w", format="mpegts")

        self._seg = seg  # so that a failure to open is closed (and removed) like any other
        self._guard(open_container)
        return seg

    def _open_remux(self, packet: Packet) -> None:
        template = self._template
        seg = self._create(packet.t_wall, template.codec, encoded=False)
        seg.stream = add_copy_stream(seg.container, template)
        self._base = packet.dts if packet.dts is not None else (packet.pts or 0)
        self._seg = seg

    def _open_encode(self, frame: Frame) -> None:
        seg = self._create(frame.t_wall, "h264", encoded=True)
        stream = seg.container.add_stream("libx264", rate=ENCODE_RATE)
        stream.width, stream.height = frame.size
        stream.pix_fmt = "yuv420p"
        stream.time_base = _ENCODE_TB
        stream.codec_context.time_base = _ENCODE_TB
        # ultrafast: recording must cost little; one keyframe per segment start is enough to cut.
        stream.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "26"}
        stream.codec_context.thread_count = 1
        seg.stream = stream
        self._seg = seg

    def _mux(self, packet: Packet) -> None:
        seg = self._seg
        out = av.Packet(packet.data)
        dts = packet.dts if packet.dts is not None else packet.pts
        if dts is not None:
            dts -= self._base
            if seg.last_dts is not None and dts <= seg.last_dts:  # muxers refuse dts that do not increase
                dts = seg.last_dts + 1
            out.dts = dts
            out.pts = max(dts, packet.pts - self._base) if packet.pts is not None else dts
            seg.last_dts = dts
        out.duration, out.is_keyframe, out.time_base = packet.duration, packet.keyframe, packet.time_base
        out.stream = seg.stream
        self._guard(lambda: seg.container.mux(out))
        seg.packets += 1
        seg.end = max(seg.end, packet.t_wall + float(packet.duration * packet.time_base))

    def _guard(self, action) -> None:
        """Run a write; a failure raises RecordingError (the caller closes the segment: playable up to here)."""
        try:
            action()
        except (av.error.FFmpegError, OSError) as exc:
            where = self._seg.path if self._seg else self.folder
            raise RecordingError(f"recording {self.camera_id} to {where} failed: "
                                 f"{getattr(exc, 'strerror', None) or exc}") from None
