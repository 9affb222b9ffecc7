import logging

import pytest

from surveil.logs import LOG_FILE_NAME, setup_logging
from surveil.redact import mask_credentials


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("rtsp://admin:hunter2@10.0.0.5:554/Streaming/Channels/101", "hunter2"),
        ("rtsp://admin:p@ss@cam.local/live", "ss@cam"),  # '@' inside a password
        ("http://viewer@cam.local/video.mjpg", "viewer"),
        ("rtsp://cam/cam/realmonitor?channel=1&user=admin&password=hunter2", "hunter2"),
        ("https://cam/snap.jpg?token=abc123&size=2", "abc123"),
        ("could not open rtsp://root:toor@cam:554/x after 3 tries", "toor"),
    ],
)
def test_secrets_are_masked(text, secret):
    masked = mask_credentials(text)
    assert secret not in masked
    assert mask_credentials(text) != text


def test_host_port_and_path_stay_visible():
    assert mask_credentials("rtsp://admin:x@10.0.0.5:554/ch1") == "rtsp://***@10.0.0.5:554/ch1"
    assert mask_credentials("http://cam/v?channel=1&password=x") == "http://cam/v?channel=1&password=***"


@pytest.mark.parametrize("text", ["/var/video/front door.mp4", "rtsp://10.0.0.5/ch1", "0", "a=b"])
def test_text_without_credentials_is_unchanged(text):
    assert mask_credentials(text) == text
    assert mask_credentials(text) == text


def test_log_file_never_holds_a_password(tmp_path):
    setup_logging(tmp_path, level=logging.DEBUG)
    log = logging.getLogger("surveil.test")
    log.warning("opening %s", "rtsp://admin:hunter2@cam/x")
    try:
        raise OSError("refused: rtsp://admin:hunter2@cam/x")
    except OSError:
        log.exception("camera failed")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = (tmp_path / LOG_FILE_NAME).read_text()
    assert "rtsp://***@cam/x" in text
    assert "refused" in text
    assert "hunter2" not in text


def test_warnings_go_to_the_stderr_of_the_moment_not_the_one_at_set_up(monkeypatch):
    import io
    import sys

    setup_logging(None)
    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    logging.getLogger("surveil.test").warning("one")
    first.close()  # a test's capture, a console that went away: a thread's next record must not fail on it
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)
    logging.getLogger("surveil.test").warning("two: %s", "https://cam/snap.jpg?token=abc123")
    assert "two" in second.getvalue() and "abc123" not in second.getvalue(), "masked, on the stream in place now"
