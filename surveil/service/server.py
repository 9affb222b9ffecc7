"""Serving the local API from the engine's process: uvicorn on a thread of its own, started last, stopped first.

The socket is bound before the thread starts, so a port in use is known at once (the server then
takes a free port and says so; clients find it through ``service.json`` in the store folder).
"""

from __future__ import annotations

import asyncio
import logging
import socket
import threading

import uvicorn

from surveil.service import discovery
from surveil.service.api import make_app

logger = logging.getLogger(__name__)

STOP_WAIT_S = 60  # how long a stopping engine waits for an export or a verify it is serving


class ApiServer:
    """The engine's API: ``start()`` after the engine has started, ``stop()`` before it stops."""

    def __init__(self, engine, host: str, port: int, config_dir):
        self.engine, self.host, self.port, self.config_dir = engine, host, port, config_dir
        self.url: str | None = None
        self.note: str | None = None  # why the configured port was not used, if it was not
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._served = None

    def start(self) -> str:
        """Bind, start serving, publish the address in the store folder; returns the URL."""
        token = discovery.api_token(self.config_dir)
        served = self._served = make_app(self.engine, token)
        sock = self._bind()
        self.url = _url(self.host, sock.getsockname()[1])
        config = uvicorn.Config(served.app, log_level="warning", access_log=False, lifespan="off",
                                timeout_graceful_shutdown=2, ws="none")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, args=(sock,), name="api", daemon=True)
        self.engine.listeners.append(served.notices.notice)
        served.link.watch_frames(served.frames)
        self._thread.start()
        discovery.publish(self.engine.store.folder, self.url)
        logger.info("local API at %s (OpenAPI page: %s/docs)", self.url, self.url)
        return self.url

    def stop(self) -> None:
        """Stop serving and withdraw the address (idempotent); waits for requests still using the engine."""
        served, self._served = self._served, None
        if served is not None:
            if self.engine.store is not None:
                discovery.withdraw(self.engine.store.folder)
            if served.notices.notice in self.engine.listeners:
                self.engine.listeners.remove(served.notices.notice)
            served.link.close()
            served.notices.close()
            if not served.gate.close(STOP_WAIT_S):  # an export or a mark in progress: the store stays open for it
                logger.warning("requests still running %d s after the API was told to stop", STOP_WAIT_S)
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
            if self._thread.is_alive():
                logger.warning("the API thread did not stop within 10 s")
            self._thread = None

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            if self.port == 0:
                sock.close()
                raise
            self.note = f"port {self.port} on {self.host} is taken ({exc.strerror}); serving on a free port instead"
            logger.warning("%s", self.note)
            sock.bind((self.host, 0))
        sock.listen(64)
        sock.setblocking(False)
        return sock

    def _serve(self, sock: socket.socket) -> None:
        try:
            asyncio.run(self._server.serve(sockets=[sock]))
        except Exception:
            logger.exception("the local API stopped")
        finally:
            sock.close()


def _url(host: str, port: int) -> str:
    """The address clients use: a wildcard bind is reached on loopback; an IPv6 host goes in brackets."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
