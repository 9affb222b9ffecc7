"""The one run-and-print loop of ``surveil run`` and ``surveil demo``: notices as lines, until told to stop.

Text lines for a person, or JSON lines (``--json``) for a program: one object per line, always
``{"time", "kind", "message", "camera", "event", "detail"}``, where ``event`` is the stored
event (``event_json``) for alert notices. Notices come from several engine threads; a lock
keeps each line whole.
"""

from __future__ import annotations

import datetime as dt
import json
import signal
import sys
import threading
import time
from typing import TextIO

from surveil.engine.alerts import EngineNotice
from surveil.store.records import event_json


class Printer:
    """Prints notices and status lines, whole, from any thread."""

    def __init__(self, out: TextIO, as_json: bool, zone: dt.tzinfo | None = None):
        self.out, self.as_json, self.zone = out, as_json, zone  # text lines show the time in the configured zone
        self._lock = threading.Lock()

    def notice(self, notice: EngineNotice) -> None:
        """One engine notice (a listener: called on engine threads)."""
        text = notice.message
        if notice.kind == "alert_started" and notice.record is not None:
            text = f"ALERT {notice.message} ({'; '.join(notice.record.reasons)})"
        self.say(notice.kind, text, notice.camera_id, notice.detail,
                 event_json(notice.record) if notice.record is not None else None)

    def say(self, kind: str, message: str, camera: str | None = None, detail: dict | None = None,
            event: dict | None = None) -> None:
        """One line."""
        if self.as_json:
            line = json.dumps({"time": round(time.time(), 3), "kind": kind, "message": message, "camera": camera,
                               "event": event, "detail": detail or {}}, default=str)
        else:
            line = f"{dt.datetime.now(self.zone).strftime('%H:%M:%S')} {kind:14} {message}"
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()


def monitor(engine, printer: Printer, stop: threading.Event, seconds: float | None = None,
            stats_every: float = 0.0, health_every: float = 0.0) -> None:
    """Print until ``stop`` is set or ``seconds`` pass; per-camera stats and whole health as asked."""
    start = time.monotonic()
    due = {"stats": start + stats_every if stats_every else None,
           "health": start + health_every if health_every else None}
    while not stop.wait(0.2):
        now = time.monotonic()
        if due["stats"] is not None and now >= due["stats"]:
            due["stats"] += stats_every
            _stats(engine, printer)
        if due["health"] is not None and now >= due["health"]:
            due["health"] += health_every
            printer.say("health", "engine health", detail=engine.health())
        if seconds is not None and now - start >= seconds:
            return


def _stats(engine, printer: Printer) -> None:
    snapshot = engine.snapshot()
    for camera_id, health in engine.health()["cameras"].items():
        objects = snapshot.objects_on(camera_id)
        sees = ", ".join(f"{n} {label}" for label, n in sorted(objects.items())) or "nothing"
        printer.say("stats", f"{camera_id}: {health['state']}, frame {health['frames_read']}, "
                    f"{health['fps_in']:.1f} fps in, {health['fps_analysed']:.1f} analysed, "
                    f"{health['dropped']} dropped; sees {sees}", camera_id, {**health, "objects": objects})


def run_engine(engine, printer: Printer, name: str, seconds: float | None = None, stats_every: float = 0.0,
               health_every: float = 0.0, farewell: str = "") -> int:
    """Start the engine, print what it reports until SIGINT, SIGTERM or ``seconds``, stop it cleanly."""
    from surveil.store.db import StoreError
    from surveil.vision.detector import DetectorError

    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
    engine.listeners.append(printer.notice)
    try:
        engine.start()
    except (StoreError, DetectorError) as exc:
        print(f"surveil {name}: {exc}", file=sys.stderr)
        return 1
    api = getattr(engine, "api", None)
    if api is not None:
        printer.say("api", f"local API at {api.url} (OpenAPI page {api.url}/docs){'; ' + api.note if api.note else ''}",
                    detail={"url": api.url})
    try:
        monitor(engine, printer, stop, seconds, stats_every, health_every)
    finally:
        engine.stop()
    printer.say("stopped", f"surveil {name}: stopped{'; ' + farewell if farewell else ''}")
    return 0
