"""Camera capture: sources, stamped frames, latest-frame mailboxes, reconnection, probing."""

from surveil.capture.backoff import Backoff
from surveil.capture.camera import CameraSource, CaptureStats
from surveil.capture.frame import Frame, FrameMailbox
from surveil.capture.opener import SourceOpenError
from surveil.capture.probe import ProbeResult, probe
from surveil.capture.spec import SourceKind, SourceSpec, SourceSpecError, parse_source
from surveil.capture.status import SourceState, SourceStatus

__all__ = [
    "Backoff",
    "CameraSource",
    "CaptureStats",
    "Frame",
    "FrameMailbox",
    "ProbeResult",
    "SourceKind",
    "SourceOpenError",
    "SourceSpec",
    "SourceSpecError",
    "SourceState",
    "SourceStatus",
    "parse_source",
    "probe",
]
