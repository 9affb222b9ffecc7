"""``surveil probe``: open a source once and say what it is, or why it does not open."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from surveil.capture.opener import SourceOpenError, open_capture, stream_info
from surveil.redact import mask_credentials
from surveil.sources import SourceKind, SourceSpecError, parse_source


@dataclass
class ProbeResult:
    """What a source reports about itself. ``error`` is set exactly when ``opened`` is False."""

    source: str
    kind: str | None
    opened: bool
    codec: str | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    frame_count: int | None = None
    duration_s: float | None = None
    backend: str | None = None
    decoded_frames: int | None = None
    probe_s: float | None = None
    error: str | None = None
    warning: str | None = None

    def to_dict(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)


def probe(source: str, timeout_s: float = 10.0, decode_all: bool = False) -> ProbeResult:
    """Open ``source``, decode one frame (or every frame of a file) and report; never raises.

    ``decode_all`` reads a file to its end, which finds truncation that the
    container's header hides (the header still declares the full length).
    """
    started = time.monotonic()
    masked = mask_credentials(str(source))
    try:
        spec = parse_source(source)
    except SourceSpecError as exc:
        return ProbeResult(masked, None, False, error=str(exc))
    result = ProbeResult(masked, spec.kind.value, False)
    try:
        cap = open_capture(spec, timeout_s, timeout_s)
    except SourceOpenError as exc:
        result.error = exc.reason
    else:
        try:
            _describe(cap, result)
            if decode_all and result.opened and spec.kind is SourceKind.FILE:
                _count_frames(cap, result)
        finally:
            cap.release()
    result.probe_s = round(time.monotonic() - started, 3)
    return result


def _describe(cap, result: ProbeResult) -> None:
    info = stream_info(cap)
    ok, image = cap.read()
    if not ok or image is None or image.size == 0:
        result.error = "opened, but no frame could be decoded"
        return
    result.opened = True
    result.height, result.width = int(image.shape[0]), int(image.shape[1])
    result.codec, result.fps, result.frame_count, result.backend = (
        info.codec, info.fps, info.frame_count, info.backend)
    if info.fps and info.frame_count:
        result.duration_s = round(info.frame_count / info.fps, 3)


def _count_frames(cap, result: ProbeResult) -> None:
    decoded = 1  # _describe read the first
    while cap.grab():
        decoded += 1
    result.decoded_frames = decoded
    if result.frame_count and decoded < result.frame_count * 0.95:
        result.warning = f"only {decoded} of {result.frame_count} declared frames decode: the file may be truncated"


def grab_frame(source: str, timeout_s: float = 10.0):
    """(first frame, None) from a source, or (None, the reason it gave none): for "test connection"."""
    try:
        spec = parse_source(source)
        cap = open_capture(spec, timeout_s, timeout_s)
    except (SourceSpecError, SourceOpenError) as exc:
        return None, getattr(exc, "reason", str(exc))
    try:
        ok, image = cap.read()
    finally:
        cap.release()
    if not ok or image is None or image.size == 0:
        return None, "opened, but no frame could be decoded"
    return image, None
