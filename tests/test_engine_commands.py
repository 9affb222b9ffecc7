"""The engine owns every change: cameras and rules are commands, checked, saved, applied on its thread, announced."""

from __future__ import annotations

import threading

import pytest
from capture_helpers import wait_for
from test_engine import _config
from test_vision_synthetic import PatchDetector
from videos import write_video

from surveil.config import load_config
from surveil.engine.changes import ChangeRefused
from surveil.engine.engine import Engine
from surveil.engine.writer import WriteJob
from surveil.paths import app_paths
from surveil.store.store import EventStore, Put

RULE = "square on the right"


@pytest.fixture
def engine(tmp_path):
    """Two looping synthetic cameras; the rule watches only ``cam``; the config file is the engine's own."""
    clip = write_video(tmp_path / "cam.avi", count=140, fps=20, size=(160, 120), step=1)
    config = _config(tmp_path, [{"id": "cam", "source": str(clip), "loop": True},
                                {"id": "side", "source": str(clip), "loop": True}])
    config = config.model_copy(update={"rules": [config.rules[0].model_copy(update={"cameras": ["cam"]})]})
    path = tmp_path / "config.yaml"
    engine = Engine(config, app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP", config_path=path)
    engine.notices = []
    engine.listeners.append(engine.notices.append)
    engine.start()
    yield engine
    engine.stop()


def _kinds(engine, kind):
    return [n for n in engine.notices if n.kind == kind]


def test_a_rule_naming_an_unknown_camera_is_refused_and_later_saves_still_work(engine, tmp_path):
    before = engine.config
    with pytest.raises(ChangeRefused, match="names camera 'nosuch', which is not configured"):
        engine.update_rule({"name": RULE, "classes": ["person"], "cameras": ["nosuch"]})
    with pytest.raises(ChangeRefused, match="threshold"):
        engine.update_rule({"name": RULE, "classes": ["person"], "threshold": 3})
    assert engine.config is before, "a refused change leaves the running configuration as it was"
    assert not (tmp_path / "config.yaml").exists(), "nothing was saved"
    engine.update_rule({"name": RULE, "classes": ["person"], "cameras": ["side"], "severity": "high"})
    wait_for(lambda: _kinds(engine, "rule_changed"), 10, "the change announced")
    saved = load_config(tmp_path / "config.yaml")
    assert [(r.name, r.cameras, r.severity) for r in saved.rules] == [(RULE, ["side"], "high")]
    snapshot = engine.snapshot()
    assert snapshot.config.rules[0].severity == "high" and [r.name for r in snapshot.rules_on("side")] == [RULE]
    assert snapshot.rules_on("cam") == []


def test_removing_a_camera_says_what_happens_to_its_rules_and_leaves_no_live_camera(engine, tmp_path):
    wait_for(lambda: engine.snapshot().cameras.get("cam") and engine.snapshot().cameras["cam"].state == "live",
             20, "cam live")
    change = engine.remove_camera("cam")
    assert change.effects == [f"rule '{RULE}' watched only cam: disabled, choose its cameras to enable it"]
    wait_for(lambda: _kinds(engine, "camera_removed"), 10, "the removal announced")
    snapshot = engine.snapshot()
    assert set(snapshot.cameras) == {"side"} and set(engine.health()["cameras"]) == {"side"}
    rule = snapshot.config.rules[0]
    assert (rule.enabled, rule.cameras) == (False, [])
    saved = load_config(tmp_path / "config.yaml")
    assert [c.id for c in saved.cameras] == ["side"] and saved.rules[0].enabled is False
    assert not [t for t in threading.enumerate() if t.name == "capture-cam"], "its capture thread was joined"
    with pytest.raises(ChangeRefused, match="no camera 'cam' to remove"):
        engine.remove_camera("cam")


def test_removing_a_camera_can_delete_the_rules_that_watched_only_it(engine, tmp_path):
    with pytest.raises(ChangeRefused, match="unknown choice 'drop'"):
        engine.remove_camera("cam", orphaned="drop")
    change = engine.remove_camera("cam", orphaned="delete")
    assert change.effects == [f"rule '{RULE}' watched only cam: deleted"]
    wait_for(lambda: _kinds(engine, "camera_removed"), 10, "the removal announced")
    assert engine.snapshot().config.rules == [] and load_config(tmp_path / "config.yaml").rules == []
    assert RULE not in engine.loop.rules.rules, "the rule stopped in the engine too"


def test_replacing_a_rule_ends_its_open_event_and_forgets_it(engine):
    wait_for(lambda: _kinds(engine, "alert_started"), 30, "an alert")
    event_id = _kinds(engine, "alert_started")[0].record.event_id
    engine.update_rule({"name": RULE, "classes": ["car"], "cameras": ["cam"]})  # matches nothing any more
    wait_for(lambda: any(n.detail.get("event_id") == event_id for n in _kinds(engine, "alert_ended")), 10,
             "the open event ended")
    wait_for(lambda: engine.health()["store"]["open_incidents"] == 0, 20, "no incident left open once its clip is cut")
    # Its last version leaves the open set when it is handed to the store writer, not when it is on disk.
    wait_for(lambda: engine.store.get_event(event_id).clip_state != "recording", 10, "the clip's version stored")
    record = engine.store.get_event(event_id)
    assert record.end is not None and record.end >= record.start
    assert record.clip_state == "written"


def test_a_rule_that_raises_is_announced_counted_and_paused(engine, monkeypatch):
    from surveil.rules import engine as rules_engine

    original = rules_engine.RuleEngine._evaluate

    def broken(self, rule, obs):
        if rule.name == RULE:
            raise RuntimeError("boom in the rule")
        return original(self, rule, obs)

    monkeypatch.setattr(rules_engine.RuleEngine, "_evaluate", broken)
    wait_for(lambda: _kinds(engine, "rule_error"), 30, "a rule_error notice")
    notice = _kinds(engine, "rule_error")[0]
    assert notice.message.startswith(f"rule {RULE} failed: RuntimeError: boom in the rule")
    failures = engine.health()["failures"]
    assert failures[f"rule {RULE}"]["failures"] == 1, failures
    assert engine.snapshot().rule_failures == {RULE: "RuntimeError: boom in the rule"}
    engine.update_rule({"name": RULE, "classes": ["person"], "cameras": ["cam"]})  # an edit clears the pause
    wait_for(lambda: RULE not in engine.snapshot().rule_failures, 10, "the edited rule runs again")


def test_the_store_writer_skips_a_job_it_cannot_write_and_carries_on(engine):
    bad = WriteJob([Put(record=object())])  # not a record: a bug upstream, not a full disk
    written = threading.Event()
    engine.writer.submit(bad)
    engine.writer.submit(WriteJob([], on_written=written.set))
    assert written.wait(10), "the job after the bad one is written"
    assert engine.writer.dropped == 1
    assert engine.health()["failures"]["store writer"]["failures"] == 1
    assert [n.kind for n in engine.notices if n.kind == "thread_error"] == ["thread_error"]


def test_the_recorder_survives_a_bad_job(engine, monkeypatch):
    def bug(*args):
        raise ZeroDivisionError("a bug in one job")

    monkeypatch.setattr(engine.recorder, "_gap", bug)
    engine.recorder._queue.put(("gap", "cam", 0.0, "test"))
    wait_for(lambda: "recorder" in engine.health()["failures"], 10, "the failure counted")
    assert engine.health()["failures"]["recorder"]["last_error"] == "ZeroDivisionError: a bug in one job"
    segments = engine.recorder.status()["cam"]["segments"]
    wait_for(lambda: engine.recorder.status()["cam"]["segments"] > segments, 30, "recording goes on")
    assert engine.recorder._thread.is_alive()


def test_a_thread_body_that_raises_is_restarted_and_counted():
    from surveil.engine.watch import Watch

    notices, runs, done = [], [], threading.Event()
    watch = Watch(notices.append)

    def body():
        runs.append(1)
        if len(runs) == 1:
            raise OSError("first run fails")
        done.set()

    thread = threading.Thread(target=watch.target("worker", body, lambda: False))
    thread.start()
    assert done.wait(10)
    thread.join(5)
    assert len(runs) == 2 and [n.kind for n in notices] == ["thread_error"]
    assert watch.status() == {"worker": {"failures": 1, "last_error": "OSError: first run fails", "running": True,
                                         "last_at": watch.status()["worker"]["last_at"]}}


def test_stored_verdicts_are_learned_again_at_start(tmp_path):
    import numpy as np

    from surveil.engine.persist import event_put
    from surveil.rules.events import Event

    clip = write_video(tmp_path / "cam.avi", count=40, fps=20, size=(160, 120), step=1)
    config = _config(tmp_path, [{"id": "cam", "source": str(clip)}])
    import datetime as dt

    wall = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
    event = Event("0000000000001-abc", RULE, "cam", 1, "person", "low", 0.0, wall, 0.0, end_t=1.0, end_wall=wall)
    event.embedding = np.eye(1, 16, 3, dtype=np.float32)[0]
    with EventStore(tmp_path / "store") as store:
        store.put([event_put(event, None, None, "none")])
    first = Engine(config, app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP")
    with first:
        first.mark_event(event.event_id, verdict="false_alarm", acknowledged=True)
        with pytest.raises(ChangeRefused, match="unknown verdict"):
            first.mark_event(event.event_id, verdict="maybe")
        with pytest.raises(ChangeRefused, match="no event 'nosuch'"):
            first.mark_event("nosuch", acknowledged=True)
    second = Engine(config, app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP")
    with second:
        wait_for(lambda: second.snapshot().seq > 0, 10, "a snapshot")
        assert dict(second.snapshot().examples) == {RULE: (0, 1)}
        negatives = second.loop.rules.examples[RULE].negatives
        assert len(negatives) == 1 and np.allclose(negatives[0].embedding, event.embedding, atol=1e-3)


def test_removing_a_camera_stuck_opening_does_not_hold_up_the_others(engine):
    from streams import SilentServer

    from surveil.config import CameraConfig

    server = SilentServer()  # accepts, never answers: the capture thread sits in its open timeout
    try:
        engine.add_camera(CameraConfig(id="stuck", source=f"http://127.0.0.1:{server.port}/video.mjpg",
                                       open_timeout_s=15))
        wait_for(lambda: "stuck" in engine.snapshot().cameras, 10, "the stuck camera to be added")
        engine.remove_camera("stuck")
        wait_for(lambda: _kinds(engine, "camera_removed"), 5, "the removal, without waiting out the open")
        before = engine.loop.health["cam"].frames_analysed
        wait_for(lambda: engine.loop.health["cam"].frames_analysed > before + 5, 10, "the other cameras go on")
        engine.stop()
        assert not [t for t in threading.enumerate() if t.name == "capture-stuck" and t.is_alive()], "joined at stop"
    finally:
        server.close()
