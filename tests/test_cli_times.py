import argparse
import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from surveil.cli.times import format_time, parse_when, positive_seconds, resolve_when, short_time, when_text

PARIS = ZoneInfo("Europe/Paris")
# Monday 26 October 2026, 10:00 in Paris: summer time ended the day before (03:00 CEST -> 02:00 CET),
# so Sunday the 25th lasted 25 hours.
NOW = dt.datetime(2026, 10, 26, 10, 0, tzinfo=PARIS).timestamp()


def utc(text: str) -> float:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC).timestamp()


@pytest.mark.parametrize(("text", "expected"), [
    ("now", utc("2026-10-26T09:00")),
    ("today", utc("2026-10-25T23:00")),  # midnight CET (+01:00)
    ("yesterday", utc("2026-10-24T22:00")),  # midnight CEST (+02:00): 25 hours before today
    ("Yesterday", utc("2026-10-24T22:00")),
    ("90s", utc("2026-10-26T08:58:30")),
    ("30m", utc("2026-10-26T08:30")),
    ("2h", utc("2026-10-26T07:00")),
    ("1d", utc("2026-10-25T09:00")),  # an age is counted in seconds: 24 h, across the change
    ("3d ago", utc("2026-10-23T09:00")),
    ("1w", utc("2026-10-19T09:00")),
    ("1.5h", utc("2026-10-26T07:30")),
    ("2026-10-25", utc("2026-10-24T22:00")),  # a date is midnight in the zone
    ("2026-10-26", utc("2026-10-25T23:00")),
    ("2026-10-24T12:00", utc("2026-10-24T10:00")),  # summer time
    ("2026-10-26T12:00:30", utc("2026-10-26T11:00:30")),  # winter time
    ("2026-10-25T02:30", utc("2026-10-25T00:30")),  # happens twice: the earlier one (+02:00)
    ("2026-03-29T02:30", utc("2026-03-29T01:30")),  # skipped by the change: the offset from before (+01:00)
    ("2026-10-24T12:00Z", utc("2026-10-24T12:00")),
    ("2026-10-24T12:00:00+05:00", utc("2026-10-24T07:00")),
])
def test_parse_when_in_paris_across_the_autumn_change(text, expected):
    assert parse_when(text, PARIS, NOW) == expected


def test_today_and_yesterday_follow_the_zone_not_utc():
    late = dt.datetime(2026, 10, 26, 0, 30, tzinfo=PARIS).timestamp()  # still the 25th in UTC
    assert parse_when("today", PARIS, late) == utc("2026-10-25T23:00")
    assert parse_when("today", dt.UTC, late) == utc("2026-10-25T00:00")
    tokyo = ZoneInfo("Asia/Tokyo")
    assert parse_when("2026-10-25", tokyo) == utc("2026-10-24T15:00")


@pytest.mark.parametrize("text", ["soon", "", "2h later", "-", "26/10/2026", "3 fortnights", "2026-13-01"])
def test_a_bad_time_is_one_line_naming_it_with_examples(text):
    with pytest.raises(ValueError) as caught:
        parse_when(text, PARIS, NOW)
    message = str(caught.value)
    assert f"invalid time {text!r}" in message and "yesterday" in message and "2026-11-02" in message
    assert "\n" not in message


@pytest.fixture
def paris_system_zone(monkeypatch):
    monkeypatch.setenv("TZ", "Europe/Paris")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_no_zone_means_the_system_zone(paris_system_zone):
    assert parse_when("yesterday", None, NOW) == utc("2026-10-24T22:00")
    assert parse_when("2026-10-24T12:00", None, NOW) == utc("2026-10-24T10:00")
    assert format_time(NOW, None) == "2026-10-26T10:00:00+01:00"


def test_argparse_keeps_the_text_and_refuses_nonsense_in_one_line(capsys):
    parser = argparse.ArgumentParser(prog="surveil events")
    parser.add_argument("--since", type=when_text)
    assert parser.parse_args(["--since", "yesterday"]).since == "yesterday"
    with pytest.raises(SystemExit) as exited:
        parser.parse_args(["--since", "soon"])
    assert exited.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error.startswith("surveil events: error: argument --since: invalid time 'soon'")


def test_resolve_when_takes_the_zone_once_the_config_is_loaded():
    assert resolve_when(None, PARIS, NOW) is None
    assert resolve_when("today", PARIS, NOW) == utc("2026-10-25T23:00")


def test_format_time_prints_the_offset_of_that_moment():
    assert format_time(utc("2026-10-24T10:00"), PARIS) == "2026-10-24T12:00:00+02:00"
    assert format_time(utc("2026-10-26T11:00:30.7"), PARIS) == "2026-10-26T12:00:30+01:00"
    assert format_time(utc("2026-10-26T11:00"), dt.UTC) == "2026-10-26T11:00:00+00:00"
    assert short_time(utc("2026-10-24T10:00"), PARIS) == "2026-10-24 12:00:00"


def test_what_is_printed_reads_back_as_the_same_moment():
    for seconds in (utc("2026-10-25T00:30"), utc("2026-10-25T01:30"), utc("2026-03-29T01:30")):
        assert parse_when(format_time(seconds, PARIS), PARIS) == seconds


def test_a_duration_is_a_number_of_seconds_above_zero():
    assert positive_seconds("2.5") == 2.5
    for text in ("0", "-1", "soon", "nan"):
        with pytest.raises(argparse.ArgumentTypeError, match=f"{text!r} is not a number of seconds above 0"):
            positive_seconds(text)
