"""Appearance in the tracker, on synthetic runs: ids kept where boxes alone would swap them, tracks re-joined,
and crops encoded only where the association can use them."""

from __future__ import annotations

import numpy as np

from surveil.vision.detections import Detections
from surveil.vision.tracker import CameraTracker

RED, GREEN = (0, 0, 255), (0, 255, 0)
RATE = 5.0  # detections a second, as a live camera detects


class MeanColour:
    """A stand-in appearance encoder: a crop's mean colour as a unit vector (red and green: cosine 0)."""

    def __init__(self):
        self.crops = []  # the mean colour of every crop encoded, in order

    def encode(self, crops: list[np.ndarray]) -> np.ndarray:
        """(n, 3) unit rows."""
        self.crops += [tuple(c.reshape(-1, 3).mean(axis=0).round().astype(int)) for c in crops]
        rows = np.array([c.reshape(-1, 3).mean(axis=0) for c in crops], np.float32).reshape(-1, 3) + 1e-3
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _run(frames: list[list[tuple[list[float], tuple]]], appearance) -> list[dict[tuple, int | None]]:
    """Feed one frame per run of (box, colour) objects drawn on black; per run, {colour: reported id}."""
    tracker, reported = CameraTracker("cam", {0: "person"}, appearance=appearance), []
    for n, objects in enumerate(frames):
        image = np.zeros((360, 480, 3), np.uint8)
        for (x1, y1, x2, y2), colour in objects:
            image[int(y1):int(y2), int(x1):int(x2)] = colour
        boxes = [box for box, _ in objects]
        dets = Detections.from_arrays(boxes, [0.8] * len(boxes), [0] * len(boxes))
        tracked, _ = tracker.update(dets, image, n / RATE)
        by_box = {tuple(b): int(i) for b, i in zip(tracked.xyxy.tolist(), tracked.tracker_id, strict=True)}
        reported.append({colour: by_box.get(tuple(float(v) for v in box)) for box, colour in objects})
    return reported


def _passing() -> list[list[tuple[list[float], tuple]]]:
    """Two people side by side who trade places between two runs (they walk past each other, 5 runs a second)."""
    left, right = [100, 100, 140, 200], [140, 100, 180, 200]
    return [[(left, RED), (right, GREEN)]] * 4 + [[(right, RED), (left, GREEN)]] * 3


def test_boxes_alone_swap_the_ids_of_two_people_who_trade_places():
    runs = _run(_passing(), appearance=None)
    assert runs[-1] == {RED: runs[0][GREEN], GREEN: runs[0][RED]}  # why appearance is needed at all


def test_appearance_keeps_the_ids_of_two_people_who_trade_places():
    runs = _run(_passing(), appearance=MeanColour())
    assert all(run == runs[0] for run in runs), runs
    assert runs[0][RED] != runs[0][GREEN]


def _hidden_then_further_on(colour_after: tuple) -> list[list[tuple[list[float], tuple]]]:
    """One person seen 4 runs, unseen 3 (0.8 s, within the 15-run buffer), then 100 px on: past the buffered box."""
    return [[([100, 100, 140, 200], RED)]] * 4 + [[]] * 3 + [[([240, 100, 280, 200], colour_after)]] * 2


def test_a_person_lost_briefly_and_seen_further_on_is_rejoined_by_appearance():
    alone = _run(_hidden_then_further_on(RED), appearance=None)
    assert alone[-1][RED] != alone[0][RED]  # boxes alone: a new id
    joined = _run(_hidden_then_further_on(RED), appearance=MeanColour())
    assert joined[-1][RED] == joined[-2][RED] == joined[0][RED]


def test_someone_else_where_a_lost_track_was_gets_a_new_id():
    runs = _run(_hidden_then_further_on(GREEN), appearance=MeanColour())
    assert runs[-1][GREEN] != runs[0][RED]


def test_without_an_encoder_the_tracker_is_the_plain_buffered_one():
    from surveil.vision.tracker import _buffered_bytetrack

    assert type(CameraTracker("cam", {0: "person"})._bytetrack) is _buffered_bytetrack()


def _walking(colour: tuple, x0: float, step: float, runs: int) -> list[tuple[list[float], tuple]]:
    """One person per run walking ``step`` px a run from ``x0``."""
    return [([x0 + step * n, 100, x0 + step * n + 40, 200], colour) for n in range(runs)]


def test_a_lone_walker_is_never_encoded():
    encoder = MeanColour()
    runs = _run([[sighting] for sighting in _walking(RED, 20, 10, 20)], appearance=encoder)
    assert len({run[RED] for run in runs}) == 1
    assert encoder.crops == []  # nothing ever competed for his box: boxes alone decided every run


def test_two_walkers_far_apart_are_never_encoded():
    encoder = MeanColour()
    _run([list(pair) for pair in zip(_walking(RED, 20, 10, 12), _walking(GREEN, 300, -5, 12), strict=True)],
         appearance=encoder)
    assert encoder.crops == []


def test_two_people_crossing_are_encoded_around_the_crossing_only():
    encoder = MeanColour()
    frames = [list(pair) for pair in zip(_walking(RED, 20, 30, 14), _walking(GREEN, 420, -30, 14), strict=True)]
    runs = _run(frames, appearance=encoder)
    assert all(run == runs[0] for run in runs) and runs[0][RED] != runs[0][GREEN]
    assert 0 < len(encoder.crops) < len(frames)  # far fewer than their 28 sightings


def test_two_people_trading_places_are_encoded_while_contested_only():
    encoder = MeanColour()
    runs = _run(_passing(), appearance=encoder)
    assert runs[-1] == {RED: runs[0][RED], GREEN: runs[0][GREEN]}  # each kept his id through the swap
    assert set(encoder.crops) == {(0, 0, 255), (0, 255, 0)}  # their own crops, no background
    assert len(encoder.crops) <= 2 * (len(_passing()) + 1)  # their looks, then their crops while contested


def test_a_lost_track_is_encoded_only_when_a_detection_comes_within_reach():
    encoder = MeanColour()
    frames = _hidden_then_further_on(RED)
    _run(frames[:7], appearance=encoder)
    assert encoder.crops == []  # seen alone, then unseen: nothing to compare
    _run(frames, appearance=encoder)
    assert encoder.crops == [(0, 0, 255), (0, 0, 255)]  # the lost track's last look and the newcomer's, once
