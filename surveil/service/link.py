# ruff: noqa: D102  (the Protocol lists signatures; LocalLink documents each)
"""The one interface a window (or any client) uses to reach an engine, in this process or over the local API.

``LocalLink`` wraps an ``Engine`` running here; ``surveil.service.remote.RemoteLink`` talks to a
running ``surveil run`` through its API. The window holds an ``EngineLink`` and never knows which.
Every method may be called from any thread; reads that can take long (events, search, export,
back-test) belong on a worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from surveil.config import CameraConfig, SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.changes import Change, ChangeRefused
from surveil.engine.snapshot import Snapshot
from surveil.rules.model import Rule
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, SegmentRecord

logger = logging.getLogger(__name__)

NoticeListener = Callable[[EngineNotice], None]
Progress = Callable[[int, int], None]
Range = tuple[str, float, float]  # a camera's recording from start to end (wall times), for export


@dataclass(frozen=True)
class LiveFrame:
    """What a live tile paints: the newest image of a camera and its tracked boxes (pixels, xyxy)."""

    camera_id: str
    image: np.ndarray
    boxes: np.ndarray
    labels: tuple[str, ...]
    track_ids: tuple[int, ...]
    detected: bool


FrameListener = Callable[[LiveFrame], None]


@dataclass(frozen=True)
class ExportDone:
    """An export's package, its events and its manifest hash."""

    path: Path
    events: list[str]
    files: int
    manifest_sha256: str
    warnings: list[str] = field(default_factory=list)
    fingerprint: str | None = None  # of the key that signed the manifest


@dataclass(frozen=True)
class SearchHit:
    """One stored object that matched a search, with the event it belongs to (if any)."""

    object_id: str
    score: float
    obj: ObjectRecord
    event: EventRecord | None


class EngineLink(Protocol):
    """An engine seen from a client. Commands raise ChangeRefused with a one-line reason."""

    where: str  # "this window" or the service's address, for titles and messages

    @property
    def config(self) -> SurveilConfig: ...
    def snapshot(self) -> Snapshot: ...
    def health(self) -> dict: ...
    def text_search(self) -> bool: ...  # whether CLIP is there to search by words and back-test prompts
    def listen(self, listener: NoticeListener, listening: bool = True) -> None: ...
    def watch_frames(self, listener: FrameListener, watching: bool = True, fps: float | None = None,
                     cameras: frozenset[str] | None = None) -> None: ...

    def add_camera(self, camera: CameraConfig) -> Change: ...
    def update_camera(self, camera_id: str, camera: CameraConfig) -> Change: ...
    def remove_camera(self, camera_id: str, orphaned: str = "disable") -> Change: ...
    def update_rule(self, data: dict | Rule) -> Rule: ...
    def remove_rule(self, name: str) -> Change: ...
    def mark_event(self, event_id: str, verdict: str | None = None, acknowledged: bool | None = None,
                   note: str | None = None, locked: bool | None = None) -> None: ...

    def events(self, flt: EventFilter, limit: int = 50,
               before: str | None = None) -> tuple[list[tuple[EventRecord, OperatorState]], str | None]: ...
    def counts_per_hour(self, flt: EventFilter) -> dict[int, int]: ...
    def event(self, event_id: str) -> EventRecord | None: ...
    def object(self, object_id: str) -> ObjectRecord | None: ...
    def thumbnail(self, kind: str, record_id: str) -> bytes | None: ...
    def recordings(self, camera_id: str, since: float, until: float) -> list[SegmentRecord]: ...
    def search(self, flt: EventFilter, text: str | None = None, like_event: str | None = None,
               k: int = 50) -> list[SearchHit]: ...
    def export(self, dest: Path, event_ids: list[str], progress: Progress | None = None,
               ranges: list[Range] | None = None) -> ExportDone: ...
    def backtest(self, rule: Rule, progress: Progress | None = None): ...  # a BacktestResult
    def close(self) -> None: ...


