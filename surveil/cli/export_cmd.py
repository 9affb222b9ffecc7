"""``surveil export``: incidents into a folder or zip that a court or an insurer can check."""

from __future__ import annotations

import sys
from pathlib import Path

from surveil.cli.store_cmd import _filters, _when, access, filter_json


def register(sub) -> None:
    """Add the ``export`` subcommand."""
    parser = sub.add_parser("export", help="export incidents with clips, records, audit entries and a manifest")
    parser.add_argument("-o", "--out", type=Path, required=True, help="a new folder, or a file ending in .zip")
    parser.add_argument("--event", action="append", default=[], help="event id (repeat); default: the filters")
    parser.add_argument("--rule", action="append", default=[])
    parser.add_argument("--from", dest="range_from", type=_when,
                        help="with --to and --camera: export that camera's recording over this range (ISO time)")
    parser.add_argument("--to", dest="range_to", type=_when, help="end of the recorded range (ISO time)")
    _filters(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    """Export and print where the package is and its manifest hash."""
    from surveil.media.export import TimeRange
    from surveil.service.queries import QueryError
    from surveil.store.query import EventFilter

    ranges, flt = [], EventFilter(args.since, args.until, args.camera, args.rule, args.label)
    if args.range_from is not None or args.range_to is not None:
        if args.range_from is None or args.range_to is None or not args.camera or args.range_to <= args.range_from:
            print("surveil export: a recorded range needs --camera, --from and a later --to", file=sys.stderr)
            return 2
        ranges = [TimeRange(camera, args.range_from, args.range_to) for camera in args.camera]
        flt = EventFilter(args.range_from, args.range_to, args.camera, args.rule, args.label)
    try:
        with access(args, write=True) as store:
            result = store.export(args.out, args.event, filter_json(args, since=flt.since, until=flt.until),
                                  [{"camera_id": r.camera_id, "start": r.start, "end": r.end} for r in ranges],
                                  lambda i, n: print(f"\rexporting {i}/{n}", end="", file=sys.stderr))
    except QueryError as exc:
        print(f"surveil export: {exc}", file=sys.stderr)
        return 1
    print(f"{result['path']}: {len(result['events'])} events, {len(ranges)} recorded ranges, {result['files']} "
          f"files, manifest sha256 {result['manifest_sha256']}", file=sys.stderr)
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(result["path"])
    return 0
