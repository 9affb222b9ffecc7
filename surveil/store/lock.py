"""One writer per store: an exclusive lock file that names the process holding it.

RocksDB's own LOCK refuses a second writer too, but with an IO error that says nothing
an operator can act on. The lock is released by the kernel when the process dies, so a
killed writer never leaves the store locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class StoreInUse(RuntimeError):
    """Another process is writing to the store."""


class WriterLock:
    """Holds ``writer.lock`` in the store folder for as long as the store is open for writing."""

    def __init__(self, folder: Path):
        self.path = folder / "writer.lock"
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise StoreInUse naming the holder's process id."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise StoreInUse(f"the event store {self.path.parent} is already in use by process {holder}; "
                             "open it read-only, or stop that process first") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        """Let go of the lock."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
