"""The event store: round trips, queries, search, operator state, the writer lock, foreign folders."""

import subprocess
import sys

import numpy as np
import pytest
from store_factory import BASE, event, obj, put_event, vector

from surveil.hashing import sha256
from surveil.store.db import StoreError
from surveil.store.layout import ms_key, segment_key
from surveil.store.lock import StoreInUse
from surveil.store.query import EventFilter, counts_per_hour, iter_events, list_events
from surveil.store.records import OperatorState, SegmentRecord, encode
from surveil.store.search import EmbeddingIndex, SearchFilter, text_query
from surveil.store.store import EventStore, Put


@pytest.fixture
def store(tmp_path):
    with EventStore(tmp_path / "store") as s:
        yield s


def test_a_record_comes_back_whole_with_its_thumbnail_and_embedding(store):
    record = event(1, reasons=["zone: in fence"], score={"probability": 0.9})
    entry = put_event(store, record, b"\xff\xd8jpeg", vector(1))
    assert store.get_event(record.event_id) == record
    assert store.thumbnail("e", record.event_id) == b"\xff\xd8jpeg"
    assert np.allclose(store.embedding("e", record.event_id), vector(1), atol=1e-3)  # stored as float16
    assert entry.action == "event" and entry.subject == record.event_id and entry.seq == 0


def test_queries_filter_page_and_go_newest_first(store):
    store.put([Put(event(i, camera="gate" if i % 2 else "yard", rule="climber" if i % 3 else "loiter",
                         severity="high" if i < 5 else "low")) for i in range(12)])
    page, cursor = list_events(store, EventFilter(), limit=5)
    assert [r.track_id for r, _ in page] == [11, 10, 9, 8, 7] and cursor == page[-1][0].event_id
    rest, end = list_events(store, EventFilter(), limit=50, before=cursor)
    assert [r.track_id for r, _ in rest] == [6, 5, 4, 3, 2, 1, 0] and end is None
    gate = list_events(store, EventFilter(cameras=["gate"]))[0]
    assert [r.track_id for r, _ in gate] == [11, 9, 7, 5, 3, 1]
    both = list_events(store, EventFilter(cameras=["gate"], rules=["loiter"], severities=["high"]))[0]
    assert [r.track_id for r, _ in both] == [3]
    window = list_events(store, EventFilter(since=BASE + 3 * 60, until=BASE + 6 * 60))[0]
    assert [r.track_id for r, _ in window] == [5, 4, 3]
    two_cameras = list_events(store, EventFilter(cameras=["gate", "yard"], since=BASE + 9 * 60))[0]
    assert [r.track_id for r, _ in two_cameras] == [11, 10, 9]


def test_operator_state_filters_and_is_audited(store):
    store.put([Put(event(i)) for i in range(4)])
    first, second = event(0).event_id, event(1).event_id
    store.set_state(first, acknowledged=True, note="checked the gate")
    store.set_state(second, verdict="false_alarm", locked=True)
    assert [r.track_id for r, _ in list_events(store, EventFilter(states=["new"]))[0]] == [3, 2]
    assert [r.track_id for r, _ in list_events(store, EventFilter(states=["false_alarm"]))[0]] == [1]
    assert store.get_state(first).notes == ["checked the gate"]
    actions = [(e.action, e.subject) for e in store.audit_entries()][-2:]
    assert actions == [("state", first), ("state", second)]
    with pytest.raises(ValueError, match="unknown state"):
        EventFilter(states=["maybe"])
    with pytest.raises(KeyError):
        store.set_state("0000000000000-nothere", acknowledged=True)


def test_counts_per_hour(store):
    store.put([Put(event(i, start=BASE + i * 1200)) for i in range(7)])  # every 20 minutes
    counts = counts_per_hour(store, EventFilter())
    hour = BASE - BASE % 3600  # BASE is 400 s into an hour: three events in it, three in the next, one after
    assert counts == {hour: 3, hour + 3600: 3, hour + 7200: 1}


