"""The search index on disk, beside the store: ``<store>/search/``, one snapshot per vector space.

A snapshot of a space (``clip``, or ``appearance-<sha1 of the model tag>``) is three files, or five:

- ``<space>.json``: format, space, dimension, row count, the audit entry (seq and hash) whose
  state the rows hold, the camera and label names in code order, and the token naming the
  two data files. Replacing it is the commit: a reader sees the old snapshot or the new one.
- ``<space>-<token>.rows.npy``: float32 unit rows (rows × dimension) sorted by label, camera,
  time; opened with ``np.load(mmap_mode="r")``, so opening reads nothing, and the pages are
  the OS's file cache, shared by every process that searches the store.
- ``<space>-<token>.columns.npz``: ids (bytes), ms (int64), camera and label codes (int32), and
  ``by_id``, the order that sorts the ids (looking an id up is a binary search).
- from ``search_int8.MIN_ROWS`` rows, where OpenVINO is installed: ``<space>-<token>.q8.npy`` and
  ``.q8.npz``, the rows as int8 for a faster first pass. A snapshot without them (an older one)
  is searched in float32; damaged ones are said in one log line and the float32 rows searched.

float32 rather than float16 on disk: numpy has no fast half-precision product, and float32
rows give the very scores a fresh load gives. Data files are written under a new token,
synced and renamed; then the json; then the old token's files go. A snapshot that is missing,
unreadable, of another format, space or dimension, or whose files do not match its json, is
ignored with one log line and the index is built from the store.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import secrets
import time
import zipfile
from pathlib import Path

import numpy as np

from surveil.store import search_int8
from surveil.store.search import EmbeddingIndex, Frozen
from surveil.store.search_rows import SortedRows

logger = logging.getLogger(__name__)

FORMAT = 1
FOLDER = "search"
WRITE_CHUNK = 16384  # rows gathered and written at a time
_EMPTY = (np.zeros(0, "S1"), np.zeros(0, np.int64), np.zeros(0, np.int32), np.zeros(0, np.int32))
COLUMNS = {"ids": "S", "ms": "i8", "camera": "i4", "label": "i4", "by_id": "i8"}  # name: numpy kind or dtype


class _Unusable(Exception):
    """The snapshot cannot be used; the message says why."""


def space_name(tag: str | None) -> str:
    """The file name of a space: ``clip``, or the appearance model's tag hashed (a tag may hold any character)."""
    return "clip" if tag is None else "appearance-" + hashlib.sha1(tag.encode()).hexdigest()[:16]


def snapshot_path(store_folder: Path, tag: str | None) -> Path:
    """The json of a space's snapshot."""
    return Path(store_folder) / FOLDER / f"{space_name(tag)}.json"


def read_snapshot(store_folder: Path, tag: str | None, dim: int | None = None) -> EmbeddingIndex | None:
    """The index as the snapshot holds it (rows memory-mapped), or None, said in one log line."""
    path = snapshot_path(store_folder, tag)
    for attempt in range(2):  # a writer may replace the snapshot between our reading its json and its files
        try:
            return _open(path, tag, dim)
        except FileNotFoundError as exc:
            if attempt == 0 and path.exists():
                continue
            why = "does not exist yet" if exc.filename == str(path) else f"lacks its file {exc.filename}"
            logger.info("search snapshot %s %s; building the index from the store", path, why)
        except (_Unusable, OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile) as exc:
            logger.warning("search snapshot %s is unusable (%s); building the index from the store", path, exc)
        return None
    return None


def _open(path: Path, tag: str | None, dim: int | None) -> EmbeddingIndex:
    meta = json.loads(path.read_bytes())
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise _Unusable(f"format {meta.get('format') if isinstance(meta, dict) else '?'}, "
                        f"this surveil reads format {FORMAT}")
    n, width = int(meta["rows"]), int(meta["dim"])
    if meta["space"] != tag:
        raise _Unusable(f"it holds the space {meta['space']!r}")
    if dim and n and width != dim:
        raise _Unusable(f"its vectors have {width} values, the query {dim}: another model's")
    stem = path.with_name(f"{path.stem}-{meta['token']}")
    rows = np.load(f"{stem}.rows.npy", mmap_mode="r")
    if rows.dtype != np.float32 or rows.shape != (n, width) or not rows.flags.c_contiguous:
        raise _Unusable(f"rows {rows.dtype} {rows.shape}, the json says float32 ({n}, {width})")
    with np.load(f"{stem}.columns.npz") as stored:  # zip: a damaged column fails its CRC here
        columns = {name: stored[name] for name in COLUMNS}
    for name, kind in COLUMNS.items():
        column = columns[name]
        if column.shape != (n,) or (column.dtype.kind != kind if len(kind) == 1 else column.dtype != kind):
            raise _Unusable(f"column {name} is {column.dtype} {column.shape}, not {kind} ({n},)")
    cameras, labels = list(meta["cameras"]), list(meta["labels"])
    if n and (columns["camera"].max() >= len(cameras) or columns["label"].max() >= len(labels)):
        raise _Unusable("a camera or label code names nothing")
    by_id = columns.pop("by_id")
    rows = rows.view(np.ndarray)
    int8 = search_int8.open_rows(stem, rows)
    index = EmbeddingIndex(width, SortedRows(rows, **columns, by_id=by_id), cameras, labels, int8)
    index.seq, index.hash = int(meta["seq"]), str(meta["hash"])
    if int8 is not None:
        int8.start()  # compiles on a thread: searches until then scan the float32 rows
    return index


