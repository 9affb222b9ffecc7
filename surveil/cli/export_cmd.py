"""``surveil export``: incidents into a folder or zip that a court or an insurer can check."""

from __future__ import annotations

import sys
from pathlib import Path

from surveil.cli.store_cmd import _filters, access, filter_json
from surveil.cli.times import resolve_when, when_text


def register(sub) -> None:
    """Add the ``export`` subcommand."""
    parser = sub.add_parser("export", help="export incidents with clips, records, audit entries and a manifest")
    parser.add_argument("-o", "--out", type=Path, required=True, help="a new folder, or a file ending in .zip")
    parser.add_argument("--event", action="append", default=[], help="event id (repeat); default: the filters")
    parser.add_argument("--rule", action="append", default=[])
    parser.add_argument("--from", dest="range_from", type=when_text,
                        help="with --to and --camera: export that camera's recording over this range "
                        "(the same forms as --since)")
    parser.add_argument("--to", dest="range_to", type=when_text, help="end of the recorded range")
    _filters(parser)
    parser.set_defaults(run=run)


def run(args) -> int:
    """Export and print where the package is and its manifest hash."""
    from surveil.service.queries import QueryError

    if args.range_from is not None or args.range_to is not None:
        if args.range_from is None or args.range_to is None or not args.camera:
            print("surveil export: a recorded range needs --camera, --from and --to", file=sys.stderr)
            return 2
        if args.since is not None or args.until is not None:
            print("surveil export: give either --from/--to (a recorded range) or --since/--until, not both",
                  file=sys.stderr)
            return 2
    try:
        with access(args, write=True) as store:
            ranges = _ranges(args)
            if ranges and ranges[0]["end"] <= ranges[0]["start"]:
                print("surveil export: --to must be later than --from", file=sys.stderr)
                return 2
            span = {"since": ranges[0]["start"], "until": ranges[0]["end"]} if ranges else {}
            result = store.export(args.out, args.event, filter_json(args, **span), ranges,
                                  lambda i, n: print(f"\rexporting {i}/{n}", end="", file=sys.stderr))
    except QueryError as exc:
        print(f"surveil export: {exc}", file=sys.stderr)
        return 1
    print(f"\n{result['path']}: {len(result['events'])} events, {len(ranges)} recorded ranges, {result['files']} "
          f"files, manifest sha256 {result['manifest_sha256']}, signed by key {result.get('fingerprint')}",
          file=sys.stderr)
    for warning in result["warnings"]:
        print(f"warning: {warning}", file=sys.stderr)
    print(result["path"])
    return 0


def _ranges(args) -> list[dict]:
    """Each camera's recording over --from/--to, in the configured zone (``args.zone``)."""
    if args.range_from is None:
        return []
    start, end = resolve_when(args.range_from, args.zone), resolve_when(args.range_to, args.zone)
    return [{"camera_id": camera, "start": start, "end": end} for camera in args.camera]
