"""Searching without loading: one index per store folder and vector space, kept in memory and on disk.

The first search of a process opens the space's snapshot (``search_snapshot``) and catches up
on what the audit chain says happened since: an ``object`` entry wrote (or rewrote) an object,
a ``purge`` entry lists every id it deleted. Every write and delete of the store is one of
these (``EventStore.put``; ``surveil.store.retention.purge``, the one path that deletes), so
catching up misses nothing, and it reads the entries after the index's own, never the store.
Every later search catches up the same way, from where the last one stopped: when the chain
has not moved that is one comparison. An index whose entry is no longer on the chain (the
store was replaced, or its newest entries cut) is built again from the store.

Once the index is well ahead of its snapshot, a new snapshot is written on a thread of its
own, so the search that noticed does not wait and the next process starts fast; this process
moves onto the new snapshot at its next search (the old files' disk space is freed then).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

from surveil.store.search import EmbeddingIndex
from surveil.store.search_snapshot import read_snapshot, space_name, write_snapshot

logger = logging.getLogger(__name__)

REWRITE_ROWS = 10_000  # objects added or removed since the snapshot: a new process would read each from the store
REWRITE_SHARE = 0.01  # ... or this share of the index, if smaller
REWRITE_ENTRIES = 200_000  # audit entries of any kind since the snapshot (about two seconds of catching up)
KEEP = 4  # spaces kept in memory, the most recently searched

_spaces: OrderedDict[tuple[str, str | None], _Space] = OrderedDict()
_spaces_lock = threading.Lock()
_writers: set[threading.Thread] = set()


def search_index(store, tag: str | None = None, dim: int | None = None) -> EmbeddingIndex:
    """The index of a space of ``store`` (CLIP, or the appearance model ``tag``) with every committed write in it.

    ``dim``: the query's length; an index of vectors of another length is built again.
    """
    key = (str(Path(store.folder).resolve()), tag)
    with _spaces_lock:
        space = _spaces.pop(key, None) or _Space(Path(store.folder), tag)
        _spaces[key] = space
        while len(_spaces) > KEEP:
            _spaces.popitem(last=False)
    return space.refresh(store, dim)


def wait_for_snapshots(timeout: float | None = None) -> None:
    """Wait for the snapshots being written (a test, a benchmark, or before deleting a store folder)."""
    for thread in list(_writers):
        thread.join(timeout)


def catch_up(index: EmbeddingIndex, store, tag: str | None) -> int | None:
    """Apply what the audit chain holds after the index's entry; the rows changed, None when off the chain."""
    head = store.head
    if (head.seq, head.hash) == (index.seq, index.hash):
        return 0
    entries = store.audit_entries_from(index.seq)
    if index.seq >= 0:
        own = next(entries, None)
        if own is None or own.seq != index.seq or own.hash != index.hash:
            return None
    latest: dict[str, bool] = {}  # id: written (True) or deleted; the last entry about an id decides
    seq, hash_ = index.seq, index.hash
    for entry in entries:
        if entry.action == "object":
            latest[entry.subject] = True
        elif entry.action == "purge":
            latest.update(dict.fromkeys(entry.detail.get("ids", ()), False))
        seq, hash_ = entry.seq, entry.hash
    removed, added = [], []
    for object_id, written in latest.items():
        found = _stored(store, object_id, tag) if written else None
        if found is None:
            removed.append(object_id)
        else:
            added.append(found)
    before = index.changes
    index.apply(removed, added, seq, hash_)
    return index.changes - before


def _stored(store, object_id: str, tag: str | None) -> tuple | None:
    """(id, camera, label, vector) of an object as the store holds it now, None if gone or not in this space."""
    record = store.get_object(object_id)
    if record is None:
        return None
    if tag is None:
        vector = store.embedding("o", object_id)
    else:
        tagged = store.appearance("o", object_id)
        vector = tagged[1] if tagged is not None and tagged[0] == tag else None
    return None if vector is None else (object_id, record.camera_id, record.label, vector)


class _Space:
    """One space of one store: its index, and how far the index is ahead of its snapshot."""

    def __init__(self, folder: Path, tag: str | None):
        self.folder, self.tag = folder, tag
        self._lock = threading.Lock()
        self.index: EmbeddingIndex | None = None
        self._saved: tuple[int, int] | None = None  # (seq, index.changes) as the snapshot holds it; None: none
        self._moved = self._writing = self._failed = False

    def refresh(self, store, dim: int | None) -> EmbeddingIndex:
        with self._lock:
            if self.index is None or (dim and self.index.dim and self.index.dim != dim):
                self._open(store, dim)
            elif self._moved:
                self._move_to_snapshot(dim)
            if catch_up(self.index, store, self.tag) is None:
                logger.warning("the search index of %s (%s) is not on the store's audit chain at entry #%d (the "
                               "store was replaced, or its newest entries cut); building it again", self.folder,
                               space_name(self.tag), self.index.seq)
                self._build(store, dim)
            if self._stale():
                self._write()
            return self.index

    def _open(self, store, dim: int | None) -> None:
        index = read_snapshot(self.folder, self.tag, dim)
        if index is None:
            self._build(store, dim)
        else:
            self.index, self._saved = index, (index.seq, index.changes)

    def _build(self, store, dim: int | None) -> None:
        start = time.perf_counter()
        self.index, self._saved = EmbeddingIndex.load(store, self.tag, dim), None
        logger.debug("built the search index of %s (%s) from the store: %d objects in %.1f s", self.folder,
                     space_name(self.tag), len(self.index), time.perf_counter() - start)

    def _move_to_snapshot(self, dim: int | None) -> None:
        """Swap the index for the snapshot just written (caught up next): its rows are the file's, merged."""
        self._moved = False
        index = read_snapshot(self.folder, self.tag, dim)
        if index is not None:
            self.index, self._saved = index, (index.seq, index.changes)

    def _stale(self) -> bool:
        if self._writing or self._failed:
            return False
        if self._saved is None:
            return True
        seq, changes = self._saved
        ahead = self.index.changes - changes
        return ahead > min(REWRITE_ROWS, REWRITE_SHARE * len(self.index)) or self.index.seq - seq > REWRITE_ENTRIES

    def _write(self) -> None:
        frozen, changes = self.index.freeze(), self.index.changes
        self._writing = True
        thread = threading.Thread(target=self._save, args=(frozen, changes), name="search-snapshot")
        _writers.add(thread)  # not a daemon: a command that searched once still leaves its snapshot whole
        thread.start()

    def _save(self, frozen, changes: int) -> None:
        try:
            written = write_snapshot(self.folder, self.tag, frozen)
        except Exception:  # a bug here must not take searching down with it: the index in memory is fine
            logger.exception("writing the search snapshot of %s failed", self.folder)
            written = None
        with self._lock:
            self._writing = False
            if written:
                self._saved, self._moved = (frozen.seq, changes), True
            self._failed = written is None  # not again in this process (a read-only folder stays one)
        _writers.discard(threading.current_thread())
