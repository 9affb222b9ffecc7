"""The search index beside the store: a snapshot opened at once, caught up from the audit chain, rebuilt if unusable."""

import dataclasses
import json
import logging
from collections import OrderedDict, namedtuple

import numpy as np
import pytest
from store_factory import BASE, event, obj, vector

from surveil.config import SurveilConfig
from surveil.media.retention import plan_retention, run_retention
from surveil.service.queries import search_objects
from surveil.store import search_cache
from surveil.store.query import EventFilter
from surveil.store.search import EmbeddingIndex, SearchFilter
from surveil.store.search_cache import catch_up, search_index, wait_for_snapshots
from surveil.store.search_snapshot import read_snapshot, snapshot_path, write_snapshot
from surveil.store.store import EventStore, Put

DAY = 86400.0
CAMERAS, LABELS = ("gate", "yard", "dock"), ("person", "car", "dog")
TAG = "yolo11n-test"
PLENTY = namedtuple("Disk", "total used free")(1e12, 0, 5e11)


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "store") as s:
        yield s
    wait_for_snapshots()


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """Each test starts as a new process would: no index in memory."""
    monkeypatch.setattr(search_cache, "_spaces", OrderedDict())


def _obj(i: int, start: float = BASE):
    return obj(i, camera=CAMERAS[i % 3], label=LABELS[i // 3 % 3], start=start + i * 60)


def _objects(first: int, count: int, start: float = BASE) -> list[Put]:
    return [Put(_obj(i, start), embedding=vector(i)) for i in range(first, first + count)]


def _brute(store, query, k, flt: SearchFilter) -> list[str]:
    """Top-k ids by a float32 scan of every stored embedding: what every index must agree with."""
    rows = [(r, v / np.linalg.norm(v)) for r, v in store.object_embeddings()
            if (flt.since is None or r.start >= flt.since) and (flt.until is None or r.start < flt.until)
            and (not flt.cameras or r.camera_id in flt.cameras) and (not flt.labels or r.label in flt.labels)]
    scores = np.array([float(v @ query) for _, v in rows])
    return [rows[i][0].object_id for i in np.argsort(-scores)[:k]]


FILTERS = [SearchFilter(), SearchFilter(cameras=["yard", "dock"], since=BASE + 3000, until=BASE + 9000),
           SearchFilter(labels=["person", "dog"]), SearchFilter(cameras=["nowhere"])]


def _agrees(index, store, queries=range(900, 904)) -> None:
    for seed in queries:
        for flt in FILTERS:
            hits = index.search(vector(seed), 20, flt)
            assert [i for i, _ in hits] == _brute(store, vector(seed), 20, flt), (seed, flt)


def test_a_snapshot_searches_exactly_like_a_fresh_load_and_a_brute_force(store):
    store.put(_objects(0, 300))
    fresh = EmbeddingIndex.load(store)
    assert write_snapshot(store.folder, None, fresh.freeze()) is True
    opened = read_snapshot(store.folder, None, 512)
    assert len(opened) == len(fresh) == 300 and (opened.seq, opened.hash) == (store.head.seq, store.head.hash)
    assert isinstance(opened._blocks[0].rows.rows.base, np.memmap), "the rows are the file's, not a copy"
    for flt in FILTERS:
        assert opened.search(vector(7), 30, flt) == fresh.search(vector(7), 30, flt), "same ids, same float32 scores"
    _agrees(opened, store)
    assert opened.search(vector(7), 1)[0][0] == _obj(7).object_id


def test_objects_written_after_the_snapshot_are_found_even_with_older_ids(store):
    store.put(_objects(0, 100))
    write_snapshot(store.folder, None, EmbeddingIndex.load(store).freeze())
    index = read_snapshot(store.folder, None, 512)
    store.put(_objects(100, 50))
    store.put(_objects(1000, 1, start=BASE - 70000))  # a long track ends late: its id is older than the snapshot's
    assert catch_up(index, store, None) == 51 and len(index) == 151 and index.seq == store.head.seq
    for batch in range(6):  # one small block per catch-up, merged as they pile up
        store.put(_objects(200 + 10 * batch, 10))
        assert catch_up(index, store, None) == 10 and len(index) == 161 + 10 * batch
        assert len(index._blocks) <= 4
    assert catch_up(index, store, None) == 0, "nothing new: nothing to do"
    assert index.search(vector(1000), 1)[0][0] == _obj(1000, BASE - 70000).object_id
    _agrees(index, store)


def _config(tmp_path) -> SurveilConfig:
    return SurveilConfig.model_validate({"cameras": [], "storage": {"min_free_gb": 0, "retention_days": 30},
                                         "recording": {"folder": str(tmp_path / "rec"),
                                                       "clips_dir": str(tmp_path / "clips")}})


def test_objects_purged_or_written_again_after_the_snapshot_are_never_returned(store, tmp_path):
    old = _objects(0, 40, start=BASE - 40 * DAY)  # past the 30 days: retention takes them
    store.put(old + _objects(100, 40))
    write_snapshot(store.folder, None, EmbeddingIndex.load(store).freeze())
    plan = plan_retention(store, _config(tmp_path), tmp_path / "rec", tmp_path / "clips", now=BASE, disk=PLENTY)
    assert sorted(i.item_id for i in plan.items) == sorted(p.record.object_id for p in old)
    run_retention(store, plan)
    moved = dataclasses.replace(_obj(100), camera_id="dock", label="dog")  # the same object, written again
    store.put([Put(moved, embedding=vector(5000))])
    index = read_snapshot(store.folder, None, 512)
    assert catch_up(index, store, None) == 40 + 2, "40 purged; one row replaced by another"
    assert len(index) == 40
    gone = {p.record.object_id for p in old}
    for seed in range(0, 40, 7):  # the purged objects' own vectors: each was its own best match
        assert not gone & {i for i, _ in index.search(vector(seed), 40)}, "a purged object came back"
    assert index.search(vector(100), 1)[0][0] != moved.object_id, "its old vector is gone"
    assert index.search(vector(5000), 1)[0] == (moved.object_id, pytest.approx(1.0, abs=1e-3))
    assert moved.object_id not in {i for i, _ in index.search(vector(5000), 40, SearchFilter(cameras=["yard"]))}
    _agrees(index, store)


def _damage(store, how: str) -> None:
    path = snapshot_path(store.folder, None)
    meta = json.loads(path.read_text())
    stem = path.with_name(f"clip-{meta['token']}")
    if how == "garbled json":
        path.write_text("{not json")
    elif how == "another format":
        path.write_text(json.dumps({**meta, "format": 99}))
    elif how == "truncated rows":
        rows = stem.with_name(stem.name + ".rows.npy")
        rows.write_bytes(rows.read_bytes()[:-2048])
    elif how == "damaged columns":
        columns = stem.with_name(stem.name + ".columns.npz")
        data = bytearray(columns.read_bytes())
        data[200:208] = b"\xff" * 8
        columns.write_bytes(bytes(data))
    elif how == "missing rows":
        stem.with_name(stem.name + ".rows.npy").unlink()
    elif how == "another dimension":
        path.write_text(json.dumps({**meta, "dim": 256}))


@pytest.mark.parametrize(("how", "said"), [("garbled json", "unusable (Expecting property name"),
                                           ("another format", "unusable (format 99, this surveil reads format 1)"),
                                           ("truncated rows", "unusable (mmap length is greater than file size)"),
                                           ("damaged columns", "unusable (Bad CRC-32"),
                                           ("missing rows", "lacks its file"),
                                           ("another dimension", "its vectors have 256 values, the query 512")])
def test_an_unusable_snapshot_is_ignored_in_one_line_and_built_again(store, how, said, caplog):
    store.put(_objects(0, 60))
    write_snapshot(store.folder, None, EmbeddingIndex.load(store).freeze())
    _damage(store, how)
    with caplog.at_level(logging.INFO, logger="surveil.store"):
        caplog.clear()  # the snapshot's own "wrote" line, where an earlier test left the root logger at INFO
        assert read_snapshot(store.folder, None, 512) is None
        lines = [r.getMessage() for r in caplog.records if "search snapshot" in r.getMessage()]
        assert len(lines) == 1 and said in lines[0] and "building the index from the store" in lines[0], lines
        caplog.clear()
        index = search_index(store, None, 512)
        wait_for_snapshots()
    assert len(index) == 60 and not [r for r in caplog.records if r.levelno >= logging.ERROR]
    _agrees(index, store, [901])
    again = read_snapshot(store.folder, None, 512)
    assert again is not None and len(again) == 60, "the rebuilt index was written as the snapshot"


def test_a_snapshot_of_another_store_is_not_used(tmp_path, caplog):
    with EventStore(tmp_path / "a") as first:
        first.put(_objects(0, 30))
        write_snapshot(first.folder, None, EmbeddingIndex.load(first).freeze())
    with EventStore(tmp_path / "b") as second:
        second.put(_objects(500, 30))  # as many entries, so only the chain's hashes tell them apart
        (second.folder / "search").mkdir()
        for path in (first.folder / "search").glob("clip*"):
            (second.folder / "search" / path.name).write_bytes(path.read_bytes())
        with caplog.at_level(logging.WARNING):
            index = search_index(second, None, 512)
        assert any("not on the store's audit chain" in r.getMessage() for r in caplog.records)
        assert len(index) == 30 and index.search(vector(510), 1)[0][0] == _obj(510).object_id
        wait_for_snapshots()


def test_search_objects_keeps_its_index_and_sees_what_was_written_or_purged_since(store, tmp_path, monkeypatch):
    aged = _objects(200, 5, start=BASE - 40 * DAY)
    store.put(_objects(0, 50) + aged)
    like = _obj(3).object_id
    assert search_objects(store, None, EventFilter(), like_object=like, k=5)[0].object_id == like
    wait_for_snapshots()
    monkeypatch.setattr(EmbeddingIndex, "load", None)  # from here on, building from the store would fail
    newcomer = obj(77, camera="dock", label="dog", start=BASE + 9999, event_ids=[event(77).event_id])
    store.put([Put(event(77, object_id=newcomer.object_id)), Put(newcomer, embedding=vector(3) + 0.01 * vector(9))])
    hits = search_objects(store, None, EventFilter(), like_object=like, k=5)
    assert [h.object_id for h in hits][:2] == [like, newcomer.object_id]
    assert hits[1].event.event_id == event(77).event_id
    run_retention(store, plan_retention(store, _config(tmp_path), tmp_path / "rec", tmp_path / "clips", now=BASE,
                                        disk=PLENTY))
    index = search_index(store, None, 512)
    assert not {p.record.object_id for p in aged} & {i for i, _ in index.search(vector(201), 5)}
    assert len(search_objects(store, None, EventFilter(), like_object=like, k=51)) == 51, "no hole in the top-k"
    assert search_index(store, None, 512) is index, "one index, caught up in place"


def test_a_new_process_opens_the_snapshot_the_last_one_left_and_catches_up(store, monkeypatch):
    store.put(_objects(0, 40))
    store.put([Put(obj(900 + i), appearance=(TAG, vector(900 + i, 96))) for i in range(10)])
    search_index(store, None, 512)
    search_index(store, TAG, 96)
    wait_for_snapshots()
    assert json.loads(snapshot_path(store.folder, None).read_text())["rows"] == 40
    assert json.loads(snapshot_path(store.folder, TAG).read_text())["rows"] == 10, "each space its own files"
    monkeypatch.setattr(search_cache, "_spaces", OrderedDict())  # a new process
    monkeypatch.setattr(EmbeddingIndex, "load", None)
    store.put(_objects(40, 3))
    index = search_index(store, None, 512)
    assert len(index) == 43 and index.search(vector(41), 1)[0][0] == _obj(41).object_id
    looks = search_index(store, TAG, 96)
    assert len(looks) == 10 and looks.search(vector(905, 96), 1)[0][0] == obj(905).object_id


def test_a_large_catch_up_writes_a_new_snapshot_and_the_process_moves_onto_it(store, monkeypatch):
    monkeypatch.setattr(search_cache, "REWRITE_ROWS", 20)
    store.put(_objects(0, 3000))
    search_index(store, None, 512)
    wait_for_snapshots()
    first = json.loads(snapshot_path(store.folder, None).read_text())
    store.put(_objects(3000, 15))  # under 20 and under 1 %: no new snapshot
    search_index(store, None, 512)
    wait_for_snapshots()
    assert json.loads(snapshot_path(store.folder, None).read_text())["token"] == first["token"]
    store.put(_objects(4000, 10))  # 25 rows ahead now
    search_index(store, None, 512)
    wait_for_snapshots()
    second = json.loads(snapshot_path(store.folder, None).read_text())
    assert second["rows"] == 3025 and second["seq"] == store.head.seq
    assert sorted(p.name for p in (store.folder / "search").glob("clip-*")) == [
        f"clip-{second['token']}.columns.npz", f"clip-{second['token']}.rows.npy"], "the old files went"
    index = search_index(store, None, 512)
    assert len(index._blocks) == 1 and len(index) == 3025, "moved onto the new snapshot: one block again"
    _agrees(index, store, [902])
