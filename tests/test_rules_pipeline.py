"""Rules fed by the vision pipeline, rules written in a config file, and back-testing."""

import datetime as dt

import numpy as np
import pytest
from fake_clip import FakeEncoder, axis
from rule_helpers import T0, obs, run
from test_vision_synthetic import FPS, PatchDetector, _frames

from surveil.config import MotionConfig, parse_config
from surveil.rules.backtest import StoredObject, backtest
from surveil.rules.embed_policy import EmbedPolicy
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.vision.pipeline import Analyzer, CameraPipeline

CLIMB, WALK = axis(0), axis(1)

CONFIG = """
timezone: UTC
cameras: [{id: gate, source: gate.mp4}]
rules:
  - name: fence climber
    prompts: [a person climbing a fence]
    contrast_prompts: [a person walking past a fence]
    classes: [person]
    zones: [{name: fence, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}]
    votes_k: 2
    votes_n: 3
    threshold: 0.7
    min_duration_s: 1
    severity: high
"""


class CountingEncoder(FakeEncoder):
    def __init__(self, concepts, image_vector):
        super().__init__(concepts)
        self.image_vector, self.image_batches = image_vector, []

    def encode_images(self, crops):
        self.image_batches.append(len(crops))
        return np.stack([self.image_vector] * len(crops))


def _encoder(image_vector=CLIMB):
    return CountingEncoder({"a person climbing a fence": CLIMB, "a person walking past a fence": WALK}, image_vector)


def _timeline(embeddings):
    # Feet at y=300 of 480: inside the fence zone (lower half).
    return [obs(float(i) * 0.5, camera="gate", box=(100, 150, 140, 300), embedding=e) for i, e in enumerate(embeddings)]


def test_a_rule_written_in_the_config_fires_with_its_score_explained():
    config = parse_config(CONFIG)
    engine = RuleEngine(config.rules, _encoder())
    updates = [u for o in _timeline([CLIMB, WALK, CLIMB, CLIMB, CLIMB, CLIMB]) for u in engine.observe(o)]
    started = [u.event for u in updates if u.kind == "started"]
    # Votes pass 2 of 3 at t=1.0 (looks at 0, 1.0); held 1 s more (min duration) -> starts at t=2.0.
    assert [(e.rule, e.start_t, e.severity) for e in started] == [("fence climber", 2.0, "high")]
    reasons = "\n".join(started[0].reasons)
    assert "clip: 3 of the last 3 looks passed (need 2 of 3); p=1.00" in reasons
    assert "zone: bottom_center of the box is in zone fence" in reasons
    assert "class: person is one of ['person']" in reasons
    assert started[0].peak_score.similarities["a person climbing a fence"] == pytest.approx(1.0)


def test_the_same_rule_without_clip_stays_quiet_and_says_why_unless_it_may_fire_on_the_rest():
    config = parse_config(CONFIG)
    reason = "CLIP ViT-B-32 / laion2b_s34b_b79k: not in the model cache"
    quiet = RuleEngine(config.rules, None, clip_unavailable=reason)
    assert run(quiet, _timeline([None] * 4)) == [], "'climbing' and 'fence' cannot be checked without CLIP"
    assert "stays quiet without CLIP: 'climbing', 'fence' unchecked" in quiet.decision("fence climber", "gate",
                                                                                       1).explain()
    rules = [r.model_copy(update={"fire_without_clip": True}) for r in config.rules]
    engine = RuleEngine(rules, None, clip_unavailable=reason)
    updates = run(engine, _timeline([None] * 4))
    assert [(t, k) for t, k, _ in updates] == [(1.0, "started")]  # class + zone held from 0, min duration 1 s
    text = engine.decision("fence climber", "gate", 1).explain()
    assert f"unavailable ({reason}); fires on the rest without CLIP: 'climbing', 'fence' unchecked" in text
    outside = run(RuleEngine(rules, None), [obs(5.0, camera="gate", box=(100, 10, 140, 100), track=2)])
    assert outside == []


def test_crops_of_several_cameras_are_embedded_in_one_batch_and_only_when_needed():
    config = parse_config(CONFIG.replace("cameras: [{id: gate, source: gate.mp4}]",
                                         "cameras: [{id: gate, source: g.mp4}, {id: yard, source: y.mp4}]"))
    encoder = _encoder()
    engine = RuleEngine(config.rules, encoder)
    pipelines = {c: CameraPipeline(c, MotionConfig(max_detect_fps=FPS), PatchDetector.names) for c in ("gate", "yard")}
    analyzer, evaluator = Analyzer(PatchDetector(), pipelines), RuleEvaluator(engine, encoder, EmbedPolicy(every_s=2))
    frames = list(_frames(30, (20.0, 0.0), start=(100, 200)))  # feet at y 260 of 360: in the zone
    events = []
    for i, image in enumerate(frames):
        t = i / FPS
        results = analyzer.analyze([("gate", image, i, t), ("yard", image, i, t)])
        events += evaluator.process([(r, image, T0 + dt.timedelta(seconds=t)) for r in results])
    # Both cameras' crops go through one call. The 30 px patch moves 2 px a frame, so its box
    # overlaps the last embedded one by IoU (30-d)/(30+d): under 0.5 once d > 10, every 6th frame.
    assert encoder.image_batches == [2] * 5
    assert evaluator.policy.asked == 60 and evaluator.policy.embedded == 10
    # Votes pass 2 of 3 at the second look (t=0.6), then the 1 s minimum duration runs from there.
    assert [u.event.start_t for u in events] == pytest.approx([1.6, 1.6])
    assert sorted((u.event.camera_id, u.kind) for u in events) == [("gate", "started"), ("yard", "started")]


def test_backtest_says_what_would_have_fired_and_what_it_left_out():
    rule = parse_config(CONFIG).rules[0]
    day1, day2 = T0, T0 + dt.timedelta(days=1)
    stored = [StoredObject("a", "gate", "person", day1, CLIMB, (100, 150, 140, 300), (640, 480)),
              StoredObject("b", "gate", "person", day1, WALK, (100, 150, 140, 300), (640, 480)),
              StoredObject("c", "gate", "car", day2, CLIMB, (100, 150, 140, 300), (640, 480)),
              StoredObject("d", "gate", "person", day2, CLIMB),  # no box stored: zone left out
              StoredObject("e", "yard", "person", day2, CLIMB, (100, 150, 140, 300), (640, 480))]
    result = backtest(rule, stored, _encoder())
    # b is a walker, c a car; d has no box (zone left out); the rule names no camera, so e counts.
    assert [h.obj.object_id for h in result.hits] == ["a", "d", "e"]
    assert result.checked == 5 and result.per_day() == {day1.date(): 1, day2.date(): 2}
    assert "minimum duration" in result.left_out and any("votes" in x for x in result.left_out)
    blind = backtest(rule, stored, None)
    assert "the words 'climbing', 'fence' (CLIP unavailable): nothing fires" in blind.left_out
    assert blind.hits == [], "without CLIP, words nothing can check keep the rule quiet in the back-test too"
    loud = backtest(rule.model_copy(update={"fire_without_clip": True}), stored, None)
    assert [h.obj.object_id for h in loud.hits] == ["a", "b", "d", "e"], "firing on the rest: the walker fires too"
