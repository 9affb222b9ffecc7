"""``surveil events``, ``surveil search`` and ``surveil verify``: the event store from the command line."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import asdict
from pathlib import Path

from surveil.config import load_or_default
from surveil.paths import app_paths
from surveil.store.paths import store_folder
from surveil.store.records import event_json


def register(sub) -> None:
    """Add ``events``, ``search`` and ``verify``."""
    events = sub.add_parser("events", help="list stored events, newest first, with filters")
    _filters(events)
    events.add_argument("--state", action="append", default=[], help="new, acknowledged, false_alarm, correct, locked")
    events.add_argument("--rule", action="append", default=[], help="rule name (repeat for several)")
    events.add_argument("--severity", action="append", default=[])
    events.add_argument("--limit", type=int, default=50)
    events.add_argument("--before", help="paging cursor printed at the end of the previous page")
    events.add_argument("--per-hour", action="store_true", help="counts per hour instead of a list")
    events.set_defaults(run=_events)
    search = sub.add_parser("search", help="search stored objects by text (CLIP) or by a similar object")
    search.add_argument("text", nargs="?", help="what to look for, in plain words")
    search.add_argument("--similar", metavar="OBJECT_ID", help="find objects that look like this one")
    search.add_argument("-k", type=int, default=20, help="how many results")
    _filters(search)
    search.set_defaults(run=_search)
    verify = sub.add_parser("verify", help="check the store (audit chain, records, clips) or an export package")
    verify.add_argument("export", nargs="?", type=Path, help="an export folder or zip to check instead of the store")
    verify.add_argument("--config", type=Path)
    verify.add_argument("--store", type=Path, help="store folder (default: from the config)")
    verify.set_defaults(run=_verify)


def _filters(parser) -> None:
    parser.add_argument("--config", type=Path)
    parser.add_argument("--store", type=Path, help="store folder (default: from the config)")
    parser.add_argument("--since", type=_when, help="ISO time or date (UTC unless it says otherwise)")
    parser.add_argument("--until", type=_when)
    parser.add_argument("--camera", action="append", default=[])
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("--json", action="store_true")


def _when(text: str) -> float:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO time or date, e.g. 2026-11-02T14:00:00Z") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _open(args, read_only: bool = True):
    from surveil.store.store import EventStore

    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    folder = args.store or store_folder(config, paths)
    return EventStore(folder, read_only=read_only), config


def _events(args) -> int:
    from surveil.store.query import EventFilter, counts_per_hour, list_events

    try:
        flt = EventFilter(args.since, args.until, args.camera, args.rule, args.label, args.severity, args.state)
    except ValueError as exc:
        print(f"surveil events: {exc}", file=sys.stderr)
        return 1
    store, _ = _open(args)
    with store:
        if args.per_hour:
            for hour, count in sorted(counts_per_hour(store, flt).items()):
                print(f"{_iso(hour)}  {count}")
            return 0
        page, cursor = list_events(store, flt, args.limit, args.before)
    for record, state in page:
        if args.json:
            print(json.dumps({**event_json(record), "state": asdict(state)}))
        else:
            status = "locked " if state.locked else ""
            status += state.verdict or ("acknowledged" if state.acknowledged else "new")
            print(f"{_iso(record.start)}  {record.event_id}  {record.camera_id:10} {record.severity:8} "
                  f"{record.rule}: {record.label} #{record.track_id}  [{status}]")
    if cursor and not args.json:
        print(f"more: --before {cursor}")
    return 0


def _search(args) -> int:
    from surveil.store.search import EmbeddingIndex, SearchFilter

    if bool(args.text) == bool(args.similar):
        print("surveil search: give TEXT or --similar OBJECT_ID", file=sys.stderr)
        return 2
    store, config = _open(args)
    with store:
        query = _query_vector(args, store, config)
        if query is None:
            return 1
        hits = EmbeddingIndex.load(store).search(query, args.k, SearchFilter(args.since, args.until,
                                                                              args.camera, args.label))
        for object_id, score in hits:
            obj = store.get_object(object_id)
            line = {"object_id": object_id, "score": round(score, 4), "camera": obj.camera_id, "label": obj.label,
                    "start": _iso(obj.start), "events": obj.event_ids}
            print(json.dumps(line) if args.json else
                  f"{score:.3f}  {_iso(obj.start)}  {object_id}  {obj.camera_id:10} {obj.label}  {obj.event_ids or ''}")
    return 0


def _query_vector(args, store, config):
    if args.similar:
        vector = store.embedding("o", args.similar)
        if vector is None:
            print(f"surveil search: no stored embedding for object {args.similar}", file=sys.stderr)
        return vector
    from surveil.store.search import text_query
    from surveil.vision.clip import load_encoder_or_reason

    encoder, reason = load_encoder_or_reason(config.models.clip, app_paths().model_cache_dir)
    if encoder is None:
        print(f"surveil search: text search needs CLIP, which is unavailable: {reason}. "
              "--similar OBJECT_ID works without it.", file=sys.stderr)
        return None
    return text_query(encoder, args.text)


def _verify(args) -> int:
    from surveil.store.verify import verify_store

    if args.export is not None:
        return _verify_export(args.export)
    store, _ = _open(args)
    with store:
        report = verify_store(store)
    print(f"{store.folder}: {report.entries} audit entries, {report.records} records, {report.clips} clips, "
          f"{report.segments} recording segments checked")
    return _verdict(report.problems, "the chain is whole and every record, clip and recording matches")


def _iso(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat(timespec="seconds")


def _verify_export(path: Path) -> int:
    from surveil.media.export import verify_export

    if not path.exists():
        print(f"surveil verify: {path} does not exist", file=sys.stderr)
        return 1
    check = verify_export(path)
    print(f"{path}: {check.files} files in the manifest (manifest sha256 {check.manifest_sha256})")
    return _verdict(check.problems, "every file matches the manifest and nothing was added")


def _verdict(problems: list[str], praise: str) -> int:
    """Print the first broken link (and the rest), or the all-clear; the exit code."""
    if not problems:
        print(f"verified: {praise}")
        return 0
    print(f"BROKEN: {problems[0]}")
    for problem in problems[1:]:
        print(f"also: {problem}")
    return 1
