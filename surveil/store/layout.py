"""Column families, key formats and the schema version of the store.

Keys sort by time: record ids start with 13 digits of milliseconds since the epoch, so
a time range is a key range and "newest first" is a reverse scan.
"""

from __future__ import annotations

SCHEMA_VERSION = 3  # 2: recording segments; 3: appearance vectors
MARKER = b"surveil-event-store"

META, EVENTS, OBJECTS, INDEX, EMBEDDINGS, THUMBNAILS, STATE, AUDIT, SEGMENTS, APPEARANCE = (
    "meta", "events", "objects", "index", "embeddings", "thumbnails", "state", "audit", "segments", "appearance")
FAMILIES = (META, EVENTS, OBJECTS, INDEX, EMBEDDINGS, THUMBNAILS, STATE, AUDIT, SEGMENTS, APPEARANCE)
TAG_END = b"\x00"  # an appearance value is the model tag, this byte, then the float16 vector

SEP = "\x1f"  # unit separator: cannot appear in camera ids, and sorts before printable text


def ms_key(ms: int) -> str:
    """Milliseconds as a fixed-width, sortable string."""
    return f"{max(0, int(ms)):013d}"


def index_key(kind: str, field: str, value: str, record_id: str) -> bytes:
    """``e|camera|gate|<id>``: one entry per indexed field, ordered by time within the value."""
    return SEP.join((kind, field, value, record_id)).encode()


def index_prefix(kind: str, field: str, value: str) -> bytes:
    """The prefix of every index key of one value."""
    return (SEP.join((kind, field, value)) + SEP).encode()


def audit_key(seq: int) -> bytes:
    """Audit entries in order of writing."""
    return f"{seq:020d}".encode()


def record_ms(record_id: str) -> int:
    """The time part of a record id."""
    return int(record_id[:13])


def segment_key(camera_id: str, start: float, kind: str = "s") -> str:
    """``<camera>␟<start ms>␟s`` (a segment) or ``…␟g`` (a gap): one camera's recording is a key range in time order."""
    return SEP.join((camera_id, ms_key(round(start * 1000)), kind))


def segment_prefix(camera_id: str) -> bytes:
    """The prefix of every segment and gap key of one camera."""
    return (camera_id + SEP).encode()
