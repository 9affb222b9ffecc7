"""The store recovers by itself: from a creator killed half-way, and from a full disk that is freed."""

import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from store_factory import event, put_event, vector

from surveil.engine.writer import LAST_TRY, StoreWriter, WriteJob
from surveil.store.lock import StoreInUse
from surveil.store.store import EventStore, Put

HERE = Path(__file__).parent


def _verify_cli(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "surveil", "verify", "--store", str(folder)],
                          capture_output=True, text=True, timeout=60)


def _wait_until(condition, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.05)
    return True


def test_a_creator_killed_at_any_moment_leaves_a_store_that_opens(tmp_path):
    """20 children create a new store and are SIGKILLed; every folder they leave opens, takes a write, verifies."""
    rng = random.Random(11)
    # Creating takes ~40 ms once the child's imports are done (~200 ms): most kills land inside it.
    delays = [rng.uniform(0, 0.06) for _ in range(14)] + [rng.uniform(0.06, 0.6) for _ in range(6)]
    cut_short = 0
    for round_, delay in enumerate(delays):
        folder = tmp_path / f"store{round_}"
        child = subprocess.Popen([sys.executable, str(HERE / "store_creator.py"), str(folder)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline() == "creating\n"
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=30)
        cut_short += "open" not in out
        with EventStore(folder) as store:
            put_event(store, event(round_))
            assert store.get_event(event(round_).event_id) is not None
        done = _verify_cli(folder)
        assert done.returncode == 0, f"kill after {delay * 1000:.0f} ms: {done.stdout}{done.stderr}"
        assert not list(tmp_path.glob(".*.creating-*")), "a dead creator's half-built store was cleaned up"
    assert cut_short >= 5, f"only {cut_short} kills landed before the store was open: the test means little"


def test_a_folder_holding_only_a_stale_lock_counts_as_new(tmp_path):
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / "writer.lock").write_text("12345\n")
    (tmp_path / ".store.creating-999999999").mkdir()  # no such process: a killed creator's leftover
    (tmp_path / ".other.creating-999999999").mkdir()  # another store's name: not ours to touch
    with EventStore(folder) as store:
        put_event(store, event(1))
    assert not (tmp_path / ".store.creating-999999999").exists()
    assert (tmp_path / ".other.creating-999999999").exists()
    assert _verify_cli(folder).returncode == 0


def test_writes_resume_by_themselves_once_a_full_disk_is_freed(tiny_disk):
    mount = tiny_disk("8m")
    store = EventStore(mount / "store")
    put_event(store, event(0))  # written before the disk fills: must stay readable through the outage
    errors, resumed, ids = [], [], []
    writer = StoreWriter(store, errors.append, resumed.append)
    writer.start()
    filler = mount / "filler"
    filler.write_bytes(b"\0" * (shutil.disk_usage(mount).free - 256 * 1024))

    def submit(i: int) -> None:
        ids.append(event(i).event_id)
        writer.submit(WriteJob([Put(event(i), os.urandom(4000), vector(i))]))

    try:
        for i in range(1, 2000):  # ten at a time until the disk is full
            submit(i)
            if i % 10 == 0 and _wait_until(lambda: errors or not writer.pending, 5) and errors:
                break
        assert _wait_until(lambda: errors, 10), "the full disk was never reported"
        assert "is full" in errors[0], errors[0]
        for i in range(2000, 2020):  # newer jobs queue behind the ones that failed
            submit(i)
        time.sleep(3)  # a few retries (and reopens) on the full disk
        assert len(errors) == 1, "reported once per outage, not per retry"
        assert writer.pending >= 20 and not resumed
        assert store.get_event(event(0).event_id) is not None, "reads go on during the outage"

        filler.unlink()
        assert _wait_until(lambda: not writer.pending, 20), f"{writer.pending} jobs still pending"
        assert all(store.get_event(event_id) is not None for event_id in ids)
        assert len(resumed) == 1 and "store writes resumed after" in resumed[0]
        assert len(errors) == 1 and writer.failures == 1 and writer.written == len(ids)
        subjects = [e.subject for e in store.audit_entries() if e.action == "event"]
        assert list(dict.fromkeys(subjects)) == [event(0).event_id, *ids], "written in the order submitted"
        assert writer._thread.is_alive(), "no restart: the same writer thread carried on"
        with pytest.raises(StoreInUse):  # and the same process kept the store locked throughout
            EventStore(store.folder)
    finally:
        writer.stop(5)
        store.close()
    done = _verify_cli(store.folder)
    assert done.returncode == 0, done.stdout + done.stderr


def test_stop_gives_up_on_a_disk_that_stays_full_within_its_timeout(tiny_disk, caplog):
    mount = tiny_disk("4m")
    store = EventStore(mount / "store")
    errors = []
    writer = StoreWriter(store, errors.append)
    writer.start()
    (mount / "filler").write_bytes(b"\0" * (shutil.disk_usage(mount).free - 64 * 1024))
    for i in range(5):  # each larger than what is left
        writer.submit(WriteJob([Put(event(i), os.urandom(100_000))]))
    try:
        assert _wait_until(lambda: errors, 10), "the full disk was never reported"
        # The disk never frees: a stop that waited for space would never return. Run it aside and wait
        # (generously) for it to give up; that it gave up shows in the jobs it reports lost.
        stopper = threading.Thread(target=writer.stop, kwargs={"timeout": 1})
        with caplog.at_level(logging.ERROR, logger="surveil.engine.writer"):
            stopper.start()
            stopper.join(1 + LAST_TRY + 30)
        assert not stopper.is_alive(), "stop did not give up on a disk that stays full"
        assert not writer._thread.is_alive()
        assert "5 write jobs were lost" in caplog.text
    finally:
        store.close()
