"""A camera's recording played back: frames with their wall-clock time, seeking, stepping, gaps.

Headless (PyAV, no Qt). A segment's timestamps start at zero and its index record holds the wall
time of that zero (see ``segments.py``), so a frame's wall time is its segment's start plus its
presentation time. A seek goes to the keyframe before the wanted time (found by demuxing the
segment once) and decodes forward; one frame back comes from the frames just decoded when it can,
else from a seek to just before.
``Playback`` is used by one thread at a time; ``surveil.media.player`` gives it a thread of its own.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import av
import numpy as np

from surveil.store.records import SegmentRecord

logger = logging.getLogger(__name__)

HOLE_S = 1.0  # two segments this far apart have a gap between them, recorded as one or not
PAST_THE_END = "past the end of the recording"  # a gap's reason: nothing recorded (or indexed) there yet
HISTORY_BYTES = 64 * 1024 * 1024  # frames kept for stepping back without a seek
_EPS = 1e-3


@dataclass(frozen=True)
class Gap:
    """A stretch with no recording, and why (a gap record's reason, or "not recorded")."""

    start: float
    end: float
    reason: str


@dataclass(frozen=True)
class PlayedFrame:
    """One decoded frame (BGR) and its wall-clock time; ``gap`` is the gap crossed to reach it, if any."""

    image: np.ndarray
    wall: float
    gap: Gap | None = None


def gaps_of(records: Sequence[SegmentRecord]) -> list[Gap]:
    """Gap records, and holes between consecutive segments that no gap record explains."""
    gaps = [Gap(r.start, r.end, r.reason or "camera down") for r in records if r.kind == "gap"]
    segments = sorted((r for r in records if r.kind == "segment"), key=lambda r: r.start)
    for a, b in zip(segments, segments[1:], strict=False):
        if b.start - a.end >= HOLE_S and not any(g.start <= a.end + HOLE_S and g.end >= b.start - HOLE_S
                                                 for g in gaps):
            gaps.append(Gap(a.end, b.start, "not recorded"))
    return sorted(gaps, key=lambda g: g.start)


class Playback:
    """The segments of one camera (``SegmentRecord``s, gaps among them) as one stream of frames."""

    def __init__(self, records: Sequence[SegmentRecord]):
        self._records: dict[str, SegmentRecord] = {}  # every record known, gaps among them
        self.segments: list[SegmentRecord] = []
        self.gaps: list[Gap] = []
        self.current: PlayedFrame | None = None
        self._index = -1
        self._container = None
        self._frames = None  # the open segment's decode iterator
        self._ahead: tuple | None = None  # (frame, wall) decoded past a seek's target: the next one
        self._history: deque[PlayedFrame] = deque()
        self._at = -1  # position of ``current`` in the history
        self._keys: dict[str, list[tuple[float, int]]] = {}  # segment path: its keyframes
        self.extend(records)

    def extend(self, records: Sequence[SegmentRecord]) -> int:
        """Add the segments and gaps indexed since (a recording that goes on); how many segments were new.

        The frame shown, the open segment and the frames kept for stepping back stay as they are.
        """
        known = {s.segment_id for s in self.segments}
        fresh = [r for r in records if r.kind == "segment" and r.segment_id not in known and r.path
                 and Path(r.path).is_file()]
        opened = self.segments[self._index] if self._index >= 0 else None
        self.segments = sorted([*self.segments, *fresh], key=lambda r: r.start)
        if opened is not None:
            self._index = self.segments.index(opened)
        self._records.update((r.segment_id, r) for r in records)  # a gap still open grows: the newer record wins
        self.gaps = gaps_of(list(self._records.values()))
        return len(fresh)

    def seek(self, wall: float) -> PlayedFrame | None:
        """The frame shown at ``wall``: the last one at or before it; in a gap, the first one after it.

        A time less than ``HOLE_S`` past a segment's end still shows that segment's last frame; a
        time further past the recording's end shows its last frame, with the gap up to ``wall``.
        """
        if not self.segments:
            return None
        index = next((i for i, s in enumerate(self.segments) if wall < s.start), len(self.segments)) - 1
        if index < 0 or wall > self.segments[index].end + HOLE_S and index + 1 < len(self.segments):
            index += 1  # before the recording or in a hole: the next segment's first frame
        frame = self._decode_to(index, max(wall, self.segments[index].start))
        if frame is not None and wall < frame.wall - _EPS:
            gap = self.gap_at(wall) or (Gap(wall, frame.wall, "not recorded") if frame.wall - wall >= HOLE_S else None)
            frame = replace(frame, gap=gap)
        elif frame is not None and wall - frame.wall >= HOLE_S and index == len(self.segments) - 1:
            frame = replace(frame, gap=self.gap_at(wall) or Gap(frame.wall, wall, PAST_THE_END))
        return self._show(frame, reset=True)

    def next(self) -> PlayedFrame | None:
        """One frame forward, into the next segment at the end of one; None at the end of the recording."""
        if self._at + 1 < len(self._history):
            self._at += 1
            self.current = self._history[self._at]
            return self.current
        if self._index < 0:
            return None
        frame, gap = self._read(), None
        while frame is None:
            if self._index + 1 >= len(self.segments):
                return None
            before = self.segments[self._index].end
            self._open(self._index + 1)
            after = self.segments[self._index].start
            gap = self.gap_at((before + after) / 2) if after - before >= HOLE_S else None
            frame = self._read()
        return self._show(replace(frame, gap=gap) if gap else frame)

    def previous(self) -> PlayedFrame | None:
        """One frame back (the current one again at the very start of the recording)."""
        if self.current is None:
            return None
        if self._at > 0:
            self._at -= 1
            self.current = self._history[self._at]
            return self.current
        wall, index = self.current.wall, self._segment_of(self.current.wall)
        frame = self._decode_to(index, wall - 2 * _EPS)  # a frame within _EPS of a time counts as at it
        if frame is not None and frame.wall > wall - _EPS and index > 0:  # its segment's first: the one before's last
            frame = self._decode_to(index - 1, self.segments[index - 1].end + 3600.0)
            hole = self.segments[index].start - self.segments[index - 1].end
            gap = self.gap_at(self.segments[index].start - hole / 2) if hole >= HOLE_S else None
            frame = replace(frame, gap=gap) if frame is not None and gap else frame
        return self._show(frame, reset=True)

    def gap_at(self, wall: float) -> Gap | None:
        """The gap that holds ``wall``, if any."""
        return next((g for g in self.gaps if g.start - _EPS <= wall <= g.end + _EPS), None)

    def close(self) -> None:
        """Close the open segment file."""
        if self._container is not None:
            self._container.close()
        self._container, self._frames, self._ahead, self._index = None, None, None, -1

    # -- internals ---------------------------------------------------------------------------

    def _segment_of(self, wall: float) -> int:
        return max(0, next((i for i, s in enumerate(self.segments) if wall < s.start - _EPS),
                           len(self.segments)) - 1)

    def _show(self, frame: PlayedFrame | None, reset: bool = False) -> PlayedFrame | None:
        if frame is None:
            return None
        if reset:
            self._history.clear()
        self._history.append(frame)
        while len(self._history) > 1 and len(self._history) * frame.image.nbytes > HISTORY_BYTES:
            self._history.popleft()
        self._at = len(self._history) - 1
        self.current = frame
        return frame

    def _open(self, index: int) -> None:
        self.close()
        self._container = av.open(self.segments[index].path)
        stream = self._container.streams.video[0]
        # Slice threads, not frame threads: freeing a frame-threaded decoder mid-stream (every seek
        # and segment change closes one) deadlocked inside FFmpeg once in a CI run.
        stream.thread_type = "SLICE"
        self._frames = self._container.decode(stream)
        self._index = index

    def _decode_to(self, index: int, wall: float) -> PlayedFrame | None:
        """The last frame of segment ``index`` at or before ``wall`` (its first if none is); the next one is kept."""
        segment = self.segments[index]
        keys = self._keyframes(segment.path)
        key = max((pts for time, pts in keys if segment.start + time <= wall + _EPS), default=None)
        self._open(index)
        seeked = key is not None and key != keys[0][1]
        if seeked:
            self._container.seek(key, stream=self._container.streams.video[0], backward=True)
        found = self._decoded()
        if seeked and (found is None or found[1] > wall + _EPS):
            self._open(index)  # the seek missed the keyframe: decode from the start
            found = self._decoded()
        while found is not None:  # frames passed over are not converted to pictures
            frame = self._decoded()
            if frame is None or frame[1] > wall + _EPS:
                self._ahead = frame
                break
            found = frame
        return self._played(found)

    def _keyframes(self, path: str) -> list[tuple[float, int]]:
        """A segment's keyframes (seconds from its start, the timestamp to seek to), read once by demuxing.

        A seek in MPEG-TS lands on whatever packet is nearest, often not a keyframe, and the
        decoder then gives nothing until the next one: seeks go to a keyframe's own timestamp (its
        dts: with B-frames its pts is later than that of the frames that follow it in the file).
        """
        if path not in self._keys:
            keys = self._keys[path] = []
            try:
                with av.open(path) as container:
                    stream = container.streams.video[0]
                    keys += [(float(p.pts * p.time_base), p.dts if p.dts is not None else p.pts)
                             for p in container.demux(stream) if p.is_keyframe and p.pts is not None]
            except av.error.FFmpegError as exc:  # a damaged tail: the keyframes before it stand
                logger.warning("segment %s is damaged (%s): seeking in what precedes it", path, exc)
        return self._keys[path]

    def _read(self) -> PlayedFrame | None:
        """The open segment's next frame as a picture; None at its end."""
        if self._ahead is not None:
            decoded, self._ahead = self._ahead, None
            return self._played(decoded)
        return self._played(self._decoded())

    def _decoded(self) -> tuple | None:
        """The open segment's next decoded frame and its wall time; None at its end (a damaged tail ends it too)."""
        try:
            frame = next(self._frames, None)
        except av.error.FFmpegError as exc:
            logger.warning("segment %s is damaged from here (%s): played up to there",
                           self.segments[self._index].path, exc)
            return None
        if frame is None:
            return None
        offset = float(frame.pts * frame.time_base) if frame.pts is not None else 0.0
        return frame, self.segments[self._index].start + offset

    @staticmethod
    def _played(decoded: tuple | None) -> PlayedFrame | None:
        return PlayedFrame(decoded[0].to_ndarray(format="bgr24"), decoded[1]) if decoded is not None else None
