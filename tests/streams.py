"""Local network peers for capture tests, all on 127.0.0.1.

``MjpegServer`` serves multipart JPEG like an IP camera and can be stopped and
restarted on the same port. ``SilentServer`` accepts connections and never answers,
like a camera that hangs.
"""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
from videos import moving_square_frames

BOUNDARY = b"surveilframe"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        server: MjpegServer = self.server.owner  # type: ignore[attr-defined]
        server.connections += 1
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace; boundary={BOUNDARY.decode()}")
        self.end_headers()
        for image in moving_square_frames(10**9, step=server.step):
            if server.closing.is_set():
                return
            jpeg = cv2.imencode(".jpg", image)[1].tobytes()
            part = b"--%s\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n%s\r\n" % (BOUNDARY, len(jpeg), jpeg)
            try:
                self.wfile.write(part)
            except OSError:
                return
            time.sleep(1.0 / server.fps)

    def log_message(self, *args) -> None:
        pass


class MjpegServer:
    """An MJPEG-over-HTTP camera on 127.0.0.1 that a test can stop and start again."""

    def __init__(self, fps: float = 25.0, step: int = 3):
        self.fps, self.step = fps, step
        self.port = 0
        self.connections = 0
        self.closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> MjpegServer:
        self.closing.clear()
        ThreadingHTTPServer.allow_reuse_address = True
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.owner = self  # type: ignore[attr-defined]
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="mjpeg-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open stream, as a camera that reboots does."""
        self.closing.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(5)
            self._httpd = None


class SilentServer:
    """Accepts TCP connections and never sends a byte."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        self._sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
                self._conns.append(conn)
            except (TimeoutError, OSError):
                continue

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        for conn in self._conns:
            conn.close()
        self._sock.close()
