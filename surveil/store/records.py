"""What the store keeps: events (alerts), tracked objects and the operator's state of an event."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import asdict, dataclass, field, fields


def object_id_for(camera_id: str, track_id: int, first_seen: float) -> str:
    """A tracked object's id, known from its first sighting: events can point to it before it ends."""
    suffix = hashlib.sha1(f"{camera_id}/{track_id}/{first_seen}".encode()).hexdigest()[:8]
    return f"{int(first_seen * 1000):013d}-{suffix}"


@dataclass
class EventRecord:
    """An alert, immutable once written (operator changes live in OperatorState)."""

    event_id: str
    rule: str
    camera_id: str
    track_id: int
    label: str
    severity: str
    start: float  # Unix seconds (UTC)
    end: float | None = None
    rule_prompts: list[str] = field(default_factory=list)
    peak_probability: float | None = None
    score: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    object_id: str | None = None
    clip_path: str | None = None
    clip_sha256: str | None = None
    clip_state: str = "none"  # none, recording, written, failed
    clip_start: float | None = None  # wall time of the clip's first frame
    clip_fps: float | None = None
    stored_at: float | None = None  # when it was written: archived footage ages from here, not from its own time


@dataclass
class ObjectRecord:
    """A tracked object, stored when its track ends whether or not a rule fired."""

    object_id: str
    camera_id: str
    track_id: int
    label: str
    start: float
    end: float
    hits: int = 0
    max_confidence: float = 0.0
    mean_speed_bh_s: float = 0.0
    max_stationary_s: float = 0.0
    box: list[float] | None = None
    frame_size: list[int] | None = None
    event_ids: list[str] = field(default_factory=list)
    boxes: list[list[float]] = field(default_factory=list)  # [wall time, x1, y1, x2, y2] per detection
    stored_at: float | None = None  # when it was written (see EventRecord)


@dataclass
class SegmentRecord:
    """A closed recording segment of one camera (``kind`` "segment"), or a gap in its recording ("gap")."""

    segment_id: str  # the store key: camera, start ms, kind
    camera_id: str
    kind: str
    start: float  # wall time of the segment's timestamp zero, or when the gap began
    end: float
    path: str | None = None
    bytes: int = 0
    sha256: str | None = None
    codec: str | None = None
    packets: int = 0
    encoded: bool = False  # surveil encoded it: the source had no packets worth keeping
    reason: str | None = None  # why there is a gap
    recovered: bool = False  # found on disk after a crash and indexed on the next start
    stored_at: float | None = None  # when it was indexed (see EventRecord)


def age_from(record) -> float:
    """The time a record's age counts from: its end (or start), or when it was stored if that is later.

    Archived footage indexed today is stamped with its own, older times; retention must not
    take it for old recordings and delete it on the next pass.
    """
    own = getattr(record, "end", None) or record.start
    return max(own, getattr(record, "stored_at", None) or 0.0)


@dataclass
class OperatorState:
    """What the operator did with an event."""

    acknowledged: bool = False
    verdict: str | None = None  # None, "false_alarm", "correct"
    locked: bool = False
    notes: list[str] = field(default_factory=list)
    updated: float | None = None


def encode(record) -> bytes:
    """Canonical JSON bytes: sorted keys, so the same record always hashes the same."""
    return json.dumps(asdict(record), sort_keys=True, separators=(",", ":")).encode()


def decode(kind, data: bytes):
    """A record of dataclass ``kind`` from JSON bytes; unknown keys (from a newer schema) are ignored."""
    raw = json.loads(data)
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in raw.items() if k in names})


def event_json(record: EventRecord) -> dict:
    """The one outside form of a stored event (`run --json`, `events --json`, webhooks): UTC times in ISO too."""
    data = asdict(record)
    for name in ("start", "end"):
        value = data[name]
        data[f"{name}_utc"] = dt.datetime.fromtimestamp(value, dt.UTC).isoformat() if value is not None else None
    return data
