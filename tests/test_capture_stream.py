"""Network sources against real peers on 127.0.0.1: an MJPEG camera that goes away and comes
back, one that hangs, a closed port, a name that does not resolve."""

import subprocess
import sys
import time

import pytest
from capture_helpers import camera, final_status, open_fds, state_seen, wait_for
from streams import MjpegServer, SilentServer

from surveil.capture.camera import CameraSource
from surveil.capture.status import SourceState


@pytest.fixture
def mjpeg():
    server = MjpegServer().start()
    yield server
    server.stop()


def _watch(source: CameraSource) -> list:
    history = []
    source.add_status_listener(history.append)
    return history


def test_mjpeg_stream_reconnects_after_the_camera_restarts(mjpeg):
    source = CameraSource(camera(mjpeg.url, analysis_fps=120))  # every frame: numbering is what is checked
    history = _watch(source)
    source.start()
    try:
        wait_for(lambda: source.frames_read >= 10, 10, "first frames")
        assert source.status.state is SourceState.LIVE
        mjpeg.stop()
        wait_for(lambda: source.status.state is SourceState.RECONNECTING, 5, "the drop to be noticed")
        frames_before = source.frames_read
        time.sleep(1.0)  # down for a while: several refused attempts
        assert source.frames_read == frames_before
        mjpeg.start()  # same port
        wait_for(lambda: source.frames_read >= frames_before + 10, 10, "frames after restart")
        read = source.frames_read
        assert source.status.state is SourceState.LIVE
        frame = source.mailbox.take(1)  # the newest: its number counts every frame read, before the drop too
        assert frame.seq >= read - 1 >= frames_before + 9, "sequence numbers continue across reconnects"
        assert mjpeg.connections == 2
        assert [s.state for s in history if s.state is not SourceState.RECONNECTING] == [
            SourceState.LIVE, SourceState.LIVE]
        retries = [s for s in history if s.state is SourceState.RECONNECTING]
        # Each retry is announced once, numbered on, with its delay capped by the backoff (0.5 s).
        assert [s.attempt for s in retries] == list(range(1, source.reconnects + 1)) and source.reconnects >= 2
        assert all(s.retry_at - s.since <= 0.5 for s in retries), [s.retry_at - s.since for s in retries]
        assert any("connection refused" in s.reason for s in retries)
    finally:
        assert source.stop() is True


def test_stream_that_never_returns_fails_after_the_attempt_limit(mjpeg):
    source = CameraSource(camera(mjpeg.url, reconnect={"max_attempts": 3}))
    source.start()
    wait_for(lambda: source.frames_read > 0, 10, "first frames")
    mjpeg.stop()
    status = final_status(source, timeout=15)
    assert status.state is SourceState.FAILED
    assert "gave up after 3 attempts" in status.reason


def test_camera_that_hangs_is_retried_and_stop_is_bounded():
    server = SilentServer()
    try:
        source = CameraSource(camera(f"http://127.0.0.1:{server.port}/video.mjpg", open_timeout_s=1, read_timeout_s=1))
        history = _watch(source)
        source.start()
        wait_for(lambda: source.reconnects >= 1, 10, "a timed-out attempt")
        assert state_seen(history, SourceState.CONNECTING)
        assert "did not open" in source.status.reason
        assert source.stop() is True, "the capture thread ended within its stop bound"
        assert source.status.state is SourceState.STOPPED
    finally:
        server.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("rtsp://admin:hunter2@127.0.0.1:1/stream", "connection refused by 127.0.0.1:1"),
        ("rtsp://admin:hunter2@no-such-host.invalid/stream", "does not resolve"),
        ("http://127.0.0.1:1/video.mjpg", "connection refused"),
        ("99", "no webcam at index 99"),
    ],
    ids=["closed-port", "unresolvable", "http-closed", "webcam-missing"],
)
def test_unreachable_sources_report_why_within_bounded_time(url, reason):
    source = CameraSource(camera(url, reconnect={"max_attempts": 2}))
    history = _watch(source)
    source.start()
    status = final_status(source, timeout=15)
    assert status.state is SourceState.FAILED and reason in status.reason
    assert "gave up after 2 attempts" in status.reason and source.reconnects == 2
    assert [s.state for s in history] == [SourceState.CONNECTING, SourceState.CONNECTING, SourceState.FAILED]
    for s in history:
        assert "hunter2" not in s.describe()
    assert "hunter2" not in repr(source)


def test_stream_sources_leak_no_sockets(mjpeg):
    baseline = open_fds()
    for _ in range(3):
        source = CameraSource(camera(mjpeg.url))
        source.start()
        wait_for(lambda source=source: source.frames_read > 3, 10, "frames")
        assert source.stop() is True
    # The server's end of each stream closes at its next write after ours went away.
    wait_for(lambda: open_fds() <= baseline, 10, "every socket to close")


def test_credentials_never_reach_stdout_stderr_or_the_log(surveil_home):
    url = "rtsp://admin:hunter2@127.0.0.1:1/stream?password=hunter2"
    done = subprocess.run([sys.executable, "-m", "surveil", "-v", "probe", "--timeout", "2", url],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "connection refused" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    assert "rtsp://***@127.0.0.1:1/stream?password=***" in done.stdout
