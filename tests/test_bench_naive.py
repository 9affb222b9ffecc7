"""``surveil bench naive``: matching events by time and by object, the footage loop, the tables. No models."""

import numpy as np
import pytest
from videos import write_video

from surveil.bench.naive import frames
from surveil.bench.naive_engine import config_for
from surveil.bench.naive_match import Span, compare, found, same_object
from surveil.bench.naive_table import table


def walker(rule: str, start: float, end: float, x0: float, speed: float = 20.0, fps: float = 10.0) -> Span:
    """An event on a 40x80 box walking right from ``x0`` at ``speed`` px/s, sampled ``fps`` times a second."""
    times = np.arange(start, end + 1e-9, 1.0 / fps)
    return Span(rule, start, end, tuple((t, x0 + speed * (t - start), 100.0, x0 + speed * (t - start) + 40, 180.0)
                                        for t in times))


def test_found_by_time_allows_a_second_at_each_end_and_no_more():
    naive = [Span("people", 10, 12), Span("people", 30, 31), Span("people", 40, 41), Span("cars", 5, 6)]
    surveil = [Span("people", 12.9, 20), Span("people", 41.8, 50), Span("people", 5, 6), Span("people", 25, 28.5)]
    # 10-12 meets 12.9-20 (0.9 s gap); 30-31 is 1.5 s after 28.5; 40-41 meets 41.8; no surveil event of cars
    assert found(naive, surveil) == [True, False, True, False]


def test_same_object_needs_the_boxes_to_meet_not_only_the_times():
    alice, bob = walker("people", 0, 5, x0=50), walker("people", 1, 4, x0=400)
    seen_by_surveil = walker("people", 0.3, 5, x0=56, fps=5)  # alice, seen later and less often
    assert found([alice, bob], [seen_by_surveil]) == [True, True]  # by time, bob looks found
    assert found([alice, bob], [seen_by_surveil], same_object) == [True, False]


def test_same_object_compares_only_sightings_close_in_time():
    here_then = walker("people", 0, 2, x0=50, speed=0)
    here_later = walker("people", 2.5, 6, x0=50, speed=0)  # same place, overlapping by tolerance, never together
    assert found([here_then], [here_later]) == [True]
    assert found([here_then], [here_later], same_object) == [False]


def test_compare_counts_each_rule_apart_and_the_long_events_among_them():
    naive = [walker("people", 0, 3, 50), walker("people", 10, 12, 300), walker("people", 20, 20.5, 500),
             walker("cars", 0, 2, 100)]
    surveil = [walker("people", 0.2, 3, 52, fps=5), walker("cars", 20, 22, 100, fps=5)]
    rows = {r["rule"]: r for r in compare(naive, surveil, ["people", "cars", "bikes"])}
    assert rows["people"] == {"rule": "people", "naive": 3, "surveil": 1, "found": 1, "same_object": 1,
                              "long": 2, "long_same_object": 1}
    assert rows["cars"] == {"rule": "cars", "naive": 1, "surveil": 1, "found": 0, "same_object": 0,
                            "long": 1, "long_same_object": 0}
    assert rows["bikes"]["naive"] == rows["bikes"]["surveil"] == 0


def test_frames_loop_the_clip_with_time_running_on(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=10, fps=20.0)  # half a second
    times = [t for t, image in frames(clip, 1.18)]
    assert len(times) == 24
    assert times[0] == 0 and times[10] == pytest.approx(0.5) and times[-1] == pytest.approx(1.15)
    assert np.allclose(np.diff(times), 0.05)


def test_table_totals_weigh_cpu_by_footage():
    row = {"clip": "a.mp4", "backend": "torch", "footage_s": 60.0, "surveil_footage_s": 60.0, "naive_frames": 1800,
           "surveil_frames": 1800, "surveil_detected": 300, "floor_cpu_h": 100.0, "naive_cpu_h": 5000.0,
           "surveil_cpu_h": 1000.0, "rules": [{"rule": "people", "naive": 10, "surveil": 8, "found": 10,
                                                "same_object": 9, "long": 6, "long_same_object": 6}]}
    other = {**row, "clip": "b.mp4", "footage_s": 20.0, "surveil_footage_s": 20.0, "naive_cpu_h": 1000.0,
             "surveil_cpu_h": 1000.0, "rules": [{"rule": "people", "naive": 0, "surveil": 0, "found": 0,
                                                  "same_object": 0, "long": 0, "long_same_object": 0}]}
    text = table([row, other])
    assert "| both | torch | 80 s |  | 100 | 4000 | 1000 | 4.0× | 40× | 10.0× |" in text
    assert "| both | every rule | 10 | 8 | 10 (100%) | 9 (90%) | 6 of 6 (100%) |" in text
    assert "| b.mp4 | people |" not in text  # nothing on either side: left out


def test_the_follow_rate_reaches_every_camera_of_the_engine_side(tmp_path):
    rules = [{"name": "people", "classes": ["person"]}]
    following = config_for(tmp_path / "clip.mp4", rules, tmp_path, count=3, follow=2.0)
    unset = config_for(tmp_path / "clip.mp4", rules, tmp_path, count=3)
    assert [c.motion.follow_detect_fps for c in following.cameras] == [2.0] * 3
    assert [c.motion.follow_detect_fps for c in unset.cameras] == [None] * 3
