"""Rules with CLIP missing: marks work on appearance vectors; words nothing can check keep a rule quiet."""

import dataclasses

import numpy as np
import pytest
from rule_helpers import obs, run
from store_factory import vector

from surveil.rules.engine import RuleEngine
from surveil.rules.model import Rule


def _near(base: np.ndarray, seed: int, noise: float) -> np.ndarray:
    v = base + noise * vector(seed, base.shape[0])
    return v / np.linalg.norm(v)


def _engine(**rule) -> RuleEngine:
    fields = {"name": "walker", "classes": ["person"], "cooldown_s": 0, "grace_s": 5} | rule
    return RuleEngine([Rule(**fields)], None, clip_unavailable="test: no weights")


def test_a_false_alarm_quiets_the_same_look_without_clip_and_no_other(tmp_path):
    engine = _engine()
    van, other = vector(1, 96), vector(2, 96)
    first = run(engine, [obs(0.0, track=1, appearance=van)])
    assert [kind for _, kind, _ in first] == ["started"]
    event = engine._states[("walker", "cam", 1)].event
    assert event.appearance is not None and np.allclose(event.appearance, van)
    engine.learn("walker", None, correct=False, key=event.event_id, appearance=event.appearance)
    later = run(engine, [obs(10.0, track=2, appearance=_near(van, 3, 0.15)), obs(10.0, track=3, appearance=other)])
    assert [u for u in later if u[1] == "started"] == [(10.0, "started", 3)], \
        "the same look stays quiet, another object still fires"
    decision = engine.decision("walker", "cam", 2)
    assert not decision.holding and "false alarm" in decision.explain()


def test_a_correct_mark_does_not_quiet_and_a_track_seen_before_any_look_is_not_judged():
    engine = _engine()
    look = vector(1, 96)
    engine.learn("walker", None, correct=True, key="e1", appearance=look)
    assert [k for _, k, _ in run(engine, [obs(0.0, track=1, appearance=look)])] == ["started"]
    engine.learn("walker", None, correct=False, key="e2", appearance=vector(5, 96))
    assert [k for _, k, _ in run(engine, [obs(1.0, track=4)])] == ["started"], "no look yet: nothing to compare"


@pytest.mark.media
def test_a_red_car_with_clip_missing_fires_on_the_red_cars_only(media):
    """Real cars from the motorway clip, labelled by looking (tests/data/colour_labels.md), cut as the engine cuts."""
    from surveil.eval.colour import LABELS_FILE, labelled_frames, load_labels
    from surveil.rules.evaluator import crop_box

    cars = [item for item in load_labels(LABELS_FILE) if item.label == "car" and item.part == "body"]
    engine = RuleEngine([Rule(name="red car", prompts=["a red car"], cooldown_s=0, grace_s=0)], None,
                        clip_unavailable="test: no weights")
    fired, labelled = set(), {}
    for i, (car, frame) in enumerate(labelled_frames(cars, media)):
        labelled[i] = car.colour
        o = obs(float(i), track=i, label="car", box=tuple(map(float, car.box)), crop=crop_box(frame, car.box))
        o = dataclasses.replace(o, frame_size=(frame.shape[1], frame.shape[0]), crop_margin=0.1)
        fired |= {u.event.track_id for u in engine.observe(o) if u.kind == "started"}
    red = {i for i, colour in labelled.items() if colour == "red"}
    assert len(red) >= 3 and len(labelled) - len(red) >= 30, "enough cars of each kind to mean something"
    assert fired == red, f"fired on {sorted(fired)}; the red cars are {sorted(red)}"


def test_the_back_test_reads_colour_words_from_the_stored_crops():
    import datetime as dt

    from surveil.rules.backtest import StoredObject, backtest

    def car(name: str, bgr) -> StoredObject:
        crop = np.zeros((60, 100, 3), np.uint8)
        crop[:] = bgr
        return StoredObject(name, "cam", "car", dt.datetime(2026, 11, 23, tzinfo=dt.UTC), crop=crop)

    stored = [car("red", (30, 30, 200)), car("blue", (200, 60, 30)), car("silver", (170, 170, 170)),
              StoredObject("unseen", "cam", "car", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))]
    result = backtest(Rule(name="red car", prompts=["a red car"]), stored, None)
    assert [h.obj.object_id for h in result.hits] == ["red"], "a stored object with no crop cannot show a colour"
    assert not any("CLIP unavailable" in x for x in result.left_out), "every word was understood"
