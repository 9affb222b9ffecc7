"""An operator's "false alarm", given through the engine, quiets the rule on real footage, and survives a restart.

The product's path: ``Engine.mark_event`` → operator state in the store → the rule's examples,
relearned from the store when the next engine starts. The encoder is a fake with chosen
embeddings (no CLIP weights here): every person crop looks alike to it, so one false alarm
must quiet every later alert of that rule, and nothing else may change between the two runs.
"""

from __future__ import annotations

import numpy as np
import pytest
from capture_helpers import wait_for
from fake_clip import FakeEncoder, axis, mix

from surveil.capture.cv import cv2
from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.store.store import EventStore

pytestmark = [pytest.mark.media]

RULE = "walker"
FRAMES = 80  # 8 s of the walkway clip: people cross the lower half from the first seconds


class LookAlikes(FakeEncoder):
    """Every crop embeds to the same vector, close to the rule's prompt."""

    def encode_images(self, crops):
        return np.stack([mix((3, axis(0)), (1, axis(1)))] * len(crops))


def _clip(media, tmp_path):
    source = cv2.VideoCapture(str(media / "pets2009_walkway_480x360.avi"))
    out = tmp_path / "walkway8s.avi"
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 10, (480, 360))
    for _ in range(FRAMES):
        ok, image = source.read()
        assert ok
        writer.write(image)
    writer.release()
    source.release()
    return out


def _run(config, mark: bool) -> tuple[Engine, list]:
    """One pass over the clip (marking its first alert a false alarm); returns the engine and its notices."""
    engine = Engine(config, app_paths(), encoder=LookAlikes({"a person walking": axis(0)}))
    notices = []
    engine.listeners.append(notices.append)
    engine.start()
    try:
        wait_for(lambda: engine.snapshot().cameras["walkway"].state == "ended", 120, "the clip played to its end")
        alerts = [n for n in notices if n.kind == "alert_started"]
        if alerts and mark:
            engine.mark_event(alerts[0].record.event_id, verdict="false_alarm", acknowledged=True)
    finally:
        engine.stop()
    return engine, notices


def test_a_false_alarm_marked_through_the_engine_quiets_the_rule_after_a_restart(media, assets, tmp_path):
    config = SurveilConfig.model_validate({
        "cameras": [{"id": "walkway", "source": str(_clip(media, tmp_path)), "realtime": False}],
        "models": {"detector": {"weights": str(assets / "models" / "yolo11n.pt"), "classes": ["person"]}},
        "storage": {"path": str(tmp_path / "store")},
        "recording": {"folder": str(tmp_path / "rec"), "clips_dir": str(tmp_path / "clips")},
        "rules": [{"name": RULE, "prompts": ["a person walking"], "classes": ["person"], "votes_k": 1,
                   "votes_n": 1, "cooldown_s": 0, "grace_s": 1}]})
    _, first = _run(config, mark=True)
    alerts = [n for n in first if n.kind == "alert_started"]
    assert len(alerts) >= 2, "the rule fires on the people in this clip before any feedback"
    assert [n.detail["verdict"] for n in first if n.kind == "event_marked"] == ["false_alarm"]
    second_engine, second = _run(config, mark=False)
    assert [n for n in second if n.kind == "alert_started"] == [], "the same look-alike people stay quiet"
    assert dict(second_engine.snapshot().examples) == {RULE: (0, 1)}, "the verdict came back from the store"


def test_without_clip_a_false_alarm_quiets_that_person_and_no_one_else(media, assets, tmp_path):
    """No CLIP at all: the operator's mark is learned on the detector's appearance vector of the alert's crop."""
    config = SurveilConfig.model_validate({
        "cameras": [{"id": "walkway", "source": str(_clip(media, tmp_path)), "realtime": False}],
        "models": {"detector": {"weights": str(assets / "models" / "yolo11n.pt"), "classes": ["person"]}},
        "storage": {"path": str(tmp_path / "store")},
        "recording": {"folder": str(tmp_path / "rec"), "clips_dir": str(tmp_path / "clips")},
        "rules": [{"name": RULE, "prompts": ["a person"], "cooldown_s": 0, "grace_s": 1}]})

    def run(mark: bool):
        engine = Engine(config, app_paths(), clip_reason="test: no CLIP weights")
        notices = []
        engine.listeners.append(notices.append)
        engine.start()
        try:
            wait_for(lambda: engine.snapshot().cameras["walkway"].state == "ended", 120, "the clip played to its end")
            alerts = [n.record for n in notices if n.kind == "alert_started"]
            if alerts and mark:
                engine.mark_event(alerts[0].event_id, verdict="false_alarm")
        finally:
            engine.stop()
        return engine, alerts

    _, first = run(mark=True)
    assert len({a.track_id for a in first}) >= 3, "every person in view raises the rule before any feedback"
    store_engine, second = run(mark=False)
    assert dict(store_engine.snapshot().examples) == {RULE: (0, 1)}, "the verdict came back from the store"
    quieted = {a.track_id for a in first} - {a.track_id for a in second}
    assert first[0].track_id in quieted, "the person marked a false alarm stays quiet"
    assert second, "the other people still raise the rule"
    with EventStore(tmp_path / "store", read_only=True) as store:
        objects = list(store.objects())
        looks = {o.object_id for o, _ in store.object_appearances(store.appearance("o", objects[0].object_id)[0])}
        assert len(objects) >= 5 and looks == {o.object_id for o in objects}, "every stored object has its look"
        assert all(store.appearance("e", e.event_id) is not None for e in store.events()), "and every event"
