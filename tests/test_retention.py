"""Retention of recordings and events: planned with reasons, run with one audit entry per purge, locked kept."""

import json
import logging
import os
import shutil
import subprocess
import sys
import time
from collections import namedtuple

import pytest
from store_factory import BASE, event, obj

from surveil.config import SurveilConfig
from surveil.hashing import file_sha256
from surveil.media.retention import (
    SIZE_TARGET,
    SIZE_TRIGGER,
    plan_retention,
    retention_status,
    run_retention,
    size_marks,
)
from surveil.media.segments import segment_path
from surveil.store.layout import segment_key
from surveil.store.records import SegmentRecord
from surveil.store.store import EventStore, Put
from surveil.store.verify import verify_store

DAY = 86400
SIZE = 100_000
Disk = namedtuple("Disk", "total used free")
PLENTY = Disk(1e12, 0, 5e11)


@pytest.fixture
def folders(tmp_path):
    return tmp_path / "store", tmp_path / "recordings", tmp_path / "clips"


def _config(folders, cameras=(), **storage) -> SurveilConfig:
    _, recordings, clips = folders
    cams = [{"id": c["id"], "source": f"{c['id']}.avi", **{k: v for k, v in c.items() if k != "id"}} for c in cameras]
    return SurveilConfig.model_validate({"cameras": cams, "storage": {"min_free_gb": 0, **storage},
                                         "recording": {"folder": str(recordings), "clips_dir": str(clips),
                                                       "pre_roll_s": 5, "post_roll_s": 5}})


def _segment(folders, camera, start, size=SIZE, kind="segment") -> SegmentRecord:
    if kind == "gap":
        return SegmentRecord(segment_key(camera, start, "g"), camera, "gap", start, start + 10, reason="lost")
    path = segment_path(folders[1], camera, start)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(os.urandom(size))
    return SegmentRecord(segment_key(camera, start), camera, "segment", start, start + 10, str(path), size,
                         file_sha256(path))


def _with_clip(folders, i, camera="gate", start=None, size=SIZE, **fields):
    record = event(i, camera=camera, start=start, end=(start or BASE) + 3, **fields)
    clip = folders[2] / camera / f"{record.event_id}.mp4"
    clip.parent.mkdir(parents=True, exist_ok=True)
    clip.write_bytes(os.urandom(size))
    record.clip_path, record.clip_sha256, record.clip_state = str(clip), file_sha256(clip), "written"
    return record


def _plan(store, config, folders, **kw):
    return plan_retention(store, config, folders[1], folders[2], **{"now": BASE, "disk": PLENTY, **kw})


def _ids(plan, reason=None):
    return [i.item_id for i in plan.items if reason is None or i.reason == reason]


def _purges(store):
    return [e for e in store.audit_entries() if e.action == "purge"]


def test_age_follows_each_cameras_days_and_events_outlive_their_recordings(folders):
    config = _config(folders, [{"id": "gate", "recording_days": 1}, {"id": "yard", "event_days": 2}],
                     recording_days=7, retention_days=30)
    gate_old, gate_new = _segment(folders, "gate", BASE - 3 * DAY), _segment(folders, "gate", BASE - DAY / 2)
    yard_kept, yard_old = _segment(folders, "yard", BASE - 3 * DAY), _segment(folders, "yard", BASE - 8 * DAY)
    yard_gap = _segment(folders, "yard", BASE - 9 * DAY, kind="gap")
    gate_event = _with_clip(folders, 1, "gate", BASE - 3 * DAY)
    yard_event = _with_clip(folders, 2, "yard", BASE - 3 * DAY)
    linked = obj(2, camera="yard", start=yard_event.start, event_ids=[yard_event.event_id])
    yard_event.object_id = linked.object_id
    lonely = obj(3, camera="yard", start=BASE - 3 * DAY)
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in (gate_old, gate_new, yard_kept, yard_old, yard_gap, gate_event, yard_event,
                                    linked, lonely)])
        plan = _plan(store, config, folders)
        assert sorted(_ids(plan, "age")) == sorted([gate_old.segment_id, yard_old.segment_id, yard_gap.segment_id,
                                                    yard_event.event_id, linked.object_id, lonely.object_id])
        summary = plan.summary()
        assert summary["by_reason"]["age"] == {"count": 6, "segments": 2, "gaps": 1, "events": 1, "objects": 2,
                                               "bytes": sum(i.bytes for i in plan.items)}
        assert summary["by_camera"]["gate"]["age"]["bytes"] == SIZE
        sizes = {i.item_id: i.bytes for i in plan.items}
        assert [sizes[r.segment_id] for r in (gate_old, yard_old, yard_gap)] == [SIZE, SIZE, 0]
        assert sizes[yard_event.event_id] > SIZE, "the clip, plus the stored record"
        assert os.path.exists(gate_old.path) and os.path.exists(yard_event.clip_path), "planning deletes nothing"
        report = run_retention(store, plan)
        assert [p.reason for p in report.purges] == ["age"] and report.recordings_freed == 2 * SIZE
        assert not os.path.exists(gate_old.path) and not os.path.exists(yard_event.clip_path)
        assert os.path.exists(gate_event.clip_path), "the event outlives the segments its clip was cut from"
        assert store.get_event(gate_event.event_id) is not None and store.get_event(yard_event.event_id) is None
        assert store.get_object(lonely.object_id) is None and store.get_object(linked.object_id) is None
        assert [r.segment_id for r in store.all_segments()] == [gate_new.segment_id, yard_kept.segment_id]
        assert verify_store(store).ok


