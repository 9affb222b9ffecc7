"""The rule engine on scripted timelines, with a fake encoder whose embeddings we choose."""

import datetime as dt

import numpy as np
import pytest
from fake_clip import FakeEncoder, axis, mix
from rule_helpers import T0, obs, run

from surveil.rules.engine import RuleEngine
from surveil.rules.model import Rule
from surveil.rules.scoring import BACKGROUND

CLIMB, WALK = axis(0), axis(1)
MIDWAY = mix((1, CLIMB), (1, WALK))


@pytest.fixture
def encoder():
    return FakeEncoder({"a person climbing a fence": CLIMB, "a person walking past a fence": WALK})


def climb_rule(**overrides) -> Rule:
    fields = {"name": "climber", "prompts": ["a person climbing a fence"],
              "contrast_prompts": ["a person walking past a fence"], "votes_k": 2, "votes_n": 3,
              "threshold": 0.6, "cooldown_s": 0, "grace_s": 2, **overrides}
    return Rule(**fields)


def test_softmax_against_contrast_prompts_is_calibrated(encoder):
    engine = RuleEngine([climb_rule()], encoder)
    scorer = engine._scorers["climber"]
    climbing, walking, unsure = (scorer.score(e, "person") for e in (CLIMB, WALK, MIDWAY))
    assert climbing.probability > 0.99 and climbing.passed
    assert walking.probability < 0.01 and not walking.passed
    assert unsure.probability == pytest.approx(0.5, abs=0.01)  # equal to prompt and contrast: a coin toss
    assert climbing.similarities == {"a person climbing a fence": pytest.approx(1.0)}
    assert climbing.contrast_similarities == {"a person walking past a fence": pytest.approx(0.0)}
    assert set(climbing.background_similarities) == set(BACKGROUND["person"])
    assert "p=1.00" in climbing.describe()


def test_vehicles_get_vehicle_background_prompts(encoder):
    scorer = RuleEngine([climb_rule()], encoder)._scorers["climber"]
    assert set(scorer.score(CLIMB, "car").background_similarities) == set(BACKGROUND["vehicle"])


@pytest.mark.parametrize(
    ("looks", "expected_start"),
    [
        ([CLIMB, WALK, CLIMB], 2.0),          # 2 of 3 at the third look
        ([CLIMB, CLIMB], 1.0),                # 2 of 2 already
        ([CLIMB, WALK, WALK, CLIMB, CLIMB], 4.0),
        ([CLIMB, WALK, WALK, CLIMB, WALK, WALK], None),  # never 2 in any window of 3
    ],
)
def test_votes_k_of_n(encoder, looks, expected_start):
    engine = RuleEngine([climb_rule(grace_s=100)], encoder)
    updates = run(engine, [obs(float(i), embedding=e) for i, e in enumerate(looks)])
    starts = [t for t, kind, _ in updates if kind == "started"]
    assert starts == ([] if expected_start is None else [expected_start])


def test_minimum_duration_delays_the_start(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, min_duration_s=2.0)], encoder)
    updates = run(engine, [obs(t * 0.5, embedding=CLIMB) for t in range(8)])
    assert [(t, kind) for t, kind, _ in updates] == [(2.0, "started")]
    decision = engine.decision("climber", "cam", 1)
    assert decision.state == "active" and decision.holding


def test_event_ends_after_the_grace_period_and_keeps_its_peak(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, grace_s=2.0)], encoder)
    # At CLIP's logit scale these score about 0.80 and 0.97: the second is a better peak.
    fair, strong = mix((1.02, CLIMB), (1, WALK)), mix((1.05, CLIMB), (1, WALK))
    timeline = [obs(0, embedding=fair), obs(1, embedding=strong), obs(2, embedding=WALK), obs(2.5), obs(3)]
    updates = run(engine, timeline)
    # Holding last at t=1; failing from t=2; the 2 s grace runs out at t=3.
    assert [(t, kind) for t, kind, _ in updates] == [(0, "started"), (1, "updated"), (3, "ended")]
    event = engine._states[("climber", "cam", 1)].event
    assert event.end_t == 3 and event.peak_probability == pytest.approx(
        engine._scorers["climber"].score(strong, "person").probability)


