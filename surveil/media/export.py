"""Evidence export: incidents into a signed package that proves itself.

A folder or zip holds the records, clips, thumbnails, audit entries, a sha256 manifest
(with the audit chain's head at export time), the manifest's Ed25519 signature and the
public key (see ``export_verify`` for the recipient's check). Nothing is packaged that does
not match the store's own hashes (``export_evidence``). The package is built in
``<dest>.partial``, audited, renamed into place and signed last: a killed export leaves
nothing that verifies, and ``clean_partial_exports`` removes what it left.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from surveil import __version__, signing
from surveil.hashing import file_sha256, sha256
from surveil.media.cut import cut_clip
from surveil.media.export_evidence import Evidence, ExportRefused, collect
from surveil.media.export_partial import clean_partial_exports, in_progress, work_paths
from surveil.media.export_verify import MANIFEST, PUBLIC_KEY, SIGNATURE, ExportCheck, verify_export
from surveil.media.index import refs
from surveil.paths import app_paths
from surveil.store.query import EventFilter, iter_events
from surveil.store.store import EventStore

__all__ = ["ExportCheck", "ExportRefused", "ExportResult", "TimeRange", "clean_partial_exports", "export_incidents",
           "verify_export"]

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
    """Where the package is, what went in, the manifest's hash (also in the store's audit chain) and the signer."""

    path: Path
    events: list[str]
    files: int
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)
    fingerprint: str | None = None


def export_incidents(store: EventStore, dest: Path, event_ids: list[str] | None = None,
                     flt: EventFilter | None = None, tz: dt.tzinfo | None = None,
                     progress: Progress | None = None, ranges: list[TimeRange] | None = None, *,
                     signer: signing.Signer | None = None) -> ExportResult:
    """Export events (given, or matching ``flt``) and recorded ``ranges`` to ``dest`` (a new folder, or a .zip).

    Refuses (ExportRefused, nothing left behind) when a record, thumbnail, clip or recording
    does not match the hash the store holds for it. ``signer``: default, this installation's key.
    ``progress(done, total)``: after each event, then for a zip after each file packed (``total``
    grows by the files to pack); it may raise to cancel, and nothing is left behind.
    """
    dest = Path(dest)
    clean_partial_exports(store.folder)
    if dest.exists():
        raise FileExistsError(f"{dest} already exists; choose a new name")
    ids = event_ids if event_ids is not None else [r.event_id for r, _ in iter_events(store, flt or EventFilter())]
    ranges, signer = ranges or [], signer or signing.load_or_create(app_paths().config_dir)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with in_progress(store.folder, dest):
        job = _Job(store, work_paths(dest)[0], tz, collect(store, ids, ranges))
        job.fill(ids, ranges, progress)
        data = job.manifest(ids, ranges, signer)
        digest = sha256(data)
        # Audited before the package is whole: a package that verifies always has its entry.
        store.audit("export", dest.name, {"events": ids, "manifest_sha256": digest, "files": len(job.files),
                                          "ranges": [asdict(r) for r in ranges], "signer": signer.fingerprint}, digest)
        _place(job.work, dest, base64.b64encode(signer.sign(data)) + b"\n", progress, len(ids))
    return ExportResult(dest, ids, len(job.files), digest, job.warnings, signer.fingerprint)


class _Job:
    """One export's work folder, the files written so far with their sha256, and its warnings."""

    def __init__(self, store: EventStore, work: Path, tz, evidence: Evidence):
        self.store, self.work, self.tz, self.evidence = store, work, tz, evidence
        self.files: dict[str, str] = {}
        self.warnings: list[str] = []
        work.mkdir()

    def fill(self, ids: list[str], ranges: list[TimeRange], progress: Progress | None) -> None:
        """Every range's cut, every event's files, and the audit entries about them."""
        for time_range in ranges:
            self.range_files(time_range)
        for i, event_id in enumerate(ids):
            self.event_files(event_id)
            if progress is not None:
                progress(i + 1, len(ids))
        self.files.update(_write(self.work, "audit.jsonl", self.evidence.audit_lines()))

    def manifest(self, ids: list[str], ranges: list[TimeRange], signer: signing.Signer) -> bytes:
        """Write the manifest (with the chain's head now) and the public key; returns the manifest's bytes."""
        head = self.store.head
        manifest = {"created": dt.datetime.now(dt.UTC).isoformat(), "surveil": __version__,
                    "store": str(self.store.folder), "events": ids, "files": self.files, "warnings": self.warnings,
                    "ranges": [{"camera": r.camera_id, **_times(r.start, r.end, self.tz)} for r in ranges],
                    "audit_chain": {"entries": head.seq + 1, "last_seq": head.seq, "last_hash": head.hash},
                    "signer": signer.fingerprint}
        data = json.dumps(manifest, indent=2, sort_keys=True).encode()
        (self.work / MANIFEST).write_bytes(data)
        (self.work / PUBLIC_KEY).write_bytes(signer.public_pem)
        return data

    def range_files(self, time_range: TimeRange) -> None:
        """The range cut from the recording, and the index records of its segments."""
        segments = self.evidence.segments[time_range]
        result = cut_clip(refs(segments), time_range.start, time_range.end, self.work / time_range.name)
        if result.error:
            raise OSError(f"cannot cut {time_range.camera_id}: {result.error}")
        self.warnings += _coverage(time_range, segments, self.tz)
        index = {"camera": time_range.camera_id, "cut": time_range.name, "first_frame": result.start_wall,
                 "times": _times(time_range.start, time_range.end, self.tz),
                 "segments": [asdict(s) for s in segments]}
        self.files[time_range.name] = result.sha256
        self.files.update(_write(self.work, time_range.name.replace(".mp4", ".json"), json.dumps(index, indent=2)
                                 .encode()))

    def event_files(self, event_id: str) -> None:
        """The event's record (with its operator state, object and times), thumbnail and clip."""
        store, record = self.store, self.evidence.events[event_id]
        state = store.get_state(event_id)
        obj = store.get_object(record.object_id) if record.object_id else None
        thumbnail = store.thumbnail("e", event_id)
        thumbnail_digest = self.evidence.check_thumbnail(event_id, thumbnail)
        body = {"event": asdict(record), "operator_state": asdict(state), "object": asdict(obj) if obj else None,
                "times": _times(record.start, record.end, self.tz), "thumbnail_sha256": thumbnail_digest}
        self.files.update(_write(self.work, f"events/{event_id}.json", json.dumps(body, indent=2, sort_keys=True)
                                 .encode()))
        if thumbnail:
            self.files.update(_write(self.work, f"thumbnails/{event_id}.jpg", thumbnail))
        if record.clip_path and Path(record.clip_path).is_file():
            self.clip(record)
        elif record.clip_state != "none":
            self.warnings.append(f"event {event_id} has no clip file ({record.clip_state})")

    def clip(self, record) -> None:
        """Copy the event's clip in; refuse it unless the copy matches the sha256 in its record."""
        name = f"clips/{record.event_id}.mp4"
        (self.work / "clips").mkdir(exist_ok=True)
        shutil.copyfile(record.clip_path, self.work / name)
        digest = file_sha256(self.work / name)  # the bytes that went in are the bytes checked
        if digest != record.clip_sha256:
            raise ExportRefused(f"the clip of event {record.event_id} ({record.clip_path}) does not match the sha256 "
                                "in its record: it was altered after it was written; nothing was exported "
                                "(`surveil verify` lists every damaged file)")
        self.files[name] = digest


