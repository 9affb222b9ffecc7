"""``surveil events``, ``surveil search`` and ``surveil verify``: the event store from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from surveil.cli.times import WHEN_HELP, format_time, resolve_when, when_text
from surveil.config import load_or_default
from surveil.paths import app_paths
from surveil.rules.model import SEVERITIES
from surveil.store.paths import store_folder


def register(sub) -> None:
    """Add ``events``, ``search`` and ``verify``."""
    events = sub.add_parser("events", help="list stored events, newest first, with filters")
    _filters(events)
    events.add_argument("--state", action="append", default=[], help="new, acknowledged, false_alarm, correct, locked")
    events.add_argument("--rule", action="append", default=[], help="rule name (repeat for several)")
    events.add_argument("--severity", action="append", default=[], choices=SEVERITIES)
    events.add_argument("--limit", type=_count(5000), default=50, help="at most this many (1 to 5000)")
    events.add_argument("--before", help="paging cursor printed at the end of the previous page")
    events.add_argument("--per-hour", action="store_true", help="counts per hour instead of a list")
    events.set_defaults(run=_events)
    search = sub.add_parser("search", help="search stored objects by text (CLIP) or by a similar object")
    search.add_argument("text", nargs="?", help="what to look for, in plain words")
    search.add_argument("--similar", metavar="OBJECT_ID", help="find objects that look like this one")
    search.add_argument("-k", type=_count(1000), default=20, help="how many results (1 to 1000)")
    _filters(search)
    search.set_defaults(run=_search)
    verify = sub.add_parser("verify", help="check the store (audit chain, records, clips) or an export package")
    verify.add_argument("export", nargs="?", type=Path, help="an export folder or zip to check instead of the store")
    verify.add_argument("--config", type=Path)
    verify.add_argument("--store", type=Path, help="store folder (default: from the config)")
    verify.set_defaults(run=_verify)


def _count(most: int):
    """Argparse type: a whole number from 1 to ``most`` (the same bounds whether the engine or the store answers)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"{value} is out of range: use 1 to {most}")
        return value

    return parse


def _filters(parser) -> None:
    parser.add_argument("--config", type=Path)
    parser.add_argument("--store", type=Path, help="store folder (default: from the config)")
    parser.add_argument("--since", type=when_text, help=WHEN_HELP)
    parser.add_argument("--until", type=when_text, help="the same forms as --since")
    parser.add_argument("--camera", action="append", default=[])
    parser.add_argument("--label", action="append", default=[])
    parser.add_argument("--json", action="store_true")


def _open(args, read_only: bool = True):
    from surveil.store.store import EventStore

    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    folder = args.store or store_folder(config, paths)
    return EventStore(folder, read_only=read_only), config


def access(args, write: bool = False):
    """The running engine's API when one serves the store, else the store opened here (a context manager).

    Also sets ``args.zone``: the configured time zone, in which the command reads and prints times.
    """
    from surveil.service.access import open_access

    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    args.zone = config.zone()
    return open_access(args.store or store_folder(config, paths), config, paths, write)


def filter_json(args, **extra) -> dict:
    """The command line's filters in the API's form (times read in ``args.zone``, set by ``access``)."""
    since, until = resolve_when(args.since, args.zone), resolve_when(args.until, args.zone)
    return {"since": since, "until": until, "cameras": args.camera, "labels": args.label,
            "rules": getattr(args, "rule", []), "severities": getattr(args, "severity", []),
            "states": getattr(args, "state", []), **extra}


