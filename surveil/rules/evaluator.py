"""Between seeing and deciding: tracks become observations, crops are embedded in one batch."""

from __future__ import annotations

import datetime as dt
import logging

import numpy as np

from surveil.rules.embed_policy import EmbedPolicy
from surveil.rules.engine import RuleEngine
from surveil.rules.events import EventUpdate
from surveil.rules.observation import Observation
from surveil.vision.appearance import AppearanceEncoder
from surveil.vision.clip import TextImageEncoder
from surveil.vision.flow import heading_deg
from surveil.vision.pipeline import FrameAnalysis
from surveil.vision.tracks import Track, TrackState

logger = logging.getLogger(__name__)

Item = tuple[FrameAnalysis, np.ndarray, dt.datetime]  # analysis, its image, its wall-clock time


CROP_MARGIN = 0.1  # CLIP sees a little context around the box


def crop_box(image: np.ndarray, box, margin: float = CROP_MARGIN) -> np.ndarray | None:
    """A copy of the box with a little context around it; None when the box is empty."""
    h, w = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    mx, my = (x2 - x1) * margin, (y2 - y1) * margin
    c1, r1 = int(max(0, x1 - mx)), int(max(0, y1 - my))
    c2, r2 = int(min(w, x2 + mx)), int(min(h, y2 + my))
    return image[r1:r2, c1:c2].copy() if c2 - c1 >= 4 and r2 - r1 >= 4 else None


class RuleEvaluator:
    """Feeds one round of frame analyses (several cameras) to the rule engine.

    Tracks that need a new look (EmbedPolicy) have their crops embedded together, across
    tracks and cameras, in one batch: by CLIP where a rule reads it, and by the detector's
    appearance model always (the operator's examples work on it without CLIP).
    """

    def __init__(self, engine: RuleEngine, encoder: TextImageEncoder | None, policy: EmbedPolicy | None = None,
                 appearance: AppearanceEncoder | None = None):
        self.engine, self.encoder, self.appearance = engine, encoder, appearance
        self.policy = policy or EmbedPolicy()

    def process(self, items: list[Item]) -> list[EventUpdate]:
        """Observe every updated track, end the ended ones, then let grace periods run out."""
        looks: list[tuple[FrameAnalysis, Track, np.ndarray, dt.datetime, bool]] = []
        updates: list[EventUpdate] = []
        looking = self.engine.wants_embeddings or self.appearance is not None
        for analysis, image, wall in items:
            for track in analysis.changed:
                if track.state is TrackState.ENDED:
                    updates += self.end(track.camera_id, [track.track_id], analysis.t, wall)
                elif track.state in (TrackState.NEW, TrackState.UPDATED):
                    crop = crop_box(image, track.box)
                    embed = crop is not None and looking and self.policy.needs(
                        track.camera_id, track.track_id, track.box, analysis.t)
                    looks.append((analysis, track, crop, wall, embed))
        crops = [look[2] for look in looks if look[4]]
        embeddings = self._embed(crops) if self.engine.wants_embeddings else [None] * len(crops)
        appearances = self._appearance(crops)
        for analysis, track, crop, wall, embed in looks:
            embedding, appearance = (embeddings.pop(0), appearances.pop(0)) if embed else (None, None)
            obs = _observation(analysis, track, crop, embedding, wall, appearance)
            updates += self.engine.observe(obs)
        if items:
            latest = max(items, key=lambda item: item[0].t)
            updates += self.engine.tick(latest[0].t, latest[2])
        return updates

    def end(self, camera_id: str, track_ids: list[int], t: float, wall: dt.datetime) -> list[EventUpdate]:
        """Tracks that ended (gone from view, or their camera closed): forget them and end their events."""
        for track_id in track_ids:
            self.policy.forget(camera_id, track_id)
        return self.engine.end_tracks(camera_id, track_ids, t, wall)

    def _embed(self, crops: list[np.ndarray]) -> list[np.ndarray]:
        if not crops or self.encoder is None:
            return []
        try:
            return list(self.encoder.encode_images(crops))
        except Exception:
            logger.exception("CLIP failed on %d crops; their votes are skipped this round", len(crops))
            return [None] * len(crops)

    def _appearance(self, crops: list[np.ndarray]) -> list[np.ndarray | None]:
        if not crops or self.appearance is None:
            return [None] * len(crops)
        try:
            return list(self.appearance.encode(crops))
        except Exception:
            logger.exception("the appearance model failed on %d crops; their looks go without it", len(crops))
            return [None] * len(crops)


def _observation(analysis: FrameAnalysis, track: Track, crop, embedding, wall, appearance=None) -> Observation:
    moving = track.speed_px_s > 0
    peers = tuple((t.label, tuple(float(v) for v in t.box)) for t in analysis.changed
                  if t.state in (TrackState.NEW, TrackState.UPDATED))
    return Observation(
        camera_id=track.camera_id, track_id=track.track_id, label=track.label,
        box=tuple(float(v) for v in track.box), frame_size=analysis.frame_size, t=analysis.t, wall=wall,
        speed_bh_s=track.speed_bh_s, heading_deg=heading_deg(track.vx, track.vy) if moving else None,
        stationary_s=track.stationary_s(analysis.t), embedding=embedding, crop=crop, appearance=appearance,
        peers=peers, crop_margin=CROP_MARGIN)