def test_filters_narrow_before_the_top_k(store):
    """The anchors' bug: take the top 100 first, filter later, return nothing."""
    target = vector(0)
    near = [Put(obj(i, camera="yard"), embedding=target + 0.05 * vector(100 + i)) for i in range(150)]
    far = [Put(obj(1000 + i, camera="gate"), embedding=vector(2000 + i)) for i in range(5)]
    store.put(near + far)
    index = EmbeddingIndex.load(store)
    assert len(index) == 155
    hits = index.search(target, k=100, flt=SearchFilter(cameras=["gate"]))
    assert len(hits) == 5 and {store.get_object(i).camera_id for i, _ in hits} == {"gate"}
    best = index.search(target, k=3)
    assert [store.get_object(i).camera_id for i, _ in best] == ["yard"] * 3
    assert best[0][1] >= best[1][1] >= best[2][1]
    similar = index.search(store.embedding("o", far[0].record.object_id), k=1)
    assert similar[0][0] == far[0].record.object_id and similar[0][1] == pytest.approx(1.0, abs=1e-3)
    assert index.search(target, k=5, flt=SearchFilter(labels=["dog"])) == []


def test_events_and_objects_come_back_decoded_in_id_order_within_bounds(store):
    events = [event(i, camera="gate" if i % 2 else "yard") for i in range(6)]
    objects = [obj(i) for i in range(4)]
    store.put([Put(e) for e in events] + [Put(o) for o in objects])
    ids = [e.event_id for e in events]
    assert list(store.events()) == events
    assert list(store.events(reverse=True)) == events[::-1]
    assert list(store.events(ids[2], ids[4])) == events[2:4]  # lower inclusive, upper exclusive
    assert list(store.events(ids[2], ids[4], reverse=True)) == [events[3], events[2]]
    assert list(store.events(ms_key(int((BASE + 4 * 60) * 1000)))) == events[4:]  # a time is a bound too
    assert list(store.objects()) == objects
    assert list(store.objects(objects[1].object_id, reverse=True)) == objects[:0:-1]
    assert list(store.index_ids("e", "camera_id", "gate", reverse=True)) == [ids[5], ids[3], ids[1]]
    assert list(store.index_ids("e", "camera_id", "yard", ids[1], ids[4])) == [ids[2]]


def test_embeddings_states_and_record_bytes_come_back_typed(store):
    objects = [Put(obj(i), embedding=vector(i) if i != 1 else None) for i in range(3)]  # object 1 has none
    store.put(objects + [Put(event(i)) for i in range(4)])
    pairs = list(store.object_embeddings())
    assert [o for o, _ in pairs] == [obj(0), obj(2)]
    assert [v.dtype for _, v in pairs] == [np.float32] * 2
    assert np.allclose(pairs[0][1], vector(0), atol=1e-3) and np.allclose(pairs[1][1], vector(2), atol=1e-3)
    store.set_state(event(3).event_id, locked=True)
    store.set_state(event(1).event_id, acknowledged=True, verdict="correct")
    states = list(store.states())
    assert [(i, type(s)) for i, s in states] == [(event(1).event_id, OperatorState), (event(3).event_id, OperatorState)]
    assert (states[0][1].verdict, states[0][1].acknowledged, states[1][1].locked) == ("correct", True, True)
    assert store.locked_event_ids() == {event(3).event_id}
    data = store.record_bytes("event", event(2).event_id)
    digest = next(e.digest for e in store.audit_entries() if e.subject == event(2).event_id)
    assert data == encode(event(2)) and sha256(data) == digest
    assert store.record_bytes("object", "0000000000000-nothere") is None


def test_segment_scans_name_the_cameras_and_their_oldest_and_newest_segment(store):
    def seg(camera, start, kind="segment"):
        return SegmentRecord(segment_key(camera, start, kind[0]), camera, kind, start, start + 10)

    gate = [seg("gate", BASE, "gap"), seg("gate", BASE + 10), seg("gate", BASE + 20), seg("gate", BASE + 30, "gap")]
    yard = [seg("yard", BASE + 5)]
    store.put([Put(r) for r in [*gate, *yard]])
    assert store.segment_cameras() == ["gate", "yard"]
    assert store.recorded_span("gate") == (gate[1], gate[2])  # the gaps at either end are skipped
    assert store.recorded_span("yard") == (yard[0], yard[0])
    assert store.recorded_span("lobby") is None
    assert list(store.all_segments()) == [*gate, *yard]


def test_iter_events_is_every_page_of_list_events_in_one_stream(store):
    store.put([Put(event(i, camera="gate" if i % 3 else "yard")) for i in range(23)])
    for flt in (EventFilter(), EventFilter(cameras=["gate"]), EventFilter(since=BASE + 5 * 60, until=BASE + 17 * 60)):
        pages, cursor = [], None
        while True:
            page, cursor = list_events(store, flt, 4, cursor)
            pages += page
            if cursor is None:
                break
        streamed = list(iter_events(store, flt))
        assert streamed == pages and [r.start for r, _ in streamed] == sorted((r.start for r, _ in pages), reverse=True)
    assert len(list(iter_events(store, EventFilter(cameras=["gate"])))) == 15


