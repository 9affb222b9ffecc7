"""Column families, key formats and the schema version of the store.

Keys sort by time: record ids start with 13 digits of milliseconds since the epoch, so
a time range is a key range and "newest first" is a reverse scan.
"""

from __future__ import annotations

SCHEMA_VERSION = 1
MARKER = b"surveil-event-store"

META, EVENTS, OBJECTS, INDEX, EMBEDDINGS, THUMBNAILS, STATE, AUDIT = (
    "meta", "events", "objects", "index", "embeddings", "thumbnails", "state", "audit")
FAMILIES = (META, EVENTS, OBJECTS, INDEX, EMBEDDINGS, THUMBNAILS, STATE, AUDIT)

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
