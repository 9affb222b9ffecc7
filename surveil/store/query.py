"""Listing events: filters, newest first, paging, and counts per hour for a timeline."""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice

from surveil.store.layout import ms_key, record_ms
from surveil.store.records import EventRecord, OperatorState
from surveil.store.store import EventStore

STATES = ("new", "acknowledged", "false_alarm", "correct", "locked")


@dataclass
class EventFilter:
    """Every filter is optional; lists mean 'any of'. Times are Unix seconds."""

    since: float | None = None
    until: float | None = None
    cameras: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    severities: list[str] = field(default_factory=list)
    states: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = [s for s in self.states if s not in STATES]
        if unknown:
            raise ValueError(f"unknown state {unknown[0]!r}; use one of {', '.join(STATES)}")


def matches_state(state: OperatorState, wanted: list[str]) -> bool:
    """Whether the operator state is one of the wanted ones."""
    if not wanted:
        return True
    have = {"acknowledged": state.acknowledged, "locked": state.locked, "false_alarm": state.verdict == "false_alarm",
            "correct": state.verdict == "correct", "new": not state.acknowledged and state.verdict is None}
    return any(have[w] for w in wanted)


def list_events(store: EventStore, flt: EventFilter, limit: int = 50,
                before: str | None = None) -> tuple[list[tuple[EventRecord, OperatorState]], str | None]:
    """A page of matching events, newest first, and the cursor for the next page (None at the end)."""
    page = list(islice(iter_events(store, flt, before), limit + 1))  # one more says whether a next page exists
    if len(page) > limit:
        return page[:limit], page[limit - 1][0].event_id
    return page, None


def iter_events(store: EventStore, flt: EventFilter,
                before: str | None = None) -> Iterator[tuple[EventRecord, OperatorState]]:
    """Every matching event with its operator state, newest first, older than the ``before`` id if given."""
    for record in _candidates(store, flt, before):
        if not _matches(record, flt):
            continue
        state = store.get_state(record.event_id)
        if matches_state(state, flt.states):
            yield record, state


def counts_per_hour(store: EventStore, flt: EventFilter) -> dict[int, int]:
    """Events per hour (keys: Unix time of the hour's start), for the timeline."""
    counts: dict[int, int] = {}
    for record, _ in iter_events(store, flt):
        hour = int(record.start // 3600 * 3600)
        counts[hour] = counts.get(hour, 0) + 1
    return counts


def _matches(record: EventRecord, flt: EventFilter) -> bool:
    checks = ((flt.cameras, record.camera_id), (flt.rules, record.rule), (flt.labels, record.label),
              (flt.severities, record.severity))
    in_time = (flt.since is None or record.start >= flt.since) and (flt.until is None or record.start < flt.until)
    return in_time and all(not wanted or value in wanted for wanted, value in checks)


def _candidates(store: EventStore, flt: EventFilter, before: str | None) -> Iterator[EventRecord]:
    """Events newest first from the most specific index that applies, bounded by the time range."""
    upper = _upper(flt, before)
    lower = ms_key(int(flt.since * 1000)) if flt.since is not None else ""
    for field_name, values in (("camera_id", flt.cameras), ("rule", flt.rules), ("label", flt.labels),
                               ("severity", flt.severities)):
        if values:
            streams = [store.index_ids("e", field_name, v, lower, upper, reverse=True) for v in values]
            records = map(store.get_event, _dedupe(heapq.merge(*streams, reverse=True)))
            return (r for r in records if r is not None)  # purged between the index read and this one
    return store.events(lower, upper, reverse=True)


def _upper(flt: EventFilter, before: str | None) -> str | None:
    until = ms_key(int(flt.until * 1000)) if flt.until is not None else None
    return min((b for b in (until, before) if b), default=None)


def _dedupe(ids: Iterator[str]) -> Iterator[str]:
    last = None
    for record_id in ids:
        if record_id != last:
            yield record_id
        last = record_id


__all__ = ["EventFilter", "counts_per_hour", "iter_events", "list_events", "record_ms"]
