"""Building and watching capture sources in tests, with every wait bounded."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from surveil.capture.camera import CameraSource
from surveil.capture.status import SourceState
from surveil.config import CameraConfig

FAST_RECONNECT = {"initial_delay_s": 0.1, "max_delay_s": 0.5, "jitter": 0.2}


def camera(source: str, **overrides) -> CameraConfig:
    reconnect = {**FAST_RECONNECT, **overrides.pop("reconnect", {})}
    fields = {"id": "cam", "source": source, "open_timeout_s": 2.0, "read_timeout_s": 2.0, **overrides}
    return CameraConfig(reconnect=reconnect, **fields)


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> float:
    """Poll ``predicate`` until true; fail naming ``what`` after ``timeout`` s. Returns seconds waited."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def final_status(source: CameraSource, timeout: float = 10.0):
    wait_for(lambda: source.status.state.final, timeout, f"{source!r} to finish")
    return source.status


def state_seen(history: list, state: SourceState) -> bool:
    return any(status.state is state for status in history)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))
