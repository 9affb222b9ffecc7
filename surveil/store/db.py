"""Opening the store: create, validate (never touching a folder that is not ours), lock, migrate."""

from __future__ import annotations

import errno
import logging
from pathlib import Path

import rocksdict

from surveil.store.layout import FAMILIES, MARKER, META, SCHEMA_VERSION
from surveil.store.lock import WriterLock

logger = logging.getLogger(__name__)

MIGRATIONS: dict = {}  # version n -> function(db) bringing it to n + 1; none yet


class StoreError(Exception):
    """The store cannot be opened or written; the message says what and where."""


def _options() -> rocksdict.Options:
    options = rocksdict.Options(raw_mode=True)
    options.create_if_missing(False)
    options.create_missing_column_families(False)
    return options


def open_db(folder: Path, read_only: bool) -> tuple[rocksdict.Rdict, WriterLock | None]:
    """Open (or, for a writer, create) the RocksDB database in ``folder``."""
    folder = Path(folder)
    new = _check_folder(folder, read_only)
    lock = None
    if not read_only:
        folder.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(folder)
        lock.acquire()
    try:
        db = _open(folder, read_only, new)
    except BaseException:
        if lock:
            lock.release()
        raise
    return db, lock


def _check_folder(folder: Path, read_only: bool) -> bool:
    """True for a new store; StoreError for anything that is not a surveil store."""
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        if read_only:
            raise StoreError(f"no event store at {folder}")
        return True
    if not folder.is_dir():
        raise StoreError(f"{folder} is a file, not an event store folder; nothing was changed")
    if not (folder / "CURRENT").exists():
        raise StoreError(f"{folder} is not a surveil event store (it holds other files); nothing was changed")
    try:
        families = rocksdict.Rdict.list_cf(str(folder))
    except Exception as exc:
        raise StoreError(f"{folder} holds a database that cannot be read ({exc}); nothing was changed") from None
    if META not in families:
        raise StoreError(f"{folder} is a RocksDB database but not a surveil event store; nothing was changed")
    return False


def _open(folder: Path, read_only: bool, new: bool) -> rocksdict.Rdict:
    options = _options()
    if new:
        options.create_if_missing(True)
        options.create_missing_column_families(True)
    families = {name: rocksdict.Options(raw_mode=True) for name in FAMILIES}
    access = rocksdict.AccessType.read_only() if read_only else rocksdict.AccessType.read_write()
    try:
        db = rocksdict.Rdict(str(folder), options=options, column_families=families, access_type=access)
    except Exception as exc:
        raise StoreError(f"cannot open the event store at {folder}: {exc}") from None
    meta = db.get_column_family(META)
    if new:
        meta[b"marker"] = MARKER
        meta[b"schema_version"] = str(SCHEMA_VERSION).encode()
        db.flush()
    elif meta.get(b"marker") != MARKER:
        db.close()
        raise StoreError(f"{folder} is not a surveil event store (no marker); nothing was changed")
    _migrate(db, folder, read_only)
    return db


def _migrate(db: rocksdict.Rdict, folder: Path, read_only: bool) -> None:
    meta = db.get_column_family(META)
    version = int(meta.get(b"schema_version", b"1"))
    if version > SCHEMA_VERSION:
        db.close()
        raise StoreError(f"the event store at {folder} has schema {version}, newer than this surveil "
                         f"({SCHEMA_VERSION}); upgrade surveil")
    while version < SCHEMA_VERSION:
        if read_only:
            db.close()
            raise StoreError(f"the event store at {folder} needs a migration; open it for writing once")
        MIGRATIONS[version](db)
        version += 1
        meta[b"schema_version"] = str(version).encode()
        logger.info("migrated the event store to schema %d", version)


def describe_write_error(exc: Exception, folder: Path) -> str:
    """Turn a RocksDB write error into words: a full disk is named as such."""
    text = str(exc)
    if "No space left" in text or getattr(exc, "errno", None) == errno.ENOSPC:
        return f"the disk holding the event store ({folder}) is full: {text}"
    return f"writing to the event store at {folder} failed: {text}"
