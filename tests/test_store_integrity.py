"""Tampering shows, retention is audited, killed writers lose nothing acknowledged, a full disk is reported."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_factory import BASE, event, obj, put_event, vector

from surveil.config import SurveilConfig
from surveil.hashing import file_sha256
from surveil.media.retention import plan_retention, run_retention
from surveil.store.db import StoreError
from surveil.store.layout import AUDIT, EVENTS, audit_key
from surveil.store.retention import store_bytes
from surveil.store.store import EventStore, Put
from surveil.store.verify import verify_store

HERE = Path(__file__).parent


def _with_clip(tmp_path, i):
    clip = tmp_path / f"clip{i}.mp4"
    clip.write_bytes(os.urandom(4096))
    return event(i, clip_path=str(clip), clip_sha256=file_sha256(clip), clip_state="written"), clip


def test_verify_passes_on_an_untouched_store(tmp_path):
    with EventStore(tmp_path / "store") as store:
        for i in range(3):
            put_event(store, _with_clip(tmp_path, i)[0])
        store.set_state(event(0).event_id, acknowledged=True)
        report = verify_store(store)
    assert report.ok and report.entries == 4 and report.records == 4 and report.clips == 3


def test_verify_catches_a_flipped_byte_in_a_clip(tmp_path):
    with EventStore(tmp_path / "store") as store:
        record, clip = _with_clip(tmp_path, 1)
        put_event(store, record)
        assert verify_store(store).ok
        data = bytearray(clip.read_bytes())
        data[100] ^= 0x01
        clip.write_bytes(bytes(data))
        report = verify_store(store)
        done = subprocess.run([sys.executable, "-m", "surveil", "verify", "--store", str(store.folder)],
                              capture_output=True, text=True, timeout=60)
    assert not report.ok and f"clip of event {record.event_id} was altered" in report.problems[0]
    assert done.returncode == 1 and f"BROKEN: clip of event {record.event_id} was altered" in done.stdout


def test_verify_catches_an_edited_record(tmp_path):
    with EventStore(tmp_path / "store") as store:
        store.put([Put(event(i)) for i in range(3)])
        target = event(1)
        forged = target.__class__(**{**target.__dict__, "severity": "low"})
        from surveil.store.records import encode

        store.db.get_column_family(EVENTS)[target.event_id.encode()] = encode(forged)  # behind the store's back
        report = verify_store(store)
        done = subprocess.run([sys.executable, "-m", "surveil", "verify", "--store", str(store.folder)],
                              capture_output=True, text=True, timeout=60)
    assert report.problems[0] == f"event {target.event_id} was changed after it was written (digest mismatch)"
    assert done.returncode == 1 and f"event {target.event_id} was changed after it was written" in done.stdout


def test_verify_catches_an_edited_audit_entry_and_cli_reports_it(tmp_path):
    folder = tmp_path / "store"
    with EventStore(folder) as store:
        store.put([Put(event(i)) for i in range(3)])
        key = audit_key(1)
        audit = store.db.get_column_family(AUDIT)  # behind the store's back
        audit[key] = audit[key].replace(b'"action":"event"', b'"action":"purge"')
        del audit  # a column family handle keeps the database open
    done = subprocess.run([sys.executable, "-m", "surveil", "verify", "--store", str(folder)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "BROKEN: audit entry 1 (purge" in done.stdout


def _retention(store, tmp_path, now, **storage):
    """Plan and run retention of events alone (no recordings), with a camera that overrides the days."""
    config = SurveilConfig.model_validate({
        "cameras": [{"id": "lobby", "source": "lobby.avi", "event_days": storage.pop("lobby_days", None)}],
        "storage": {"min_free_gb": 0, **storage}})
    plan = plan_retention(store, config, tmp_path / "recordings", tmp_path / "clips", now=now)
    return plan, run_retention(store, plan)


def _gone(plan, kind):
    return [i.item_id for i in plan.items if i.kind == kind]


def test_retention_by_age_keeps_locked_events_and_audits_the_purge(tmp_path):
    with EventStore(tmp_path / "store") as store:
        old = [event(i, start=BASE - 40 * 86400 + i) for i in range(3)]
        new = [event(10, start=BASE)]
        linked = obj(0, start=old[0].start, event_ids=[old[0].event_id])
        old[0].object_id = linked.object_id
        lonely = obj(1, camera="yard", start=BASE - 40 * 86400)
        store.put([Put(r) for r in old + new] + [Put(linked, embedding=vector(1)), Put(lonely)])
        store.set_state(old[2].event_id, locked=True)
        plan, report = _retention(store, tmp_path, BASE + 60, retention_days=30)
        assert sorted(_gone(plan, "event")) == sorted([old[0].event_id, old[1].event_id])
        assert sorted(_gone(plan, "object")) == sorted([linked.object_id, lonely.object_id])
        assert plan.summary()["kept_locked"]["events"] == 1
        assert store.get_event(old[2].event_id) is not None and store.get_event(new[0].event_id) is not None
        assert store.get_event(old[0].event_id) is None and store.embedding("o", linked.object_id) is None
        purge = [e for e in store.audit_entries() if e.action == "purge"]
        assert len(purge) == 1 and set(purge[0].detail["ids"]) == set(_gone(plan, "event") + _gone(plan, "object"))
        assert verify_store(store).ok, "purged records are not reported as missing"


def test_retention_per_camera_and_by_size(tmp_path, monkeypatch):
    import surveil.media.retention as retention

    monkeypatch.setattr(retention, "SIZE_TRIGGER", 1.0)  # no headroom: purge exactly down to the cap
    monkeypatch.setattr(retention, "SIZE_TARGET", 1.0)
    with EventStore(tmp_path / "store") as store:
        records = [event(i, camera="lobby" if i % 2 else "gate", start=BASE - 3 * 86400 + i) for i in range(10)]
        store.put([Put(r, b"x" * 20000) for r in records])
        by_camera, _ = _retention(store, tmp_path, BASE, retention_days=30, lobby_days=1)
        assert _gone(by_camera, "event") == [r.event_id for r in records if r.camera_id == "lobby"]
        limit = store_bytes(store) - 30000
        by_size, _ = _retention(store, tmp_path, BASE, retention_days=30, max_size_gb=limit / 1e9)
        assert _gone(by_size, "event") == [records[0].event_id, records[2].event_id], "oldest first, under the cap"


def test_a_killed_writer_loses_nothing_it_acknowledged(tmp_path):
    """20 times: a child writes batches and reports each acknowledged batch; it is SIGKILLed at random."""
    folder, acked, rng = tmp_path / "store", set(), random.Random(20)
    for round_ in range(20):
        child = subprocess.Popen([sys.executable, str(HERE / "store_writer.py"), str(folder), str(round_)],
                                 stdout=subprocess.PIPE, text=True)
        ready = child.stdout.readline()
        assert ready.startswith("ready"), ready
        time.sleep(rng.uniform(0.02, 0.6))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        # A line cut by the kill has no newline or a short id: only whole lines count as acknowledged.
        acked |= {parts[1] for line in out.splitlines(keepends=True)
                  if line.endswith("\n") and len(parts := line.split()) == 2 and len(parts[1]) == 22}
        with EventStore(folder) as store:  # reopen for writing: the dead writer's lock is gone
            for event_id in acked:
                record = store.get_event(event_id)
                assert record is not None and record.event_id == event_id, f"round {round_}: {event_id} lost"
                assert store.thumbnail("e", event_id) == b"\xff\xd8" + event_id.encode()
                assert store.embedding("e", event_id).shape == (512,)
            assert verify_store(store).ok, f"round {round_}: the chain does not verify"
    assert len(acked) >= 100, "the child got enough writes done to make the test mean something"


def test_a_full_disk_reaches_the_caller_and_the_store_stays_readable(tiny_disk):
    folder = tiny_disk("3m") / "store"
    written, error = [], None
    with EventStore(folder) as store:
        for i in range(2000):
            try:
                put_event(store, event(i), os.urandom(8000), vector(i))
                written.append(event(i).event_id)
            except StoreError as exc:
                error = str(exc)
                break
    assert error is not None and "is full" in error, error
    with EventStore(folder, read_only=True) as reader:
        assert all(reader.get_event(event_id) is not None for event_id in written)
