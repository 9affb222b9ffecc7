"""``surveil verify``: walk the audit chain, the records it vouches for, and the clips' hashes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from surveil.hashing import file_sha256, sha256
from surveil.store.audit import GENESIS
from surveil.store.reads import RECORD_FAMILIES
from surveil.store.records import EventRecord, SegmentRecord, decode
from surveil.store.store import EventStore


@dataclass
class VerifyReport:
    """What was checked and the first broken link (None when everything holds)."""

    entries: int = 0
    records: int = 0
    clips: int = 0
    segments: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return not self.problems


def verify_store(store: EventStore) -> VerifyReport:
    """Check every chain link, every record against its latest audited digest, every clip's sha256."""
    report, latest, purged = VerifyReport(), {}, set()
    prev = GENESIS
    for entry in store.audit_entries():
        report.entries += 1
        if entry.prev != prev or entry.hash != entry.expected_hash():
            report.problems.append(f"audit entry {entry.seq} ({entry.action} {entry.subject}) is altered or out "
                                   f"of order: the chain breaks here")
            break
        prev = entry.hash
        if entry.action == "purge":
            purged.update(entry.detail.get("ids", []))
        elif entry.action in RECORD_FAMILIES:
            latest[(entry.action, entry.subject)] = entry.digest
    for (action, subject), digest in latest.items():
        if subject in purged:
            continue
        report.records += 1
        data = store.record_bytes(action, subject)
        if data is None:
            report.problems.append(f"{action} {subject} is in the audit chain but missing from the store")
        elif sha256(data) != digest:
            report.problems.append(f"{action} {subject} was changed after it was written (digest mismatch)")
        elif action == "event":
            _check_clip(decode(EventRecord, data), report)
        elif action == "segment":
            _check_segment(decode(SegmentRecord, data), report)
    return report


def _check_segment(segment: SegmentRecord, report: VerifyReport) -> None:
    if segment.kind == "segment" and segment.path:
        report.segments += 1
        _check_file(report, f"recording of {segment.camera_id}", Path(segment.path), segment.sha256)


def _check_clip(event: EventRecord, report: VerifyReport) -> None:
    if event.clip_path and event.clip_sha256:
        report.clips += 1
        _check_file(report, f"clip of event {event.event_id}", Path(event.clip_path), event.clip_sha256)


def _check_file(report: VerifyReport, what: str, path: Path, digest: str | None) -> None:
    if not path.is_file():
        report.problems.append(f"{what} is missing: {path}")
    elif file_sha256(path) != digest:
        report.problems.append(f"{what} was altered: {path} (sha256 mismatch)")
