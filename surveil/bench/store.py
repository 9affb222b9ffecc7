"""``surveil bench store``: ingest rate, time-range query and search latency, bytes per record.

Synthetic tracked objects (512-dim embeddings, 2 KB thumbnails) with one event per ten
objects, over several cameras and labels, one object a second of simulated time. The search
index is built from the store (what a process without a snapshot does), written as the
snapshot; then 1 % more objects are written, and "ready" is what a new process does: open the
snapshot and catch up on them. The searches run on that index, once its int8 scorer (OpenVINO,
from 50,000 rows: ``search_int8``) is compiled on its thread; the table says when that was, and
the line below it how the snapshot's block was searched (int8 and how many rows re-ranked, or float32).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from surveil.store.query import EventFilter, list_events
from surveil.store.records import EventRecord, ObjectRecord, object_id_for
from surveil.store.retention import folder_bytes, store_bytes
from surveil.store.search import EmbeddingIndex, SearchFilter
from surveil.store.search_cache import catch_up
from surveil.store.search_snapshot import FOLDER, read_snapshot, write_snapshot
from surveil.store.store import EventStore, Put

CAMERAS = [f"cam{i:02d}" for i in range(16)]
LABELS = ["person", "car", "truck", "bicycle", "dog"]
START = 1_790_000_000.0
BATCH = 1000


def _batch(rng: np.random.Generator, first: int, count: int, thumb: bytes) -> list[Put]:
    vectors = rng.standard_normal((count, 512)).astype(np.float32)
    out = []
    for j in range(count):
        i = first + j
        camera, label, t = CAMERAS[i % len(CAMERAS)], LABELS[i % len(LABELS)], START + i
        obj = ObjectRecord(object_id_for(camera, i, t), camera, i, label, t, t + 4, 12)
        if i % 10 == 0:
            event = EventRecord(f"{int(t * 1000):013d}-{i:08x}", "bench rule", camera, i, label, "medium", t,
                                object_id=obj.object_id)
            obj.event_ids.append(event.event_id)
            out.append(Put(event, thumb, vectors[j]))
        out.append(Put(obj, thumb, vectors[j]))
    return out


def bench_size(n: int, folder: Path) -> dict:
    """Ingest ``n`` objects, then time queries and searches."""
    rng, thumb = np.random.default_rng(n), bytes(2048)
    with EventStore(folder) as store:
        start = time.perf_counter()
        for first in range(0, n, BATCH):
            store.put(_batch(rng, first, min(BATCH, n - first), thumb))
        ingest = n / (time.perf_counter() - start)
        store.db.flush()
        store.db.compact_range(None, None)
        size = store_bytes(store)
        hour = START + n // 2
        query_ms = _median_ms(lambda: list_events(store, EventFilter(since=hour, until=hour + 3600), 50))
        camera_ms = _median_ms(lambda: list_events(store, EventFilter(cameras=["cam02"], since=hour), 50))
        build_s, write_s, snapshot_bytes = _snapshot(store)
        late = max(1, n // 100)  # written after the snapshot: the most a new process catches up on (search_cache)
        store.put(_batch(rng, n, late, thumb))
        start = time.perf_counter()
        index = read_snapshot(folder, None, 512)
        catch_up(index, store, None)
        ready_s = time.perf_counter() - start
    int8_s = index.wait_int8(60)  # None: no int8 rows (too few, or no OpenVINO)
    query = rng.standard_normal(512).astype(np.float32)
    paths = {}
    searches = {"plain": SearchFilter(), "narrow": SearchFilter(cameras=["cam03", "cam07"], since=START,
                                                                until=START + n * 0.5),
                "wide": SearchFilter(labels=["person", "car", "truck"])}
    times = {}
    for name, flt in searches.items():
        times[name] = _median_ms(lambda flt=flt: index.search(query, 100, flt))
        paths[name] = max(index.paths)[1]  # the largest block's: the snapshot's
    return {"n": n, "ingest": ingest, "query_ms": query_ms, "camera_ms": camera_ms, "load_s": build_s,
            "write_s": write_s, "ready_s": ready_s, "int8_s": int8_s, "search_ms": times["plain"],
            "search_narrow_ms": times["narrow"], "search_wide_ms": times["wide"], "paths": paths,
            "bytes": size / n, "snapshot_bytes": snapshot_bytes / n}


def _snapshot(store: EventStore) -> tuple[float, float, int]:
    """Seconds to build the index from the store and to write it as the snapshot; the snapshot's bytes."""
    start = time.perf_counter()
    index = EmbeddingIndex.load(store)
    built = time.perf_counter()
    write_snapshot(store.folder, None, index.freeze())
    return built - start, time.perf_counter() - built, folder_bytes(store.folder / FOLDER)


def _median_ms(call, repeat: int = 15) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def run(sizes: list[int], workdir: Path | None = None) -> list[dict]:
    """Each size in a fresh temporary store, removed afterwards."""
    rows = []
    for n in sizes:
        folder = Path(tempfile.mkdtemp(prefix="surveil-bench-", dir=workdir)) / "store"
        try:
            rows.append(bench_size(n, folder))
        finally:
            shutil.rmtree(folder.parent, ignore_errors=True)
    return rows


def table(rows: list[dict]) -> str:
    """Markdown."""
    lines = ["| objects | ingest objects/s (batches of 1000, synced) | 1 h time range, 50 newest | camera + since "
             "| index build (from the store) | snapshot write | index ready (snapshot + 1 % caught up) "
             "| int8 scorer ready (after opening) | top-100 search | with camera + time filter (~6 %) "
             "| with label filter (60 %) | disk bytes per object | snapshot bytes per object |", "|---" * 13 + "|"]
    for r in rows:
        int8 = "none" if r["int8_s"] is None else f"{r['int8_s']:.2f} s"
        lines.append(f"| {r['n']:,} | {r['ingest']:,.0f} | {r['query_ms']:.1f} ms | {r['camera_ms']:.1f} ms "
                     f"| {r['load_s']:.1f} s | {r['write_s']:.1f} s | {r['ready_s']:.2f} s | {int8} "
                     f"| {r['search_ms']:.1f} ms | {r['search_narrow_ms']:.1f} ms | {r['search_wide_ms']:.1f} ms "
                     f"| {r['bytes']:,.0f} | {r['snapshot_bytes']:,.0f} |")
    lines.append("")
    for r in rows:
        p = r["paths"]
        lines.append(f"Snapshot block at {r['n']:,}: top-100 {p['plain']}; camera + time {p['narrow']}; "
                     f"label {p['wide']}.")
    return "\n".join(lines)
