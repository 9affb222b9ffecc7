"""Per-camera tracking: ultralytics' ByteTrack for association, our Track book for the lifecycle."""

from __future__ import annotations

import functools
import logging
import time
from argparse import Namespace

import numpy as np

from surveil.vision.detections import Detections
from surveil.vision.reid_match import (
    APP_SCALE,
    CROWDED,
    REJOIN_COS,
    appearance_cost,
    contested,
    covered,
    crops,
    encode_lazily,
    fuse,
    reid_track_class,
    rejoin_cost,
    within_reach,
)
from surveil.vision.runtime import configure_ultralytics
from surveil.vision.tracks import Track, TrackState, crop_quality

logger = logging.getLogger(__name__)

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
FOLLOW_SLACK = 0.25  # of a box's size on each side: limbs and a detector's box jitter between runs
FOLLOW_SLACK_PER_S = 0.5  # more per second since the run: a velocity that is not quite right
MAX_FOLLOW_SLACK = 1.0


def buffered(xyxy: np.ndarray, buffer: float) -> np.ndarray:
    """``xyxy`` boxes (N, 4) widened by ``buffer`` times their width and height on each side."""
    xyxy = np.asarray(xyxy, np.float64).reshape(-1, 4)
    pad = np.column_stack([xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]]) * buffer
    return xyxy + np.column_stack([-pad, pad])


class _TrackerInput:
    """The Results-like view ByteTrack reads: conf, cls, xywh, len and mask indexing."""

    def __init__(self, dets: Detections, index: np.ndarray | None = None):
        self.dets = dets
        self.index = np.arange(len(dets)) if index is None else index  # rows in the frame's whole detection set
        xyxy = dets.xyxy
        self.xywh = np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2, (xyxy[:, 1] + xyxy[:, 3]) / 2,
                                     xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]]).reshape(-1, 4)
        self.conf = dets.confidence
        self.cls = dets.class_id

    def __len__(self) -> int:
        return len(self.dets)

    def __getitem__(self, index) -> _TrackerInput:
        return _TrackerInput(self.dets[index], self.index[index])


class CameraTracker:
    """Stable ids across detections on one camera, and each track's new/updated/lost/ended changes.

    With an ``appearance`` encoder (``surveil.vision.appearance``), association also weighs how
    alike a track and a detection look (``surveil.vision.reid_match``); without, boxes alone.
    """

    def __init__(self, camera_id: str, names: dict[int, str], track_buffer: int = 15, appearance=None):
        self.camera_id = camera_id
        self.names = names
        args = Namespace(**BYTETRACK, track_buffer=track_buffer)
        if appearance is None:
            self._bytetrack = _buffered_bytetrack()(args)
        else:
            self._bytetrack = _reid_bytetrack()(args)
            self._bytetrack.appearance = appearance
        self.tracks: dict[int, Track] = {}
        self._last_t: float | None = None

    def update(self, dets: Detections, image: np.ndarray, t: float) -> tuple[Detections, list[Track]]:
        """Associate ``dets`` with tracks; return the tracked detections and every track that changed."""
        since = 0.0 if self._last_t is None else max(0.0, t - self._last_t)
        self._last_t = t
        self._bytetrack.buffer = min(MAX_BUFFER, BUFFER_PER_S * since)
        self._bytetrack.now = t
        rows = self._bytetrack.update(_TrackerInput(dets), image)
        rows = np.asarray(rows, np.float64).reshape(-1, 8)
        indices = rows[:, 7].astype(int)
        ids = rows[:, 4].astype(np.int64)
        tracked = Detections.from_arrays(dets.xyxy[indices], dets.confidence[indices], dets.class_id[indices], ids)
        changed = [self._see(tracked[i], image, t) for i in range(len(tracked))]
        return tracked, changed + self._age(set(ids.tolist()))

    def followed(self, t: float) -> np.ndarray:
        """Boxes (N, 4) covering where each track seen at the last run can have gone by ``t``.

        Each is the track's last box widened by ``FOLLOW_SLACK`` plus ``FOLLOW_SLACK_PER_S`` per
        second (at most ``MAX_FOLLOW_SLACK``) of its own size, for limbs, the detector's jitter and
        a velocity that is not quite right, then swept along its velocity (optical flow) up to
        ``t``. What the motion gate counts as explained: motion inside needs no new detection soon.
        """
        if self._last_t is None:
            return np.empty((0, 4))
        since = max(0.0, t - self._last_t)
        seen = [track for track in self.tracks.values() if track.last_t == self._last_t]
        if not seen:
            return np.empty((0, 4))
        widened = buffered(np.stack([track.boxes[-1][1] for track in seen]),
                           min(MAX_FOLLOW_SLACK, FOLLOW_SLACK + FOLLOW_SLACK_PER_S * since))
        moved = widened + np.array([[track.vx, track.vy] * 2 for track in seen]) * since
        return np.hstack([np.minimum(widened[:, :2], moved[:, :2]), np.maximum(widened[:, 2:], moved[:, 2:])])

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
            dists = self.buffered_iou(tracks, detections)
            return matching.fuse_score(dists, detections) if self.args.fuse_score else dists

        def buffered_iou(self, tracks, detections) -> np.ndarray:
            """(T, D) IoU distance of the boxes widened by ``buffer``."""
            a = list(buffered(np.array([t.xyxy for t in tracks]), self.buffer))
            b = list(buffered(np.array([d.xyxy for d in detections]), self.buffer))
            return matching.iou_distance(a, b)

    return BufferedByteTracker


