"""Turning live events and tracks into store records, with JPEG thumbnails."""

from __future__ import annotations

import time

import numpy as np

from surveil.capture.cv import cv2
from surveil.rules.events import Event
from surveil.rules.model import Rule
from surveil.store.records import EventRecord, ObjectRecord, object_id_for
from surveil.store.store import Put
from surveil.vision.analyze import track_fields
from surveil.vision.tracks import Track


def jpeg(image: np.ndarray | None, quality: int = 85) -> bytes | None:
    """JPEG bytes of a crop, or None."""
    if image is None or image.size == 0:
        return None
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return data.tobytes() if ok else None


def object_id(camera_id: str, track_id: int, first_t: float, wall_offset: float) -> str:
    """The id a track's object record will have; ``wall_offset`` = wall minus monotonic time."""
    return object_id_for(camera_id, track_id, round(first_t + wall_offset, 3))


def event_put(event: Event, rule: Rule | None, obj_id: str | None, clip_state: str, clip_path: str | None = None,
              clip_sha256: str | None = None, clip_start: float | None = None, clip_fps: float | None = None,
              appearance_tag: str | None = None) -> Put:
    """The event's record (a new version each time it changes) with its thumbnail and embedding."""
    score = event.peak_score
    record = EventRecord(
        event_id=event.event_id, rule=event.rule, camera_id=event.camera_id, track_id=event.track_id,
        label=event.label, severity=event.severity, start=event.start_wall.timestamp(),
        end=event.end_wall.timestamp() if event.end_wall else None,
        rule_prompts=list(rule.prompts) if rule else [], peak_probability=event.peak_probability,
        score=_score_dict(score), reasons=list(event.reasons), object_id=obj_id,
        clip_path=clip_path, clip_sha256=clip_sha256, clip_state=clip_state, clip_start=clip_start,
        clip_fps=clip_fps, stored_at=round(time.time(), 3))
    return Put(record, jpeg(event.thumbnail), event.embedding, tagged(event.appearance, appearance_tag))


def object_put(track: Track, obj_id: str, wall_offset: float, frame_size: tuple[int, int],
               event_ids: list[str], embedding: np.ndarray | None,
               appearance: tuple[str, np.ndarray] | None = None) -> Put:
    """A finished track as a tracked-object record, with its best crop."""
    record = ObjectRecord(
        object_id=obj_id, **track_fields(track, wall_offset), box=[round(float(v), 1) for v in track.box],
        frame_size=list(frame_size), event_ids=event_ids, stored_at=round(time.time(), 3))
    return Put(record, jpeg(track.best_crop), embedding, appearance)


def tagged(vector: np.ndarray | None, tag: str | None) -> tuple[str, np.ndarray] | None:
    """An appearance vector with the tag of the model that made it, as the store keeps it."""
    return None if vector is None or tag is None else (tag, vector)


def _score_dict(score) -> dict:
    if score is None:
        return {}
    return {"probability": score.probability, "text_probability": score.text_probability,
            "example_weight": score.example_weight, "threshold": score.threshold,
            "similarities": score.similarities, "contrast_similarities": score.contrast_similarities,
            "background_similarities": score.background_similarities}