def test_tick_ends_events_of_tracks_no_longer_seen(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, grace_s=3.0)], encoder)
    updates = run(engine, [obs(0, embedding=CLIMB)], tick_to=2.9)
    assert [k for _, k, _ in updates] == ["started"]
    assert [u.kind for u in engine.tick(3.0, T0)] == ["ended"]


def test_cooldown_suppresses_repeats_on_the_same_camera(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, cooldown_s=30, grace_s=1)], encoder)
    timeline = [obs(0, track=1, embedding=CLIMB), obs(10, track=2, embedding=CLIMB),
                obs(10, track=3, camera="other", embedding=CLIMB), obs(31, track=4, embedding=CLIMB)]
    starts = [(t, track) for t, kind, track in run(engine, timeline) if kind == "started"]
    assert starts == [(0, 1), (10, 3), (31, 4)]
    assert "cooldown" in engine.decision("climber", "cam", 2).state


def test_a_still_object_does_not_alert_every_few_seconds(encoder):
    """CLIP flickers on a parked person; the event may end, but no new alert until it moves."""
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, grace_s=2, cooldown_s=0)], encoder)
    looks = [CLIMB, WALK, WALK, WALK, CLIMB, WALK, WALK, WALK, CLIMB]
    still = [obs(float(i * 2), embedding=e, stationary_s=float(i * 2) + 1) for i, e in enumerate(looks)]
    kinds = [(t, k) for t, k, _ in run(engine, still)]
    assert kinds == [(0.0, "started"), (2.0, "ended")]  # last held at 0, grace 2 s
    assert "not moved" in engine.decision("climber", "cam", 1).state  # the look at t=16 passed but was held back
    moved = run(engine, [obs(20.0, embedding=CLIMB, stationary_s=0.0)])  # it walks off: a new alert is allowed
    assert [(t, k) for t, k, _ in moved] == [(20.0, "started")]


def test_loitering_fires_once_for_a_long_stay(encoder):
    rule = Rule(name="loiter", classes=["person"], motion={"stationary_s": 30}, cooldown_s=0, grace_s=2)
    engine = RuleEngine([rule], None)
    timeline = [obs(float(t), stationary_s=float(t)) for t in range(0, 300, 2)]
    updates = run(engine, timeline)
    assert [(t, k) for t, k, _ in updates] == [(30.0, "started")]


def test_a_marked_false_alarm_stops_the_same_crop_from_firing(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1)], encoder)
    crop = mix((3, CLIMB), (1, WALK))  # scored at p ~ 1.0 by text alone
    first = engine.observe(obs(0, track=1, embedding=crop))
    assert [u.kind for u in first] == ["started"]
    engine.learn("climber", first[0].event.embedding, correct=False, key=first[0].event.event_id)
    assert engine.observe(obs(1, track=2, embedding=crop)) == []
    score = engine.decision("climber", "cam", 2).score
    assert score.text_probability > 0.99 and score.example_weight == pytest.approx(1.0)
    assert score.probability < 0.01 and not score.passed
    # Another climbing crop (cosine 0.85 to the false alarm) is still caught.
    other = mix((1, CLIMB), (0.5, axis(5)))
    assert [u.kind for u in engine.observe(obs(2, track=3, embedding=other))] == ["started"]


def test_a_marked_correct_example_lifts_a_borderline_crop(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, threshold=0.6)], encoder)
    borderline = MIDWAY  # p = 0.5 on text alone: below the threshold
    assert engine.observe(obs(0, track=1, embedding=borderline)) == []
    engine.examples["climber"].add(borderline, correct=True)
    assert [u.kind for u in engine.observe(obs(1, track=2, embedding=borderline))] == ["started"]


def test_without_clip_words_nothing_can_check_keep_the_rule_quiet_unless_it_may_fire_on_the_rest():
    reason = "CLIP ViT-B-32: not in the model cache"
    quiet = RuleEngine([climb_rule(classes=["person"], votes_k=1, votes_n=1)], None, clip_unavailable=reason)
    assert run(quiet, [obs(0, label="car"), obs(1, label="person")]) == []
    text = quiet.decision("climber", "cam", 1).explain()
    assert f"[ ] clip: unavailable ({reason}); stays quiet without CLIP: 'climbing', 'fence' unchecked" in text
    assert "[x] class: person is one of ['person']" in text and "[x] words: class: person is person" in text
    loud = RuleEngine([climb_rule(classes=["person"], votes_k=1, votes_n=1, fire_without_clip=True)], None,
                      clip_unavailable=reason)
    updates = run(loud, [obs(0, label="car"), obs(1, label="person")])
    assert [(t, k) for t, k, _ in updates] == [(1, "started")]
    started = loud.decision("climber", "cam", 1)
    assert "fires on the rest without CLIP: 'climbing', 'fence' unchecked" in started.explain()


