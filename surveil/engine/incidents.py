"""The events the engine still owes something: each version written, its clip, its notices and webhooks.

An event stays here while it is open or its clip is still being cut, then leaves: nothing is
kept for ever. Updates come from the analysis thread, clip results from the recorder thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from surveil.engine.alerts import EngineNotice
from surveil.engine.health import Latency
from surveil.engine.persist import event_put
from surveil.engine.webhooks import WebhookSender
from surveil.engine.writer import StoreWriter, WriteJob
from surveil.media.cut import ClipResult
from surveil.media.recorder import Recorder
from surveil.rules.events import Event, EventUpdate
from surveil.rules.model import Rule
from surveil.store.records import event_json

logger = logging.getLogger(__name__)


@dataclass
class OpenIncident:
    """One event until it has ended and its clip is settled."""

    event: Event
    rule: Rule | None
    object_id: str | None
    clip_state: str  # recording (a clip will be cut), none (camera not recorded), written, failed
    clip: ClipResult | None = None

    @property
    def settled(self) -> bool:
        """Ended, and no clip result still to come."""
        return not self.event.open and self.clip_state != "recording"


class Incidents:
    """Turns event updates into stored versions, recorder clip jobs, notices and webhook posts."""

    def __init__(self, writer: StoreWriter, recorder: Recorder, webhooks: WebhookSender,
                 notify: Callable[[EngineNotice], None], live_clock: Callable[[str], bool]):
        self.writer, self.recorder, self.webhooks, self._notify = writer, recorder, webhooks, notify
        self._live_clock = live_clock
        self.appearance_tag: str | None = None  # the appearance model's tag, stored with each event's vector
        self.latency = Latency()
        self._open: dict[str, OpenIncident] = {}
        self._by_track: dict[tuple[str, int], list[str]] = {}  # events raised on a track, for its object record
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._open)

    def update(self, update: EventUpdate, rule: Rule | None, object_id: str | None) -> None:
        """Analysis thread: a rule's event started, got a better peak, or ended."""
        event = update.event
        with self._lock:
            incident = self._open.get(event.event_id)
            if incident is None:
                clip = "recording" if self.recorder.records(event.camera_id) else "none"
                incident = self._open[event.event_id] = OpenIncident(event, rule, object_id, clip)
        if update.kind == "started":
            self._by_track.setdefault((event.camera_id, event.track_id), []).append(event.event_id)
            self.recorder.start_clip(event.event_id, event.camera_id, event.start_wall.timestamp())
            self._write(incident, on_written=lambda: self._started_written(event, rule))
        elif update.kind == "ended":
            # Written before the clip is asked for: the version with the clip must be the later write.
            self._write(incident, on_written=lambda: self._notify(EngineNotice(
                "alert_ended", f"{event.rule} on {event.camera_id} ended", self.writer.store.get_event(event.event_id),
                camera_id=event.camera_id, detail={"event_id": event.event_id})))
            self.recorder.end_clip(event.event_id, event.end_wall.timestamp())
        else:
            self._write(incident)

    def on_clip(self, event_id: str, result: ClipResult) -> None:
        """Recorder thread: a clip was cut (or failed); store a new version of the event."""
        with self._lock:
            incident = self._open.get(event_id)
            if incident is None:
                return
            incident.clip, incident.clip_state = result, "failed" if result.error else "written"
        self._write(incident)
        event = incident.event
        kind = "clip_failed" if result.error else "clip_written"
        message = result.error or f"clip of {event.rule} on {event.camera_id}: {result.path}"
        self._notify(EngineNotice(kind, message, camera_id=event.camera_id, detail={"event_id": event_id}))

    def events_of_track(self, camera_id: str, track_id: int) -> list[str]:
        """Analysis thread: the ids of the events a finished track raised (asked once, when it is stored)."""
        return self._by_track.pop((camera_id, track_id), [])

    def _write(self, incident: OpenIncident, on_written=None) -> None:
        with self._lock:
            clip = incident.clip
            put = event_put(incident.event, incident.rule, incident.object_id, incident.clip_state,
                            str(clip.path) if clip and clip.path else None, clip.sha256 if clip else None,
                            clip.start_wall if clip else None, clip.fps if clip else None, self.appearance_tag)
            if incident.settled:
                self._open.pop(incident.event.event_id, None)
        self.writer.submit(WriteJob([put], on_written))

    def _started_written(self, event: Event, rule: Rule | None) -> None:
        """Store-writer thread: the event is on disk; now it may be announced."""
        if self._live_clock(event.camera_id):  # a file read ahead of (or behind) the clock has no latency
            self.latency.add(time.time() - event.start_wall.timestamp())
        record = self.writer.store.get_event(event.event_id)
        self._notify(EngineNotice("alert_started", f"[{event.severity}] {event.rule} on {event.camera_id}: "
                                  f"{event.label} #{event.track_id}", record, event.camera_id))
        for action in rule.actions if rule and record else []:
            self.webhooks.send(action.url, event_json(record))
