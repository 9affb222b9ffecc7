"""One open of a file or stream with PyAV: its own packets for the recorder, each frame decoded once.

OpenCV's VideoCapture hides the compressed packets, so recording would have to encode
every frame again. PyAV (FFmpeg's libraries) demuxes once: the packets go to the
recorder untouched and the same packets are decoded for analysis.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

import av
import numpy as np

from surveil.capture.opener import SourceOpenError, StreamInfo, check_file, preflight
from surveil.sources import SourceKind, SourceSpec

logger = logging.getLogger(__name__)

DECODER_THREADS = 1  # per camera: see surveil.vision.pools
REMUXABLE = ("h264", "hevc")  # what MPEG-TS segments and MP4 cuts carry as they are
_MAX_PLAUSIBLE_FPS = 240.0
av.logging.set_level(av.logging.PANIC)  # FFmpeg's own messages can echo URLs with credentials


@dataclass(frozen=True)
class StreamTemplate:
    """What a muxer needs to write a stream's packets into a new container."""

    codec: str
    width: int
    height: int
    time_base: Fraction
    rate: Fraction | None
    extradata: bytes | None = None

    @classmethod
    def of(cls, stream) -> StreamTemplate:
        """The template of an opened PyAV video stream."""
        context = stream.codec_context
        return cls(context.name, context.width, context.height, stream.time_base,
                   stream.average_rate or stream.guessed_rate, bytes(context.extradata) if context.extradata else None)


def add_copy_stream(container, template: StreamTemplate):
    """A stream in an output ``container`` that takes packets shaped like ``template`` as they are."""
    stream = container.add_stream(template.codec, rate=template.rate)
    stream.width, stream.height = template.width, template.height
    if template.extradata:
        stream.codec_context.extradata = template.extradata
    stream.time_base = template.time_base
    return stream


@dataclass(frozen=True, slots=True)
class Packet:
    """One compressed packet, copied out of FFmpeg so any thread may hold it, with its wall time."""

    camera_id: str
    data: bytes
    pts: int | None
    dts: int | None
    duration: int
    keyframe: bool
    time_base: Fraction
    t_wall: float


class AvSource:
    """An opened container and its first video stream."""

    def __init__(self, container, spec: SourceSpec):
        self.container, self.spec = container, spec
        self.stream = container.streams.video[0]
        self.stream.thread_type = "SLICE"  # frame threads add a frame of latency per thread; slices do not
        self.stream.codec_context.thread_count = DECODER_THREADS  # many cameras share few cores
        context = self.stream.codec_context
        self.template = StreamTemplate.of(self.stream)
        rate = self.template.rate
        fps = float(rate) if rate else None
        self.info = StreamInfo(codec=context.name, fps=fps if fps and 0 < fps <= _MAX_PLAUSIBLE_FPS else None,
                               frame_count=self.stream.frames or None, backend="pyav")

    @property
    def remuxable(self) -> bool:
        """True when the recorder can keep this stream's own packets."""
        return self.template.codec in REMUXABLE

    def packets(self) -> Iterator:
        """The stream's packets in file order (FFmpeg's end-of-stream flush packets skipped)."""
        for packet in self.container.demux(self.stream):
            if packet.size:
                yield packet

    def decode(self, packet) -> list:
        """Frames this packet completes (none, one, or several after a reorder)."""
        return self.stream.decode(packet)

    def flush(self) -> list:
        """Frames the decoder still holds at the end of the stream."""
        try:
            return self.stream.decode(None)
        except av.error.FFmpegError:
            return []

    def release(self) -> None:
        """Close the container."""
        self.container.close()


def bgr(frame) -> np.ndarray:
    """A decoded frame as the BGR array the vision code takes."""
    return frame.to_ndarray(format="bgr24")


def copy_packet(packet, camera_id: str, t_wall: float) -> Packet:
    """Copy a PyAV packet's bytes and stamps out of FFmpeg's buffers."""
    return Packet(camera_id, bytes(packet), packet.pts, packet.dts, packet.duration or 0, packet.is_keyframe,
                  packet.time_base, t_wall)


def open_av(spec: SourceSpec, open_timeout_s: float, read_timeout_s: float) -> AvSource:
    """Open a file or stream, or raise SourceOpenError with a reason an operator can act on."""
    if spec.kind is SourceKind.FILE:
        check_file(str(spec.target))
    else:
        preflight(spec, open_timeout_s)
    options = {"rtsp_transport": "tcp"} if str(spec.target).startswith("rtsp") else {}
    try:
        container = av.open(str(spec.target), options=options, timeout=(open_timeout_s, read_timeout_s))
    except av.error.FFmpegError as exc:
        raise _open_error(spec, exc) from None
    if not container.streams.video:
        container.close()
        raise SourceOpenError(f"no video stream in {spec.masked}", permanent=spec.kind is SourceKind.FILE)
    return AvSource(container, spec)


def _open_error(spec: SourceSpec, exc: Exception) -> SourceOpenError:
    if spec.kind is SourceKind.FILE:
        return SourceOpenError(f"not a video surveil can read (corrupt, truncated or unknown format): {spec.target}",
                               permanent=True)
    return SourceOpenError(f"{spec.host}:{spec.port} accepted the connection but the stream did not open "
                           f"(wrong path or credentials, or an unknown format): {getattr(exc, 'strerror', '') or ''}"
                           .rstrip(": "))

