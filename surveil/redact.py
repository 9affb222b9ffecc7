"""Masking credentials in camera URLs, so that no log line, error, repr or screen shows them.

Cameras carry credentials in two places: the URL's user info
(``rtsp://admin:secret@host/``) and query parameters (``?user=admin&password=secret``,
common on Dahua and Hikvision). Both are masked; host, port and path stay visible
because an operator needs them to tell cameras apart.
"""

from __future__ import annotations

import re

MASK = "***"

# scheme://userinfo@ : userinfo is everything up to the last '@' before the path.
_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^/\s@]*@)+")
_SECRET_PARAM = re.compile(
    r"(?P<key>[?&;](?:user(?:name)?|login|pass(?:word|wd)?|pwd|token|auth|key|secret|sig"
    r"|signature|api_?key|access_token)=)(?P<value>[^&;#\s'\"]*)",
    re.IGNORECASE,
)


def mask_credentials(text: str) -> str:
    """Return ``text`` with every URL's user info and secret query values replaced by ``***``.

    Works on any string (a bare URL, a log message, an exception text), so it can
    be applied to whole log records as a last line of defence.
    """
    if "://" not in text and "=" not in text:
        return text
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    return _SECRET_PARAM.sub(lambda m: f"{m.group('key')}{MASK}", text)
