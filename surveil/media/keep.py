"""Which segments a camera in ``events`` or ``motion`` mode keeps.

A closed segment is held until nothing can still claim it: an event that starts later
than the segment's end plus the pre-roll cannot need it. Then it is kept when an event
(with its pre- and post-roll) or, in motion mode, motion overlaps it; else it is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from surveil.media.segments import ClosedSegment

MARGIN_S = 5.0  # analysis reports an event a moment after its first frame was recorded
FOREVER = float("inf")


@dataclass
class _Camera:
    events: dict[str, list[float]] = field(default_factory=dict)  # event id -> [start, end]
    motion: list[float] = field(default_factory=list)
    held: list[ClosedSegment] = field(default_factory=list)


class KeepBook:
    """Event spans, motion marks and held segments per camera (recorder thread only)."""

    def __init__(self, pre_roll_s: float, post_roll_s: float):
        self.pre_roll_s, self.post_roll_s = pre_roll_s, post_roll_s
        self._cams: dict[str, _Camera] = {}

    def _cam(self, camera_id: str) -> _Camera:
        return self._cams.setdefault(camera_id, _Camera())

    def add_event(self, event_id: str, camera_id: str, start: float) -> None:
        """An event started (open until ``end_event``)."""
        self._cam(camera_id).events[event_id] = [start, FOREVER]

    def end_event(self, event_id: str, end: float) -> None:
        """An event ended."""
        for cam in self._cams.values():
            if event_id in cam.events:
                cam.events[event_id][1] = end

    def add_motion(self, camera_id: str, t_wall: float) -> None:
        """Motion seen at ``t_wall``."""
        marks = self._cam(camera_id).motion
        if not marks or t_wall - marks[-1] >= 1.0:  # one mark a second is plenty to decide by
            marks.append(t_wall)

    def hold(self, segment: ClosedSegment) -> None:
        """Hold a closed segment until it can be decided."""
        self._cam(segment.camera_id).held.append(segment)

    def settle(self, recorded_until: dict[str, float], final: bool = False,
               only: str | None = None) -> list[tuple[ClosedSegment, bool]]:
        """Decide held segments whose pre-roll has passed (all of them when ``final``): (segment, keep)."""
        out = []
        for camera_id, cam in self._cams.items():
            if only is not None and camera_id != only:
                continue
            now = recorded_until.get(camera_id, FOREVER if final else 0.0)
            due = [s for s in cam.held if final or now - s.end > self.pre_roll_s + MARGIN_S]
            for segment in due:
                cam.held.remove(segment)
                out.append((segment, self._needed(cam, segment)))
            self._forget(cam, now)
        return out

    def _needed(self, cam: _Camera, segment: ClosedSegment) -> bool:
        for start, end in cam.events.values():
            if start - self.pre_roll_s <= segment.end and end + self.post_roll_s >= segment.start:
                return True
        return any(segment.start <= t <= segment.end for t in cam.motion)

    def _forget(self, cam: _Camera, now: float) -> None:
        """Drop what no held or future segment can overlap any more."""
        oldest = min((s.start for s in cam.held), default=now)
        horizon = oldest - self.pre_roll_s - self.post_roll_s - MARGIN_S
        cam.events = {k: v for k, v in cam.events.items() if v[1] + self.post_roll_s >= horizon}
        cam.motion = [t for t in cam.motion if t >= horizon]
