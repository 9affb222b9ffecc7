"""Posting alerts to webhook URLs on a thread of their own: a dead endpoint never blocks the engine."""

from __future__ import annotations

import json
import logging
import queue
import threading
import urllib.request

from surveil.engine.watch import Watch
from surveil.redact import mask_credentials

logger = logging.getLogger(__name__)


class WebhookSender:
    """A bounded queue of (url, payload); full means the alert is dropped from webhooks and counted."""

    def __init__(self, timeout_s: float = 5.0, capacity: int = 200, watch: Watch | None = None):
        self.timeout_s, self._watch = timeout_s, watch
        self._stopping = threading.Event()
        self._queue: queue.Queue = queue.Queue(capacity)
        self._thread: threading.Thread | None = None
        self.sent = self.failed = self.dropped = 0

    def start(self) -> None:
        """Start the sender thread."""
        body = self._watch.target("webhooks", self._run, self._stopping.is_set) if self._watch else self._run
        self._thread = threading.Thread(target=body, name="webhooks", daemon=True)
        self._thread.start()

    def send(self, url: str, payload: dict) -> None:
        """Queue a post; never blocks."""
        try:
            self._queue.put_nowait((url, payload))
        except queue.Full:
            self.dropped += 1
            logger.warning("webhook queue full: alert to %s dropped", mask_credentials(url))

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after what is queued (each post bounded by the timeout)."""
        self._stopping.set()
        self._queue.put((None, None))
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            url, payload = self._queue.get()
            if url is None:
                return
            request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    response.read(1024)
                self.sent += 1
            except Exception as exc:
                self.failed += 1
                logger.warning("webhook %s failed: %s", mask_credentials(url), mask_credentials(str(exc)))