class _Encoder:
    """Text embeddings of a chosen length: the query must not depend on how long the encoder's rows are."""

    def __init__(self, rows: np.ndarray):
        self.rows, self.prompts = rows, []

    def encode_text(self, prompts, owner=""):
        self.prompts += prompts
        return self.rows[: len(prompts)]


def test_a_text_query_is_unit_length_and_ranks_like_a_normalised_mean(store):
    from surveil.rules.scoring import TEMPLATES

    rows = np.stack([7.0 * vector(i) + 3.0 * vector(100) for i in range(len(TEMPLATES))])  # long, not unit rows
    encoder = _Encoder(rows)
    query = text_query(encoder, "a climber")
    by_hand = rows.mean(axis=0) / np.linalg.norm(rows.mean(axis=0))
    assert query.dtype == np.float32 and np.linalg.norm(query) == pytest.approx(1.0, abs=1e-6)
    assert np.allclose(query, by_hand, atol=1e-6)
    assert encoder.prompts == [t.format("a climber") for t in TEMPLATES]
    store.put([Put(obj(i), embedding=vector(100) + 0.3 * i * vector(200 + i)) for i in range(20)])
    index = EmbeddingIndex.load(store)
    assert [i for i, _ in index.search(query, 10)] == [i for i, _ in index.search(by_hand, 10)]
    assert [s for _, s in index.search(query, 10)] == pytest.approx([s for _, s in index.search(by_hand, 10)])


def test_a_second_writer_is_told_which_process_holds_the_store(store, tmp_path):
    code = (f"from surveil.store.store import EventStore\nEventStore({str(store.folder)!r})")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    import os

    assert f"already in use by process {os.getpid()}" in done.stderr
    reader = subprocess.run([sys.executable, "-c", code.replace(")", ", read_only=True)")],
                            capture_output=True, text=True, timeout=60)
    assert reader.returncode == 0, reader.stderr
    with pytest.raises(StoreInUse):
        EventStore(store.folder)


def test_a_reader_cannot_write(store):
    put_event(store, event(1))
    with EventStore(store.folder, read_only=True) as reader:
        assert reader.get_event(event(1).event_id) is not None
        with pytest.raises(StoreError, match="read-only"):
            put_event(reader, event(2))


def test_a_foreign_folder_is_refused_and_left_untouched(tmp_path):
    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.jpg").write_bytes(b"not a database")
    before = sorted((p.name, p.read_bytes()) for p in foreign.iterdir())
    with pytest.raises(StoreError, match="not a surveil event store"):
        EventStore(foreign)
    assert sorted((p.name, p.read_bytes()) for p in foreign.iterdir()) == before
    with pytest.raises(StoreError, match="is a file"):
        EventStore(foreign / "holiday.jpg")


def test_a_rocksdb_that_is_not_ours_is_refused(tmp_path):
    import rocksdict

    other = tmp_path / "other-db"
    db = rocksdict.Rdict(str(other))
    db["x"] = 1
    db.close()
    with pytest.raises(StoreError, match="not a surveil event store"):
        EventStore(other)


def test_a_corrupt_store_gives_a_clear_error(tmp_path):
    folder = tmp_path / "store"
    EventStore(folder).close()
    (folder / "CURRENT").write_text("MANIFEST-999999\n")
    with pytest.raises(StoreError, match="cannot"):
        EventStore(folder)


def test_a_store_from_before_recordings_is_migrated_when_opened_for_writing(tmp_path):
    import rocksdict

    from surveil.store.layout import FAMILIES, META, SEGMENTS
    from surveil.store.verify import verify_store

    folder = tmp_path / "store"
    with EventStore(folder) as store:
        put_event(store, event(1))
    db = rocksdict.Rdict(str(folder), options=rocksdict.Options(raw_mode=True),
                         column_families={f: rocksdict.Options(raw_mode=True) for f in FAMILIES})
    db.drop_column_family(SEGMENTS)  # what a schema-1 store looks like
    db.get_column_family(META)[b"schema_version"] = b"1"
    db.close()
    with pytest.raises(StoreError, match="needs a migration"):
        EventStore(folder, read_only=True)
    with EventStore(folder) as store:
        assert store.get_event(event(1).event_id) is not None and list(store.all_segments()) == []
    with EventStore(folder, read_only=True) as store:
        assert verify_store(store).ok
