"""Retention: delete the oldest unlocked events and objects by age and by total size, audited.

Nothing disappears silently: every purge is one audit entry listing what went, logged
at warning level, and a low-disk warning comes before space runs out. Objects that
belong to an event go with it; an event the operator locked keeps its object too.
"""

from __future__ import annotations

import heapq
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from surveil.store.layout import EMBEDDINGS, EVENTS, INDEX, OBJECTS, STATE, THUMBNAILS, index_key
from surveil.store.records import EventRecord, ObjectRecord, decode
from surveil.store.store import EVENT_INDEXED, OBJECT_INDEXED, EventStore

logger = logging.getLogger(__name__)

LOW_DISK_SHARE = 0.05  # warn when less than 5 % of the disk is free


@dataclass
class PurgeReport:
    """What a retention pass removed and what it kept because the operator locked it."""

    events: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    kept_locked: int = 0
    freed_bytes: int = 0
    warnings: list[str] = field(default_factory=list)


def store_bytes(store: EventStore, clips_dir: Path | None = None) -> int:
    """Bytes on disk of the database and the clips."""
    folders = [store.folder] + ([clips_dir] if clips_dir and clips_dir.exists() else [])
    return sum(p.stat().st_size for folder in folders for p in folder.rglob("*") if p.is_file())


def apply_retention(store: EventStore, max_age_days: float | None, max_bytes: int | None = None,
                    per_camera_days: dict[str, float] | None = None, clips_dir: Path | None = None,
                    now: float | None = None) -> PurgeReport:
    """Purge by age (per camera where given), then oldest first until under ``max_bytes``."""
    now = time.time() if now is None else now
    report = PurgeReport(warnings=disk_warnings(store.folder))
    per_camera = per_camera_days or {}

    def expired(record) -> bool:
        days = per_camera.get(record.camera_id, max_age_days)
        return days is not None and record.start < now - days * 86400

    _purge(store, [r for r in _oldest_first(store) if expired(r)], report, "age")
    if max_bytes is not None:
        excess = store_bytes(store, clips_dir) - max_bytes
        for record in _oldest_first(store):
            if excess <= 0:
                break
            excess -= _purge(store, [record], report, "size")
    return report


def disk_warnings(folder: Path) -> list[str]:
    """A warning when the disk holding ``folder`` is nearly full."""
    usage = shutil.disk_usage(folder)
    if usage.free < usage.total * LOW_DISK_SHARE:
        message = (f"the disk holding {folder} has {usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.0f} GB; "
                   "lower retention or add space before recording stops")
        logger.warning("%s", message)
        return [message]
    return []


def _oldest_first(store: EventStore):
    """Events, and objects that belong to no event, merged in time order."""
    events = ((k, decode(EventRecord, v)) for k, v in store.family(EVENTS).items())
    objects = ((k, decode(ObjectRecord, v)) for k, v in store.family(OBJECTS).items())
    for _, record in heapq.merge(events, objects, key=lambda kv: kv[0]):
        if isinstance(record, EventRecord) or not record.event_ids:
            yield record


def _purge(store: EventStore, records: list, report: PurgeReport, reason: str) -> int:
    """Delete records (events with their objects and clips) unless locked; one audit entry; bytes freed."""
    staged, ids, freed, clips = [], [], 0, []
    for record in records:
        if isinstance(record, EventRecord) and store.get_state(record.event_id).locked:
            report.kept_locked += 1
            continue
        for kind, item in _with_object(store, record):
            item_id = item.event_id if kind == "e" else item.object_id
            staged += _deletions(item, kind)
            freed += _stored_bytes(store, kind, item_id)
            ids.append(item_id)
            (report.events if kind == "e" else report.objects).append(item_id)
        if isinstance(record, EventRecord) and record.clip_path:
            clips.append(Path(record.clip_path))
    if not ids:
        return 0
    store.audit("purge", f"{len(ids)} records", {"reason": reason, "ids": ids}, staged=staged)
    for clip in clips:  # after the audited delete: a clip never outlives nothing, nor goes unrecorded
        freed += clip.stat().st_size if clip.exists() else 0
        clip.unlink(missing_ok=True)
    report.freed_bytes += freed
    logger.warning("retention (%s) purged %d records: %s%s", reason, len(ids), ", ".join(ids[:5]),
                   "…" if len(ids) > 5 else "")
    return freed


def _with_object(store: EventStore, record):
    if isinstance(record, ObjectRecord):
        return [("o", record)]
    linked = store.get_object(record.object_id) if record.object_id else None
    return [("e", record)] + ([("o", linked)] if linked is not None else [])


def _deletions(record, kind: str) -> list:
    record_id = record.event_id if kind == "e" else record.object_id
    family, indexed = (EVENTS, EVENT_INDEXED) if kind == "e" else (OBJECTS, OBJECT_INDEXED)
    key = record_id.encode()
    out = [(key, None, family), (kind.encode() + key, None, THUMBNAILS), (kind.encode() + key, None, EMBEDDINGS)]
    if kind == "e":
        out.append((key, None, STATE))
    return out + [(index_key(kind, f, str(getattr(record, f)), record_id), None, INDEX) for f in indexed]


def _stored_bytes(store: EventStore, kind: str, record_id: str) -> int:
    key = record_id.encode()
    family = EVENTS if kind == "e" else OBJECTS
    parts = (store.family(family).get(key), store.family(THUMBNAILS).get(kind.encode() + key),
             store.family(EMBEDDINGS).get(kind.encode() + key))
    return sum(len(p) for p in parts if p)
