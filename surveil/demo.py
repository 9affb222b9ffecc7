"""The demo: the bundled walkway clip as a camera, the default rules, the engine, a fresh data folder.

Without a display (or with ``--headless``/``--json``) it prints what the engine sees and
raises, once a second and as it happens, through the same loop as ``surveil run``.

The folder starts fresh each time, so it is emptied, but only once this process holds it: a
demo still running from it (or any writer of its store) is refused with its process id, and
nothing is deleted.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TextIO

from surveil.cli.monitor import Printer, run_engine
from surveil.config import SurveilConfig, load_config, save_config
from surveil.engine.engine import Engine
from surveil.paths import AppPaths
from surveil.resources import DEMO_CONFIG, resource_path
from surveil.store.lock import StoreInUse, WriterLock

logger = logging.getLogger(__name__)

# The demo folders this process holds, until it exits or ``release_demo``: the kernel drops the lock with us.
_claimed: dict[Path, WriterLock] = {}


def prepare_demo(paths: AppPaths) -> tuple[SurveilConfig, Path]:
    """Load the bundled demo config and save it into a fresh ``data/demo`` folder with its store.

    StoreInUse (naming the process) where another process uses that folder; then nothing is touched.
    """
    config = load_config(resource_path(DEMO_CONFIG))
    demo_dir = paths.data_dir / "demo"
    _claim(demo_dir)
    config.storage.path = demo_dir / "store"
    config.recording.clips_dir = demo_dir / "clips"
    config.recording.folder = demo_dir / "recordings"
    save_config(config, demo_dir / "config.yaml")
    return config, demo_dir


def release_demo(demo_dir: Path) -> None:
    """Let another demo have the folder (the process exiting does the same)."""
    lock = _claimed.pop(demo_dir, None)
    if lock is not None:
        lock.release()


def _claim(demo_dir: Path) -> None:
    """Hold the folder's lock, check no one writes its store, then empty it (all but the lock file)."""
    if demo_dir not in _claimed:
        demo_dir.mkdir(parents=True, exist_ok=True)
        lock = WriterLock(demo_dir)  # demo/writer.lock: held for as long as this demo runs
        try:
            lock.acquire()
        except StoreInUse:
            raise StoreInUse(_in_use(demo_dir, lock.path)) from None
        _claimed[demo_dir] = lock
    try:
        _empty(demo_dir)
    except StoreInUse:
        release_demo(demo_dir)
        raise


def _empty(demo_dir: Path) -> None:
    store = demo_dir / "store"
    store_lock = WriterLock(store) if store.is_dir() else None
    if store_lock is not None:  # a `surveil run --config demo/config.yaml`, or a demo from before this lock
        try:
            store_lock.acquire()
        except StoreInUse:
            raise StoreInUse(_in_use(demo_dir, store_lock.path)) from None
    try:
        for child in demo_dir.iterdir():
            if child == _claimed[demo_dir].path:
                continue
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    finally:
        if store_lock is not None:
            store_lock.release()


def _in_use(demo_dir: Path, lock_file: Path) -> str:
    try:
        holder = lock_file.read_text().strip() or "unknown"
    except OSError:
        holder = "unknown"
    return (f"the demo folder {demo_dir} is in use by process {holder} (another surveil demo?); "
            "stop it first. Nothing was deleted")


def run_demo(paths: AppPaths, seconds: float | None, as_json: bool, out: TextIO) -> int:
    """Run the engine on the demo until ``seconds`` pass or a signal; one status line a second."""
    config, demo_dir = prepare_demo(paths)
    try:
        printer = Printer(out, as_json, config.zone())
        printer.say("start", f"surveil demo: data in {demo_dir}; cameras: "
                    f"{', '.join(c.display_name for c in config.cameras)}",
                    detail={"demo_dir": str(demo_dir), "cameras": [c.id for c in config.cameras]})
        engine = Engine(config, paths, config_path=demo_dir / "config.yaml", serve=True)
        return run_engine(engine, printer, "demo", seconds, stats_every=1.0,
                          farewell=f"review with `surveil events --config {demo_dir / 'config.yaml'}`")
    finally:
        release_demo(demo_dir)
