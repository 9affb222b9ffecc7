"""Exports in progress: a small list beside the store, so what a killed export left is removed later.

An export is listed before it writes anything and unlisted once its package is signed.
Whatever a listed export left (its ``.partial`` work folder and zip, or an unsigned package
at its destination) is removed at the next export and when the engine starts.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

from surveil.media.export_verify import SIGNATURE
from surveil.processes import alive

logger = logging.getLogger(__name__)

LIST_FILE = "exports-in-progress.json"
_lock = threading.Lock()
_active: set[str] = set()  # destinations this process is exporting to right now


def work_paths(dest: Path) -> tuple[Path, Path]:
    """The work folder and the zip being built for ``dest``."""
    return dest.with_name(dest.name + ".partial"), dest.with_name(dest.name + ".partial.zip")


@contextlib.contextmanager
def in_progress(store_folder: Path, dest: Path) -> Iterator[None]:
    """List ``dest`` while the block runs; on an exception remove what it left; unlist it when done."""
    key = str(dest.absolute())
    with _lock:
        if key in _active:
            raise FileExistsError(f"an export to {dest} is already running")
        _save(store_folder, [*_load(store_folder), {"dest": key, "pid": os.getpid()}])
        _active.add(key)
    try:
        _remove_leftovers(dest, with_dest=False)  # a work folder of the same name that no list remembers
        yield
    except BaseException:
        _remove_leftovers(Path(key))
        raise
    finally:
        with _lock:
            _active.discard(key)
            _save(store_folder, [e for e in _load(store_folder) if e["dest"] != key])


def clean_partial_exports(store_folder: Path) -> list[Path]:
    """Remove what killed exports of this store left (none of it verifies); returns the paths removed.

    Called at the start of each export and by the engine at start-up. Exports still running
    in this process are left alone.
    """
    with _lock:
        entries = _load(store_folder)
        stale = [e for e in entries if e["dest"] not in _active and not _alive_elsewhere(e.get("pid", 0))]
        try:
            removed = [path for entry in stale for path in _remove_leftovers(Path(entry["dest"]))]
            if stale:
                _save(store_folder, [e for e in entries if e not in stale])
        except OSError as exc:  # never a reason for the engine not to start; the next try may do better
            logger.warning("cannot remove what an unfinished export left: %s", exc)
            return []
    for path in removed:
        logger.info("removed %s, left by an export that did not finish", path)
    return removed


def _remove_leftovers(dest: Path, with_dest: bool = True) -> list[Path]:
    work, archive = work_paths(dest)
    out = [p for p in (work, archive) if p.exists()]
    if with_dest and dest.exists() and not _signed(dest):  # renamed into place but killed before it was signed
        out.append(dest)
    for path in out:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return out


def _signed(dest: Path) -> bool:
    if dest.is_dir():
        return (dest / SIGNATURE).is_file()
    try:
        with zipfile.ZipFile(dest) as archive:
            return SIGNATURE in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _alive_elsewhere(pid) -> bool:
    """True while another live process may still be writing that export (the store's writer lock makes it rare)."""
    return isinstance(pid, int) and pid > 0 and pid != os.getpid() and alive(pid)


def _load(store_folder: Path) -> list[dict]:
    try:
        entries = json.loads((Path(store_folder) / LIST_FILE).read_text())
        return [e for e in entries if isinstance(e, dict) and isinstance(e.get("dest"), str)]
    except FileNotFoundError:
        return []
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring the unreadable list of exports in progress in %s: %s", store_folder, exc)
        return []


def _save(store_folder: Path, entries: list[dict]) -> None:
    path = Path(store_folder) / LIST_FILE
    if not entries:
        path.unlink(missing_ok=True)
        return
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(json.dumps(entries, indent=1))
    os.replace(temp, path)
