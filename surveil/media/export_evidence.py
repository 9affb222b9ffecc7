"""What an export takes from the store, checked against the audit chain before anything is packaged.

A record that differs from its audited sha256, an altered audit entry, a thumbnail or a
recording that does not match its hash: the export is refused (``ExportRefused``) rather
than signing altered evidence. Clips are checked as they are copied (in ``export``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

from surveil.hashing import file_sha256, sha256
from surveil.store.audit import AuditEntry
from surveil.store.records import EventRecord, SegmentRecord
from surveil.store.store import EventStore

logger = logging.getLogger(__name__)

_HINT = "nothing was exported (`surveil verify` lists every damaged record and file)"


class ExportRefused(OSError):
    """Something to be exported does not match the hash it was stored with; nothing was exported.

    An OSError, so every caller that reports a failed export in one line reports this one too.
    """


@dataclass
class Evidence:
    """The records an export takes, the audit entries about them, and the audited thumbnail digests."""

    events: dict[str, EventRecord]
    segments: dict[object, list[SegmentRecord]]  # per TimeRange: its segments and gaps
    entries: list[AuditEntry] = field(default_factory=list)
    thumbnails: dict[str, str] = field(default_factory=dict)  # event id: sha256 from its latest audit entry

    def check_thumbnail(self, event_id: str, data: bytes | None) -> str | None:
        """The thumbnail's audited sha256 (None for one stored before it was audited); refuses a changed one."""
        digest = self.thumbnails.get(event_id)
        if data is not None and digest is not None and sha256(data) != digest:
            raise ExportRefused(f"the thumbnail of event {event_id} does not match the sha256 in its audit entry: "
                                f"it was changed after it was written; {_HINT}")
        return digest if data is not None else None

    def audit_lines(self) -> bytes:
        """The audit entries about the exported records, one JSON object a line."""
        return ("\n".join(json.dumps(asdict(e), sort_keys=True) for e in self.entries) + "\n").encode()


def collect(store: EventStore, ids: list[str], ranges: list) -> Evidence:
    """Load the events and the ranges' segments, and check them, their objects and states against the chain.

    A running engine may write a new version (an event's end, its clip, a mark) between the walk of
    the chain and the reads of the records: that looks like a change, so a refusal is checked once
    more before it stands. Tampering fails both times.
    """
    try:
        return _collect(store, ids, ranges)
    except ExportRefused as first:
        logger.info("export check failed once (%s); checking again", first)
        return _collect(store, ids, ranges)


def _collect(store: EventStore, ids: list[str], ranges: list) -> Evidence:
    events = {}
    for event_id in ids:
        record = store.get_event(event_id)
        if record is None:
            raise KeyError(f"no event {event_id} in {store.folder}")
        events[event_id] = record
    evidence = Evidence(events, {r: _range_segments(store, r) for r in ranges})
    wanted = {("event", i) for i in ids} | {("state", i) for i in ids}
    wanted |= {("object", r.object_id) for r in events.values() if r.object_id}
    wanted |= {("segment", s.segment_id) for segments in evidence.segments.values() for s in segments}
    subjects = {subject for _, subject in wanted}
    latest = {}
    for entry in store.audit_entries():
        if entry.subject not in subjects:
            continue
        if entry.hash != entry.expected_hash():
            raise ExportRefused(f"audit entry {entry.seq} ({entry.action} {entry.subject}) is altered; {_HINT}")
        evidence.entries.append(entry)
        latest[(entry.action, entry.subject)] = entry.digest
        if entry.action == "event" and "thumbnail_sha256" in entry.detail:
            evidence.thumbnails[entry.subject] = entry.detail["thumbnail_sha256"]
    for action, subject in sorted(wanted):
        _check_record(store, action, subject, latest)
    for segments in evidence.segments.values():
        for segment in segments:
            _check_recording(segment)
    return evidence


def _check_record(store: EventStore, action: str, subject: str, latest: dict) -> None:
    data = store.record_bytes(action, subject)
    if data is None:
        return  # an event the operator never touched has no state; an object may be purged
    if (action, subject) not in latest:
        raise ExportRefused(f"{action} {subject} is in no audit entry (written behind the store's back); {_HINT}")
    if sha256(data) != latest[(action, subject)]:
        raise ExportRefused(f"{action} {subject} was changed after it was written (it does not match its audit "
                            f"entry); {_HINT}")


def _check_recording(segment: SegmentRecord) -> None:
    if segment.kind == "segment" and segment.path and Path(segment.path).is_file():
        if file_sha256(segment.path) != segment.sha256:
            raise ExportRefused(f"the recording {segment.path} of {segment.camera_id} does not match the sha256 it "
                                f"was closed with: it was altered; {_HINT}")


def _range_segments(store: EventStore, time_range) -> list[SegmentRecord]:
    segments = list(store.segments(time_range.camera_id, time_range.start, time_range.end, ("segment", "gap")))
    if not any(s.kind == "segment" for s in segments):
        raise KeyError(f"no recording of {time_range.camera_id} from {_iso(time_range.start)} to "
                       f"{_iso(time_range.end)}")
    return segments


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat()
