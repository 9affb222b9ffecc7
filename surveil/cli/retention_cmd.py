"""``surveil retention plan|run|status``: what retention would delete and why, doing it, and disk use."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from surveil.cli.store_cmd import _open as open_store
from surveil.cli.times import format_time
from surveil.paths import app_paths
from surveil.store.db import StoreError
from surveil.store.lock import StoreInUse
from surveil.store.paths import clips_folder, recordings_folder
from surveil.store.retention import human_bytes


def register(sub) -> None:
    """Add ``retention`` with its three actions."""
    parser = sub.add_parser("retention", help="plan or run retention (age, size, emergency floor), or show disk use")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, run, text in (("plan", _plan, "what would be deleted and why, and what locked events keep"),
                            ("run", _run, "delete what the plan says (refused while the engine holds the store)"),
                            ("status", _status, "disk used, free space, the cap, and each camera's recorded days")):
        action = actions.add_parser(name, help=text)
        action.add_argument("--config", type=Path)
        action.add_argument("--store", type=Path, help="store folder (default: from the config)")
        action.add_argument("--json", action="store_true")
        action.set_defaults(run=_one_line_errors(run, name))


def _one_line_errors(action, name: str):
    """The action, with a store that is missing or not a store said in one line under its own name."""
    def run(args) -> int:
        try:
            return action(args)
        except StoreError as exc:
            print(f"surveil retention {name}: {exc}", file=sys.stderr)
            return 1
    return run


def _open(args, read_only: bool = True):
    """The store, the config, and the recordings and clips folders."""
    if not read_only:
        open_store(args, read_only=True)[0].close()  # a missing store is an error here, not one to create
    store, config = open_store(args, read_only=read_only)
    paths = app_paths()
    return store, config, recordings_folder(config, paths), clips_folder(config, paths)


def _plan(args) -> int:
    from surveil.media.retention import plan_retention

    store, config, recordings, clips = _open(args)
    with store:
        plan = plan_retention(store, config, recordings, clips)
    if args.json:
        items = [{"kind": i.kind, "id": i.item_id, "camera": i.camera_id, "reason": i.reason, "bytes": i.bytes,
                  "path": i.path} for i in plan.items]
        print(json.dumps({**plan.summary(), "items": items}, indent=2))
        return 0
    summary = plan.summary()
    print(_usage_line(summary["usage"]))
    for reason in ("age", "size", "emergency"):
        tally = summary["by_reason"].get(reason)
        print(f"{reason}: {_tally_line(tally) if tally else 'nothing'}")
        for camera, reasons in sorted(summary["by_camera"].items()):
            if reason in reasons and tally:
                print(f"  {camera}: {_tally_line(reasons[reason])}")
    kept = summary["kept_locked"]
    if kept["segments"] or kept["events"]:
        counts = _counts({"segments": kept["segments"], "events": kept["events"]})
        print(f"kept because locked: {counts}, {human_bytes(kept['bytes'])}, held by {', '.join(kept['held_by'])}")
    for warning in summary["warnings"]:
        print(f"warning: {warning}")
    return 0


def _run(args) -> int:
    from surveil.media.retention import plan_retention, run_retention

    try:
        store, config, recordings, clips = _open(args, read_only=False)
    except StoreInUse:
        print("surveil retention run: the store is in use by a running engine, which applies retention itself; "
              "stop it first, or use 'surveil retention plan' to see what would go", file=sys.stderr)
        return 1
    with store:
        report = run_retention(store, plan_retention(store, config, recordings, clips))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        for purge in report.purges:
            print(purge.line())
        print(f"freed {human_bytes(sum(p.bytes for p in report.purges))}" if report.purges else "nothing to purge")
        for error in report.errors:
            print(f"error: {error}")
    return 1 if report.errors else 0


def _status(args) -> int:
    from surveil.media.retention import retention_status

    store, config, recordings, clips = _open(args)
    with store:
        status = retention_status(store, config, recordings, clips)
    if args.json:
        print(json.dumps(status, indent=2))
        return 0
    print(_usage_line(status))
    zone = config.zone()
    for camera, span in sorted(status["cameras"].items()):
        print(f"  {camera}: {_local(span['oldest'], zone)} to {_local(span['newest'], zone)} "
              f"({span['days']:.1f} days kept, keep {span['keep_days']:g})")
    if status["warning"]:
        print(f"warning: {status['warning']}")
    return 0


def _local(iso: str, zone) -> str:
    """A UTC ISO time from the retention report, in the configured zone."""
    return format_time(dt.datetime.fromisoformat(iso).timestamp(), zone)


def _usage_line(usage: dict) -> str:
    return (f"used {human_bytes(usage['used_bytes'])} of {human_bytes(usage['cap_bytes'])} ({usage['cap_share']:.0%}): "
            f"recordings {human_bytes(usage['recordings_bytes'])}, clips {human_bytes(usage['clips_bytes'])}, "
            f"store {human_bytes(usage['store_bytes'])}; {human_bytes(usage['free_bytes'])} free "
            f"(floor {human_bytes(usage['floor_bytes'])})")


def _tally_line(tally: dict) -> str:
    return f"{_counts(tally)}, {human_bytes(tally['bytes'])}"


def _counts(tally: dict) -> str:
    """``2 segments, 1 event``: the kinds present, in a fixed order."""
    kinds = [(tally.get(k, 0), k) for k in ("segments", "gaps", "events", "objects")]
    return ", ".join(f"{n} {k if n != 1 else k[:-1]}" for n, k in kinds if n)

