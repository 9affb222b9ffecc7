"""Gate, flow and tracking on frames drawn in the test, with a fake detector that finds the patch."""

import math

import numpy as np
import pytest

from surveil.capture.cv import cv2
from surveil.config import MotionConfig
from surveil.vision.detections import Detections
from surveil.vision.pipeline import Analyzer, CameraPipeline
from surveil.vision.tracks import TrackState

FPS = 10.0
SIZE = (480, 360)


class PatchDetector:
    """Finds the bright textured patch by thresholding: a detector whose answer we control."""

    names = {0: "person"}

    def detect(self, images):
        out = []
        for image in images:
            ys, xs = np.nonzero(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) > 100)
            if len(xs) == 0:
                out.append(Detections())
            else:
                out.append(Detections.from_arrays([[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]], [0.9], [0]))
        return out


def _frames(count, velocity=(0.0, 0.0), start=(100, 150)):
    rng = np.random.default_rng(1)
    patch = rng.integers(110, 255, (60, 30, 3), dtype=np.uint8)  # texture, as real objects have
    patch = cv2.GaussianBlur(patch, (3, 3), 0)
    for i in range(count):
        image = np.full((SIZE[1], SIZE[0], 3), 20, np.uint8)
        x, y = round(start[0] + velocity[0] * i / FPS), round(start[1] + velocity[1] * i / FPS)
        image[y:y + 60, x:x + 30] = patch
        yield image


def _run(frames, motion=None):
    pipeline = CameraPipeline("cam", motion or MotionConfig(max_detect_fps=FPS), PatchDetector.names)
    analyzer = Analyzer(PatchDetector(), {"cam": pipeline})
    results = [analyzer.analyze([("cam", image, i, i / FPS)])[0] for i, image in enumerate(frames)]
    return pipeline, results


@pytest.mark.parametrize(("velocity", "heading"), [((40.0, 0.0), 0.0), ((0.0, -30.0), 90.0), ((-25.0, 25.0), 225.0)])
def test_moving_patch_gives_its_speed_and_heading(velocity, heading):
    pipeline, results = _run(_frames(25, velocity))
    tracks = list(pipeline.tracker.tracks.values())
    assert len(tracks) == 1, "one object, one track id"
    track = tracks[0]
    assert track.hits == 25, "detected and matched on every frame"
    expected = math.hypot(*velocity)
    # Flow is measured on a 320 px wide copy (2/3 scale), so a pixel of error there is 1.5 px here;
    # at 10 fps that bounds the error near 15 px/s, about a third of these speeds: we allow 20 %.
    assert track.speed_px_s == pytest.approx(expected, rel=0.2)
    assert track.speed_bh_s == pytest.approx(expected / 60, rel=0.25)  # the patch is 60 px tall
    got = math.degrees(math.atan2(-track.vy, track.vx)) % 360
    assert min(abs(got - heading), 360 - abs(got - heading)) < 10
    assert track.stationary_s(results[-1].t) == 0.0


def test_still_object_is_gated_off_and_counted_as_stationary():
    pipeline, results = _run(_frames(100), MotionConfig(max_detect_fps=5, min_detect_interval_s=4))
    detected = [r for r in results if r.detected]
    # The first frame always detects; with nothing moving, only the 4 s floor adds more: t = 0, 4, 8.
    assert [r.t for r in detected] == [0.0, 4.0, 8.0]
    assert all(r.motion.share == 0.0 for r in results[1:]), "identical frames: not one pixel moves"
    assert len(pipeline.tracker.tracks) == 1
    track = next(iter(pipeline.tracker.tracks.values()))
    assert track.state is TrackState.UPDATED
    # Still since its second sighting (t = 4, the first that can measure stillness) up to the last frame.
    assert track.stationary_s(results[-1].t) == pytest.approx(9.9 - 4.0)


