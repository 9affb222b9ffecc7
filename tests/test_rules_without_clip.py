"""Rules with CLIP missing: the operator's marks work on appearance vectors; words nothing can check keep a rule quiet."""

import numpy as np
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
