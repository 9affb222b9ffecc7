"""The reading half of the event store: decoded records and typed scans, never raw column families.

Every record id starts with 13 digits of milliseconds, so an id range is a time range:
scans take ids ``lower <= id < upper`` (``ms_key`` of a time is a valid bound) and go
oldest first, or newest first with ``reverse``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np

from surveil.store.audit import AuditEntry
from surveil.store.layout import (
    APPEARANCE,
    AUDIT,
    EMBEDDINGS,
    EVENTS,
    INDEX,
    OBJECTS,
    SEGMENTS,
    SEP,
    STATE,
    TAG_END,
    THUMBNAILS,
    index_prefix,
    segment_key,
    segment_prefix,
)
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, SegmentRecord, decode

logger = logging.getLogger(__name__)

EMBEDDING_DTYPE = np.float16  # half the bytes; cosine ranking does not notice
MAX_SEGMENT_SPAN_S = 3600.0  # a segment closes at the first keyframe after recording.segment_s (at most 60 s)
RECORD_FAMILIES = {"event": EVENTS, "object": OBJECTS, "state": STATE, "segment": SEGMENTS}  # audit action: family
_PAST_PREFIX = b"\xff"  # never in UTF-8 text: prefix + this sorts after every key with that prefix


class StoreReads:
    """Mixed into EventStore, which owns ``_cf`` (name -> column family handle)."""

    _cf: dict

    # -- one record ------------------------------------------------------------------------

    def get_event(self, event_id: str) -> EventRecord | None:
        """The latest version of an event, or None."""
        data = self._cf[EVENTS].get(event_id.encode())
        return None if data is None else decode(EventRecord, data)

    def get_object(self, object_id: str) -> ObjectRecord | None:
        """A tracked object, or None."""
        data = self._cf[OBJECTS].get(object_id.encode())
        return None if data is None else decode(ObjectRecord, data)

    def get_state(self, event_id: str) -> OperatorState:
        """The operator state of an event (default: new)."""
        data = self._cf[STATE].get(event_id.encode())
        return OperatorState() if data is None else decode(OperatorState, data)

    def thumbnail(self, kind: str, record_id: str) -> bytes | None:
        """JPEG bytes of an event ('e') or object ('o') thumbnail."""
        return self._cf[THUMBNAILS].get(kind.encode() + record_id.encode())

    def embedding(self, kind: str, record_id: str) -> np.ndarray | None:
        """The stored (float16) embedding of an event ('e') or object ('o'), as float32."""
        data = self._cf[EMBEDDINGS].get(kind.encode() + record_id.encode())
        return None if data is None else np.frombuffer(data, EMBEDDING_DTYPE).astype(np.float32)

    def appearance(self, kind: str, record_id: str) -> tuple[str, np.ndarray] | None:
        """(model tag, float32 vector) of an event's ('e') or object's ('o') appearance, or None."""
        family = self._cf.get(APPEARANCE)
        data = None if family is None else family.get(kind.encode() + record_id.encode())
        return None if data is None else _tagged(data)

    def record_bytes(self, kind: str, record_id: str) -> bytes | None:
        """The stored bytes of an 'event', 'object', 'state' or 'segment' (what the audit chain hashed), or None."""
        family = self._family(RECORD_FAMILIES[kind])
        return None if family is None else family.get(record_id.encode())

    # -- scans -----------------------------------------------------------------------------

    def events(self, lower: str = "", upper: str | None = None, reverse: bool = False) -> Iterator[EventRecord]:
        """Events with ids in ``[lower, upper)``, oldest first (newest first with ``reverse``)."""
        for _, value in self._scan(EVENTS, lower, upper, reverse):
            yield decode(EventRecord, value)

    def objects(self, lower: str = "", upper: str | None = None, reverse: bool = False) -> Iterator[ObjectRecord]:
        """Tracked objects with ids in ``[lower, upper)``, oldest first (newest first with ``reverse``)."""
        for _, value in self._scan(OBJECTS, lower, upper, reverse):
            yield decode(ObjectRecord, value)

    def object_embeddings(self) -> Iterator[tuple[ObjectRecord, np.ndarray]]:
        """Every stored object that has an embedding, with it as float32, oldest first."""
        for key, value in self._scan(EMBEDDINGS, prefix=b"o"):
            record = self.get_object(key.decode())
            if record is not None:  # an embedding whose object was purged between the two reads
                yield record, np.frombuffer(value, EMBEDDING_DTYPE).astype(np.float32)

    def object_appearances(self, model_tag: str) -> Iterator[tuple[ObjectRecord, np.ndarray]]:
        """Every stored object with an appearance vector of this model, oldest first (others are another space)."""
        if APPEARANCE not in self._cf:
            return
        for key, value in self._scan(APPEARANCE, prefix=b"o"):
            tag, vector = _tagged(value)
            record = self.get_object(key.decode()) if tag == model_tag else None
            if record is not None:
                yield record, vector

    def states(self) -> Iterator[tuple[str, OperatorState]]:
        """(event id, operator state) of every event the operator touched, oldest event first."""
        for key, value in self._scan(STATE):
            yield key.decode(), decode(OperatorState, value)

    def locked_event_ids(self) -> set[str]:
        """Ids of the events the operator locked."""
        return {event_id for event_id, state in self.states() if state.locked}

    def index_ids(self, kind: str, field: str, value: str, lower: str = "", upper: str | None = None,
                  reverse: bool = False) -> Iterator[str]:
        """Ids of events ('e') or objects ('o') whose indexed ``field`` is ``value``, in ``[lower, upper)``."""
        for key, _ in self._scan(INDEX, lower, upper, reverse, prefix=index_prefix(kind, field, value)):
            yield key.decode()

    def audit_entries(self) -> Iterator[AuditEntry]:
        """Every audit entry in order."""
        for _, value in self._scan(AUDIT):
            yield AuditEntry.decode(value)

    # -- recordings ------------------------------------------------------------------------

    def segments(self, camera_id: str, start: float | None = None, end: float | None = None,
                 kinds: tuple[str, ...] = ("segment",)) -> Iterator[SegmentRecord]:
        """One camera's segments (and/or gaps) overlapping ``[start, end]``, oldest first."""
        family = self._family(SEGMENTS)
        if family is None:
            return
        prefix = segment_prefix(camera_id)
        it = family.iter()
        if start is not None and "gap" not in kinds:  # no segment is an hour long: skip what ended before
            it.seek(segment_key(camera_id, start - MAX_SEGMENT_SPAN_S).encode())
        else:  # a gap may have begun long before (a camera down for days)
            it.seek(prefix)
        while it.valid() and it.key().startswith(prefix):
            record = decode(SegmentRecord, it.value())
            if end is not None and record.start > end:
                break
            if record.kind in kinds and (start is None or record.end >= start):
                yield record
            it.next()

    def all_segments(self) -> Iterator[SegmentRecord]:
        """Every segment and gap record, camera by camera, oldest first within a camera."""
        for _, value in self._scan(SEGMENTS):
            yield decode(SegmentRecord, value)

    def segment_cameras(self) -> list[str]:
        """The cameras with segment or gap records, found by seeking from one camera's keys to the next."""
        family = self._family(SEGMENTS)
        if family is None:
            return []
        it, out = family.iter(), []
        it.seek_to_first()
        while it.valid():
            camera = it.key().split(SEP.encode())[0]
            out.append(camera.decode())
            it.seek(camera + b"\x20")  # SEP is \x1f: every key of this camera sorts before its id + \x20
        return out

    def recorded_span(self, camera_id: str) -> tuple[SegmentRecord, SegmentRecord] | None:
        """A camera's oldest and newest segment (gaps skipped), found by seeking: no full scan."""
        prefix = segment_prefix(camera_id)
        first = next(self._segments_only(prefix, reverse=False), None)
        last = next(self._segments_only(prefix, reverse=True), None)
        return (first, last) if first is not None and last is not None else None

    def _segments_only(self, prefix: bytes, reverse: bool) -> Iterator[SegmentRecord]:
        for key, value in self._scan(SEGMENTS, reverse=reverse, prefix=prefix):
            if key.endswith(SEP.encode() + b"s"):
                yield decode(SegmentRecord, value)

    # -- plumbing --------------------------------------------------------------------------

    def _family(self, name: str):
        """A column family handle; None for the segments of a read-only store from before recordings."""
        return self._cf.get(name) if name == SEGMENTS else self._cf[name]

    def _scan(self, name: str, lower: str = "", upper: str | None = None, reverse: bool = False,
              prefix: bytes = b"") -> Iterator[tuple[bytes, bytes]]:
        """(key without ``prefix``, value) of the keys ``prefix + k`` with ``lower <= k < upper``, in key order."""
        family = self._family(name)
        if family is None:
            return
        low, high = lower.encode(), None if upper is None else upper.encode()
        it = family.iter()
        if reverse:
            it.seek_for_prev(prefix + (high if high is not None else _PAST_PREFIX))
        else:
            it.seek(prefix + low)
        while it.valid() and it.key().startswith(prefix):
            key = it.key()[len(prefix):]
            if (key < low) if reverse else (high is not None and key >= high):
                return
            if high is None or key < high:  # seek_for_prev lands on ``upper`` itself when it exists
                yield key, it.value()
            if reverse:
                it.prev()
            else:
                it.next()


def _tagged(data: bytes) -> tuple[str, np.ndarray]:
    tag, _, vector = data.partition(TAG_END)
    return tag.decode(), np.frombuffer(vector, EMBEDDING_DTYPE).astype(np.float32)
