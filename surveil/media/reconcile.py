"""At start, close what a crash left open: index orphan segments, end open events, cut their clips.

A killed engine leaves the segment it was writing (MPEG-TS: playable up to the kill) with
no index record, events with no end, and clips never cut. Segments are on disk, so
nothing is lost: this pass indexes the segment, ends each open event at the last moment
its camera was recorded, cuts its clip, and audits what it did.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field
from pathlib import Path

import av

from surveil.hashing import file_sha256
from surveil.media.cut import cut_clip
from surveil.media.index import refs, segment_record
from surveil.media.recorder import MAX_CLIP_S
from surveil.media.segments import SUFFIX, ClosedSegment
from surveil.store.store import EventStore, Put

logger = logging.getLogger(__name__)


@dataclass
class ReconcileReport:
    """What the start-up pass repaired."""

    segments: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    clips_failed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when anything was repaired."""
        return bool(self.segments or self.removed or self.events)


def reconcile(store: EventStore, recordings: Path, clips_dir: Path, pre_roll_s: float,
              post_roll_s: float) -> ReconcileReport:
    """Repair the store after an unclean stop; a no-op after a clean one."""
    report = ReconcileReport()
    _index_orphans(store, recordings, report)
    _close_events(store, clips_dir, pre_roll_s, post_roll_s, report)
    for leftover in [*clips_dir.rglob("*.partial.mp4")] if clips_dir.exists() else []:
        leftover.unlink(missing_ok=True)
        report.removed.append(str(leftover))
    if report.changed:
        store.audit("reconcile", "start-up", {"segments": report.segments, "events": report.events,
                                              "removed": report.removed, "clips_failed": report.clips_failed})
        logger.warning("after an unclean stop: indexed %d segment(s), closed %d event(s), removed %d leftover(s)",
                       len(report.segments), len(report.events), len(report.removed))
    return report


def _index_orphans(store: EventStore, recordings: Path, report: ReconcileReport) -> None:
    if not recordings.exists():
        return
    known = {r.path for r in store.all_segments() if r.path}
    for path in sorted(recordings.rglob(f"*{SUFFIX}")):
        if str(path) in known:
            continue
        segment = probe_segment(path)
        if segment is None:  # killed before its first packet reached the disk
            path.unlink(missing_ok=True)
            report.removed.append(str(path))
            continue
        store.put([Put(segment_record(segment, recovered=True))])
        report.segments.append(str(path))


def probe_segment(path: Path) -> ClosedSegment | None:
    """Read a segment file left by a crash: its span, packet count and hash; None when nothing plays."""
    try:
        start = int(path.stem) / 1000
        camera_id = path.parent.parent.name
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            packets, last = 0, 0.0
            for packet in container.demux(stream):
                if packet.size and packet.dts is not None:
                    packets += 1
                    last = float((packet.dts + (packet.duration or 0)) * stream.time_base)
            codec = stream.codec_context.name
    except (ValueError, IndexError, av.error.FFmpegError, OSError) as exc:
        logger.warning("segment %s cannot be read (%s): removed", path, exc)
        return None
    if packets == 0:
        return None
    return ClosedSegment(camera_id, path, start, start + last, path.stat().st_size, file_sha256(path), codec,
                         packets, encoded=False)


def _close_events(store: EventStore, clips_dir: Path, pre: float, post: float, report: ReconcileReport) -> None:
    open_events = [e for e in store.events() if e.end is None or e.clip_state == "recording"]
    for event in open_events:
        recorded = list(store.segments(event.camera_id, event.start - pre, None))
        last = max([event.start] + [r.end for r in recorded])
        end = event.end if event.end is not None else min(last, event.start + MAX_CLIP_S)
        result = cut_clip(refs(recorded), event.start - pre, end + post, clips_dir / event.camera_id /
                          f"{event.event_id}.mp4")
        if result.error:
            report.clips_failed.append(event.event_id)
            logger.error("event %s: no clip after the crash: %s", event.event_id, result.error)
        repaired = dataclasses.replace(
            event, end=end, clip_state="failed" if result.error else "written",
            clip_path=str(result.path) if result.path else None, clip_sha256=result.sha256,
            clip_start=result.start_wall, clip_fps=result.fps,
            reasons=[*event.reasons, "ended at start-up after an unclean stop"])
        store.put([Put(repaired, store.thumbnail("e", event.event_id), store.embedding("e", event.event_id))])
        report.events.append(event.event_id)