def test_size_cap_takes_the_oldest_first_recordings_and_events_alike_down_to_its_target(folders):
    segments = [_segment(folders, "gate" if i % 2 == 0 else "yard", BASE - 3600 + i * 10) for i in range(5)]
    events = [_with_clip(folders, i, start=BASE - 7200 + i * 600, size=1000) for i in range(3)]
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in segments + events])
        store.set_state(events[0].event_id, locked=True)
        used = plan_retention(store, _config(folders), folders[1], folders[2], now=BASE, disk=PLENTY).usage.used
        under = _plan(store, _config(folders, max_size_gb=used / (SIZE_TRIGGER - 0.01) / 1e9), folders)
        assert _ids(under, "size") == [], "under the trigger nothing goes"
        cap = used / 0.95
        plan = _plan(store, _config(folders, max_size_gb=cap / 1e9), folders)
        oldest_first = [events[1].event_id, events[2].event_id] + [s.segment_id for s in segments]
        chosen = _ids(plan, "size")
        assert chosen == oldest_first[:len(chosen)], "oldest first, across cameras and kinds"
        freed = sum(i.bytes for i in plan.items if i.reason == "size")
        last = next(i.bytes for i in plan.items if i.item_id == chosen[-1])
        assert freed >= used - cap * SIZE_TARGET > freed - last, "down to the target, and no further"
        assert [(k.item_id, k.why) for k in plan.kept] == [(events[0].event_id, "locked")]
        assert plan.summary()["kept_locked"]["events"] == 1
        run_retention(store, plan)
        assert store.get_event(events[0].event_id) and not store.get_event(events[1].event_id)
        assert [e.detail["reason"] for e in _purges(store)] == ["size"] and verify_store(store).ok


def test_headroom_for_heavy_recording_starts_the_size_rule_lower_so_a_small_cap_is_never_reached(folders):
    segments = [_segment(folders, "gate", BASE - 3600 + i * 10) for i in range(10)]
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in segments])
        used = _plan(store, _config(folders), folders).usage.used
        cap = used / 0.75  # under the usual trigger (85 %): a pass with no write rate known deletes nothing
        config = _config(folders, max_size_gb=cap / 1e9)
        assert _ids(_plan(store, config, folders), "size") == []
        # The cameras write 30 % of the cap before a pass can act: the rule starts at 70 %, stops 10 % lower.
        trigger, target = size_marks(cap, cap * 0.3)
        assert trigger == pytest.approx(cap * 0.7) and target == pytest.approx(cap * 0.6)
        plan = _plan(store, config, folders, headroom=int(cap * 0.3))
        freed = sum(i.bytes for i in plan.items if i.reason == "size")
        assert used - freed <= target < used - freed + SIZE, "down to the lowered target, and no further"
        assert size_marks(cap, cap * 10) == (cap * 0.5, cap * 0.4), "a rate no cap can absorb still leaves half"


