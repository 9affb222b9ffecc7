"""What the engine tells its listeners (CLI, GUI, tests). Listeners run on engine threads."""

from __future__ import annotations

from dataclasses import dataclass

from surveil.store.records import EventRecord


@dataclass(frozen=True)
class EngineNotice:
    """kind: alert_started, alert_ended, clip_written, clip_failed, camera_status, store_error, rule_error."""

    kind: str
    message: str
    record: EventRecord | None = None
    camera_id: str | None = None
