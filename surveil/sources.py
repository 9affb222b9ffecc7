"""What kind of source a camera's ``source`` string names.

Outside the capture package on purpose: config validates sources with it, and
config must load without OpenCV, which capture needs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from surveil.redact import mask_credentials

STREAM_SCHEMES = {"rtsp": 554, "rtsps": 322, "rtmp": 1935, "http": 80, "https": 443}


class SourceKind(enum.Enum):
    """The three kinds of source capture knows how to open."""

    FILE = "file"
    STREAM = "stream"
    WEBCAM = "webcam"


class SourceSpecError(ValueError):
    """A source string that names nothing capture can open."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed source: a file path, a stream URL (with host and port) or a webcam index."""

    kind: SourceKind
    target: str | int
    host: str | None = None
    port: int | None = None

    @property
    def masked(self) -> str:
        """The source as it may be shown: credentials hidden."""
        return mask_credentials(str(self.target))

    def __repr__(self) -> str:
        return f"SourceSpec({self.kind.value}, {self.masked!r})"


def parse_source(source: str | int) -> SourceSpec:
    """Classify ``source``: an int or digits is a webcam, a known URL scheme a stream, else a file."""
    if isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit()):
        return SourceSpec(SourceKind.WEBCAM, int(source))
    text = source.strip()
    if not text:
        raise SourceSpecError("the source is empty")
    if text.startswith("/dev/video"):
        return SourceSpec(SourceKind.WEBCAM, text)
    if "://" in text:
        return _parse_url(text)
    return SourceSpec(SourceKind.FILE, str(Path(text).expanduser()))


def _parse_url(text: str) -> SourceSpec:
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return SourceSpec(SourceKind.FILE, parts.path)
    if scheme not in STREAM_SCHEMES:
        known = ", ".join(f"{s}://" for s in STREAM_SCHEMES)
        raise SourceSpecError(f"unsupported URL scheme '{scheme}://' in {mask_credentials(text)} (use {known})")
    try:
        port = parts.port
    except ValueError:
        raise SourceSpecError(f"invalid port in {mask_credentials(text)}") from None
    if not parts.hostname:
        raise SourceSpecError(f"no host name in {mask_credentials(text)}")
    return SourceSpec(SourceKind.STREAM, text, parts.hostname, port or STREAM_SCHEMES[scheme])
