"""The int8 first pass over a snapshot block returns exactly what the float32 scan returns: ids, scores, ties."""

import importlib.util
import logging
import sys

import numpy as np
import pytest

from surveil.store import search_int8
from surveil.store.search import EmbeddingIndex, SearchFilter
from surveil.store.search_rows import SortedRows, dot_slack, exact_scores, normalise_rows
from surveil.store.search_snapshot import read_snapshot, snapshot_path, write_snapshot

DIM, START_MS = 512, 1_790_000_000_000
CAMERAS, LABELS = [f"cam{i}" for i in range(4)], ["person", "car", "dog"]
needs_openvino = pytest.mark.skipif(importlib.util.find_spec("openvino") is None,
                                    reason="OpenVINO is not installed (pip install 'surveil[openvino]')")
FILTERS = {"none": SearchFilter(),  # int8 for the whole block
           "labels": SearchFilter(labels=["person", "car"]),  # two thirds of the block: int8 with a bias
           "labels and time": SearchFilter(labels=["person", "dog"], since=START_MS / 1000 + 100),
           "camera and time": SearchFilter(cameras=["cam1"], until=START_MS / 1000 + 3000)}  # float32 ranges


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Int8 rows from a few thousand rows, so the tests stay small."""
    monkeypatch.setattr(search_int8, "MIN_ROWS", 1000)


def _random(rng, n: int) -> np.ndarray:
    return rng.standard_normal((n, DIM)).astype(np.float32)


def _id(i: int) -> str:
    """An object id as the store makes them: its time first."""
    return f"{START_MS + i * 1000:013d}-{i:06x}"


def _index(vectors: np.ndarray) -> EmbeddingIndex:
    n = len(vectors)
    ids = np.array([_id(i).encode() for i in range(n)])
    ms = START_MS + np.arange(n, dtype=np.int64) * 1000
    camera, label = (np.arange(n) % 4).astype(np.int32), (np.arange(n) // 4 % 3).astype(np.int32)
    return EmbeddingIndex(DIM, SortedRows.build(vectors, ids, ms, camera, label, DIM), CAMERAS, LABELS)


def _opened(tmp_path, index: EmbeddingIndex) -> EmbeddingIndex:
    assert write_snapshot(tmp_path, None, index.freeze()) is True
    opened = read_snapshot(tmp_path, None, DIM)
    assert opened is not None
    return opened


def _both(index: EmbeddingIndex, q: np.ndarray, k: int, flt: SearchFilter, monkeypatch):
    """(hits, paths) with the int8 scorer, then with the float32 rows alone."""
    fast = index.search(q, k, flt), index.paths
    with monkeypatch.context() as m:
        m.setattr(index._blocks[0], "int8", None)
        slow = index.search(q, k, flt), index.paths
    return fast, slow


def _brute(index: EmbeddingIndex, q: np.ndarray, k: int) -> list[tuple[str, float]]:
    """Top k of one block by scoring every alive row: exact_scores, ties by row."""
    block = index._blocks[0]
    q = q / np.linalg.norm(q)
    scores = exact_scores(block.rows.rows, q)
    blas = block.rows.rows @ q
    assert np.all(np.abs(scores - blas) <= 2 * dot_slack(DIM)), "exact_scores are the BLAS scores, to the last bits"
    alive = np.flatnonzero(block.alive)
    order = alive[np.lexsort((alive, -scores[alive]))][:k]
    return [(block.rows.ids[i].decode(), float(scores[i])) for i in order]


def test_exact_scores_give_a_row_one_score_wherever_it_sits():
    rows = _random(np.random.default_rng(1), 2003)
    normalise_rows(rows)
    q = rows[7] / np.linalg.norm(rows[7])
    everything = exact_scores(rows, q)
    for a, b in [(0, 2003), (3, 1002), (1, 2), (5, 1999)]:
        assert np.array_equal(exact_scores(rows[a:b], q), everything[a:b])
    picked = np.random.default_rng(2).choice(2003, 37, replace=False)
    assert np.array_equal(exact_scores(rows[picked], q), everything[picked])


def test_the_quantisation_error_bounds_every_product():
    rng = np.random.default_rng(3)
    rows = np.concatenate([_random(rng, 300), np.zeros((1, DIM), np.float32), _spiky(rng, 100)])
    normalise_rows(rows)
    scale, error = np.empty(len(rows), np.float32), np.empty(len(rows), np.float32)
    q8 = search_int8._quantise(rows, scale, error)
    back = q8.astype(np.float32) * scale[:, None]
    assert q8.dtype == np.int8 and np.abs(q8).max() == 127 and error[300] == 0, "a zero row stays exact"
    queries = _random(rng, 50)
    normalise_rows(queries)
    gap = np.abs(queries.astype(np.float64) @ (back.astype(np.float64) - rows).T)
    assert np.all(gap <= error), "|p.(x~ - x)| <= ||x~ - x|| for a unit p"


def _spiky(rng, n: int) -> np.ndarray:
    """Rows with one large component: the scale follows it, so the others lose most of their bits."""
    rows = _random(rng, n) * 0.02
    rows[np.arange(n), rng.integers(0, DIM, n)] += 1
    return rows


def _near_ties(rng, n: int, directions: int) -> np.ndarray:
    """Rows a hair apart around a few directions: scores within the int8 error of each other, many equal."""
    centres = _random(rng, directions)
    return centres[rng.integers(0, directions, n)] + 1e-4 * _random(rng, n)


def _duplicates(rng, n: int) -> np.ndarray:
    """120 copies of one row (exact ties across the k-th score) among random rows."""
    rows = _random(rng, n)
    rows[rng.choice(n, 120, replace=False)] = rows[0]
    return rows


@needs_openvino
@pytest.mark.parametrize("data", ["random", "near ties", "dense near ties", "duplicates", "one large component"])
def test_int8_and_float32_return_the_same_objects_and_scores(tmp_path, monkeypatch, data):
    rng = np.random.default_rng(4)
    make = {"random": lambda: _random(rng, 6000), "near ties": lambda: _near_ties(rng, 6000, 100),
            "dense near ties": lambda: _near_ties(rng, 6000, 5),
            "duplicates": lambda: _duplicates(rng, 6000), "one large component": lambda: _spiky(rng, 6000)}
    vectors = make[data]()
    fresh = _index(vectors)
    opened = _opened(tmp_path, fresh)
    assert opened.wait_int8(60) is not None, "compiled and checked"
    queries = [vectors[0] + 0.01 * _random(rng, 1)[0], vectors[1], _random(rng, 1)[0]]
    paths = set()
    for q in queries:
        for k in (1, 10, 100):
            for name, flt in FILTERS.items():
                (fast, fast_paths), (slow, _) = _both(opened, q, k, flt, monkeypatch)
                assert fast == slow == fresh.search(q, k, flt), (data, k, name)
                paths.add((name, fast_paths[0][1].split(",")[0]))
            assert opened.search(q, k) == _brute(opened, q, k)
    assert ("camera and time", "float32") in paths, "a narrow filter scans its row ranges"
    if data != "dense near ties":  # a fifth of the rows within the int8 error of the k-th: float32 is cheaper
        assert {("none", "int8"), ("labels", "int8"), ("labels and time", "int8")} <= paths, paths


@needs_openvino
def test_dead_rows_and_a_caught_up_block_are_searched_alike(tmp_path, monkeypatch):
    rng = np.random.default_rng(5)
    vectors = _random(rng, 4000)
    opened = _opened(tmp_path, _index(vectors))
    assert opened.wait_int8(60) is not None
    q = vectors[10]
    best = [i for i, _ in opened.search(q, 30)]
    opened.remove(set(best[:20]))  # the best rows die: the next ones must take their place
    later = _random(rng, 300)
    opened.apply([], [(_id(10_000 + i), CAMERAS[i % 4], LABELS[i % 3], v) for i, v in enumerate(later)])
    assert len(opened._blocks) == 2 and opened._blocks[0].dead == 20
    for k in (1, 25, 200):
        for flt in FILTERS.values():
            (fast, paths), (slow, _) = _both(opened, q + later[3], k, flt, monkeypatch)
            assert fast == slow and len(fast) == k
            assert not set(best[:20]) & {i for i, _ in fast}, "a dead row came back"
    assert opened.paths[0][1] == "float32" and paths[1][1] == "float32, one thread", "no BLAS threads woken"


@needs_openvino
def test_k_beyond_the_rows_allowed_returns_all_of_them(tmp_path, monkeypatch):
    vectors = _random(np.random.default_rng(6), 3000)
    opened = _opened(tmp_path, _index(vectors))
    assert opened.wait_int8(60) is not None
    opened.remove({_id(i) for i in range(0, 3000, 3)})  # 2000 alive
    # k at least the rows allowed; more than the rows alive (no k-th lower bound); most of the rows (too many
    # candidates): each time the float32 scan
    for k, flt in [(5000, SearchFilter()), (2500, SearchFilter()), (1999, SearchFilter()), (800, FILTERS["labels"])]:
        (fast, paths), (slow, _) = _both(opened, vectors[5], k, flt, monkeypatch)
        assert fast == slow and len(fast) == min(k, 2000 if not flt.labels else 1333)
        assert paths[0][1].startswith("float32"), paths


@needs_openvino
def test_searches_before_the_compile_scan_the_float32_rows(tmp_path, monkeypatch):
    vectors = _random(np.random.default_rng(7), 3000)
    fresh = _index(vectors)
    started = []
    with monkeypatch.context() as m:
        m.setattr(search_int8.Int8Rows, "start", lambda self: started.append(self))
        opened = _opened(tmp_path, fresh)
    scorer = opened._blocks[0].int8
    assert started == [scorer] and not scorer.ready
    assert opened.search(vectors[2], 10) == fresh.search(vectors[2], 10) and opened.paths[0][1] == "float32"
    scorer.start()
    assert opened.wait_int8(60) is not None
    assert opened.search(vectors[2], 10) == fresh.search(vectors[2], 10) and opened.paths[0][1].startswith("int8")


def _q8(tmp_path, suffix: str):
    return next(tmp_path.glob(f"search/clip-*{suffix}"))


@needs_openvino
def test_an_older_snapshot_without_int8_rows_is_searched_in_float32(tmp_path, caplog):
    vectors = _random(np.random.default_rng(8), 2000)
    fresh = _index(vectors)
    assert write_snapshot(tmp_path, None, fresh.freeze())
    _q8(tmp_path, ".q8.npy").unlink()
    _q8(tmp_path, ".q8.npz").unlink()
    with caplog.at_level(logging.INFO, logger="surveil.store"):
        opened = read_snapshot(tmp_path, None, DIM)
    assert opened._blocks[0].int8 is None and opened.wait_int8(1) is None
    assert [r.getMessage() for r in caplog.records if "int8" in r.getMessage()][0].endswith(
        "searching its float32 rows")
    assert opened.search(vectors[3], 20) == fresh.search(vectors[3], 20)


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-1000])


def _flip(path):
    data = bytearray(path.read_bytes())
    data[5000:5004] = bytes(255 - b for b in data[5000:5004])
    path.write_bytes(bytes(data))


@needs_openvino
@pytest.mark.parametrize(("file", "damage", "said"), [
    (".q8.npy", _truncate, "unusable (mmap length is greater than file size)"),
    (".q8.npy", _flip, "are damaged (CRC)"),
    (".q8.npz", _flip, "unusable (")])
def test_damaged_int8_rows_are_said_in_one_line_and_the_float32_rows_searched(tmp_path, caplog, file, damage, said):
    vectors = _random(np.random.default_rng(9), 2000)
    fresh = _index(vectors)
    assert write_snapshot(tmp_path, None, fresh.freeze())
    damage(_q8(tmp_path, file))
    with caplog.at_level(logging.INFO, logger="surveil.store"):
        opened = read_snapshot(tmp_path, None, DIM)
        assert opened.wait_int8(60) is None
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and said in lines[0] and lines[0].endswith("searching its float32 rows"), lines
    assert len(opened) == 2000 and opened.search(vectors[4], 20) == fresh.search(vectors[4], 20)


def test_without_openvino_snapshots_are_written_and_searched_as_before(tmp_path, monkeypatch):
    vectors = _random(np.random.default_rng(10), 2000)
    fresh = _index(vectors)
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    if importlib.util.find_spec("openvino") is not None:  # an int8 snapshot written while it was there
        assert write_snapshot(tmp_path / "with", None, fresh.freeze())
        assert _q8(tmp_path / "with", ".q8.npy")
    monkeypatch.setitem(sys.modules, "openvino", None)  # import openvino now fails
    monkeypatch.setitem(sys.modules, "openvino.opset13", None)
    assert write_snapshot(tmp_path / "without", None, fresh.freeze())
    assert sorted(p.suffix for p in (tmp_path / "without" / "search").glob("clip-*")) == [".npy", ".npz"]
    for folder in ("with", "without"):
        if snapshot_path(tmp_path / folder, None).exists():
            opened = read_snapshot(tmp_path / folder, None, DIM)
            assert opened._blocks[0].int8 is None
            for flt in FILTERS.values():
                assert opened.search(vectors[6], 50, flt) == fresh.search(vectors[6], 50, flt)