@functools.cache
def _reid_bytetrack() -> type:
    """The buffered tracker with appearance: blended costs, and unmatched tracks re-joined by look."""
    from ultralytics.trackers.basetrack import TrackState as STrackState
    from ultralytics.trackers.byte_tracker import STrack
    from ultralytics.trackers.utils import matching

    class ReidByteTracker(_buffered_bytetrack()):
        track_class = reid_track_class(STrack)
        appearance = None  # the encoder, set after construction
        now = 0.0  # the time of this update, set before it
        encode_ms = 0.0  # total time spent encoding crops, for the per-frame cost
        encoded = 0  # total crops encoded

        def update(self, results, img=None, feats=None, **kwargs):
            """Note each detection's crop and cleanness, then associate as ByteTrack does with the hooks below."""
            oldest = self.frame_id - self.max_frames_lost - 1  # when each update ran, as far back as a lost track goes
            self._times = {f: s for f, s in getattr(self, "_times", {}).items() if f >= oldest}
            self._times[self.frame_id + 1] = self.now
            self._crops = self._clean = None
            if img is not None and len(results):
                self._crops, self._clean = crops(img, results.dets.xyxy), covered(results.dets.xyxy) < CROWDED
            return super().update(results, img, feats, **kwargs)

        def init_track(self, results, img=None):
            tracks = super().init_track(results, img)
            if self._crops is not None:
                for track, i in zip(tracks, results.index, strict=True):
                    track.crop, track.clean = self._crops[i], bool(self._clean[i])
            return tracks

        def get_dists(self, tracks, detections):
            """The buffered, score-fused box cost with appearance blended into contested pairs."""
            box_cost = super().get_dists(tracks, detections)
            if not tracks or not detections:
                return box_cost
            iou_dist = self.buffered_iou(tracks, detections)
            pairs = contested(iou_dist)
            if not pairs.any():
                return box_cost
            self._encode(tracks, detections, pairs)
            return fuse(box_cost, iou_dist, np.where(pairs, appearance_cost(tracks, detections), np.nan))

        def _encode(self, tracks, detections, pairs: np.ndarray) -> None:
            """Give the tracks and detections of ``pairs`` (T, D) their vectors, encoding what is not yet."""
            start = time.perf_counter()
            rows, cols = np.flatnonzero(pairs.any(axis=1)), np.flatnonzero(pairs.any(axis=0))
            self.encoded += encode_lazily(self.appearance, [tracks[i] for i in rows], [detections[j] for j in cols])
            self.encode_ms += (time.perf_counter() - start) * 1e3

        def _post_first_association(self, pool, detections, u_track, u_detection, activated, refind):
            """Give a track the box overlap left unmatched the nearby detection that looks like it."""
            # the tracks unmatched this once still get ByteTrack's second pass on low-score detections
            lost = [i for i in u_track if pool[i].state == STrackState.Lost]
            if not lost or not len(u_detection):
                return u_track, u_detection
            tracks, dets = [pool[i] for i in lost], [detections[j] for j in u_detection]
            seconds = np.array([self.now - self._times.get(t.end_frame, self.now) for t in tracks])
            reach = within_reach(tracks, dets, seconds)
            if not reach.any():
                return u_track, u_detection
            self._encode(tracks, dets, reach)
            cost = rejoin_cost(tracks, dets, seconds)
            matches, left_t, left_d = matching.linear_assignment(cost, thresh=(1.0 - REJOIN_COS) / APP_SCALE + 1e-6)
            for a, b in matches:
                logger.debug("track %d re-joined by appearance after %.1f s", tracks[a].track_id, seconds[a])
                self._apply_match(tracks[a], dets[b], activated, refind)
            joined = {lost[a] for a, _ in matches}
            return [i for i in u_track if i not in joined], [u_detection[j] for j in left_d]

    return ReidByteTracker