def _coverage(time_range: TimeRange, segments: list, tz) -> list[str]:
    """Warnings for a range the recording covers only in part, or with gaps."""
    out, recorded = [], [s for s in segments if s.kind == "segment"]
    first, last = min(s.start for s in recorded), max(s.end for s in recorded)
    if first > time_range.start + 1 or last < time_range.end - 1:
        span = _times(max(first, time_range.start), min(last, time_range.end), tz)
        out.append(f"the recording of {time_range.camera_id} covers only {span['start']['utc']} to "
                   f"{span['end']['utc']} of the range asked for")
    gaps = [s for s in segments if s.kind == "gap"]
    if gaps:
        out.append(f"{time_range.camera_id} was not recorded for {len(gaps)} stretch(es) in that range: "
                   + "; ".join(g.reason or "unknown" for g in gaps[:3]))
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


def _place(work: Path, dest: Path, signature: bytes, progress: Progress | None = None, done: int = 0) -> None:
    """Rename the package into place, then sign it: until the signature lands, it does not verify.

    A zip reports ``progress`` per file packed, after the ``done`` steps of copying: the total
    grows by the files to pack (packing a large export takes as long as copying it).
    """
    if dest.suffix.lower() != ".zip":
        os.replace(work, dest)
        _write_synced(dest / SIGNATURE, signature)
        return
    archive_path = work_paths(dest)[1]
    files = sorted(path for path in work.rglob("*") if path.is_file())
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i, path in enumerate(files, 1):
            # Video and JPEG are compressed already: deflating them again costs seconds and saves nothing.
            stored = path.suffix.lower() in (".mp4", ".mkv", ".ts", ".jpg", ".jpeg")
            archive.write(path, path.relative_to(work).as_posix(), zipfile.ZIP_STORED if stored else None)
            if progress is not None:
                progress(done + i, done + len(files))
    os.replace(archive_path, dest)
    shutil.rmtree(work, ignore_errors=True)
    _append_signature(dest, signature)


def _append_signature(archive_path: Path, signature: bytes) -> None:
    with zipfile.ZipFile(archive_path, "a") as archive:
        archive.writestr(SIGNATURE, signature)
    with open(archive_path, "rb+") as handle:
        os.fsync(handle.fileno())


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
