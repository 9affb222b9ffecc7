"""The event store: writes that land whole with their audit entry, reads, operator state."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rocksdict

from surveil import signing
from surveil.hashing import sha256
from surveil.store.audit import GENESIS, AuditEntry, ChainHead, Checkpointer
from surveil.store.db import StoreError, describe_write_error, open_db, reopen_db
from surveil.store.layout import (
    APPEARANCE,
    AUDIT,
    EMBEDDINGS,
    EVENTS,
    FAMILIES,
    INDEX,
    META,
    OBJECTS,
    SEGMENTS,
    STATE,
    TAG_END,
    THUMBNAILS,
    audit_key,
    index_key,
)
from surveil.store.reads import EMBEDDING_DTYPE, StoreReads
from surveil.store.records import EventRecord, ObjectRecord, OperatorState, SegmentRecord, encode

logger = logging.getLogger(__name__)

EVENT_INDEXED = ("camera_id", "rule", "label", "severity")
CHECKPOINTED = b"checkpointed"  # in META once the store keeps a checkpoint: from then on a missing one is a finding
OBJECT_INDEXED = ("camera_id", "label")


@dataclass
class Put:
    """One record with what belongs to it, for a batch."""

    record: EventRecord | ObjectRecord | SegmentRecord
    thumbnail: bytes | None = None
    embedding: np.ndarray | None = None
    appearance: tuple[str, np.ndarray] | None = None  # (model tag, vector): the detector's look, with or without CLIP


class EventStore(StoreReads):
    """One RocksDB database. Thread-safe for writes (one lock); a second writing process is refused.

    Reading (decoded records and typed scans, never raw column families) is in ``surveil.store.reads``.

    Every write is synced before it returns: what a caller was told is written survives
    a killed process or a power cut. After each committed batch a writer signs the chain
    head into the checkpoint (``signer``, default: this installation's key), so a cut of
    the newest audit entries shows.
    """

    def __init__(self, folder: Path | str, read_only: bool = False, signer: signing.Signer | None = None):
        self.folder, self.read_only = Path(folder), read_only
        self.db, self._hold = open_db(self.folder, read_only)  # the writer lock, or a reader's read-only view
        self._cf = {name: self.db.get_column_family(name) for name in
                    (EVENTS, OBJECTS, INDEX, EMBEDDINGS, THUMBNAILS, STATE, AUDIT)}
        for name in (SEGMENTS, APPEARANCE):  # a read-only open of an older store lacks the newer families
            try:
                self._cf[name] = self.db.get_column_family(name)
            except Exception:
                logger.debug("no %s column family in %s", name, self.folder)
        self._write_lock = threading.RLock()  # re-entered by set_state: its read-change-write is one step
        self._sync = rocksdict.WriteOptions()
        self._sync.sync = True
        self.head = self._load_head()
        self.listeners: list = []  # called with (kind, record) after each committed write, on the writer's thread
        self._checkpoints = Checkpointer(self.folder, signer)
        expected = self.checkpoint_expected()
        if not read_only and self._checkpoints.start(self.head, self._hash_at, expected) and not expected:
            self._expect_checkpoint()

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Flush and close; releases the writer lock."""
        if self.db is not None:
            if not self.read_only:
                try:
                    self.db.flush()  # every write was already synced to the log; this only tidies up
                except Exception as exc:
                    logger.error("%s", describe_write_error(exc, self.folder))
            self._cf = {}  # column family handles keep the database (and its LOCK) alive
            self._close_handle(logging.ERROR)
        if self._hold is not None:
            self._hold.release()
            self._hold = None

    def reopen(self) -> None:
        """Close the database handle and open it again in place, keeping the writer lock.

        After a failed write (a full disk) RocksDB refuses every later write, even once space is
        free, until the database is opened again. Where it cannot be opened for writing yet, it is
        opened read-only so reads go on, and StoreError says why.
        """
        with self._write_lock:
            self._cf = _Reopening(self)  # the old handles would keep the LOCK; readers wait for the new ones
            self._close_handle(logging.DEBUG)  # after a failed write RocksDB repeats that error on close
            try:
                self.db = reopen_db(self.folder, self.read_only, None if not self.read_only else self._hold)
            except StoreError:
                self.db = None if self.read_only else self._open_for_reading()
                raise
            finally:
                self._attach()

    def _close_handle(self, level: int) -> None:
        if self.db is not None:
            try:
                self.db.close()
            except Exception as exc:  # after a failed write RocksDB refuses a clean close; the log has it all
                logger.log(level, "closing the event store at %s: %s", self.folder, exc)
        self.db = None

    def _open_for_reading(self) -> rocksdict.Rdict | None:
        try:
            return reopen_db(self.folder, read_only=True)
        except StoreError as exc:
            logger.error("the event store at %s cannot be read either: %s", self.folder, exc)
            return None

    def _attach(self) -> None:
        """Column family handles and the audit chain head from a reopened handle."""
        handles = {}
        for name in FAMILIES if self.db is not None else ():
            if name != META:
                try:
                    handles[name] = self.db.get_column_family(name)
                except Exception:  # a read-only open lacks families a newer surveil adds
                    logger.debug("no %s column family in %s", name, self.folder)
        self._cf = handles
        if AUDIT in handles:
            self.head = self._load_head()  # a write that failed may still have landed

    # -- writing ---------------------------------------------------------------------------

    def put(self, items: list[Put]) -> list[AuditEntry]:
        """Write records (new or new versions) with their thumbnails, embeddings and index entries.

        Each audit entry holds the sha256 of the record and, in its detail, of the thumbnail
        and embedding that came with it: every stored byte is vouched for.
        """
        staged, audits = [], []
        for item in items:
            rows, record_digest, detail = self._stage(item)
            staged += rows
            audits.append((_kind(item.record), _id(item.record), record_digest, detail))
        return self._commit(rocksdict.WriteBatch(raw_mode=True), staged, audits, [i.record for i in items])

    def set_state(self, event_id: str, **changes) -> OperatorState:
        """Change the operator state of an event (acknowledged, verdict, locked, notes); audited."""
        if self.get_event(event_id) is None:
            raise KeyError(f"no event {event_id}")
        with self._write_lock:  # two clients marking one event at once: neither change is lost
            state = self.get_state(event_id)
            for key, value in changes.items():
                if key == "note":
                    state.notes.append(value)
                elif hasattr(state, key):
                    setattr(state, key, value)
                else:
                    raise ValueError(f"unknown operator state field '{key}'")
            state.updated = time.time()
            data = encode(state)
            batch = rocksdict.WriteBatch(raw_mode=True)
            self._commit(batch, [(event_id.encode(), data, STATE)],
                         [("state", event_id, sha256(data), {k: v for k, v in changes.items()})], [])
        return state

    def audit(self, action: str, subject: str, detail: dict, digest: str | None = None,
              staged: list | None = None) -> AuditEntry:
        """Append an audit entry (with optional writes that belong to it), e.g. for an export."""
        return self._commit(rocksdict.WriteBatch(raw_mode=True), staged or [],
                            [(action, subject, digest, detail)], [])[0]

    def _stage(self, item: Put) -> tuple[list[tuple[bytes, bytes, str]], str, dict]:
        """The rows of one record, the sha256 of its bytes, and the sha256 of its thumbnail and embedding."""
        record, key = item.record, _id(item.record).encode()
        data = encode(record)
        if isinstance(record, SegmentRecord):
            return [(key, data, SEGMENTS)], sha256(data), {}
        family = EVENTS if isinstance(record, EventRecord) else OBJECTS
        out, detail = [(key, data, family)], {}
        kind = "e" if family == EVENTS else "o"
        for field in EVENT_INDEXED if kind == "e" else OBJECT_INDEXED:
            out.append((index_key(kind, field, str(getattr(record, field)), key.decode()), b"", INDEX))
        if item.thumbnail is not None:
            out.append((kind.encode() + key, item.thumbnail, THUMBNAILS))
            detail["thumbnail_sha256"] = sha256(item.thumbnail)
        if item.embedding is not None:
            vector = np.asarray(item.embedding, EMBEDDING_DTYPE).tobytes()
            out.append((kind.encode() + key, vector, EMBEDDINGS))
            detail["embedding_sha256"] = sha256(vector)
        if item.appearance is not None:
            tag, vector = item.appearance
            value = tag.encode() + TAG_END + np.asarray(vector, EMBEDDING_DTYPE).tobytes()
            out.append((kind.encode() + key, value, APPEARANCE))
            detail["appearance_sha256"] = sha256(value)
        return out, sha256(data), detail

    def _commit(self, batch, staged, audits, records) -> list[AuditEntry]:
        if self.read_only:
            raise StoreError(f"the event store at {self.folder} is open read-only")
        with self._write_lock:
            if self.db is None:
                raise StoreError(f"the event store at {self.folder} is closed")
            entries, head = [], ChainHead(self.head.seq, self.head.hash)
            for action, subject, digest, detail in audits:
                entry = head.next_entry(time.time(), action, subject, digest, detail)
                head.advance(entry)
                entries.append(entry)
                staged = [*staged, (audit_key(entry.seq), entry.encode(), AUDIT)]
            for key, value, family in staged:
                if value is None:
                    batch.delete(key, self.db.get_column_family_handle(family))
                else:
                    batch.put(key, value, self.db.get_column_family_handle(family))
            try:
                self.db.write(batch, self._sync)
            except Exception as exc:
                message = describe_write_error(exc, self.folder)
                logger.error("%s", message)
                raise StoreError(message) from None
            self.head = head
            if entries:
                self._checkpoints.write(head)
        for record in records:
            for listener in list(self.listeners):
                try:
                    listener(_kind(record), record)
                except Exception:  # written is written: a listener's bug must not look like a failed write
                    logger.exception("store listener failed")
        return entries

    def audit_entries_from(self, seq: int) -> Iterator[AuditEntry]:
        """Audit entries from number ``seq`` on, in order, reading none before it (what changed since)."""
        for _, value in self._scan(AUDIT, audit_key(max(seq, 0)).decode()):
            yield AuditEntry.decode(value)

    def raw_items(self, family: str):
        """(key, stored bytes) of every entry of one column family, in key order: what ``verify`` hashes."""
        return self._scan(family)

    # -- the checkpoint ----------------------------------------------------------------------

    def checkpoint_expected(self) -> bool:
        """True once this store has kept a checkpoint: from then on a missing one is a finding."""
        return self.db.get_column_family(META).get(CHECKPOINTED) is not None

    def _expect_checkpoint(self) -> None:
        """There is a checkpoint now: from here on a missing one is reported (and not silently made anew)."""
        batch = rocksdict.WriteBatch(raw_mode=True)
        batch.put(CHECKPOINTED, b"1", self.db.get_column_family_handle(META))
        try:
            self.db.write(batch, self._sync)
        except Exception as exc:  # the next open tries again; until then only a deleted checkpoint goes unnoticed
            logger.warning("%s", describe_write_error(exc, self.folder))

    def _hash_at(self, seq: int) -> str | None:
        """The hash of audit entry ``seq`` (the genesis hash before the first), None where there is none."""
        if seq < 0:
            return GENESIS
        data = self._cf[AUDIT].get(audit_key(seq))
        return None if data is None else AuditEntry.decode(data).hash

    def _load_head(self) -> ChainHead:
        it = self._cf[AUDIT].iter()
        it.seek_to_last()
        if not it.valid():
            return ChainHead()
        last = AuditEntry.decode(it.value())
        return ChainHead(last.seq, last.hash)


def _kind(record) -> str:
    if isinstance(record, SegmentRecord):
        return "segment"
    return "event" if isinstance(record, EventRecord) else "object"


def _id(record) -> str:
    if isinstance(record, SegmentRecord):
        return record.segment_id
    return record.event_id if isinstance(record, EventRecord) else record.object_id


class _Reopening:
    """Stands in for the column family handles while the store reopens: a reader waits for the new ones."""

    def __init__(self, store: EventStore):
        self._store = store

    def __getitem__(self, name: str):
        with self._store._write_lock:
            return self._store._cf[name]

    def get(self, name: str, default=None):
        with self._store._write_lock:
            return self._store._cf.get(name, default)
