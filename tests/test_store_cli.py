import json
import subprocess
import sys

from store_factory import BASE, event, obj, vector

from surveil.store.store import EventStore, Put


def _surveil(*args):
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=120)


def _fill(folder):
    store = EventStore(folder)
    events = [event(i, camera="gate" if i % 2 else "yard", start=BASE + i * 1800) for i in range(6)]
    objects = [obj(i, camera="gate" if i % 2 else "yard", event_ids=[events[i].event_id]) for i in range(6)]
    store.put([Put(e) for e in events] + [Put(o, embedding=vector(i)) for i, o in enumerate(objects)])
    store.set_state(events[5].event_id, acknowledged=True)
    return store, events, objects


def test_events_lists_filters_and_pages_while_the_writer_holds_the_store(surveil_home):
    store, events, _ = _fill(surveil_home / "data" / "store")  # the default store of SURVEIL_HOME
    try:
        done = _surveil("events", "--json", "--camera", "gate", "--limit", "2")
        assert done.returncode == 0, done.stderr
        rows = [json.loads(line) for line in done.stdout.splitlines()]
        assert [r["event_id"] for r in rows] == [events[5].event_id, events[3].event_id]
        assert rows[0]["state"]["acknowledged"] is True
        text = _surveil("events", "--state", "new", "--limit", "2").stdout
        assert events[4].event_id in text and events[5].event_id not in text and "more: --before" in text
        hours = _surveil("events", "--per-hour").stdout.splitlines()
        assert sum(int(line.split()[-1]) for line in hours) == 6
    finally:
        store.close()


def test_search_similar_works_without_clip_and_text_search_says_why_not(surveil_home):
    store, _, objects = _fill(surveil_home / "data" / "store")
    store.close()
    done = _surveil("search", "--similar", objects[2].object_id, "-k", "3", "--json")
    assert done.returncode == 0, done.stderr
    hits = [json.loads(line) for line in done.stdout.splitlines()]
    assert hits[0]["object_id"] == objects[2].object_id and hits[0]["score"] > 0.99 and len(hits) == 3
    only_gate = _surveil("search", "--similar", objects[2].object_id, "--camera", "gate", "--json").stdout
    assert {json.loads(line)["camera"] for line in only_gate.splitlines()} == {"gate"}
    text = _surveil("search", "a red van")
    assert text.returncode == 1 and "text search needs CLIP, which is unavailable" in text.stderr


def test_events_on_a_fresh_install_says_there_are_none_yet_and_creates_nothing(surveil_home):
    done = _surveil("events")
    assert done.returncode == 0 and done.stdout == ""
    assert done.stderr.startswith("no events yet: the store at") and "Traceback" not in done.stderr
    assert not (surveil_home / "data" / "store").exists()
    marked = _surveil("mark", "1796047831397-d2f709bd", "--ack")
    assert marked.returncode == 1 and "no event '1796047831397-d2f709bd'" in marked.stderr
    assert not (surveil_home / "data" / "store").exists()


class _StoreOnlyEngine:
    """What the API's read routes use of an engine: its open store (no cameras, no CLIP)."""

    def __init__(self, store):
        from surveil.config import SurveilConfig

        self.store, self.encoder, self.config, self.listeners = store, None, SurveilConfig(), []
        self.marks = []

    def watch_frames(self, listener, watching=True, fps=None, cameras=None):
        pass

    def mark_event(self, event_id, verdict=None, acknowledged=None, note=None, locked=None):
        self.marks.append((event_id, verdict, acknowledged, note, locked))


def test_events_and_search_print_the_same_through_a_serving_engine_as_from_the_store(surveil_home):
    from surveil.service.server import ApiServer

    store, _, objects = _fill(surveil_home / "data" / "store")
    commands = [("events", "--json"), ("events", "--per-hour"), ("events", "--camera", "gate"),
                ("search", "--similar", objects[2].object_id, "-k", "4", "--json"),
                ("search", "--similar", objects[3].object_id, "--label", "person")]
    engine = _StoreOnlyEngine(store)
    server = ApiServer(engine, "127.0.0.1", 0, surveil_home / "config")
    server.start()
    try:
        assert (store.folder / "service.json").exists()
        served = [_surveil(*c) for c in commands]
        marked = _surveil("mark", objects[0].event_ids[0], "--lock", "--note", "for the insurer")
        # The store is held by this process: the mark reached it only through the served API.
        assert marked.returncode == 0, marked.stderr
        assert engine.marks == [(objects[0].event_ids[0], None, None, "for the insurer", True)]
    finally:
        server.stop()
        store.close()
    assert not (store.folder / "service.json").exists()
    direct = [_surveil(*c) for c in commands]
    for command, a, b in zip(commands, served, direct, strict=True):
        assert a.returncode == b.returncode == 0, (command, a.stderr, b.stderr)
        assert a.stdout == b.stdout and a.stdout, command
