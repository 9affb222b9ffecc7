"""Evidence export: incidents into a checkable package, and the check a recipient runs on it.

A folder or zip holds the records, clips, thumbnails, audit entries and a sha256 manifest.
The package is built under a temporary name and renamed into place at the end, so an
interrupted export never leaves something that looks whole.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from surveil import __version__
from surveil.hashing import file_sha256, sha256
from surveil.media.cut import cut_clip
from surveil.media.index import refs
from surveil.store.query import EventFilter, iter_events
from surveil.store.store import EventStore

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TimeRange:
    """A stretch of one camera's recording to export."""

    camera_id: str
    start: float
    end: float

    @property
    def name(self) -> str:
        """The file name of its cut in the package."""
        stamp = dt.datetime.fromtimestamp(self.start, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        return f"recordings/{self.camera_id}_{stamp}_{round(self.end - self.start)}s.mp4"


@dataclass
class ExportResult:
    """Where the package is, what went in, and the manifest's hash (also in the store's audit chain)."""

    path: Path
    events: list[str]
    files: int
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)


def export_incidents(store: EventStore, dest: Path, event_ids: list[str] | None = None,
                     flt: EventFilter | None = None, tz: dt.tzinfo | None = None,
                     progress: Progress | None = None, ranges: list[TimeRange] | None = None) -> ExportResult:
    """Export events (given, or matching ``flt``) and recorded ``ranges`` to ``dest`` (a new folder, or a .zip)."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; choose a new name")
    ids = event_ids if event_ids is not None else [r.event_id for r, _ in iter_events(store, flt or EventFilter())]
    ranges = ranges or []
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        files, warnings, segment_ids = {}, [], set()
        for time_range in ranges:
            files.update(_range_files(store, work, time_range, tz, warnings, segment_ids))
        more_files, more_warnings = _fill(store, work, ids, tz, progress, segment_ids)
        files.update(more_files)
        warnings += more_warnings
        manifest = {"created": dt.datetime.now(dt.UTC).isoformat(), "surveil": __version__,
                    "store": str(store.folder), "events": ids, "files": files,
                    "ranges": [{"camera": r.camera_id, **_times(r.start, r.end, tz)} for r in ranges]}
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        (work / MANIFEST).write_bytes(data)
        _place(work, dest)
    finally:
        if work.exists():  # moved into place for a folder export; left over for a zip or a failure
            shutil.rmtree(work, ignore_errors=True)
    digest = sha256(data)
    store.audit("export", dest.name, {"events": ids, "manifest_sha256": digest, "files": len(files),
                                      "ranges": [asdict(r) for r in ranges]}, digest)
    return ExportResult(dest, ids, len(files), digest, warnings)


def _fill(store: EventStore, work: Path, ids: list[str], tz, progress,
          segment_ids: set[str]) -> tuple[dict[str, str], list[str]]:
    files, warnings = {}, []
    subjects = set(ids) | segment_ids
    for i, event_id in enumerate(ids):
        record = store.get_event(event_id)
        if record is None:
            raise KeyError(f"no event {event_id} in {store.folder}")
        if record.object_id:
            subjects.add(record.object_id)
        files.update(_event_files(store, work, record, tz, warnings))
        if progress is not None:
            progress(i + 1, len(ids))
    audit = [json.dumps(asdict(e), sort_keys=True) for e in store.audit_entries() if e.subject in subjects]
    files.update(_write(work, "audit.jsonl", ("\n".join(audit) + "\n").encode()))
    return files, warnings


def _event_files(store: EventStore, work: Path, record, tz, warnings: list[str]) -> dict[str, str]:
    event_id = record.event_id
    state = store.get_state(event_id)
    obj = store.get_object(record.object_id) if record.object_id else None
    body = {"event": asdict(record), "operator_state": asdict(state), "object": asdict(obj) if obj else None,
            "times": _times(record.start, record.end, tz)}
    out = _write(work, f"events/{event_id}.json", json.dumps(body, indent=2, sort_keys=True).encode())
    thumbnail = store.thumbnail("e", event_id)
    if thumbnail:
        out.update(_write(work, f"thumbnails/{event_id}.jpg", thumbnail))
    if record.clip_path and Path(record.clip_path).is_file():
        target = work / "clips" / f"{event_id}.mp4"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(record.clip_path, target)
        digest = file_sha256(target)
        if digest != record.clip_sha256:
            warnings.append(f"clip of {event_id} does not match the hash recorded when it was written")
        out[f"clips/{event_id}.mp4"] = digest
    elif record.clip_state != "none":
        warnings.append(f"event {event_id} has no clip file ({record.clip_state})")
    return out


def _range_files(store: EventStore, work: Path, time_range: TimeRange, tz, warnings: list[str],
                 segment_ids: set[str]) -> dict[str, str]:
    """The range cut from the recording and the index records of its segments (their audit entries go in too)."""
    segments = list(store.segments(time_range.camera_id, time_range.start, time_range.end, ("segment", "gap")))
    if not any(s.kind == "segment" for s in segments):
        span = _times(time_range.start, time_range.end, tz)
        raise KeyError(f"no recording of {time_range.camera_id} from {span['start']['utc']} to {span['end']['utc']}")
    segment_ids.update(s.segment_id for s in segments)
    result = cut_clip(refs(segments), time_range.start, time_range.end, work / time_range.name)
    if result.error:
        raise OSError(f"cannot cut {time_range.camera_id}: {result.error}")
    recorded = [s for s in segments if s.kind == "segment"]
    first, last = min(s.start for s in recorded), max(s.end for s in recorded)
    if first > time_range.start + 1 or last < time_range.end - 1:
        span = _times(max(first, time_range.start), min(last, time_range.end), tz)
        warnings.append(f"the recording of {time_range.camera_id} covers only {span['start']['utc']} to "
                        f"{span['end']['utc']} of the range asked for")
    gaps = [s for s in segments if s.kind == "gap"]
    if gaps:
        warnings.append(f"{time_range.camera_id} was not recorded for {len(gaps)} stretch(es) in that range: "
                        + "; ".join(g.reason or "unknown" for g in gaps[:3]))
    for segment in segments:
        if segment.kind == "segment" and Path(segment.path).is_file() and file_sha256(segment.path) != segment.sha256:
            warnings.append(f"recording {segment.path} does not match the hash recorded when it was closed")
    index = {"camera": time_range.camera_id, "cut": time_range.name, "first_frame": result.start_wall,
             "times": _times(time_range.start, time_range.end, tz), "segments": [asdict(s) for s in segments]}
    out = {time_range.name: result.sha256}
    out.update(_write(work, time_range.name.replace(".mp4", ".json"), json.dumps(index, indent=2).encode()))
    return out


def _times(start: float, end: float | None, tz) -> dict:
    def both(t):
        moment = dt.datetime.fromtimestamp(t, dt.UTC)
        return {"utc": moment.isoformat(), "local": moment.astimezone(tz).isoformat()}

    return {"start": both(start), "end": both(end) if end else None}


def _write(work: Path, name: str, data: bytes) -> dict[str, str]:
    path = work / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {name: sha256(data)}


def _place(work: Path, dest: Path) -> None:
    if dest.suffix.lower() != ".zip":
        os.replace(work, dest)
        return
    partial = dest.with_name(dest.name + ".partial")
    try:
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(work.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(work).as_posix())
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)  # never a half-written zip beside the real ones


@dataclass
class ExportCheck:
    """The recipient's verdict on a package."""

    files: int = 0
    problems: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None

    @property
    def ok(self) -> bool:
        """True when every file matches the manifest and nothing was added."""
        return not self.problems


def verify_export(path: Path) -> ExportCheck:
    """Check a package received from someone else: every file against the manifest, nothing extra."""
    path = Path(path)
    contents = _read_package(path)
    check = ExportCheck()
    if MANIFEST not in contents:
        check.problems.append(f"{path} has no {MANIFEST}: not a surveil export")
        return check
    check.manifest_sha256 = sha256(contents[MANIFEST])
    listed = json.loads(contents.pop(MANIFEST))["files"]
    for name, digest in sorted(listed.items()):
        check.files += 1
        if name not in contents:
            check.problems.append(f"{name} is listed in the manifest but missing")
        elif sha256(contents[name]) != digest:
            check.problems.append(f"{name} was altered (sha256 mismatch)")
    check.problems += [f"{name} is not in the manifest (added later)" for name in sorted(set(contents) - set(listed))]
    return check


def _read_package(path: Path) -> dict[str, bytes]:
    if path.is_dir():
        return {p.relative_to(path).as_posix(): p.read_bytes() for p in path.rglob("*") if p.is_file()}
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist() if not name.endswith("/")}
