"""``surveil probe SOURCE...``: what a file, stream or webcam is, as JSON."""

from __future__ import annotations

import json
import sys

from surveil.cli.times import positive_seconds


def register(sub) -> None:
    """Add the ``probe`` subcommand."""
    parser = sub.add_parser(
        "probe", help="open sources once and print what they are (JSON)",
        description="Open each source, decode a frame, and print codec, size, fps and frame count as JSON. "
        "Exits 1 if any source did not open, with one line on stderr for each.",
    )
    parser.add_argument("sources", nargs="+", metavar="SOURCE",
                        help="a file, rtsp:// or http(s):// URL, or webcam index")
    parser.add_argument("--timeout", type=positive_seconds, default=10.0,
                        help="seconds to allow for opening (default 10)")
    parser.add_argument("--decode-all", action="store_true", help="decode every frame of a file to find truncation")
    parser.add_argument("--json", action="store_true", help="JSON lines (what probe always prints; for scripts that "
                        "pass --json to every command)")
    parser.set_defaults(run=run)


def run(args) -> int:
    """Probe each source; one JSON object per line on stdout, and why on stderr for those that did not open."""
    from surveil.capture.probe import probe  # here, not at the top: building the command line must not load OpenCV

    failed = 0
    for source in args.sources:
        result = probe(source, timeout_s=args.timeout, decode_all=args.decode_all)
        print(json.dumps(result.to_dict()), flush=True)
        if not result.opened:
            failed += 1
            print(f"surveil probe: {result.source}: {result.error}", file=sys.stderr, flush=True)
    return 1 if failed else 0
