"""Posting alerts to webhook URLs: one queue and one thread per URL, so a hanging endpoint delays no other.

Each post is tried up to ``tries`` times, waiting ``backoff_s`` and then twice as long before each
retry; a 4xx answer (other than 408 and 429) is not retried. An endpoint that starts failing is
logged once, and again once when it delivers again; every give-up is counted (``status()``).
A URL with ``user:password@`` in it is posted to without them, with HTTP basic auth instead.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

from surveil.engine.watch import Watch
from surveil.redact import mask_credentials

logger = logging.getLogger(__name__)

_RETRYABLE_4XX = {408, 429}


def prepared(url: str) -> tuple[str, dict[str, str]]:
    """The URL to post to and its headers: credentials in the URL become an Authorization header."""
    headers = {"Content-Type": "application/json", "User-Agent": "surveil"}
    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, headers
    user, password = urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or "")
    headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), headers


class _Endpoint:
    """One URL: its queue, its thread and its counters (written by its thread only, but ``dropped``)."""

    def __init__(self, sender: WebhookSender, url: str, number: int):
        self.sender, self.url, self.name = sender, url, mask_credentials(url)
        self.queue: queue.Queue = queue.Queue(sender.capacity)
        self.sent = self.failed = self.dropped = self.retried = 0
        self.failing = False
        stopping = sender.stopping.is_set
        body = sender.watch.target(f"webhooks {self.name}", self._run, stopping) if sender.watch else self._run
        self.thread = threading.Thread(target=body, name=f"webhooks-{number}", daemon=True)

    def _run(self) -> None:
        sender = self.sender
        while True:
            payload = self.queue.get()
            if payload is None:
                return
            if sender.stopping.is_set() and time.monotonic() >= sender.deadline:
                self.dropped += 1  # the stop's time is up: what is left is not posted
            else:
                self._deliver(json.dumps(payload).encode())
            if sender.stopping.is_set() and self.queue.empty():  # its end marker may not have fitted
                return

    def _deliver(self, data: bytes) -> None:
        sender, error = self.sender, ""
        for attempt in range(sender.tries):
            if attempt:
                if sender.stopping.wait(sender.backoff_s * 2 ** (attempt - 1)):
                    break  # stopping: no more retries
                self.retried += 1
            error, retry = self._post(data)
            if not error:
                self.sent += 1
                if self.failing:
                    self.failing = False
                    logger.info("webhook %s delivers again", self.name)
                return
            if not retry:
                break
        self.failed += 1
        if not self.failing:
            self.failing = True
            logger.warning("webhook %s failed: %s (further failures are counted, not logged)", self.name, error)

    def _post(self, data: bytes) -> tuple[str, bool]:
        """One try: the error ('' on success) and whether another try could help."""
        sender = self.sender
        timeout = sender.timeout_s
        if sender.stopping.is_set():
            timeout = max(0.1, min(timeout, sender.deadline - time.monotonic()))
        try:
            url, headers = prepared(self.url)
            request = urllib.request.Request(url, data, headers, method="POST")
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read(1024)
            return "", False
        except urllib.error.HTTPError as exc:
            return f"HTTP {exc.code}", exc.code >= 500 or exc.code in _RETRYABLE_4XX
        except ValueError as exc:  # a URL urllib cannot use: no retry helps
            return mask_credentials(str(exc)), False
        except (OSError, http.client.HTTPException) as exc:  # refused, unreachable, timed out, cut off
            return mask_credentials(str(getattr(exc, "reason", exc))), True


class WebhookSender:
    """Posts (url, payload) from a bounded queue per URL; a full queue drops the post and counts it."""

    def __init__(self, timeout_s: float = 5.0, capacity: int = 100, watch: Watch | None = None, tries: int = 4,
                 backoff_s: float = 1.0, max_endpoints: int = 64):
        self.timeout_s, self.capacity, self.watch = timeout_s, capacity, watch
        self.tries, self.backoff_s, self.max_endpoints = max(1, tries), backoff_s, max_endpoints
        self.stopping = threading.Event()
        self.deadline = float("inf")  # set by stop(): posts after it are dropped
        self._endpoints: dict[str, _Endpoint] = {}
        self._lock = threading.Lock()
        self._refused = 0  # posts to URLs beyond max_endpoints

    def start(self) -> None:
        """Nothing to start: each URL's thread starts with its first post."""

    def send(self, url: str, payload: dict) -> None:
        """Queue a post to ``url``; never blocks."""
        with self._lock:
            if self.stopping.is_set():
                self._refused += 1
                return
            endpoint = self._endpoints.get(url)
            if endpoint is None and len(self._endpoints) < self.max_endpoints:
                endpoint = self._endpoints[url] = _Endpoint(self, url, len(self._endpoints) + 1)
                endpoint.thread.start()
            if endpoint is None:
                self._refused += 1
                return
        try:
            endpoint.queue.put_nowait(payload)
        except queue.Full:
            endpoint.dropped += 1
            if endpoint.dropped % 100 == 1:  # the first drop, then every hundredth
                logger.warning("webhook queue of %s full: %d alert(s) dropped", endpoint.name, endpoint.dropped)

    def stop(self, timeout: float = 10.0) -> None:
        """Post what is queued, once each and no retries, until ``timeout``; join every thread by then."""
        with self._lock:
            self.deadline = time.monotonic() + timeout
            self.stopping.set()
            endpoints = list(self._endpoints.values())
        for endpoint in endpoints:
            try:
                endpoint.queue.put_nowait(None)
            except queue.Full:  # the thread ends when it has emptied its queue (dropping once time is up)
                pass
        for endpoint in endpoints:
            endpoint.thread.join(max(0.0, self.deadline - time.monotonic()) + 0.5)
            if endpoint.thread.is_alive():
                logger.warning("webhook %s still posting after %.0f s; left behind", endpoint.name, timeout)

    def status(self) -> dict:
        """Counts for the engine's health: totals, and per URL (credentials masked)."""
        with self._lock:
            endpoints = list(self._endpoints.values())
        per_url = {e.name: {"sent": e.sent, "failed": e.failed, "dropped": e.dropped, "retried": e.retried,
                            "queued": e.queue.qsize(), "failing": e.failing} for e in endpoints}
        totals = {key: sum(e[key] for e in per_url.values()) for key in ("sent", "failed", "dropped", "retried")}
        totals["dropped"] += self._refused
        return {**totals, "endpoints": per_url}