def write_snapshot(store_folder: Path, tag: str | None, frozen: Frozen) -> bool | None:
    """Write the frozen index as the space's snapshot.

    True once written; False when another process is writing one; None (logged) when it cannot be.
    """
    folder, name = Path(store_folder) / FOLDER, space_name(tag)
    try:
        folder.mkdir(exist_ok=True)
        with _writer(folder / f"{name}.lock") as held:
            if not held:  # another process writes this space's snapshot right now: it will do
                return False
            token = f"{frozen.seq}-{secrets.token_hex(4)}"
            count = _write_data(folder / f"{name}-{token}", frozen)
            meta = {"format": FORMAT, "space": tag, "dim": frozen.dim, "rows": count, "seq": frozen.seq,
                    "hash": frozen.hash, "cameras": frozen.cameras, "labels": frozen.labels, "token": token,
                    "written": time.time()}
            _replace(folder / f"{name}.json", lambda f: f.write(json.dumps(meta, indent=1).encode()))
            _remove_others(folder, name, token)
    except OSError as exc:
        logger.warning("cannot write the search snapshot in %s: %s", folder, exc)
        return None
    logger.info("wrote the search snapshot %s: %d objects up to audit entry %d", folder / f"{name}.json",
                count, frozen.seq)
    return True


def _write_data(stem: Path, frozen: Frozen) -> int:
    """The rows and the columns of the frozen index's live rows, sorted as SortedRows sorts them."""
    parts = frozen.parts or [(SortedRows(np.zeros((0, frozen.dim), np.float32), *_EMPTY), np.zeros(0, np.int64))]
    ids, ms, camera, label = (np.concatenate([getattr(rows, c)[at] for rows, at in parts])
                              for c in ("ids", "ms", "camera", "label"))
    order = np.lexsort((ms, camera, label))
    source = np.concatenate([np.full(len(at), i) for i, (_, at) in enumerate(parts)])
    position = np.concatenate([at for _, at in parts])
    _replace(Path(f"{stem}.rows.npy"), lambda f: _write_rows(f, frozen.dim, parts, order, source, position))
    if search_int8.wanted(len(order)):  # from the rows just written (the OS's cache), a chunk at a time
        search_int8.write(stem, np.load(f"{stem}.rows.npy", mmap_mode="r"), _replace)
    ids = ids[order]
    _replace(Path(f"{stem}.columns.npz"), lambda f: np.savez(f, ids=ids, ms=ms[order], camera=camera[order],
                                                            label=label[order], by_id=np.argsort(ids, kind="stable")))
    return len(order)


def _write_rows(handle, dim: int, parts, order: np.ndarray, source: np.ndarray, position: np.ndarray) -> None:
    """The .npy header, then the rows in ``order`` a chunk at a time (a million rows never sit twice in memory)."""
    np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": (len(order), dim)})
    for start in range(0, len(order), WRITE_CHUNK):
        take = order[start:start + WRITE_CHUNK]
        if len(parts) == 1:
            chunk = _rows_at(parts[0][0].rows, position[take])
        else:
            chunk = np.empty((len(take), dim), np.float32)
            for i, (rows, _) in enumerate(parts):
                mine = source[take] == i
                chunk[mine] = rows.rows[position[take[mine]]]
        handle.write(np.ascontiguousarray(chunk).data)


def _rows_at(rows: np.ndarray, at: np.ndarray) -> np.ndarray:
    """``rows[at]``, without a copy where ``at`` is a run of consecutive rows (a block written as it is)."""
    if len(at) and at[-1] - at[0] == len(at) - 1 and np.all(np.diff(at) == 1):
        return rows[at[0]:at[-1] + 1]
    return rows[at]


def _replace(path: Path, write) -> None:
    """Write through a temporary file, synced, renamed over ``path``; the folder synced after."""
    temp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(temp, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _writer(lock_path: Path):
    """Hold the space's writer lock if no other process does (yields whether it is held)."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing drops the lock


def _remove_others(folder: Path, name: str, token: str) -> None:
    """Files of older snapshots of this space, and what a killed writer left (we hold the writer lock)."""
    for path in folder.glob(f"{name}-*"):
        if not path.name.startswith(f"{name}-{token}.") or path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)  # a process still searching the old rows keeps its mapping