def test_a_broken_rule_does_not_stop_the_others(encoder):
    class Flaky(FakeEncoder):
        def encode_text(self, prompts, owner=""):
            if owner == "broken":
                raise RuntimeError("tokenizer exploded")
            return super().encode_text(prompts, owner)

    flaky = Flaky(encoder.concepts)
    engine = RuleEngine([climb_rule(name="broken"), climb_rule(votes_k=1, votes_n=1)], flaky)
    assert "tokenizer exploded" in engine.failures["broken"].reason
    assert [u.event.rule for u in engine.observe(obs(0, embedding=CLIMB))] == ["climber"]


def test_rules_on_other_cameras_and_disabled_rules_stay_quiet(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, cameras=["gate"]),
                         climb_rule(name="off", votes_k=1, votes_n=1, enabled=False)], encoder)
    assert engine.observe(obs(0, camera="yard", embedding=CLIMB)) == []
    assert [u.event.rule for u in engine.observe(obs(1, camera="gate", embedding=CLIMB))] == ["climber"]


def test_replacing_a_rule_ends_its_open_event_keeps_its_examples_and_restarts_its_state(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, grace_s=60)], encoder)
    started = engine.observe(obs(0, embedding=CLIMB))
    engine.examples["climber"].add(np.asarray(WALK), correct=False)
    now = T0 + dt.timedelta(seconds=7)
    ended = engine.set_rule(climb_rule(votes_k=1, votes_n=1, threshold=0.9), clock=lambda camera: (7.0, now))
    assert [(u.kind, u.event.event_id, u.event.end_t, u.event.end_wall) for u in ended] == [
        ("ended", started[0].event.event_id, 7.0, now)]
    assert engine.rules["climber"].threshold == 0.9 and len(engine.examples["climber"].negatives) == 1
    assert engine.decision("climber", "cam", 1) is None


def test_a_rule_that_raises_pauses_and_is_tried_again(encoder, monkeypatch):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1)], encoder)
    calls = []

    def broken(rule, observation):
        calls.append(observation.t)
        raise RuntimeError("boom")

    monkeypatch.setattr(engine, "_evaluate", broken)
    for t in (0.0, 1.0, 59.0, 60.0, 61.0):
        assert engine.observe(obs(t, embedding=CLIMB)) == []
    assert calls == [0.0, 60.0], "paused 60 s after the first failure, then tried again"
    assert [(name, f.count) for name, f in engine.new_failures()] == [("climber", 2)]
    assert engine.new_failures() == [], "each failure is announced once"
    assert engine.failures["climber"].retry_t == 60.0 + 120.0, "the pause doubles"


def test_an_ended_track_closes_its_events(encoder):
    engine = RuleEngine([climb_rule(votes_k=1, votes_n=1, grace_s=60)], encoder)
    engine.observe(obs(0, embedding=CLIMB))
    ended = engine.end_tracks("cam", [1], 5.0, T0 + dt.timedelta(seconds=5))
    assert [u.kind for u in ended] == ["ended"] and ended[0].event.end_t == 5.0


def test_an_invalid_edit_is_refused_with_every_problem_named():
    from surveil.config import SurveilConfig
    from surveil.engine.changes import ChangeRefused, put_rule

    config = SurveilConfig(rules=[climb_rule(votes_k=1, votes_n=1)])
    edited = climb_rule().model_dump() | {"threshold": 1.7, "zones": [{"points": [[0, 0], [1, 1]]}]}
    with pytest.raises(ChangeRefused) as info:
        put_rule(config, edited)
    assert str(info.value).startswith("rule 'climber' refused: ")
    assert "threshold" in str(info.value) and "zones.0.points" in str(info.value)
    assert config.rules[0].threshold == 0.6
    assert put_rule(config, climb_rule().model_dump() | {"threshold": 0.9}).config.rules[0].threshold == 0.9
