"""Host lookups for streams: bounded in time, and never more than one in flight per address."""

import socket
import threading

import pytest

from surveil.capture import opener
from surveil.capture.opener import SourceOpenError


def _resolvers(host: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == f"resolve-{host}"]


def test_retries_wait_on_the_hanging_lookup_instead_of_starting_more(monkeypatch):
    release, calls = threading.Event(), []

    def hanging(host, port, *args, **kwargs):
        calls.append(host)
        release.wait(10)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("192.0.2.7", port))]

    monkeypatch.setattr(opener.socket, "getaddrinfo", hanging)
    try:
        for _ in range(5):
            with pytest.raises(SourceOpenError, match="took longer than"):
                opener._resolve("cam.invalid", 554, 0.01)
        assert len(_resolvers("cam.invalid")) == 1 and calls == ["cam.invalid"]
    finally:
        release.set()
    for thread in _resolvers("cam.invalid"):
        thread.join(5)
    assert _resolvers("cam.invalid") == [] and opener._lookups == {}
    assert opener._resolve("cam.invalid", 554, 5.0) == ("192.0.2.7", 554)
    assert len(calls) == 2, "a finished lookup is not reused: the next attempt asks again"


def test_a_name_that_does_not_resolve_is_reported_and_forgotten(monkeypatch):
    def failing(host, port, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(opener.socket, "getaddrinfo", failing)
    with pytest.raises(SourceOpenError, match="does not resolve"):
        opener._resolve("nowhere.invalid", 80, 5.0)
    assert opener._lookups == {}