def test_a_locked_event_keeps_the_segments_around_it_even_when_locked_after_the_plan(folders):
    start = BASE - 10 * DAY
    segments = [_segment(folders, "gate", start + i * 10) for i in range(8)]
    locked = event(1, start=start + 26, end=start + 28)  # held: [start + 21, start + 33]
    late = event(2, start=start + 66, end=start + 67)  # locked after the plan: [start + 61, start + 72]
    cutting = event(3, camera="yard", start=BASE - 8 * DAY, clip_state="recording")
    yard = _segment(folders, "yard", BASE - 8 * DAY - 4)
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in [*segments, locked, late, cutting, yard]])
        store.set_state(locked.event_id, locked=True)
        plan = _plan(store, _config(folders), folders)
        held = {k.item_id: (k.held_by, k.why) for k in plan.kept if k.kind == "segment"}
        assert held == {segments[2].segment_id: (locked.event_id, "locked"),
                        segments[3].segment_id: (locked.event_id, "locked"),
                        yard.segment_id: (cutting.event_id, "clip")}
        assert plan.summary()["kept_locked"] == {"segments": 2, "events": 0, "bytes": 2 * SIZE,
                                                 "held_by": [locked.event_id]}
        store.set_state(late.event_id, locked=True)
        report = run_retention(store, plan)
        assert sorted(report.spared) == [segments[6].segment_id, segments[7].segment_id]
        left = [r.segment_id for r in store.all_segments()]
        assert left == [segments[i].segment_id for i in (2, 3, 6, 7)] + [yard.segment_id]
        assert all(os.path.exists(r.path) for r in store.all_segments()) and verify_store(store).ok


def test_an_object_stays_while_a_locked_event_points_to_it(folders):
    first, second = event(1, start=BASE - 40 * DAY), event(2, start=BASE - 40 * DAY + 30)
    shared = obj(1, start=first.start, event_ids=[first.event_id, second.event_id])
    first.object_id = second.object_id = shared.object_id
    with EventStore(folders[0]) as store:
        store.put([Put(first), Put(second), Put(shared)])
        store.set_state(second.event_id, locked=True)
        plan = _plan(store, _config(folders), folders)
        assert _ids(plan) == [first.event_id], "the object goes only with the last event that points to it"
        store.set_state(second.event_id, locked=False)
        assert _ids(_plan(store, _config(folders), folders)) == [first.event_id, second.event_id, shared.object_id]


def test_the_emergency_floor_takes_the_oldest_segments_whatever_their_age(folders, monkeypatch):
    segments = [_segment(folders, "gate" if i % 2 else "yard", BASE - 600 + i * 10) for i in range(4)]
    config = _config(folders, min_free_gb=1.0)
    monkeypatch.setattr(shutil, "disk_usage", lambda _: Disk(1e12, 1e12 - 1e9 + 150_000, 1e9 - 150_000))
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in segments])
        plan = plan_retention(store, config, folders[1], folders[2], now=BASE)
        assert _ids(plan) == [segments[0].segment_id, segments[1].segment_id]
        assert {i.reason for i in plan.items} == {"emergency"}
        assert "emergency floor 1.0 GB" in retention_status(store, config, folders[1], folders[2])["warning"]


def test_each_purge_is_one_audit_entry_and_one_warning_and_verify_holds(folders, caplog, monkeypatch):
    import surveil.media.retention as retention

    monkeypatch.setattr(retention, "SIZE_TRIGGER", 1.0)  # no headroom: exactly one segment over the cap
    monkeypatch.setattr(retention, "SIZE_TARGET", 1.0)
    aged = [_segment(folders, "gate", BASE - 9 * DAY + i * 10) for i in range(2)]
    recent = [_segment(folders, "gate", BASE - 600 + i * 10) for i in range(4)]
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in aged + recent])
        used = plan_retention(store, _config(folders), folders[1], folders[2], now=BASE, disk=PLENTY).usage.used
        config = _config(folders, max_size_gb=(used - 3 * SIZE + 1) / 1e9, min_free_gb=1.0)
        plan = _plan(store, config, folders, disk=Disk(1e12, 0, 1e9 - 3 * SIZE - 1))
        assert [(i.reason, i.item_id) for i in plan.items] == [
            ("age", aged[0].segment_id), ("age", aged[1].segment_id), ("size", recent[0].segment_id),
            ("emergency", recent[1].segment_id)]
        with caplog.at_level(logging.WARNING):
            report = run_retention(store, plan)
        purges = _purges(store)
        assert [(p.detail["reason"], p.detail["ids"]) for p in purges] == [
            (r, _ids(plan, r)) for r in ("age", "size", "emergency")]
        assert [p.seq for p in report.purges] == [p.seq for p in purges]
        lines = [r for r in caplog.records if r.name == "surveil.store.retention"]
        assert [r.levelno for r in lines] == [logging.WARNING] * 3
        assert "retention (size) purged 1 segment of gate" in lines[1].getMessage()
        assert verify_store(store).ok