def _events(args) -> int:
    from surveil.service.queries import QueryError

    try:
        with access(args) as store:
            if args.per_hour:
                return _print_hours(store.per_hour(filter_json(args)), args.json, args.zone)
            page = store.events(filter_json(args), args.limit, args.before)
    except QueryError as exc:
        return _refused("events", exc)
    zone = args.zone
    for row in page["events"]:
        if args.json:
            print(json.dumps(row))
        else:
            state = row["state"]
            status = "locked " if state["locked"] else ""
            status += state["verdict"] or ("acknowledged" if state["acknowledged"] else "new")
            print(f"{format_time(row['start'], zone)}  {row['event_id']}  {row['camera_id']:10} {row['severity']:8} "
                  f"{row['rule']}: {row['label']} #{row['track_id']}  [{status}]")
    if page["next"] and not args.json:
        print(f"more: --before {page['next']}")
    if not page["events"] and not args.json:
        print(page.get("note") or "no events match these filters", file=sys.stderr)
    return 0


def _print_hours(counts: dict[int, int], as_json: bool, zone) -> int:
    for hour, count in sorted(counts.items()):
        print(json.dumps({"hour": hour, "hour_iso": format_time(hour, zone), "events": count}) if as_json
              else f"{format_time(hour, zone)}  {count}")
    return 0


def _refused(command: str, exc: Exception) -> int:
    print(f"surveil {command}: {exc}", file=sys.stderr)
    return 1


def _search(args) -> int:
    from surveil.service.queries import QueryError

    if bool(args.text) == bool(args.similar):
        print("surveil search: give TEXT or --similar OBJECT_ID", file=sys.stderr)
        return 2
    try:
        with access(args) as store:
            hits = store.search(filter_json(args), args.text, args.similar, args.k)
    except QueryError as exc:
        return _refused("search", exc)
    for hit in hits:
        line = {**hit, "start": format_time(hit["start"], args.zone)}
        print(json.dumps(line) if args.json else f"{hit['score']:.3f}  {line['start']}  {hit['object_id']}  "
              f"{hit['camera']:10} {hit['label']}  {hit['events'] or ''}")
    return 0


def _verify(args) -> int:
    from surveil.service.queries import QueryError

    if args.export is not None:
        return _verify_export(args.export)
    try:
        with access(args) as store:
            report = store.verify()
    except QueryError as exc:
        return _refused("verify", exc)
    print(f"{report['folder']}: {report['entries']} audit entries, {report['records']} records, "
          f"{report['clips']} clips, {report['segments']} recording segments, "
          f"{report.get('blobs', 0)} thumbnails and embeddings checked")
    for note in report.get("notes", []):
        print(f"note: {note}")
    return _verdict(report["problems"], "the chain is whole up to its signed checkpoint and every record, "
                    "thumbnail, embedding, clip and recording matches")


def _verify_export(path: Path) -> int:
    from surveil.media.export import verify_export
    from surveil.signing import existing_fingerprint

    if not path.exists():
        print(f"surveil verify: {path} does not exist", file=sys.stderr)
        return 1
    try:
        check = verify_export(path)
    except Exception as exc:  # a package is outside data: whatever it holds, one line, never a traceback
        print(f"surveil verify: cannot check {path}: {exc}", file=sys.stderr)
        return 1
    if check.manifest_sha256:
        print(f"{path}: {check.files} files in the manifest (manifest sha256 {check.manifest_sha256})")
    if check.fingerprint:
        own = check.fingerprint == existing_fingerprint(app_paths().config_dir)
        print(f"signed by key {check.fingerprint}: " + ("this installation's own key" if own else
              "compare it with the sender's (`surveil config paths` on the machine that exported it)"))
    if check.chain:
        print(f"audit chain when exported: {check.chain['entries']} entries, the last #{check.chain['last_seq']} "
              f"{check.chain['last_hash'][:16]}…")
    for note in check.notes:
        print(f"note: {note}")
    return _verdict(check.problems, "the signature holds, every file matches the signed manifest, nothing was "
                    "added, and every clip and thumbnail matches its event record")


def _verdict(problems: list[str], praise: str) -> int:
    """Print the first broken link (and the rest), or the all-clear; the exit code."""
    if not problems:
        print(f"verified: {praise}")
        return 0
    print(f"BROKEN: {problems[0]}")
    for problem in problems[1:]:
        print(f"also: {problem}")
    return 1
