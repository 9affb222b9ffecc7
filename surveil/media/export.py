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
from surveil.store.query import EventFilter, list_events
from surveil.store.store import EventStore

MANIFEST = "manifest.json"
Progress = Callable[[int, int], None]


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
                     progress: Progress | None = None) -> ExportResult:
    """Export the given events (or those matching ``flt``) to ``dest`` (a new folder, or a .zip)."""
    dest = Path(dest)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; choose a new name")
    ids = event_ids if event_ids is not None else _matching(store, flt or EventFilter())
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}.partial-", dir=dest.parent))
    try:
        files, warnings = _fill(store, work, ids, tz, progress)
        manifest = {"created": dt.datetime.now(dt.UTC).isoformat(), "surveil": __version__,
                    "store": str(store.folder), "events": ids, "files": files}
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        (work / MANIFEST).write_bytes(data)
        _place(work, dest)
    finally:
        if work.exists():  # moved into place for a folder export; left over for a zip or a failure
            shutil.rmtree(work, ignore_errors=True)
    digest = sha256(data)
    store.audit("export", dest.name, {"events": ids, "manifest_sha256": digest, "files": len(files)}, digest)
    return ExportResult(dest, ids, len(files), digest, warnings)


def _matching(store: EventStore, flt: EventFilter) -> list[str]:
    ids, cursor = [], None
    while True:
        page, cursor = list_events(store, flt, 500, cursor)
        ids += [record.event_id for record, _ in page]
        if cursor is None:
            return ids


def _fill(store: EventStore, work: Path, ids: list[str], tz, progress) -> tuple[dict[str, str], list[str]]:
    files, warnings = {}, []
    subjects = set(ids)
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
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(work.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(work).as_posix())
    os.replace(partial, dest)


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
