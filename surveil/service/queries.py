"""What clients ask of a store, answered the same way in the engine's API and by the CLI on its own.

Each function takes an open ``EventStore`` (the engine's, or one the CLI opened because no
engine runs) and returns plain records or JSON-ready dicts, so ``surveil events`` prints the
same lines whichever path answered it.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict
from pathlib import Path

from surveil.store.query import EventFilter
from surveil.store.records import event_json

logger = logging.getLogger(__name__)


class QueryError(ValueError):
    """A request that cannot be answered (unknown id, no embedding, CLIP missing): one line for the user."""


def event_row(record, state) -> dict:
    """An event with its operator state, as ``events --json`` and the API give it."""
    return {**event_json(record), "state": asdict(state)}


def filter_from(data: dict) -> EventFilter:
    """An EventFilter from the API's or the CLI's fields; QueryError for a bad state."""
    try:
        return EventFilter(data.get("since"), data.get("until"), list(data.get("cameras") or []),
                           list(data.get("rules") or []), list(data.get("labels") or []),
                           list(data.get("severities") or []), list(data.get("states") or []))
    except ValueError as exc:
        raise QueryError(str(exc)) from None


def filter_dict(flt: EventFilter) -> dict:
    """The other way: what a client sends."""
    return asdict(flt)


def search_objects(store, encoder, flt: EventFilter, text: str | None = None, like_event: str | None = None,
                   like_object: str | None = None, k: int = 50) -> list:
    """Stored objects nearest to a text (CLIP), an event's object or an object; best first.

    The index is this process's, kept up to date with the store (``surveil.store.search_cache``).
    """
    from surveil.service.link import SearchHit
    from surveil.store.search import SearchFilter
    from surveil.store.search_cache import search_index

    query, space = _query_vector(store, encoder, text, like_event, like_object)
    index = search_index(store, space, len(query))
    hits = index.search(query, k, SearchFilter(flt.since, flt.until, flt.cameras, flt.labels))
    found = []
    for object_id, score in hits:
        obj = store.get_object(object_id)
        if obj is None:  # purged between catching up and here
            continue
        event = store.get_event(obj.event_ids[0]) if obj.event_ids else None
        found.append(SearchHit(object_id, float(score), obj, event))
    return found


def _query_vector(store, encoder, text, like_event, like_object):
    if sum(x is not None for x in (text, like_event, like_object)) != 1:
        raise QueryError("give words, an event or an object to search for")
    if text is not None:
        if encoder is None:
            raise QueryError("text search needs CLIP, which is unavailable; searching by a similar object works "
                             "without it")
        from surveil.store.search import text_query

        return text_query(encoder, text), None
    kind, record_id = ("e", like_event) if like_event is not None else ("o", like_object)
    what = "event" if kind == "e" else "object"
    if (store.get_event(record_id) if kind == "e" else store.get_object(record_id)) is None:
        raise QueryError(f"no {what} '{record_id}' in the store")
    vector = store.embedding(kind, record_id)
    if vector is not None:  # CLIP's space where the object has it: it knows what things are, not just how they look
        return vector, None
    tagged = store.appearance(kind, record_id)
    if tagged is None:
        raise QueryError(f"{what} {record_id} was stored with no embedding and no appearance vector: nothing to "
                         "compare it with")
    return tagged[1], tagged[0]


def hit_json(hit, zone: dt.tzinfo | None = None) -> dict:
    """A search hit as ``search --json`` and the API give it."""
    obj = hit.obj
    return {"object_id": hit.object_id, "score": round(hit.score, 4), "camera": obj.camera_id, "label": obj.label,
            "start": obj.start, "events": obj.event_ids}


def export_package(store, config, dest: Path, event_ids: list[str] | None, flt: EventFilter | None = None,
                   ranges: list | None = None, progress=None):
    """Export incidents (and recorded ranges) to a new folder or zip; QueryError for what the user can fix."""
    from surveil.media.export import export_incidents
    from surveil.service.link import ExportDone
    from surveil.store.query import iter_events

    if ranges and not event_ids and (flt is None or flt == EventFilter()):
        # A recorded range comes with the events in it, never with the whole store's.
        flt = EventFilter(min(r.start for r in ranges), max(r.end for r in ranges),
                          sorted({r.camera_id for r in ranges}))
    if not event_ids and not ranges and next(iter_events(store, flt or EventFilter()), None) is None:
        raise QueryError("no events match these filters: nothing exported")
    try:
        result = export_incidents(store, Path(dest), event_ids or None, flt, config.zone(), progress, ranges)
    except (FileExistsError, KeyError, OSError) as exc:
        raise QueryError(exc.args[0] if isinstance(exc, KeyError) else str(exc)) from None
    return ExportDone(Path(result.path), list(result.events), result.files, result.manifest_sha256,
                      list(result.warnings), result.fingerprint)


def export_json(done) -> dict:
    """An export's result as the API gives it."""
    return {"path": str(done.path), "events": done.events, "files": done.files,
            "manifest_sha256": done.manifest_sha256, "warnings": done.warnings, "fingerprint": done.fingerprint}


def backtest_rule(store, encoder, rule, progress=None, config=None):
    """Run a rule over the stored objects; ``progress(done, 0)`` every 200 objects (it may raise to cancel)."""
    from surveil.rules.backtest import backtest, objects_from_store
    from surveil.rules.words import compile_prompts

    def reporting(objects):
        for i, obj in enumerate(objects, 1):
            if progress is not None and i % 200 == 0:
                progress(i, 0)
            yield obj

    colours = bool(compile_prompts(rule.prompts).colours)  # only a rule with colour words needs the crops read
    return backtest(rule, reporting(objects_from_store(store, crops=colours)), encoder,
                    config.zone() if config else None, night=config.night if config else None)


def mark_in_store(store, event_id: str, verdict=None, acknowledged=None, note=None, locked=None) -> dict:
    """Triage when no engine runs: stored and audited the same way (the engine relearns verdicts at start)."""
    from surveil.engine.changes import ChangeRefused
    from surveil.engine.verdicts import record_verdict

    try:
        marked = record_verdict(store, event_id, verdict, acknowledged, note, locked)
    except ChangeRefused as exc:
        raise QueryError(str(exc)) from None
    return {"event_id": event_id, "changes": marked.changes, "message": f"event {event_id}: {marked.describe()}"}
