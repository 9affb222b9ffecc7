"""What the engine tells its listeners (CLI, GUI, tests). Listeners run on engine threads."""

from __future__ import annotations

from dataclasses import dataclass, field

from surveil.store.records import EventRecord

# Every kind a listener can receive, with what it means. The README's notice list is checked against it.
NOTICE_KINDS = {
    "alert_started": "a rule fired; ``record`` is the stored event",
    "alert_ended": "an alert's conditions stopped holding",
    "clip_written": "an event's clip was cut from the recording",
    "clip_failed": "an event's clip could not be cut",
    "camera_status": "a camera went live, lost its stream, is retrying or failed",
    "camera_added": "a camera was added (``detail``: subject, effects on rules, replaces)",
    "camera_updated": "a camera's settings changed",
    "camera_removed": "a camera was removed (``detail``: what happened to the rules naming it)",
    "rule_changed": "a rule was added or edited (``detail``: the rule)",
    "rule_removed": "a rule was removed",
    "rule_error": "a rule raised while deciding; it pauses and is tried again",
    "event_marked": "an operator acknowledged, judged or annotated an event",
    "thread_error": "an engine thread or round failed; counted in health(), restarted where safe",
    "store_error": "the event store refused a write; writes are retried",
    "store_resumed": "the event store accepts writes again",
    "recording_error": "a camera stopped recording",
    "recording_resumed": "a camera records again",
    "retention": "retention removed old recordings or events",
    "storage_warning": "storage use passed the warning level",
    "overload": "analysis fell behind (or caught up again): ``detail`` has the dropped share and since when",
    "mqtt_up": "connected to the MQTT broker (at start, or again after losing it)",
    "mqtt_down": "the MQTT broker cannot be reached; retried in the background, alert events kept meanwhile",
}


@dataclass(frozen=True)
class EngineNotice:
    """One thing that happened; ``kind`` is one of NOTICE_KINDS."""

    kind: str
    message: str
    record: EventRecord | None = None
    camera_id: str | None = None
    detail: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in NOTICE_KINDS:  # a listener switches on the kind: an unlisted one would go unheard
            raise ValueError(f"unknown notice kind '{self.kind}'")

