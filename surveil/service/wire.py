"""The JSON forms the API sends, and the records a client rebuilds from them.

One place for both directions, so that what the engine says and what an attached window
reads cannot drift apart.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.snapshot import CameraView, Snapshot, TrackView, frozen
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, event_json


def record_from(kind, data: dict | None):
    """A record dataclass from its JSON form (extra keys such as ``start_utc`` are ignored)."""
    if data is None:
        return None
    names = {f.name for f in fields(kind)}
    return kind(**{k: v for k, v in data.items() if k in names})


def notice_json(notice: EngineNotice, at: float | None = None) -> dict:
    """A notice as ``run --json`` prints it and the API streams it."""
    return {"time": round(at if at is not None else time.time(), 3), "kind": notice.kind, "message": notice.message,
            "camera": notice.camera_id, "event": event_json(notice.record) if notice.record is not None else None,
            "detail": notice.detail or {}}


def notice_from(data: dict) -> EngineNotice:
    """The notice back from its JSON form."""
    return EngineNotice(data["kind"], data["message"], record_from(EventRecord, data.get("event")),
                        data.get("camera"), data.get("detail") or {})


def event_row_from(data: dict) -> tuple[EventRecord, OperatorState]:
    """An ``events`` row (event with its operator state) back into records."""
    return record_from(EventRecord, data), record_from(OperatorState, data.get("state") or {})


def object_from(data: dict | None) -> ObjectRecord | None:
    """An object record from its JSON form."""
    return record_from(ObjectRecord, data)


@dataclass(frozen=True)
class DecisionText:
    """A rule's decision on a track as a client sees it: who, and the engine's own explanation."""

    rule: str
    camera_id: str
    track_id: int
    state: str
    text: str

    def explain(self) -> str:
        """The engine's explanation, as written there."""
        return self.text


def snapshot_json(snapshot: Snapshot) -> dict:
    """What a client needs of a snapshot: config, cameras with their tracks, decisions explained."""
    return {
        "seq": snapshot.seq, "config": snapshot.config.model_dump(mode="json"),
        "cameras": {cid: {"state": v.state, "reason": v.reason,
                          "retry_in": max(0.0, v.retry_at - time.monotonic()) if v.retry_at is not None else None,
                          "tracks": [[t.track_id, t.label, list(t.box)] for t in v.tracks]}
                    for cid, v in snapshot.cameras.items()},
        "decisions": [{"rule": d.rule, "camera_id": d.camera_id, "track_id": d.track_id, "state": d.state,
                       "text": d.explain()} for d in snapshot.decisions.values()],
        "rule_failures": dict(snapshot.rule_failures), "clip_reason": snapshot.clip_reason,
        "examples": {k: list(v) for k, v in snapshot.examples.items()},
    }


def snapshot_from(data: dict) -> Snapshot:
    """A snapshot rebuilt on the client (retry times re-anchored to this process's monotonic clock)."""
    now = time.monotonic()
    cameras = {cid: CameraView(cid, v["state"], v.get("reason") or "",
                               now + v["retry_in"] if v.get("retry_in") is not None else None,
                               tuple(TrackView(int(t[0]), str(t[1]), tuple(t[2])) for t in v.get("tracks", ())))
               for cid, v in data["cameras"].items()}
    decisions = {(d["rule"], d["camera_id"], int(d["track_id"])): DecisionText(**d) for d in data["decisions"]}
    return Snapshot(int(data["seq"]), SurveilConfig.model_validate(data["config"]), frozen(cameras),
                    frozen(decisions), frozen(dict(data["rule_failures"])), data.get("clip_reason"),
                    frozen({k: tuple(v) for k, v in data["examples"].items()}))
