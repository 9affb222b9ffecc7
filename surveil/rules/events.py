"""Events (alerts) and the explanation of a rule's decision."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field

import numpy as np

from surveil.rules.conditions import ConditionResult
from surveil.rules.scoring import ScoreBreakdown


def new_event_id(wall: dt.datetime) -> str:
    """Sorts by start time: milliseconds since the epoch, then a random suffix."""
    return f"{int(wall.timestamp() * 1000):013d}-{uuid.uuid4().hex[:8]}"


@dataclass
class Event:
    """A rule matched on a track: from start to end, with its best moment."""

    event_id: str
    rule: str
    camera_id: str
    track_id: int
    label: str
    severity: str
    start_t: float
    start_wall: dt.datetime
    last_t: float
    reasons: list[str] = field(default_factory=list)
    end_t: float | None = None
    end_wall: dt.datetime | None = None
    peak_probability: float | None = None
    peak_score: ScoreBreakdown | None = None
    thumbnail: np.ndarray | None = None
    embedding: np.ndarray | None = None
    appearance: np.ndarray | None = None  # the detector's look at the peak, for feedback without CLIP

    @property
    def open(self) -> bool:
        """True until the event has ended."""
        return self.end_t is None


@dataclass(frozen=True)
class EventUpdate:
    """started, updated (a better peak) or ended."""

    kind: str
    event: Event


@dataclass(frozen=True)
class RuleDecision:
    """Why a rule would or would not fire on a track right now."""

    rule: str
    camera_id: str
    track_id: int
    conditions: list[ConditionResult]
    score: ScoreBreakdown | None
    state: str  # idle, pending, active, suppressed

    @property
    def holding(self) -> bool:
        """All conditions hold."""
        return all(c.ok for c in self.conditions)

    def explain(self) -> str:
        """Several lines, one per condition, for the editor and the CLI."""
        marks = [f"  [{'x' if c.ok else ' '}] {c.name}: {c.detail}" for c in self.conditions]
        return "\n".join([f"rule '{self.rule}' on {self.camera_id} track {self.track_id}: {self.state}", *marks])
