"""What the incident view shows, read through the link on a worker thread, and read again while it grows.

An event still going on, or one whose recording is not indexed yet (a segment is indexed when it
closes, ten seconds or more after its first frame), is read again every ``POLL_MS``: the scrub bar
then follows the recording as it comes in, and the player can go to the moment it was asked for.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from surveil.service.link import EngineLink
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, SegmentRecord

LEAD_S = 3.0  # the player opens this long before the event starts
AROUND_S = 60.0  # the scrub bar shows this much before the event and after it ends
OPEN_EVENT_S = 30.0  # an event still running is shown as if it lasted this long
POLL_MS = 2000  # how often what is shown is read again while the recording may still grow
CATCH_UP_S = 120.0  # after the range shown ends, how long its recording may still be arriving


@dataclass(frozen=True)
class Incident:
    """What the view shows, read in one go."""

    camera_id: str
    t0: float
    t1: float
    at: float
    event: EventRecord | None
    state: OperatorState | None
    obj: ObjectRecord | None
    records: list[SegmentRecord]
    events: list[EventRecord]


def read_incident(link: EngineLink, event_id: str | None, camera_id: str | None, at: float | None) -> Incident:
    """The event (if any), the camera's recording and events around it and where to start (a worker thread)."""
    event = link.event(event_id) if event_id else None
    if event_id and event is None:
        raise ValueError(f"no event {event_id} in the store")
    if event is not None:
        camera_id = event.camera_id
        t0, t1 = event.start - AROUND_S, (event.end or event.start + OPEN_EVENT_S) + AROUND_S
        start = event.start - LEAD_S if at is None else at
    else:
        t0, t1, start = at - AROUND_S, at + AROUND_S, at
    t0, t1 = min(t0, start - 10), max(t1, start + 10)
    return _around(link, Incident(camera_id, t0, t1, start, event, None, None, [], []))


def read_again(link: EngineLink, incident: Incident) -> Incident:
    """``incident`` with what was stored since: the event's end, its object's boxes, new recording and events.

    While the event goes on, the range grows by ``AROUND_S`` whenever the recording comes within
    half of that of its end; once the event ends, the range reaches ``AROUND_S`` past its end.
    """
    event = link.event(incident.event.event_id) if incident.event is not None else None
    event = event or incident.event
    t1, recorded = incident.t1, recorded_to(incident.records)
    if event is not None and event.end is not None:
        t1 = max(t1, event.end + AROUND_S)
    elif recorded is not None and recorded > t1 - AROUND_S / 2:
        t1 = recorded + AROUND_S
    return _around(link, replace(incident, t1=t1, event=event))


def _around(link: EngineLink, incident: Incident) -> Incident:
    """The camera's recording, events, the event's operator state and object over the incident's range."""
    event, camera_id, t0, t1 = incident.event, incident.camera_id, incident.t0, incident.t1
    rows = link.events(EventFilter(since=t0 - AROUND_S, until=t1, cameras=[camera_id]), limit=500)[0]
    events = [r for r, _ in rows if (r.end or r.start) >= t0]
    state = next((s for r, s in rows if event is not None and r.event_id == event.event_id), None)
    obj = link.object(event.object_id) if event is not None and event.object_id else None
    records = link.recordings(camera_id, t0, t1)
    if event is not None and not any(r.kind == "segment" for r in records) and event.clip_path and event.clip_start:
        records = [clip_as_segment(event)]  # retention took the recording; the event's clip is kept longer
    return replace(incident, state=state, obj=obj, records=records, events=events)


def clip_as_segment(event: EventRecord) -> SegmentRecord:
    """An event's clip played like a segment: its timestamps start at zero, at ``clip_start`` (see media/cut.py)."""
    return SegmentRecord(f"clip:{event.event_id}", event.camera_id, "segment", event.clip_start,
                         (event.end or event.start) + AROUND_S, event.clip_path)


def recorded_to(records: list[SegmentRecord]) -> float | None:
    """The end of the last recorded segment, or None when nothing is recorded."""
    return max((r.end for r in records if r.kind == "segment"), default=None)


def still_growing(incident: Incident, now: float | None = None) -> bool:
    """Whether more of what the view shows may still be stored.

    It may while the event goes on, or while its range's recording is not indexed to the range's
    end and that end is less than ``CATCH_UP_S`` ago.
    """
    if incident.event is not None and incident.event.end is None:
        return True
    recorded = recorded_to(incident.records)
    now = time.time() if now is None else now
    return (recorded is None or recorded < incident.t1) and now < incident.t1 + CATCH_UP_S
