"""The gate's follow rate: detection slows while only tracked objects move, and not for a newcomer."""

import numpy as np
from test_vision_synthetic import FPS, PatchDetector, _frames, _run

from surveil.capture.cv import cv2
from surveil.config import MotionConfig
from surveil.vision.detections import Detections
from surveil.vision.motion import MotionGate
from surveil.vision.pipeline import Analyzer, CameraPipeline


class PatchesDetector(PatchDetector):
    """Each bright patch (connected region) is one person."""

    def detect(self, images):
        out = []
        for image in images:
            mask = (cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) > 100).astype(np.uint8)
            count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
            boxes = [[x, y, x + w, y + h] for x, y, w, h, _ in stats[1:count]]
            out.append(Detections.from_arrays(boxes, [0.9] * len(boxes), [0] * len(boxes)) if boxes else Detections())
        return out


def _with_newcomer(count, arrives, at=(400, 40), velocity=(40.0, 0.0)):
    """The walking patch of ``_frames``, and from frame ``arrives`` a second, still one far from it."""
    newcomer = np.random.default_rng(2).integers(110, 255, (40, 20, 3), dtype=np.uint8)
    for i, image in enumerate(_frames(count, velocity)):
        if i >= arrives:
            image[at[1]:at[1] + 40, at[0]:at[0] + 20] = newcomer
        yield image


def _follow(frames, follow_fps=2.0, **settings):
    motion = MotionConfig(**{"max_detect_fps": FPS, "follow_detect_fps": follow_fps, "min_detect_interval_s": 100,
                             **settings})
    pipeline = CameraPipeline("cam", motion, PatchesDetector.names)
    analyzer = Analyzer(PatchesDetector(), {"cam": pipeline})
    return pipeline, [analyzer.analyze([("cam", image, i, i / FPS)])[0] for i, image in enumerate(frames)]


def test_a_walker_already_tracked_is_detected_at_the_follow_rate():
    pipeline, results = _follow(_frames(25, (40.0, 0.0)))
    assert all(r.motion.moving for r in results[1:]), "the patch moves on every frame"
    # The first frame detects (nothing followed yet); after it the only motion is the walker's own,
    # inside his widened box, so detection runs twice a second instead of ten times.
    assert [r.t for r in results if r.detected] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert not any(r.motion.novel for r in results[1:])
    tracks = list(pipeline.tracker.tracks.values())
    assert len(tracks) == 1 and tracks[0].hits == 5, "one walker, one id, seen at every detection"


def test_motion_off_the_followed_boxes_detects_at_once():
    pipeline, results = _follow(_with_newcomer(25, arrives=12))
    # Frame 12 (t = 1.2, 0.2 s after a follow-rate detection) shows the newcomer: detected on that frame.
    assert results[12].motion.novel and results[12].detected
    assert [r.t for r in results if r.detected] == [0.0, 0.5, 1.0, 1.2, 1.7, 2.2]
    assert len(pipeline.tracker.tracks) == 2


def test_without_a_follow_rate_a_followed_walker_is_detected_at_the_full_rate():
    _, unset = _follow(_frames(25, (40.0, 0.0)), follow_fps=None)
    _, capped = _run(_frames(25, (40.0, 0.0)), MotionConfig(max_detect_fps=2, follow_detect_fps=FPS))
    assert sum(r.detected for r in unset) == 25
    assert [r.t for r in capped if r.detected] == [0.0, 0.5, 1.0, 1.5, 2.0], "never above max_detect_fps"


def test_a_fast_walker_is_followed_along_his_velocity():
    # 150 px/s: between follow-rate runs he moves past his widened box (about 14 px a side), so
    # only the sweep along his measured velocity keeps his own motion from counting as new.
    _, results = _follow(_frames(25, (150.0, 0.0), start=(20, 150)))
    detected = [r.t for r in results if r.detected]
    # Measured: 9 of 25 frames (without the sweep, all 25). After each follow-rate run the next
    # frame still counts as new once: the velocity from flow across half a second lags.
    assert len(detected) <= 10 and not results[-1].motion.novel, detected


def test_a_newcomer_not_detected_at_once_stays_new_until_detection_runs():
    # Analysed 10 times a second, detected at most 5: the newcomer's own frame (t = 1.1) comes too
    # soon after the run at 1.0; he then stands still, and is detected on the next frame allowed.
    pipeline, results = _follow(_with_newcomer(25, arrives=11), max_detect_fps=5)
    assert results[10].detected and not results[11].detected and results[11].motion.novel
    assert results[12].detected and results[12].motion.novel
    assert len(pipeline.tracker.tracks) == 2


def _patch_frame(newcomer: bool) -> np.ndarray:
    gray = np.full((90, 160), 20, np.uint8)
    if newcomer:
        gray[10:30, 120:130] = 200
    return gray


def test_a_deferred_newcomer_is_still_new_on_the_next_frame():
    gate = MotionGate(MotionConfig(max_detect_fps=5, follow_detect_fps=1, min_detect_interval_s=100))
    followed = np.array([[10.0, 10.0, 40.0, 80.0]])  # someone tracked far from where the newcomer comes
    assert gate.update(_patch_frame(False), 0.0, followed).detect  # the first frame
    assert not gate.update(_patch_frame(False), 0.2, followed).detect  # nothing new, nothing moves
    first = gate.update(_patch_frame(True), 0.4, followed)
    assert first.novel and first.detect
    gate.defer()  # no time for it this round
    again = gate.update(_patch_frame(True), 0.6, followed)  # he stands still: no change since 0.4
    assert again.novel and again.detect


def test_with_the_gate_off_a_follow_rate_changes_nothing():
    _, results = _follow(_frames(20, (40.0, 0.0)), enabled=False)
    assert all(r.detected for r in results)
