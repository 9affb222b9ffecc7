"""Opening a source with bounded time and a reason an operator can act on when it fails."""

from __future__ import annotations

import logging
import os
import socket
import sys
import threading
from dataclasses import dataclass

from surveil.capture.cv import cv2
from surveil.sources import SourceKind, SourceSpec

logger = logging.getLogger(__name__)

_MAX_PLAUSIBLE_FPS = 240.0


class SourceOpenError(Exception):
    """A source that did not open. ``permanent`` errors are not worth retrying (a missing file)."""

    def __init__(self, reason: str, permanent: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


@dataclass(frozen=True)
class StreamInfo:
    """What the container or stream says about itself; None where it does not say."""

    codec: str | None
    fps: float | None
    frame_count: int | None
    backend: str


def open_capture(spec: SourceSpec, open_timeout_s: float, read_timeout_s: float) -> cv2.VideoCapture:
    """Open ``spec`` and return an opened VideoCapture, or raise SourceOpenError within the timeout."""
    if spec.kind is SourceKind.FILE:
        return _open_file(str(spec.target))
    if spec.kind is SourceKind.WEBCAM:
        return _open_webcam(spec.target)
    preflight(spec, open_timeout_s)
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(read_timeout_s * 1000),
    ]
    cap = cv2.VideoCapture(str(spec.target), cv2.CAP_FFMPEG, params)
    if not cap.isOpened():
        cap.release()
        raise SourceOpenError(
            f"{spec.host}:{spec.port} accepted the connection but the stream did not open "
            "(wrong path or credentials, or a codec OpenCV cannot read)"
        )
    return cap


def stream_info(cap: cv2.VideoCapture) -> StreamInfo:
    """Read codec, frame rate and frame count from an opened capture, dropping implausible values."""
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    codec = fourcc.to_bytes(4, "little").decode("ascii", "replace").strip("\x00 ") if fourcc > 0 else None
    fps = cap.get(cv2.CAP_PROP_FPS)
    count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
    return StreamInfo(
        codec=codec or None,
        fps=fps if 0 < fps <= _MAX_PLAUSIBLE_FPS else None,
        frame_count=int(count) if 0 < count < 2**31 else None,
        backend=cap.getBackendName(),
    )


def _open_file(path: str) -> cv2.VideoCapture:
    check_file(path)
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG)
    if not cap.isOpened():
        cap.release()
        raise SourceOpenError(f"not a video OpenCV can read (corrupt, truncated or unknown format): {path}",
                              permanent=True)
    return cap


def check_file(path: str) -> None:
    """Raise a permanent SourceOpenError for a path that cannot be a readable video file."""
    if not os.path.exists(path):
        raise SourceOpenError(f"file not found: {path}", permanent=True)
    if os.path.isdir(path):
        raise SourceOpenError(f"is a folder, not a video file: {path}", permanent=True)
    if not os.access(path, os.R_OK):
        raise SourceOpenError(f"no permission to read {path}", permanent=True)
    if os.path.getsize(path) == 0:
        raise SourceOpenError(f"file is empty: {path}", permanent=True)


def _open_webcam(target: str | int) -> cv2.VideoCapture:
    # V4L2 directly on Linux: CAP_ANY also probes depth-camera SDKs that print errors for every index.
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    cap = cv2.VideoCapture(target, backend)
    if not cap.isOpened():
        cap.release()
        what = f"index {target}" if isinstance(target, int) else str(target)
        raise SourceOpenError(f"no webcam at {what} (unplugged, or in use by another program)")
    return cap


def preflight(spec: SourceSpec, timeout_s: float) -> None:
    """Resolve and connect to the stream's host first, to tell DNS, refusal and silence apart.

    FFmpeg would fail on each of these too, but with one generic answer; an
    operator needs to know whether to check the name, the camera or the network.
    """
    address = _resolve(spec.host or "", spec.port or 0, timeout_s)
    try:
        with socket.create_connection(address, timeout=timeout_s):
            pass
    except ConnectionRefusedError:
        raise SourceOpenError(f"connection refused by {spec.host}:{spec.port} (is the camera on that port?)") from None
    except TimeoutError:
        raise SourceOpenError(f"no answer from {spec.host}:{spec.port} within {timeout_s:g} s") from None
    except OSError as exc:
        raise SourceOpenError(f"cannot reach {spec.host}:{spec.port}: {exc.strerror or exc}") from None


class _Lookup:
    """One getaddrinfo call running in its own thread; its result once ``done`` is set."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.info: list | None = None


# At most one lookup per (host, port): a reconnect waits on the lookup still running from an
# earlier attempt instead of starting another, so a name whose DNS hangs costs one thread, not one per retry.
_lookups: dict[tuple[str, int], _Lookup] = {}
_lookups_lock = threading.Lock()


def _resolve(host: str, port: int, timeout_s: float) -> tuple[str, int]:
    """Getaddrinfo with a time limit: the C call has none, so it runs in a helper thread."""
    lookup = _lookup_for(host, port)
    if not lookup.done.wait(timeout_s):
        raise SourceOpenError(f"looking up host '{host}' took longer than {timeout_s:g} s")
    if not lookup.info:
        raise SourceOpenError(f"host name '{host}' does not resolve")
    family_addr = lookup.info[0][4]
    return family_addr[0], family_addr[1]


def _lookup_for(host: str, port: int) -> _Lookup:
    """The lookup in flight for (host, port), or a new one started in a ``resolve-HOST`` thread."""
    with _lookups_lock:
        lookup = _lookups.get((host, port))
        if lookup is None:
            lookup = _lookups[(host, port)] = _Lookup()
            threading.Thread(target=_run_lookup, args=(host, port, lookup), name=f"resolve-{host}",
                             daemon=True).start()
    return lookup


def _run_lookup(host: str, port: int, lookup: _Lookup) -> None:
    try:
        lookup.info = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError):  # ValueError: a name the IDNA codec refuses (a label over 63 characters)
        pass
    finally:
        # Forgotten before it is marked done: an attempt that arrives later starts a fresh lookup
        # (the answer may have changed), one that found it in flight reads this answer.
        with _lookups_lock:
            del _lookups[(host, port)]
        lookup.done.set()
