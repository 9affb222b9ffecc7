"""Times on the command line: what an operator types (``yesterday``, ``2h``, ``2026-11-02``) and what we print.

Everything is read and written in the configured zone (``config.zone()``; None is the system's).
Argparse runs before the config is loaded, so a time argument is kept as text: ``when_text``
checks its syntax while parsing (a typo gets argparse's one-line error) and ``resolve_when``
turns it into epoch seconds once the zone is known::

    parser.add_argument("--since", type=when_text, help=WHEN_HELP)
    ...
    since = resolve_when(args.since, config.zone())

A local time that a daylight-saving change makes ambiguous is read as the earlier of the two; one
that the change skips is read with the offset from before the change (Python's ``fold=0``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import time

WHEN_EXAMPLES = ("now, today, yesterday, an age like 90s, 30m, 2h, 3d or 1w, a date like 2026-11-02, "
                 "or an ISO time like 2026-11-02T14:00 or 2026-11-02T14:00:00+01:00")
WHEN_HELP = f"{WHEN_EXAMPLES} (in the configured time zone unless it gives an offset)"

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_AGE = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])(?:\s+ago)?", re.IGNORECASE)


def parse_when(text: str, zone: dt.tzinfo | None, now: float | None = None) -> float:
    """Epoch seconds for ``text``; dates and times without an offset are taken in ``zone``.

    ``today`` and ``yesterday`` are midnight in ``zone``; an age (``2h``, ``3d``) is that long
    before ``now``, counted in seconds (a day is 24 h, even across a daylight-saving change).
    ValueError names the text and gives examples.
    """
    now = time.time() if now is None else now
    word = text.strip().lower()
    if word == "now":
        return now
    if word in ("today", "yesterday"):
        day = dt.datetime.fromtimestamp(now, zone).date() - dt.timedelta(days=word == "yesterday")
        return _local_seconds(dt.datetime.combine(day, dt.time()), zone)
    age = _AGE.fullmatch(word)
    if age:
        return now - float(age[1]) * _UNITS[age[2].lower()]
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"invalid time {text!r}: use {WHEN_EXAMPLES}") from None
    return moment.timestamp() if moment.tzinfo is not None else _local_seconds(moment, zone)


def _local_seconds(naive: dt.datetime, zone: dt.tzinfo | None) -> float:
    """A wall-clock time in ``zone`` (None: the system's, which a naive ``timestamp()`` uses)."""
    return (naive if zone is None else naive.replace(tzinfo=zone)).timestamp()


def when_text(text: str) -> str:
    """Argparse ``type=``: the text itself, once it is known to parse (zone and ``now`` do not change that)."""
    try:
        parse_when(text, None)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def positive_seconds(text: str) -> float:
    """Argparse ``type=`` for a duration: a number of seconds above 0, or argparse's one-line error."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def resolve_when(text: str | None, zone: dt.tzinfo | None, now: float | None = None) -> float | None:
    """A ``when_text`` argument in epoch seconds, once the config's zone is known; None stays None."""
    return None if text is None else parse_when(text, zone, now)


def local_time(seconds: float, zone: dt.tzinfo | None) -> dt.datetime:
    """An aware datetime in ``zone`` (None: the system's zone, with its offset)."""
    moment = dt.datetime.fromtimestamp(seconds, zone)
    return moment if zone is not None else moment.astimezone()


def format_time(seconds: float, zone: dt.tzinfo | None) -> str:
    """ISO 8601 to the second with the zone's offset then, e.g. ``2026-11-02T14:00:00+01:00``."""
    return local_time(seconds, zone).isoformat(timespec="seconds")


def short_time(seconds: float, zone: dt.tzinfo | None) -> str:
    """For tables: ``2026-11-02 14:00:00`` in ``zone``, without the offset."""
    return local_time(seconds, zone).strftime("%Y-%m-%d %H:%M:%S")