class LocalLink:
    """An engine in this process (the window started it, and stops it when it closes)."""

    where = "this window"

    def __init__(self, engine):
        self.engine = engine
        self._frames: list[FrameListener] = []  # every analysed frame
        self._shown: dict[FrameListener, tuple] = {}  # a live view: (fps, cameras or None for all)
        self._hooked: tuple = (False, None)  # (analysis hook, (display fps, cameras) or None) held on the engine
        self._boxes: dict[str, tuple] = {}

    # -- the live engine ----------------------------------------------------------------------

    @property
    def config(self) -> SurveilConfig:
        """The running configuration."""
        return self.engine.config

    def snapshot(self) -> Snapshot:
        """The newest snapshot."""
        return self.engine.snapshot()

    def health(self) -> dict:
        """The engine's health."""
        return self.engine.health()

    def text_search(self) -> bool:
        """Whether CLIP is loaded."""
        return self.engine.encoder is not None

    def listen(self, listener: NoticeListener, listening: bool = True) -> None:
        """Add (or remove) a notice listener, called on engine threads."""
        if listening:
            self.engine.listeners.append(listener)
        elif listener in self.engine.listeners:
            self.engine.listeners.remove(listener)

    def watch_frames(self, listener: FrameListener, watching: bool = True, fps: float | None = None,
                     cameras: frozenset[str] | None = None) -> None:
        """Add (or remove, or change) a live-frame listener.

        ``fps`` None: every analysed frame, on the analysis thread. ``fps`` given (a live view): the
        frames of ``cameras`` (None: all) at up to that rate, analysed or not, on the cameras' capture
        threads, each with the newest tracked boxes; the other cameras' analysed frames as before.
        Nothing is converted for display for a camera no listener shows.
        """
        # Replaced whole, never changed in place: capture and analysis threads read them meanwhile.
        frames = [f for f in self._frames if f != listener]
        shown = {f: view for f, view in self._shown.items() if f != listener}
        if watching and fps is None:
            frames.append(listener)
        elif watching:
            shown[listener] = (fps, cameras)
        self._frames, self._shown = frames, shown
        self._hook()

    def _hook(self) -> None:
        """Hold on the engine exactly the hooks the listeners need."""
        views = list(self._shown.values())
        cameras = None if any(c is None for _, c in views) else frozenset().union(*(c for _, c in views))
        display = (max(f for f, _ in views), cameras) if views and (cameras is None or cameras) else None
        wanted = (bool(self._frames or self._shown), display)
        held, self._hooked = self._hooked, wanted
        if wanted[0] != held[0]:
            self.engine.watch_frames(self._on_frame, watching=wanted[0])
        if wanted[1] != held[1]:
            self.engine.watch_display(self._on_display if display else None, *(display or (0.0, None)))

    def _on_frame(self, frame, analysis, names: dict[int, str]) -> None:  # analysis thread
        if analysis.detected and analysis.error is None:
            dets = analysis.detections
            self._boxes[frame.camera_id] = (dets.xyxy.copy(), tuple(names.get(int(c), str(c)) for c in dets.class_id),
                                            tuple(int(i) for i in dets.tracker_id))
        camera = frame.camera_id
        unshown = [f for f, (_, cameras) in self._shown.items() if cameras is not None and camera not in cameras]
        if self._frames or unshown:
            self._tell([*self._frames, *unshown], frame, analysis.detected)

    def _on_display(self, frame) -> None:  # a capture thread
        self._tell([f for f, (_, cameras) in self._shown.items() if cameras is None or frame.camera_id in cameras],
                   frame, False)

    def _tell(self, listeners, frame, detected: bool) -> None:
        boxes, labels, ids = self._boxes.get(frame.camera_id, (np.zeros((0, 4), np.float32), (), ()))
        live = LiveFrame(frame.camera_id, frame.image, boxes, labels, ids, detected)
        for listener in list(listeners):
            listener(live)

    # -- commands ----------------------------------------------------------------------------

    def add_camera(self, camera: CameraConfig) -> Change:
        """Start watching a new camera."""
        return self.engine.add_camera(camera)

    def update_camera(self, camera_id: str, camera: CameraConfig) -> Change:
        """Replace a camera's settings."""
        return self.engine.update_camera(camera_id, camera)

    def remove_camera(self, camera_id: str, orphaned: str = "disable") -> Change:
        """Stop and forget a camera; rules that watched only it are disabled or deleted."""
        return self.engine.remove_camera(camera_id, orphaned)

    def update_rule(self, data: dict | Rule) -> Rule:
        """Add or replace a rule."""
        return self.engine.update_rule(data)

    def remove_rule(self, name: str) -> Change:
        """Delete a rule."""
        return self.engine.remove_rule(name)

    def mark_event(self, event_id: str, verdict: str | None = None, acknowledged: bool | None = None,
                   note: str | None = None, locked: bool | None = None) -> None:
        """Operator triage, audited."""
        self.engine.mark_event(event_id, verdict, acknowledged, note, locked)

    # -- the store ------------------------------------------------------------------------------

    def events(self, flt: EventFilter, limit: int = 50, before: str | None = None):
        """A page of events, newest first, and the next page's cursor."""
        from surveil.store.query import list_events

        return list_events(self._store(), flt, limit, before)

    def counts_per_hour(self, flt: EventFilter) -> dict[int, int]:
        """Events per hour."""
        from surveil.store.query import counts_per_hour

        return counts_per_hour(self._store(), flt)

    def event(self, event_id: str) -> EventRecord | None:
        """One stored event."""
        return self._store().get_event(event_id)

    def object(self, object_id: str) -> ObjectRecord | None:
        """One stored object."""
        return self._store().get_object(object_id)

    def thumbnail(self, kind: str, record_id: str) -> bytes | None:
        """A stored thumbnail (JPEG)."""
        return self._store().thumbnail(kind, record_id)

    def recordings(self, camera_id: str, since: float, until: float) -> list[SegmentRecord]:
        """A camera's segments and gaps overlapping ``[since, until]``, oldest first (paths on this machine)."""
        return list(self._store().segments(camera_id, since, until, kinds=("segment", "gap")))

    def search(self, flt: EventFilter, text: str | None = None, like_event: str | None = None,
               k: int = 50) -> list[SearchHit]:
        """Objects like a text (CLIP) or like an event's object; ChangeRefused says why not."""
        from surveil.service.queries import search_objects

        return search_objects(self._store(), self.engine.encoder, flt, text=text, like_event=like_event, k=k)

    def export(self, dest: Path, event_ids: list[str], progress: Progress | None = None,
               ranges: list[Range] | None = None) -> ExportDone:
        """Export incidents, and cameras' recordings over ``ranges``, to a new folder or zip."""
        from surveil.media.export import TimeRange
        from surveil.service.queries import export_package

        cuts = [TimeRange(*r) for r in ranges or []]
        return export_package(self._store(), self.config, dest, event_ids, ranges=cuts, progress=progress)

    def backtest(self, rule: Rule, progress: Progress | None = None):
        """What the rule would have caught in the stored history."""
        from surveil.service.queries import backtest_rule

        return backtest_rule(self._store(), self.engine.encoder, rule, progress, self.config)

    def close(self) -> None:
        """Stop listening for frames; the window's owner stops the engine."""
        self._frames, self._shown = [], {}
        self._hook()

    def _store(self):
        store = self.engine.store
        if store is None:
            raise ChangeRefused("the engine is not running")
        return store
