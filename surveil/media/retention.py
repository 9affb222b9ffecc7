"""Retention, planned before it runs: what would go, why (age, size, emergency), and what is kept.

Recordings and events age apart: an event's clip is its own file, so an event outlives the
segments it was cut from. Nothing that overlaps a locked event goes, whatever the reason,
nor the segments of an event whose clip is still to be cut. Each purge is one audit entry
that lists every id (``surveil verify`` skips them) and one warning line; files go only
after the index entries that vouch for them.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from surveil.config import SurveilConfig
from surveil.store.records import EventRecord, ObjectRecord, SegmentRecord, age_from
from surveil.store.retention import (
    GB,
    RetentionReport,
    disk_usage,
    file_bytes,
    folder_bytes,
    hold_spans,
    holder_of,
    purge,
    recorded_spans,
    stored_bytes,
)
from surveil.store.store import EventStore

logger = logging.getLogger(__name__)

REASONS = ("age", "size", "emergency")
DAY = 86400.0
WARN_SHARE = 0.8  # of the cap: said before the size rule (SIZE_TRIGGER) deletes anything
# Over SIZE_TRIGGER of the cap, the oldest go until SIZE_TARGET: the headroom keeps the disk
# under the cap while the next segments close, before the next pass.
SIZE_TRIGGER, SIZE_TARGET = 0.85, 0.75
WARN_FLOOR_FACTOR = 2  # free space under twice the emergency floor is worth a warning


@dataclass(frozen=True)
class PlanItem:
    """One record retention would delete, and the file that goes with it."""

    kind: str  # segment, gap, event, object
    item_id: str
    camera_id: str
    start: float
    reason: str  # age, size, emergency
    bytes: int  # freed: the segment or clip file, plus what the store holds for an event or object
    path: str | None = None
    record: object = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class KeptItem:
    """Something a rule would delete that an event holds."""

    kind: str  # segment, gap, event
    item_id: str
    camera_id: str
    bytes: int
    rule: str  # the reason it would have gone
    held_by: str  # the event that keeps it
    why: str  # "locked", or "clip" while that event's clip is still to be cut


@dataclass(frozen=True)
class Usage:
    """Bytes on disk, the free space of the recordings disk, the cap and the floor."""

    recordings: int
    clips: int
    store: int
    free: int
    cap: int
    floor: int

    @property
    def used(self) -> int:
        """Recordings, clips and the store together: what the cap bounds."""
        return self.recordings + self.clips + self.store

    def after(self, recordings: int, clips: int) -> Usage:
        """Usage once these file bytes are gone (the store's files shrink only when RocksDB compacts)."""
        return Usage(self.recordings - recordings, self.clips - clips, self.store, self.free + recordings + clips,
                     self.cap, self.floor)

    def as_dict(self) -> dict:
        """Bytes, and the share of the cap used."""
        return {"recordings_bytes": self.recordings, "clips_bytes": self.clips, "store_bytes": self.store,
                "used_bytes": self.used, "free_bytes": self.free, "cap_bytes": self.cap,
                "cap_share": round(self.used / self.cap, 4), "floor_bytes": self.floor}


@dataclass
class RetentionPlan:
    """What a pass would delete and keep; ``run_retention`` carries it out."""

    now: float
    usage: Usage
    items: list[PlanItem]
    kept: list[KeptItem]
    locked: frozenset[str]
    pre_roll_s: float
    post_roll_s: float
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        """Counts and bytes per reason and per camera, and what locked events keep."""
        by_reason, by_camera = {}, defaultdict(dict)
        for item in self.items:
            _tally(by_reason.setdefault(item.reason, {}), item)
            _tally(by_camera[item.camera_id].setdefault(item.reason, {}), item)
        locked = [k for k in self.kept if k.why == "locked"]
        return {"time": iso(self.now), "usage": self.usage.as_dict(), "by_reason": by_reason,
                "by_camera": dict(by_camera),
                "kept_locked": {"segments": sum(k.kind != "event" for k in locked),
                                "events": sum(k.kind == "event" for k in locked),
                                "bytes": sum(k.bytes for k in locked), "held_by": sorted({k.held_by for k in locked})},
                "kept_for_clips": sum(k.why == "clip" for k in self.kept), "warnings": self.warnings}


def _tally(into: dict, item: PlanItem) -> None:
    into["count"] = into.get("count", 0) + 1
    into["bytes"] = into.get("bytes", 0) + item.bytes
    into[item.kind + "s"] = into.get(item.kind + "s", 0) + 1


def iso(seconds: float) -> str:
    """UTC ISO time to the second."""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def measure_usage(store: EventStore, config: SurveilConfig, recordings_dir: Path, clips_dir: Path,
                  disk=None) -> Usage:
    """Walk the three folders; ``disk`` (a ``shutil.disk_usage`` result) defaults to the recordings disk's."""
    disk = disk or disk_usage(recordings_dir)
    return Usage(folder_bytes(recordings_dir), folder_bytes(clips_dir), folder_bytes(store.folder), disk.free,
                 int(config.storage.max_size_gb * GB), int(config.storage.min_free_gb * GB))


def plan_retention(store: EventStore, config: SurveilConfig, recordings_dir: Path, clips_dir: Path,
                   now: float | None = None, disk=None, headroom: int = 0) -> RetentionPlan:
    """What would go and why, without deleting anything: age, then size, then the emergency floor.

    ``headroom`` (bytes) is what the cameras may write before the next pass can run: the size
    rule then starts and stops that much lower than its shares of the cap, so a small cap under
    heavy recording is still never exceeded between passes.
    """
    now = time.time() if now is None else now
    usage = measure_usage(store, config, recordings_dir, clips_dir, disk)
    planner = _Planner(store, config, now)
    planner.by_age()
    after_age = usage.used - sum(item.bytes for item in planner.items)
    trigger, target = size_marks(usage.cap, headroom)
    planner.by_size(usage.used - int(target) if after_age > trigger else 0)
    planner.by_emergency(usage.floor - usage.free)
    return RetentionPlan(now, usage, planner.items, planner.kept, frozenset(planner.locked),
                         config.recording.pre_roll_s, config.recording.post_roll_s, planner.warnings)


def size_marks(cap: float, headroom: float = 0) -> tuple[float, float]:
    """Bytes over which the size rule deletes, and down to which: lowered by ``headroom``, never below 25 %."""
    trigger = max(cap * 0.5, min(cap * SIZE_TRIGGER, cap - headroom))
    return trigger, max(cap * 0.25, min(cap * SIZE_TARGET, trigger - cap * (SIZE_TRIGGER - SIZE_TARGET)))


def run_retention(store: EventStore, plan: RetentionPlan) -> RetentionReport:
    """Carry out a plan: per reason, one audited batch of index deletions, then the files."""
    report = RetentionReport()
    items = _still_unheld(store, plan, report)
    for reason in REASONS:
        chosen = [item for item in items if item.reason == reason]
        if chosen:
            report.purges.append(purge(store, reason, chosen, report))
    return report


def _still_unheld(store: EventStore, plan: RetentionPlan, report: RetentionReport) -> list[PlanItem]:
    """The plan's items minus what an event locked since then holds: an operator does not wait for a pass."""
    newly = store.locked_event_ids() - plan.locked
    if not newly:
        return plan.items
    events = [e for e in map(store.get_event, newly) if e is not None]
    spans = hold_spans(events, newly, plan.pre_roll_s, plan.post_roll_s)
    out = []
    for item in plan.items:
        held = (item.item_id in newly or (item.kind in ("segment", "gap") and holder_of(spans, item.record))
                or (item.kind == "object" and newly & set(item.record.event_ids)))
        if held:
            report.spared.append(item.item_id)
        else:
            out.append(item)
    return out


def retention_status(store: EventStore, config: SurveilConfig, recordings_dir: Path, clips_dir: Path,
                     usage: Usage | None = None) -> dict:
    """Disk used and free, the cap and its share used, each camera's recorded span, and a warning."""
    usage = usage or measure_usage(store, config, recordings_dir, clips_dir)
    cameras = {}
    for camera_id, (first, last) in recorded_spans(store).items():
        camera = next((c for c in config.cameras if c.id == camera_id), None)
        days = camera.recording_days if camera is not None else None
        cameras[camera_id] = {"oldest": iso(first.start), "newest": iso(last.end),
                              "days": round((last.end - first.start) / DAY, 2),
                              "keep_days": days if days is not None else config.storage.recording_days}
    return {**usage.as_dict(), "cameras": cameras, "warning": usage_warning(usage)}


def _size(n: float) -> str:
    return f"{n / GB:.1f} GB" if n >= GB / 10 else f"{n / 1e6:.0f} MB"


def usage_warning(usage: Usage) -> str | None:
    """A line when usage nears the cap or free space nears the floor; else None."""
    parts = []
    if usage.used >= usage.cap * WARN_SHARE:
        parts.append(f"storage is at {usage.used / usage.cap:.0%} of its {_size(usage.cap)} cap: past "
                     f"{SIZE_TRIGGER:.0%} the oldest recordings and events go first, before their configured days")
    if usage.floor and usage.free < usage.floor * WARN_FLOOR_FACTOR:
        parts.append(f"only {usage.free / GB:.1f} GB free on the recordings disk "
                     f"(emergency floor {usage.floor / GB:.1f} GB)")
    return "; ".join(parts) or None


class _Planner:
    """Reads the store once and collects what each rule, in turn, would delete or keep."""

    def __init__(self, store: EventStore, config: SurveilConfig, now: float):
        self.store, self.config, self.now = store, config, now
        self.cameras = {c.id: c for c in config.cameras}
        self.events = {e.event_id: e for e in store.events()}
        self.locked = store.locked_event_ids()
        self.holds = hold_spans(self.events.values(), self.locked, config.recording.pre_roll_s,
                                config.recording.post_roll_s)
        self.items: list[PlanItem] = []
        self.kept: list[KeptItem] = []
        self.warnings: list[str] = []
        self._seen: set[str] = set()  # planned or kept: each id is listed once
        self._planned: set[str] = set()

    # -- rules -------------------------------------------------------------------------------

    def by_age(self) -> None:
        """Segments and gaps past their camera's recording days; events and lonely objects past event days."""
        for camera in self.store.segment_cameras():
            cutoff = self._cutoff(camera, "recording_days", self.config.storage.recording_days)
            for record in self.store.segments(camera, None, cutoff, ("segment", "gap")) if cutoff else ():
                if age_from(record) < cutoff:
                    self._segment(record, "age")
        latest = max((c for c in map(self._event_cutoff, {*self.cameras, ""}) if c), default=None)
        for record in self._oldest_records() if latest else ():
            if record.start >= latest:
                break
            cutoff = self._event_cutoff(record.camera_id)
            if cutoff and age_from(record) < cutoff:
                self._record(record, "age")

    def by_size(self, excess: int) -> None:
        """While over the cap: the oldest first, recordings and events alike (a busy site keeps recordings too)."""
        excess -= sum(i.bytes for i in self.items)
        # By age_from, not start: archived footage indexed today is not the oldest thing here.
        oldest = sorted(heapq.merge(self._oldest_segments(), self._oldest_records(), key=lambda r: r.start),
                        key=age_from)
        for record in oldest if excess > 0 else ():
            step = self._segment if isinstance(record, SegmentRecord) else self._record
            excess -= step(record, "size")
            if excess <= 0:
                break
        if excess > 0:
            self.warnings.append(f"still {excess / GB:.2f} GB over the cap: the rest is held by locked events "
                                 "or clips still being cut")

    def by_emergency(self, deficit: int) -> None:
        """While free space is under the floor: the oldest segments, whatever their age."""
        deficit -= sum(i.bytes for i in self.items if i.path)
        for record in self._oldest_segments() if deficit > 0 else ():
            deficit -= self._segment(record, "emergency")
            if deficit <= 0:
                break
        if deficit > 0:
            self.warnings.append(f"free space stays {deficit / GB:.2f} GB under the emergency floor: "
                                 "no more recordings can go")

    # -- one record ------------------------------------------------------------------------------

    def _segment(self, record, reason: str) -> int:
        """Plan a segment or gap unless an event holds it; the bytes it frees."""
        if record.segment_id in self._seen:
            return 0
        self._seen.add(record.segment_id)
        size = file_bytes(record.path)
        holder = holder_of(self.holds, record)
        if holder is not None:
            self.kept.append(KeptItem(record.kind, record.segment_id, record.camera_id, size, reason, *holder))
            return 0
        self._add(PlanItem(record.kind, record.segment_id, record.camera_id, record.start, reason, size,
                           record.path, record))
        return size

    def _record(self, record: EventRecord | ObjectRecord, reason: str) -> int:
        """Plan an event (with its object and clip) or a lonely object unless it is held; the bytes it frees."""
        if isinstance(record, ObjectRecord):
            return self._object(record, reason)
        if record.event_id in self._seen:
            return 0
        self._seen.add(record.event_id)
        why = "locked" if record.event_id in self.locked else "clip" if record.clip_state == "recording" else None
        if why:
            self.kept.append(KeptItem("event", record.event_id, record.camera_id, file_bytes(record.clip_path), reason,
                                      record.event_id, why))
            return 0
        size = file_bytes(record.clip_path) + stored_bytes(self.store, record)
        self._add(PlanItem("event", record.event_id, record.camera_id, record.start, reason, size,
                           record.clip_path, record))
        linked = self.store.get_object(record.object_id) if record.object_id else None
        # The object stays while another stored event (a locked one, or one not going now) still points to it.
        others = [e for e in linked.event_ids if e in self.events and e not in self._planned] if linked else []
        return size + (self._object(linked, reason) if linked and not others else 0)

    def _object(self, record: ObjectRecord, reason: str) -> int:
        if record.object_id in self._seen:
            return 0
        self._seen.add(record.object_id)
        size = stored_bytes(self.store, record)
        self._add(PlanItem("object", record.object_id, record.camera_id, record.start, reason, size, None, record))
        return size

    def _add(self, item: PlanItem) -> None:
        self.items.append(item)
        self._planned.add(item.item_id)

    # -- reading -----------------------------------------------------------------------------------

    def _oldest_segments(self):
        """Every camera's segments (not gaps), merged oldest first."""
        return heapq.merge(*(self.store.segments(c) for c in self.store.segment_cameras()), key=lambda r: r.start)

    def _oldest_records(self):
        """Events, and objects that belong to no stored event, merged oldest first (ids start with the time)."""
        lonely = (o for o in self.store.objects() if not any(e in self.events for e in o.event_ids))
        return heapq.merge(self.events.values(), lonely, key=_record_id)

    def _cutoff(self, camera_id: str, days_field: str, default_days: float) -> float | None:
        """Records of this camera older than the cutoff go by age; None for archived footage.

        A camera with a start_time is footage from the past being indexed now: its stamps say
        nothing about how long it has been kept here.
        """
        camera = self.cameras.get(camera_id)
        if camera is not None and camera.start_time is not None:
            return None
        days = getattr(camera, days_field, None) if camera is not None else None
        return self.now - (days if days is not None else default_days) * DAY

    def _event_cutoff(self, camera_id: str) -> float | None:
        return self._cutoff(camera_id, "event_days", self.config.storage.retention_days)


def _record_id(record: EventRecord | ObjectRecord) -> str:
    return record.event_id if isinstance(record, EventRecord) else record.object_id
