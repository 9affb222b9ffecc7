"""Per-camera tracking: ultralytics' ByteTrack for association, our Track book for the lifecycle."""

from __future__ import annotations

from argparse import Namespace

import numpy as np

from surveil.vision.detections import Detections
from surveil.vision.runtime import configure_ultralytics
from surveil.vision.tracks import Track, TrackState, crop_quality

# ultralytics' bytetrack.yaml defaults; track_buffer counts detection updates, not frames,
# because the gate runs detection at a variable rate.
BYTETRACK = {"tracker_type": "bytetrack", "track_high_thresh": 0.25, "track_low_thresh": 0.1,
             "new_track_thresh": 0.25, "match_thresh": 0.8, "fuse_score": True}


class _TrackerInput:
    """The Results-like view ByteTrack reads: conf, cls, xywh, len and mask indexing."""

    def __init__(self, dets: Detections):
        self.dets = dets
        xyxy = dets.xyxy
        self.xywh = np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                                     xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]]).reshape(-1, 4)
        self.conf = dets.confidence
        self.cls = dets.class_id

    def __len__(self) -> int:
        return len(self.dets)

    def __getitem__(self, index) -> _TrackerInput:
        return _TrackerInput(self.dets[index])


class CameraTracker:
    """Stable ids across detections on one camera, and each track's new/updated/lost/ended changes."""

    def __init__(self, camera_id: str, names: dict[int, str], track_buffer: int = 15):
        configure_ultralytics()
        from ultralytics.trackers.byte_tracker import BYTETracker

        self.camera_id = camera_id
        self.names = names
        self._bytetrack = BYTETracker(Namespace(**BYTETRACK, track_buffer=track_buffer))
        self.tracks: dict[int, Track] = {}

    def update(self, dets: Detections, image: np.ndarray, t: float) -> tuple[Detections, list[Track]]:
        """Associate ``dets`` with tracks; return the tracked detections and every track that changed."""
        rows = self._bytetrack.update(_TrackerInput(dets), image)
        rows = np.asarray(rows, np.float64).reshape(-1, 8)
        indices = rows[:, 7].astype(int)
        ids = rows[:, 4].astype(np.int64)
        tracked = Detections.from_arrays(dets.xyxy[indices], dets.confidence[indices], dets.class_id[indices], ids)
        changed = [self._see(tracked[i], image, t) for i in range(len(tracked))]
        return tracked, changed + self._age(set(ids.tolist()))

    def finish(self) -> list[Track]:
        """End every remaining track (end of a file, camera removed)."""
        ended = list(self.tracks.values())
        for track in ended:
            track.state = TrackState.ENDED
        self.tracks.clear()
        return ended

    def _see(self, det: Detections, image: np.ndarray, t: float) -> Track:
        track_id, class_id = int(det.tracker_id[0]), int(det.class_id[0])
        track = self.tracks.get(track_id)
        if track is None:
            track = Track(track_id, self.camera_id, class_id, self.names.get(class_id, str(class_id)), t, t)
            self.tracks[track_id] = track
        else:
            track.state = TrackState.UPDATED
        track.last_t, track.hits = t, track.hits + 1
        track.boxes.append((t, det.xyxy[0].copy()))
        track.max_confidence = max(track.max_confidence, float(det.confidence[0]))
        score, crop = crop_quality(image, det.xyxy[0], float(det.confidence[0]))
        if crop is not None and score > track.best_crop_score:
            track.best_crop, track.best_crop_score = crop, score
        return track

    def _age(self, seen: set[int]) -> list[Track]:
        alive = {t.track_id for t in self._bytetrack.tracked_stracks + self._bytetrack.lost_stracks}
        changed = []
        for track_id, track in list(self.tracks.items()):
            if track_id in seen:
                continue
            if track_id not in alive:
                track.state = TrackState.ENDED
                del self.tracks[track_id]
                changed.append(track)
            elif track.state is not TrackState.LOST:
                track.state = TrackState.LOST
                changed.append(track)
        return changed