def test_motion_inside_a_mask_is_ignored():
    everything = MotionConfig(max_detect_fps=FPS, min_detect_interval_s=100)
    masked = everything.model_copy(update={"masks": [[(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0)]]})
    _, open_results = _run(_frames(20, (40.0, 0.0)), everything)
    _, masked_results = _run(_frames(20, (40.0, 0.0)), masked)
    assert sum(r.detected for r in open_results) == 20, "a moving patch: every frame detects"
    assert sum(r.detected for r in masked_results) == 1  # the first frame only


def test_mask_needs_three_points():
    with pytest.raises(ValueError, match="at least 3 points"):
        MotionConfig(masks=[[(0.1, 0.1), (0.2, 0.2)]])


def test_a_bad_frame_fails_alone_and_the_other_camera_carries_on():
    names = PatchDetector.names
    pipelines = {c: CameraPipeline(c, MotionConfig(), names) for c in ("good", "bad")}
    analyzer = Analyzer(PatchDetector(), pipelines)
    good = next(_frames(1))
    results = analyzer.analyze([("bad", np.zeros((0, 0, 3), np.uint8), 0, 0.0), ("good", good, 0, 0.0)])
    assert results[0].error and "unusable frame" in results[0].error
    assert results[1].error is None and len(results[1].detections) == 1


def test_a_detector_that_raises_does_not_stop_the_loop():
    class Broken(PatchDetector):
        def detect(self, images):
            raise RuntimeError("GPU fell off the bus")

    analyzer = Analyzer(Broken(), {"cam": CameraPipeline("cam", MotionConfig(), Broken.names)})
    result = analyzer.analyze([("cam", next(_frames(1)), 0, 0.0)])[0]
    assert "detection failed: GPU fell off the bus" in result.error


def test_detections_stay_parallel():
    dets = Detections.from_arrays([[0, 0, 10, 20], [5, 5, 6, 6]], [0.9, 0.2], [0, 2])
    kept = dets[dets.confidence > 0.5]
    assert len(kept) == 1 and kept.tracker_id.tolist() == [-1] and kept.heights.tolist() == [20.0]
    with pytest.raises(ValueError, match="parallel"):
        Detections(np.zeros((2, 4), np.float32), np.zeros(1, np.float32), np.zeros(2, np.int32), np.zeros(2))


def test_analyze_lines_and_stored_objects_carry_the_same_track_measurements():
    from surveil.engine.persist import object_put
    from surveil.vision.analyze import track_record
    from surveil.vision.tracks import Track

    track = Track(7, "cam", 0, "person", first_t=10.0, last_t=12.5, hits=4, max_confidence=0.91234,
                  vx=3.0, vy=4.0, speed_bh_sum=1.0, speed_samples=3, max_stationary_s=1.234)
    track.boxes.extend([(10.0, np.array([1.04, 2.0, 30.0, 60.0])), (12.5, np.array([5.0, 6.0, 35.0, 66.0]))])
    line = track_record(track)
    stored = object_put(track, "obj", 1000.0, (640, 480), [], None).record
    assert (line["camera"], line["track_id"], line["label"]) == (stored.camera_id, stored.track_id, stored.label)
    assert (line["first_s"] + 1000, line["last_s"] + 1000, line["duration_s"]) == (stored.start, stored.end, 2.5)
    for key in ("hits", "max_confidence", "mean_speed_bh_s", "max_stationary_s"):
        assert line[key] == getattr(stored, key)
    assert line["boxes"] == [[10.0, 1.0, 2.0, 30.0, 60.0], [12.5, 5.0, 6.0, 35.0, 66.0]]
    assert [[t - 1000, *box] for t, *box in stored.boxes] == line["boxes"]
    assert line["last_heading_deg"] is not None and line["max_confidence"] == 0.912


