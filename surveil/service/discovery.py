"""How a client finds the engine that owns a store, and proves it may talk to it.

The token lives in the config folder (``api-token``, mode 0600): a process of the same user can
read it, others cannot. A running engine writes ``service.json`` (its address and process id)
into the store folder it owns and removes it when it stops; a client that finds the file, and
a live process behind it, talks to that engine instead of opening the store.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from surveil.processes import alive

logger = logging.getLogger(__name__)

TOKEN_FILE = "api-token"
SERVICE_FILE = "service.json"


def api_token(config_dir: Path, create: bool = True) -> str | None:
    """The API token, made on first use (readable by this user only); None if absent and not created."""
    path = config_dir / TOKEN_FILE
    token = _read_token(path)
    if token is not None or not create:
        return token
    config_dir.mkdir(parents=True, exist_ok=True)
    try:  # O_EXCL: a window and `surveil run` started together agree on one token
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        time.sleep(0.1)  # the other starter is writing it
        return _read_token(path)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    return _read_token(path)


def _read_token(path: Path) -> str | None:
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        return None
    if token and path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # a copy restored with a looser mode: others on this machine must not read it
        logger.warning("%s was readable by others; it is now readable by its owner only", path)
    return token or None


@dataclass(frozen=True)
class ServiceInfo:
    """Where the engine that owns a store listens."""

    url: str
    pid: int


def publish(store_folder: Path, url: str) -> Path:
    """Tell clients where this engine listens (written whole: a reader never sees half a file)."""
    path = store_folder / SERVICE_FILE
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps({"url": url, "pid": os.getpid()}))
    os.replace(partial, path)
    return path


def withdraw(store_folder: Path) -> None:
    """Remove this engine's service file (only if it is still ours)."""
    found = find(store_folder, alive_only=False)
    if found is not None and found.pid == os.getpid():
        (store_folder / SERVICE_FILE).unlink(missing_ok=True)


def find(store_folder: Path, alive_only: bool = True) -> ServiceInfo | None:
    """The engine serving this store, if its file exists (and its process lives)."""
    try:
        data = json.loads((store_folder / SERVICE_FILE).read_text())
        info = ServiceInfo(str(data["url"]), int(data["pid"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring an unreadable %s in %s: %s", SERVICE_FILE, store_folder, exc)
        return None
    if alive_only and not alive(info.pid):
        return None  # a killed engine's file: its lock is gone too, so the store can be opened
    return info
