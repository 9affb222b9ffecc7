"""Opening the store: create, validate (never touching a folder that is not ours), lock, migrate.

A new store is built under a temporary sibling name and renamed into place, so a process
killed while creating it leaves either no store or a whole one, never a folder that every
later open refuses.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path

import rocksdict

from surveil.processes import alive
from surveil.store.layout import FAMILIES, MARKER, META, SCHEMA_VERSION
from surveil.store.lock import WriterLock

logger = logging.getLogger(__name__)

# version n -> function(db) bringing it to n + 1. Column families a version adds are created by the
# writer's open itself (create_missing_column_families), so 1 -> 2 (recording segments) has nothing to do.
# Opening for writing creates missing column families: a new family needs no step of its own.
MIGRATIONS: dict = {1: lambda db: None, 2: lambda db: None}
LOCK_FILE = "writer.lock"
# What RocksDB reads when it opens a database; a read-only view links to these and nothing else.
_VIEW_PREFIX = "surveil-readonly-"
_DB_FILES = re.compile(r"CURRENT|IDENTITY|MANIFEST-\d+|OPTIONS-\d+|\d+\.(sst|log|blob)")


class StoreError(Exception):
    """The store cannot be opened or written; the message says what and where."""


def _options() -> rocksdict.Options:
    options = rocksdict.Options(raw_mode=True)
    options.create_if_missing(False)
    options.create_missing_column_families(False)
    options.set_keep_log_file_num(10)  # every failed reopen on a full disk starts a new info log; keep a few
    return options


class ReadOnlyView:
    """A temporary folder of links to a store's database files: a reader opens it and writes nothing.

    rocksdict rewrites ``rocksdict-config.json`` in the folder it opens, even read-only, which
    fails on read-only media and changes the store a verifier is meant to leave as it found it.
    Opened through links, that file (and RocksDB's own info log) land in the temporary folder.
    ``release`` (in place of a writer's lock) removes it.
    """

    def __init__(self, folder: Path):
        self.folder = folder
        _remove_dead_views()
        self.path = Path(tempfile.mkdtemp(prefix=f"{_VIEW_PREFIX}{os.getpid()}-"))
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.path), True)  # a reader that never closes
        self.refresh()

    def refresh(self) -> None:
        """Link the database files there are now (a live writer adds and removes them)."""
        present = {p.name for p in self.path.iterdir()}
        current = {name for name in os.listdir(self.folder) if _DB_FILES.fullmatch(name)}
        for name in present - current:
            if (self.path / name).is_symlink():
                (self.path / name).unlink()
        for name in current - present:
            (self.path / name).symlink_to(self.folder.resolve() / name)

    def release(self) -> None:
        """Remove the temporary folder (only links and what the reader wrote into it)."""
        self._finalizer()


def _remove_dead_views() -> None:
    """Views of readers that were killed (a closed or exiting reader removes its own)."""
    for path in Path(tempfile.gettempdir()).glob(f"{_VIEW_PREFIX}*-*"):
        pid = path.name.removeprefix(_VIEW_PREFIX).split("-")[0]
        if pid.isdigit() and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def open_db(folder: Path, read_only: bool) -> tuple[rocksdict.Rdict, WriterLock | ReadOnlyView]:
    """Open (or, for a writer, create) the RocksDB database in ``folder``.

    Returns the database and what to release after closing it: the writer lock, or a
    reader's ``ReadOnlyView``.
    """
    folder = Path(folder)
    new = _check_folder(folder, read_only)
    if new and not os.path.ismount(folder):  # a mount point cannot be renamed onto: it is built in place
        _create(folder)
        new = _check_folder(folder, read_only)  # ours now, or a store another process created meanwhile
    if read_only:
        view = ReadOnlyView(folder)
        try:
            return reopen_db(folder, True, view), view
        except BaseException:
            view.release()
            raise
    folder.mkdir(parents=True, exist_ok=True)
    lock = WriterLock(folder)
    lock.acquire()
    try:
        db = _open(folder, read_only, new)
    except BaseException:
        lock.release()
        raise
    return db, lock


def reopen_db(folder: Path, read_only: bool = False, view: ReadOnlyView | None = None) -> rocksdict.Rdict:
    """Open an existing store again; the caller already holds its writer lock, or reads through ``view``."""
    if view is None:
        return _open(Path(folder), read_only, new=False)
    try:
        return _open(Path(folder), read_only, new=False, at=view.path)
    except StoreError:  # a live writer flushed or compacted between linking and opening: once more
        view.refresh()
        return _open(Path(folder), read_only, new=False, at=view.path)


def _check_folder(folder: Path, read_only: bool) -> bool:
    """True for a new store; StoreError for anything that is not a surveil store."""
    if not folder.exists() or (folder.is_dir() and _holds_nothing(folder)):
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


def _holds_nothing(folder: Path) -> bool:
    """Empty, or only the lock file a creator killed before building anything left behind."""
    return {p.name for p in folder.iterdir()} <= {LOCK_FILE}


def _create(folder: Path) -> None:
    """Build a new store beside ``folder`` and rename it into place."""
    parent = folder.parent
    parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_builds(parent, folder.name)
    temp = parent / f".{folder.name}.creating-{os.getpid()}"
    shutil.rmtree(temp, ignore_errors=True)
    try:
        temp.mkdir()
        _open(temp, read_only=False, new=True).close()
        _move_into_place(temp, folder)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _move_into_place(temp: Path, folder: Path) -> None:
    if folder.is_dir():
        _drop_stale_lock(folder)
    try:
        os.rename(temp, folder)  # atomic; replaces only a missing or empty folder
    except OSError as exc:
        if exc.errno in (errno.ENOTEMPTY, errno.EEXIST):
            return  # another process created a store (or put something) there first; checked next
        raise StoreError(f"cannot create the event store at {folder}: {exc}") from None
    fd = os.open(folder.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself must survive a power cut
    finally:
        os.close(fd)
    logger.info("created the event store at %s", folder)


def _drop_stale_lock(folder: Path) -> None:
    """Remove a left-over ``writer.lock``; taking it first refuses a folder a live process holds."""
    if not (folder / LOCK_FILE).exists():
        return
    lock = WriterLock(folder)
    lock.acquire()
    try:
        lock.path.unlink()
    finally:
        lock.release()


def _remove_stale_builds(parent: Path, name: str) -> None:
    """Delete half-built stores of ``name`` whose creator is dead; only our own naming pattern is touched."""
    pattern = re.compile(rf"\.{re.escape(name)}\.creating-(\d+)")
    for path in parent.iterdir():
        match = pattern.fullmatch(path.name)
        if match and path.is_dir() and not alive(int(match[1])):
            logger.info("removing %s, left by a process killed while creating the store", path)
            shutil.rmtree(path, ignore_errors=True)



def _open(folder: Path, read_only: bool, new: bool, at: Path | None = None) -> rocksdict.Rdict:
    """Open the database of ``folder`` (through the links in ``at`` for a read-only view)."""
    options = _options()
    options.create_if_missing(new)
    options.create_missing_column_families(not read_only)
    present = FAMILIES if not read_only else [f for f in FAMILIES if f in rocksdict.Rdict.list_cf(str(folder))]
    families = {name: rocksdict.Options(raw_mode=True) for name in present}
    access = rocksdict.AccessType.read_only() if read_only else rocksdict.AccessType.read_write()
    try:
        db = rocksdict.Rdict(str(at or folder), options=options, column_families=families, access_type=access)
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
