"""Segment and gap records for the store's recording index."""

from __future__ import annotations

import time

from surveil.media.cut import SegmentRef
from surveil.media.segments import ClosedSegment
from surveil.store.layout import segment_key
from surveil.store.records import SegmentRecord


def segment_record(segment: ClosedSegment, recovered: bool = False) -> SegmentRecord:
    """The index record of a closed segment (its sha256 enters the audit chain with it)."""
    return SegmentRecord(segment_key(segment.camera_id, segment.start), segment.camera_id, "segment",
                         round(segment.start, 3), round(segment.end, 3), str(segment.path), segment.bytes,
                         segment.sha256, segment.codec, segment.packets, segment.encoded, recovered=recovered,
                         stored_at=round(time.time(), 3))


def gap_record(camera_id: str, start: float, end: float, reason: str) -> SegmentRecord:
    """A stretch of time when the camera could not be recorded, and why."""
    return SegmentRecord(segment_key(camera_id, start, "g"), camera_id, "gap", round(start, 3), round(end, 3),
                         reason=reason)


def refs(records) -> list[SegmentRef]:
    """What a cut needs of indexed segments."""
    return [SegmentRef(r.path, r.start, r.end) for r in records if r.kind == "segment" and r.path]
