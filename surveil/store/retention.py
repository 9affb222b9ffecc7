"""What deleting a record takes in the store, audited; what the store and its folders hold on disk.

The plan of what goes and why lives in ``surveil.media.retention``; this module knows the
keys: an event goes with its thumbnail, embedding, operator state and index entries, an
object with its own, a segment or gap with its index record. A purge is one audit entry
listing every id (``surveil verify`` skips them) and one warning line; files go only after
the index entries that vouch for them.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from surveil.store.layout import (
    APPEARANCE,
    EMBEDDINGS,
    EVENTS,
    INDEX,
    OBJECTS,
    SEGMENTS,
    STATE,
    THUMBNAILS,
    index_key,
)
from surveil.store.reads import EMBEDDING_DTYPE
from surveil.store.records import EventRecord, ObjectRecord, SegmentRecord
from surveil.store.store import EVENT_INDEXED, OBJECT_INDEXED, EventStore

logger = logging.getLogger(__name__)

GB = 1e9


def folder_bytes(folder: Path | None) -> int:
    """Bytes of every file under ``folder`` (0 when it does not exist)."""
    total = 0
    for root, _, names in os.walk(folder) if folder else ():
        for name in names:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except FileNotFoundError:  # deleted while we walked: a segment closing, a purge
                continue
    return total


def store_bytes(store: EventStore, clips_dir: Path | None = None) -> int:
    """Bytes on disk of the database and the clips."""
    return folder_bytes(store.folder) + folder_bytes(clips_dir)


def disk_usage(folder: Path):
    """``shutil.disk_usage`` of the disk that holds (or will hold) ``folder``."""
    folder = Path(folder).absolute()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return shutil.disk_usage(folder)


def record_deletions(record: EventRecord | ObjectRecord | SegmentRecord) -> list[tuple[bytes, None, str]]:
    """Every key a record owns, staged for deletion (for ``EventStore.audit(..., staged=...)``)."""
    if isinstance(record, SegmentRecord):
        return [(record.segment_id.encode(), None, SEGMENTS)]
    kind, record_id = _kind_id(record)
    family, indexed = (EVENTS, EVENT_INDEXED) if kind == "e" else (OBJECTS, OBJECT_INDEXED)
    key = record_id.encode()
    out = [(key, None, family)] + [(kind.encode() + key, None, blobs) for blobs in (THUMBNAILS, EMBEDDINGS, APPEARANCE)]
    if kind == "e":
        out.append((key, None, STATE))
    return out + [(index_key(kind, f, str(getattr(record, f)), record_id), None, INDEX) for f in indexed]


def stored_bytes(store: EventStore, record: EventRecord | ObjectRecord) -> int:
    """Bytes of an event's or object's record, thumbnail and embedding (an estimate of what the store frees)."""
    kind, record_id = _kind_id(record)
    parts = (store.record_bytes("event" if kind == "e" else "object", record_id), store.thumbnail(kind, record_id))
    vector = store.embedding(kind, record_id)  # handed out as float32: count what is stored
    vector_bytes = vector.size * np.dtype(EMBEDDING_DTYPE).itemsize if vector is not None else 0
    return sum(len(p) for p in parts if p) + vector_bytes


def recorded_spans(store: EventStore) -> dict[str, tuple[SegmentRecord, SegmentRecord]]:
    """Per camera, its oldest and newest segment (gaps skipped), found by seeking: no full scan."""
    spans = {camera: store.recorded_span(camera) for camera in store.segment_cameras()}
    return {camera: span for camera, span in spans.items() if span is not None}


def _kind_id(record: EventRecord | ObjectRecord) -> tuple[str, str]:
    return ("e", record.event_id) if isinstance(record, EventRecord) else ("o", record.object_id)


@dataclass
class Purge:
    """One audited purge: every id that went for one reason."""

    reason: str
    ids: list[str]
    kinds: dict[str, int]
    cameras: list[str]
    bytes: int
    seq: int  # its audit entry

    def line(self) -> str:
        """One line for the log and the operator."""
        counts = ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in self.kinds.items())
        return (f"retention ({self.reason}) purged {counts} of {', '.join(self.cameras)}: "
                f"{human_bytes(self.bytes)} freed (audit entry {self.seq})")


@dataclass
class RetentionReport:
    """What a run deleted, what it spared because an event was locked meanwhile, what failed."""

    purges: list[Purge] = field(default_factory=list)
    spared: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    recordings_freed: int = 0
    clips_freed: int = 0

    def as_dict(self) -> dict:
        """For ``--json`` and the engine's status."""
        return {"purges": [{k: v for k, v in asdict(p).items() if k != "ids"} | {"count": len(p.ids)}
                           for p in self.purges],
                "spared": self.spared, "errors": self.errors,
                "freed_bytes": sum(p.bytes for p in self.purges)}


def purge(store: EventStore, reason: str, items: list, report: RetentionReport) -> Purge:
    """Delete items (with kind, item_id, camera_id, bytes, path, record) in one audited batch, then their files."""
    ids = [item.item_id for item in items]
    kinds, cameras = dict(Counter(item.kind for item in items)), sorted({item.camera_id for item in items})
    freed = sum(item.bytes for item in items)
    entry = store.audit("purge", f"{len(ids)} records ({reason})",
                        {"reason": reason, "ids": ids, "kinds": kinds, "cameras": cameras, "bytes": freed},
                        staged=[key for item in items for key in record_deletions(item.record)])
    for item in items:  # only now: a file never goes while an index entry still vouches for it
        _delete_file(item, report)
    done = Purge(reason, ids, kinds, cameras, freed, entry.seq)
    logger.warning("%s", done.line())
    return done


def _delete_file(item, report: RetentionReport) -> None:
    if not item.path:
        return
    size = file_bytes(item.path)
    try:
        Path(item.path).unlink(missing_ok=True)
    except OSError as exc:  # the index entry is gone; start-up reconciliation indexes the file again
        report.errors.append(f"{item.path}: {exc}")
        logger.error("retention could not delete %s: %s", item.path, exc)
        return
    if item.kind == "event":
        report.clips_freed += size
    else:
        report.recordings_freed += size


def hold_spans(events, locked: set[str], pre_roll_s: float, post_roll_s: float) -> dict[str, list[tuple]]:
    """Per camera, (from, to, event id, why) of every event that keeps the recordings around it."""
    spans = defaultdict(list)
    for event in events:
        why = "locked" if event.event_id in locked else "clip" if event.clip_state == "recording" else None
        if why:
            end = event.end if event.end is not None else math.inf
            spans[event.camera_id].append((event.start - pre_roll_s, end + post_roll_s, event.event_id, why))
    return spans


def holder_of(spans: dict[str, list[tuple]], record) -> tuple[str, str] | None:
    """(event id, why) of an event whose span overlaps a segment or gap, or None."""
    for lo, hi, event_id, why in spans.get(record.camera_id, ()):
        if lo <= record.end and hi >= record.start:
            return event_id, why
    return None


def human_bytes(n: float) -> str:
    """``12.3 MB`` under a gigabyte, ``1.2 GB`` from there."""
    return f"{n / 1e6:.1f} MB" if n < GB else f"{n / GB:.1f} GB"


def file_bytes(path: str | None) -> int:
    """The size of a file, 0 when there is none."""
    try:
        return Path(path).stat().st_size if path else 0
    except OSError:
        return 0
