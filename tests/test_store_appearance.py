"""Appearance vectors in the store: kept beside CLIP's, tagged by model, audited, purged, searched without CLIP."""

import numpy as np
import pytest
from store_factory import event, obj, vector

from surveil.service.queries import QueryError, search_objects
from surveil.store.query import EventFilter
from surveil.store.retention import record_deletions
from surveil.store.store import EventStore, Put
from surveil.store.verify import verify_store

TAG = "yolo11n-test"


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "store") as s:
        yield s


def _near(base: np.ndarray, seed: int, noise: float) -> np.ndarray:
    v = base + noise * vector(seed, base.shape[0])
    return v / np.linalg.norm(v)


def test_an_appearance_vector_comes_back_with_its_model_tag_and_only_for_its_model(store):
    record = obj(1)
    store.put([Put(record, appearance=(TAG, vector(7, 96)))])
    tag, look = store.appearance("o", record.object_id)
    assert tag == TAG and look.dtype == np.float32 and np.allclose(look, vector(7, 96), atol=1e-3)
    assert store.embedding("o", record.object_id) is None, "no CLIP embedding was given"
    assert [r.object_id for r, _ in store.object_appearances(TAG)] == [record.object_id]
    assert list(store.object_appearances("another-model")) == [], "another model's vectors are another space"


def test_verify_vouches_for_appearance_vectors_and_finds_a_changed_one(store, tmp_path):
    record = obj(1)
    store.put([Put(record, appearance=(TAG, vector(7, 96)))])
    assert verify_store(store).ok
    store._cf["appearance"][b"o" + record.object_id.encode()] = TAG.encode() + b"\x00" + vector(8, 96).astype(
        np.float16).tobytes()
    report = verify_store(store)
    assert not report.ok and any("appearance of object" in line for line in report.problems)


def test_purging_an_object_takes_its_appearance_vector_too(store):
    record = obj(1)
    store.put([Put(record, appearance=(TAG, vector(7, 96)))])
    store.audit("purge", record.object_id, {"ids": [record.object_id]}, staged=record_deletions(record))
    assert store.appearance("o", record.object_id) is None and list(store.object_appearances(TAG)) == []


def test_find_similar_works_without_clip_on_appearance_vectors(store):
    """Objects stored with no CLIP embedding: the nearest looks come first, another model's are left out."""
    person = vector(1, 96)
    marked = event(0, object_id=obj(0).object_id)
    store.put([Put(marked, appearance=(TAG, person))])
    store.put([Put(obj(i), appearance=(TAG, _near(person, 100 + i, noise)))
               for i, noise in ((1, 0.9), (2, 0.1), (3, 2.0), (4, 0.4))])
    store.put([Put(obj(5), appearance=("another-model", person))])
    hits = search_objects(store, None, EventFilter(), like_event=marked.event_id, k=10)
    assert [h.obj.track_id for h in hits] == [2, 4, 1, 3], "nearest look first; the other model's vector is out"
    by_object = search_objects(store, None, EventFilter(), like_object=obj(2).object_id, k=2)
    assert by_object[0].obj.track_id == 2 and by_object[0].score == pytest.approx(1.0, abs=1e-3)


def test_find_similar_prefers_clip_where_the_object_has_it(store):
    store.put([Put(obj(0), embedding=vector(1), appearance=(TAG, vector(1, 96))),
               Put(obj(1), embedding=vector(1)), Put(obj(2), appearance=(TAG, vector(1, 96)))])
    hits = search_objects(store, None, EventFilter(), like_object=obj(0).object_id, k=10)
    assert sorted(h.obj.track_id for h in hits) == [0, 1], "CLIP's space: only objects with a CLIP embedding"


def test_an_object_with_no_vector_at_all_is_refused_in_one_line(store):
    store.put([Put(obj(0))])
    with pytest.raises(QueryError, match="no embedding and no appearance vector"):
        search_objects(store, None, EventFilter(), like_object=obj(0).object_id)


def test_surveil_search_similar_on_appearance_vectors_from_the_command_line(surveil_home):
    import json
    import subprocess
    import sys

    with EventStore(surveil_home / "data" / "store") as store:  # the default store of SURVEIL_HOME
        base = vector(1, 96)
        store.put([Put(obj(i), appearance=(TAG, _near(base, 10 + i, noise))) for i, noise in enumerate((0, 3, 0.2))])
    done = subprocess.run([sys.executable, "-m", "surveil", "search", "--similar", obj(0).object_id, "--json"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["object_id"] for line in done.stdout.splitlines()] == [
        obj(0).object_id, obj(2).object_id, obj(1).object_id]