def _walk(walkers, rate, runs, size=(20, 50)):
    """Detector runs at ``rate`` a second over walkers ((x, y) start, (vx, vy) px/s): per run, {track id: box}."""
    from surveil.vision.tracker import CameraTracker

    tracker, image, reported = CameraTracker("cam", {0: "person"}), np.zeros((360, 480, 3), np.uint8), []
    for n in range(runs):
        t = n / rate
        boxes = [[x + vx * t, y + vy * t, x + vx * t + size[0], y + vy * t + size[1]] for (x, y), (vx, vy) in walkers]
        tracked, _ = tracker.update(Detections.from_arrays(boxes, [0.8] * len(boxes), [0] * len(boxes)), image, t)
        reported.append({int(i): box.tolist() for i, box in zip(tracked.tracker_id, tracked.xyxy, strict=True)})
    return reported


def test_a_walker_seen_a_few_times_a_second_is_reported_with_one_id():
    # A 20 px wide walker at 60 px/s, detected 2.5 times a second (four cameras on a CPU): each run finds
    # him 24 px on, clear of where he was. Plain IoU matching never confirmed his track: no box, ever.
    reported = _walk([((40, 100), (60, 0))], rate=2.5, runs=12)
    assert all(len(run) == 1 for run in reported[1:]), reported  # confirmed at the second run
    assert len({i for run in reported for i in run}) == 1, "one id the whole way"
    assert reported[-1][next(iter(reported[-1]))] == pytest.approx([304, 100, 324, 150])  # the detector's box


def test_walkers_crossing_on_lanes_keep_their_ids_at_a_few_runs_a_second():
    reported = _walk([((40, 100), (60, 0)), ((400, 160), (-60, 0))], rate=2.5, runs=12)
    assert all(len(run) == 2 for run in reported[1:]), reported
    lanes = {}
    for run in reported[1:]:
        for track_id, box in run.items():
            lanes.setdefault(track_id, set()).add(box[1])
    assert sorted(lanes.values(), key=min) == [{100.0}, {160.0}], "each id stays on its own lane"


def test_an_overloaded_round_shares_detection_out_longest_waiting_first(monkeypatch):
    from surveil.vision import pipeline as pipeline_module

    clock = [0.0]

    class Clock:  # the round's time is what the detector says it took, not this machine's speed
        perf_counter = monotonic = staticmethod(lambda: clock[0])

    class SlowDetector(PatchDetector):
        calls: list = []

        def detect(self, images):
            clock[0] += 0.1  # every call takes 100 ms
            self.calls.append(len(images))
            return super().detect(images)

    monkeypatch.setattr(pipeline_module, "time", Clock)
    cameras = [f"cam{i}" for i in range(6)]
    pipelines = {c: CameraPipeline(c, MotionConfig(max_detect_fps=FPS, min_area=0.0), PatchDetector.names)
                 for c in cameras}
    for p in pipelines.values():
        p.live = True
    analyzer = Analyzer(SlowDetector(), pipelines, budget_s=0.25)  # time for two calls of two frames a round
    images = list(_frames(12, (30.0, 0.0)))
    detected = {c: 0 for c in cameras}
    for i in range(12):
        results = analyzer.analyze([(c, images[i], i, i / FPS) for c in cameras])
        assert all(r.error is None for r in results)
        assert sum(r.detected for r in results) <= 4 and sum(r.deferred for r in results) >= 2
        for r in results:
            detected[r.camera_id] += r.detected
            assert not (r.detected and r.deferred)
    assert set(SlowDetector.calls) == {2}, "pairs, one call each"
    # 12 rounds x 4 detections over 6 cameras: everyone 8, because the longest waiting go first.
    assert sorted(detected.values()) == [8] * 6, detected
    files = Analyzer(SlowDetector(), {c: CameraPipeline(c, MotionConfig(max_detect_fps=FPS, min_area=0.0),
                                                        PatchDetector.names) for c in cameras}, budget_s=0.25)
    results = files.analyze([(c, images[0], 0, 0.0) for c in cameras])
    assert all(r.detected for r in results), "a file waited for by capture is never deferred"
