"""``surveil mark``: triage from the command line, audited like the window's (through the engine when it runs)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def register(sub) -> None:
    """Add the ``mark`` subcommand."""
    parser = sub.add_parser("mark", help="acknowledge, judge, annotate, lock or unlock an event (audited)")
    parser.add_argument("event", help="the event id (as `surveil events` prints it)")
    parser.add_argument("--ack", action="store_true", help="acknowledge it")
    verdict = parser.add_mutually_exclusive_group()
    verdict.add_argument("--false-alarm", action="store_true", help="the rule was wrong here (it learns from this)")
    verdict.add_argument("--correct", action="store_true", help="the rule was right here (it learns from this)")
    lock = parser.add_mutually_exclusive_group()
    lock.add_argument("--lock", action="store_true", help="keep it and its recording from retention")
    lock.add_argument("--unlock", action="store_true", help="let retention take it again when it is due")
    parser.add_argument("--note", help="add a note")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--store", type=Path, help="store folder (default: from the config)")
    parser.add_argument("--json", action="store_true", help="print the event's new state as JSON")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Record the marks and print the event's new state."""
    from surveil.cli.store_cmd import access
    from surveil.service.queries import QueryError

    changes = {"verdict": "false_alarm" if args.false_alarm else "correct" if args.correct else None,
               "acknowledged": True if args.ack or args.false_alarm or args.correct else None,
               "note": args.note, "locked": True if args.lock else False if args.unlock else None}
    if all(v is None for v in changes.values()):
        print("surveil mark: say what to mark: --ack, --false-alarm, --correct, --lock, --unlock or --note TEXT",
              file=sys.stderr)
        return 2
    try:
        with access(args, write=True) as store:
            result = store.mark(args.event, **{k: v for k, v in changes.items() if v is not None})
    except QueryError as exc:
        print(f"surveil mark: {exc}", file=sys.stderr)
        return 1
    state = result["state"]
    if args.json:
        print(json.dumps(result))
        return 0
    status = ", ".join(part for part in (
        "locked" if state["locked"] else "", state["verdict"] or "", "acknowledged" if state["acknowledged"] else "",
        f"{len(state['notes'])} note(s)" if state["notes"] else "") if part) or "new"
    print(f"{args.event}: {status}")
    return 0
