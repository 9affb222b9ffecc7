"""Per-camera tracking: ultralytics' ByteTrack for association, our Track book for the lifecycle."""

from __future__ import annotations

import functools
from argparse import Namespace

import numpy as np

from surveil.vision.detections import Detections
from surveil.vision.runtime import configure_ultralytics
from surveil.vision.tracks import Track, TrackState, crop_quality

# ultralytics' bytetrack.yaml defaults; track_buffer counts detection updates, not frames,
# because the gate runs detection at a variable rate.
BYTETRACK = {"tracker_type": "bytetrack", "track_high_thresh": 0.25, "track_low_thresh": 0.1,
             "new_track_thresh": 0.25, "match_thresh": 0.8, "fuse_score": True}

# ByteTrack matches a track to a detection by box overlap. At the few detections a second a camera
# gets when several share a CPU, a walker moves further between runs than his own width: a new
# track (no velocity yet) overlaps nothing at the next run, is never confirmed, and the person is
# never reported (the PETS walkway at 2.5 runs/s: half the people's sightings). So overlap is
# measured on boxes widened on each side by this share of their size per second since the last run
# (buffered IoU, Yang et al., WACV 2023), at most MAX_BUFFER; the boxes reported stay the detector's.
BUFFER_PER_S = 2.5
MAX_BUFFER = 1.0


def buffered(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    """``xyxy`` boxes (N, 4) widened by ``buffer`` times their width and height on each side."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    pad = np.column_stack([xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]]) * buffer
    return xyxy + np.column_stack([-pad, pad])


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
        self.camera_id = camera_id
        self.names = names
        self._bytetrack = _buffered_bytetrack()(Namespace(**BYTETRACK, track_buffer=track_buffer))
        self.tracks: dict[int, Track] = {}
        self._last_t: float | None = None

    def update(self, dets: Detections, image: np.ndarray, t: float) -> tuple[Detections, list[Track]]:
        """Associate ``dets`` with tracks; return the tracked detections and every track that changed."""
        since = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        self._bytetrack.buffer = min(MAX_BUFFER, BUFFER_PER_S * since)
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


@functools.cache
def _buffered_bytetrack() -> type:
    """The BYTETracker of ultralytics, matching on buffered boxes (its Kalman filter keeps the true ones)."""
    configure_ultralytics()
    from ultralytics.trackers.byte_tracker import BYTETracker
    from ultralytics.trackers.utils import matching

    class BufferedByteTracker(BYTETracker):
        buffer = 0.0  # set before each update: the share of a box's size added on each side

        def get_dists(self, tracks, detections):
            """IoU distance of the buffered boxes (score-fused as ByteTrack does): its high-score matching."""
            if not tracks or not detections:
                return super().get_dists(tracks, detections)
            a = list(buffered(np.array([t.xyxy for t in tracks]), self.buffer))
            b = list(buffered(np.array([d.xyxy for d in detections]), self.buffer))
            dists = matching.iou_distance(a, b)
            return matching.fuse_score(dists, detections) if self.args.fuse_score else dists

    return BufferedByteTracker
