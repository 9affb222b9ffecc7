"""Webhooks: one thread per URL (a hanging endpoint delays no other), retries with backoff, basic auth, bounded stop."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from surveil.engine.webhooks import WebhookSender


class Endpoint:
    """A local HTTP endpoint on a thread; ``answer(n)`` gives the status of the n-th post (0-based)."""

    def __init__(self, answer=lambda n: 204, hang_s: float = 0.0):
        self.posts: list[dict] = []  # body, headers, path, time of each post
        self.release = threading.Event()  # ends a hang early, so the test's teardown is quick
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                number = len(endpoint.posts)
                endpoint.posts.append({"body": body, "headers": dict(self.headers), "path": self.path,
                                       "at": time.monotonic()})
                if hang_s:
                    endpoint.release.wait(hang_s)
                self.send_response(answer(number))
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints():
    made: list[Endpoint] = []

    def make(**kwargs) -> Endpoint:
        made.append(Endpoint(**kwargs))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.close()


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_hanging_endpoint_delays_no_other_and_stop_is_bounded(endpoints):
    hanging, good = endpoints(hang_s=30), endpoints()
    sender = WebhookSender(timeout_s=2, capacity=2, backoff_s=0.05)
    sender.start()
    for i in range(5):
        sender.send(hanging.url, {"n": i})
    assert wait_for(lambda: len(hanging.posts) == 1, 2), "the hanging endpoint got its first post"
    sent_at = time.monotonic()
    sender.send(good.url, {"n": "good"})
    assert wait_for(lambda: len(good.posts) == 1, 1.0), "the good endpoint waited for the hanging one"
    assert good.posts[0]["at"] - sent_at < 1.0 and good.posts[0]["body"] == {"n": "good"}
    assert sender.status()["endpoints"][hanging.url]["dropped"] >= 2  # capacity 2: one in flight, two queued
    started = time.monotonic()
    sender.stop(timeout=0.5)
    assert time.monotonic() - started < 1.5, "stop waited for the hanging endpoint"
    status = sender.status()
    assert status["sent"] == 1 and status["endpoints"][good.url]["sent"] == 1
    # The post in flight ends by its own timeout; nothing is retried or posted after the stop's time.
    assert wait_for(lambda: not any(t.name.startswith("webhooks") and t.is_alive() for t in threading.enumerate()),
                    3), "a webhook thread outlived its post's timeout"
    assert len(hanging.posts) == 1


def test_a_failing_endpoint_is_retried_with_backoff_until_delivered(endpoints):
    flaky = endpoints(answer=lambda n: 500 if n < 2 else 200)
    sender = WebhookSender(timeout_s=2, backoff_s=0.1, tries=4)
    sender.start()
    sender.send(flaky.url, {"event_id": "e1"})
    assert wait_for(lambda: sender.status()["sent"] == 1, 3)
    sender.stop()
    assert [p["body"] for p in flaky.posts] == [{"event_id": "e1"}] * 3
    gaps = [b["at"] - a["at"] for a, b in zip(flaky.posts, flaky.posts[1:], strict=False)]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19, f"backoff doubles: {gaps}"
    status = sender.status()
    assert (status["sent"], status["failed"], status["retried"]) == (1, 0, 2)


def test_tries_are_bounded_and_a_client_error_is_not_retried(endpoints, caplog):
    down, missing = endpoints(answer=lambda n: 503), endpoints(answer=lambda n: 404)
    sender = WebhookSender(timeout_s=2, backoff_s=0.02, tries=3)
    sender.start()
    secret = down.url.replace("http://", "http://admin:s3cret@")
    with caplog.at_level(logging.INFO, logger="surveil.engine.webhooks"):
        for i in range(3):
            sender.send(secret, {"n": i})
        sender.send(missing.url, {"n": 0})
        assert wait_for(lambda: sender.status()["failed"] == 4, 3), sender.status()
    sender.stop()
    assert len(down.posts) == 9 and len(missing.posts) == 1  # 3 alerts × 3 tries; a 404 once
    assert "s3cret" not in caplog.text and "admin" not in caplog.text
    failures = [r for r in caplog.records if "failed" in r.getMessage()]
    assert len(failures) == 2, "one line per failing endpoint, not per alert or retry"


def test_credentials_in_the_url_become_basic_auth(endpoints):
    hook = endpoints()
    url = hook.url.replace("http://", "http://user:pa%40ss@")
    sender = WebhookSender(timeout_s=2)
    sender.start()
    sender.send(url, {"event_id": "e1"})
    assert wait_for(lambda: len(hook.posts) == 1, 2), sender.status()
    sender.stop()
    headers = hook.posts[0]["headers"]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"user:pa@ss").decode()
    assert hook.posts[0]["path"] == "/hook" and headers["Content-Type"] == "application/json"
    assert all("pa%40ss" not in name for name in sender.status()["endpoints"])
