"""What other threads may read of the engine: an immutable snapshot the analysis thread publishes.

The window, the CLI and tests never touch the analysis thread's own objects (pipelines, the
rule engine, camera sources); they read the newest ``Snapshot``, replaced as a whole after
every round and every change. Reading a reference is atomic, so no lock is needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from surveil.config import SurveilConfig
from surveil.rules.conditions import applies_to_camera
from surveil.rules.events import RuleDecision
from surveil.rules.model import Rule


@dataclass(frozen=True)
class TrackView:
    """One tracked object in view."""

    track_id: int
    label: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class CameraView:
    """A camera's capture state and the objects it is tracking."""

    camera_id: str
    state: str
    reason: str = ""
    retry_at: float | None = None  # monotonic
    tracks: tuple[TrackView, ...] = ()


@dataclass(frozen=True)
class Snapshot:
    """The engine as of one moment. ``config`` is the running configuration: never modify it."""

    seq: int
    config: SurveilConfig
    cameras: Mapping[str, CameraView] = field(default_factory=dict)
    decisions: Mapping[tuple[str, str, int], RuleDecision] = field(default_factory=dict)
    rule_failures: Mapping[str, str] = field(default_factory=dict)
    clip_reason: str | None = None  # why CLIP is unavailable; None when it runs
    examples: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # rule -> (correct, false alarm) marks

    def rules_on(self, camera_id: str) -> list[Rule]:
        """The enabled rules that watch this camera."""
        return [rule for rule in self.config.rules if applies_to_camera(rule, camera_id)]

    def decisions_on(self, camera_id: str, rule: str | None = None) -> list[RuleDecision]:
        """Current decisions on a camera's tracks (of one rule, if given), by track id."""
        found = [d for (name, cam, _), d in self.decisions.items() if cam == camera_id and rule in (None, name)]
        return sorted(found, key=lambda d: (d.rule, d.track_id))

    def objects_on(self, camera_id: str) -> dict[str, int]:
        """Objects in view on a camera, counted by class."""
        counts: dict[str, int] = {}
        view = self.cameras.get(camera_id)
        for track in view.tracks if view else ():
            counts[track.label] = counts.get(track.label, 0) + 1
        return counts


def frozen(mapping: dict) -> Mapping:
    """A read-only view of a dict nobody else holds."""
    return MappingProxyType(mapping)
