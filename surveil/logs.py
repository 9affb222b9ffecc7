"""Logging set-up: a rotating file in the log folder, stderr, and credential masking on both."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

from surveil.redact import mask_credentials

LOG_FILE_NAME = "surveil.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the moment of the record, as logging's own last resort does.

    A handler bound to the stream of its set-up outlives a replaced stderr (a test's capture, a
    redirected console) and would then fail on every record from a long-lived thread.
    """

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


class CredentialMaskingFilter(logging.Filter):
    """Rewrites each record's final message with credentials masked.

    Callers should already log masked sources; this filter catches what slips
    through (an exception text from a library that echoes the URL).
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; never drops it."""
        message = record.getMessage()
        masked = mask_credentials(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_credentials(record.exc_text)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def setup_logging(log_dir: Path | None, level: int = logging.INFO, stderr_level: int = logging.WARNING) -> None:
    """Send records to ``log_dir/surveil.log`` (rotated, 5 × 5 MB) and warnings to stderr."""
    root = logging.getLogger()
    root.setLevel(min(level, stderr_level))
    for handler in list(root.handlers):
        if getattr(handler, "_surveil", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [_CurrentStderr()]
    handlers[0].setLevel(stderr_level)
    if log_dir is not None:
        log_dir.mkdir(parents=True, exist_ok=True)
        file_handler = logging.handlers.RotatingFileHandler(
            log_dir / LOG_FILE_NAME, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
        )
        file_handler.setLevel(level)
        handlers.append(file_handler)
    for handler in handlers:
        handler._surveil = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(CredentialMaskingFilter())
        root.addHandler(handler)