def test_retention_thread_purges_notifies_and_warns_once(folders, monkeypatch):
    from surveil.engine import retention_thread
    from surveil.engine.retention_thread import RetentionThread

    monkeypatch.setattr(retention_thread, "MIN_GAP_S", 0.0)
    now = time.time()
    notices = []
    held = event(7, camera="gate", start=now - 58, end=now - 55)  # holds [now - 63, now - 50] once locked
    with EventStore(folders[0]) as store:
        store.put([Put(_segment(folders, "gate", now - 8 * DAY)), Put(_segment(folders, "gate", now - 60)), Put(held)])
        store.set_state(held.event_id, locked=True)
        used = plan_retention(store, _config(folders), folders[1], folders[2], disk=PLENTY).usage.used
        config = _config(folders, max_size_gb=(used - SIZE + 1000) / 1e9, retention_every_s=3600)
        thread = RetentionThread(store, config, folders[1], folders[2], notices.append)
        thread.start_delay_s = 0
        thread.start()
        try:
            _wait(lambda: thread.status().get("last_run"))
            # The old segment goes by age; the recent one stays (locked), so usage stays at the cap: one warning.
            assert [n.kind for n in notices] == ["retention", "storage_warning"]
            assert notices[0].camera_id == "gate" and "retention (age) purged 1 segment of gate" in notices[0].message
            store.put([Put(_segment(folders, "gate", now - 30, size=2 * SIZE))])
            thread.note_bytes(2 * SIZE)  # past the cap: a pass at once, not in an hour
            _wait(lambda: len(notices) == 3)
            assert notices[2].kind == "retention" and "(size)" in notices[2].message, "no second warning"
            status = thread.status()
            assert list(status["cameras"]) == ["gate"] and "cap" in status["warning"], "the locked part stays"
            assert status["next_purge"] > status["last_run"]["time"] and status["last_run"]["run"]["purges"]
        finally:
            thread.stop()


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _surveil(*args):
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=60)


def test_cli_plan_run_status(folders, tmp_path):
    now = time.time()
    old = [_segment(folders, "gate", now - 9 * DAY + i * 10) for i in range(3)]
    keep = event(1, start=now - 9 * DAY + 16, end=now - 9 * DAY + 17)
    (tmp_path / "surveil.yaml").write_text(
        f"cameras: [{{id: gate, source: gate.avi}}]\nstorage: {{min_free_gb: 0}}\n"
        f"recording: {{folder: {folders[1]}, clips_dir: {folders[2]}}}\n")
    common = ["--config", str(tmp_path / "surveil.yaml"), "--store", str(folders[0])]
    with EventStore(folders[0]) as store:
        store.put([Put(r) for r in [*old, keep]])
        store.set_state(keep.event_id, locked=True)
        plan = _surveil("retention", "plan", *common)
        assert plan.returncode == 0, plan.stderr
        assert "age: 1 segment, 0.1 MB" in plan.stdout and "  gate: 1 segment, 0.1 MB" in plan.stdout
        assert f"kept because locked: 2 segments, 0.2 MB, held by {keep.event_id}" in plan.stdout
        busy = _surveil("retention", "run", *common)
        assert busy.returncode == 1 and "in use by a running engine" in busy.stderr
        assert len(busy.stderr.strip().splitlines()) == 1
    as_json = json.loads(_surveil("retention", "plan", "--json", *common).stdout)
    assert as_json["by_reason"]["age"]["count"] == 1 and as_json["items"][0]["id"] == old[0].segment_id
    done = _surveil("retention", "run", *common)
    assert done.returncode == 0 and "retention (age) purged 1 segment of gate" in done.stdout, done.stderr
    assert not os.path.exists(old[0].path) and os.path.exists(old[1].path)
    status = json.loads(_surveil("retention", "status", "--json", *common).stdout)
    assert status["recordings_bytes"] == 2 * SIZE and status["cameras"]["gate"]["keep_days"] == 7
    text = _surveil("retention", "status", *common).stdout
    assert "gate: " in text and "days kept" in text
    with EventStore(folders[0], read_only=True) as store:
        assert verify_store(store).ok
