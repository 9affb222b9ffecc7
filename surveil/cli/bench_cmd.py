"""``surveil bench``: benchmarks whose tables go into the README."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from surveil.cli.eval_cmd import follow_rate
from surveil.paths import app_paths

CLIP_SUFFIXES = (".mp4", ".avi", ".mkv")


def register(sub) -> None:
    """Add the ``bench`` subcommand."""
    parser = sub.add_parser("bench", help="run a benchmark and print its table")
    which = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    shared = Path(os.environ.get("SURVEIL_TEST_ASSETS", "../shared"))
    vision = _bench(which, "vision", _vision, "decode floor, stage times and the motion gate's saving per clip")
    _footage(vision, shared, "folder with yolo11n.pt and its export")
    vision.add_argument("--frames", type=_positive(int), default=300, help="frames per clip and run")
    clip = _bench(which, "clip", _clip, "CLIP crops/s single and batched, text time, share of tracks re-embedded")
    _footage(clip, shared, "folder with yolo11n.pt")
    clip.add_argument("--frames", type=_positive(int), default=300, help="frames per clip for the re-embedding share")
    store = _bench(which, "store", _store, "event store ingest, query and search at several sizes")
    store.add_argument("--sizes", type=_positive(int), nargs="+", default=[10_000, 100_000, 1_000_000])
    store.add_argument("--workdir", type=Path, default=None, help="where the temporary stores go")
    cams = _bench(which, "cameras", _cameras, "how many real-time cameras this machine sustains")
    _footage(cams, shared, "folder with yolo11n.pt and its export", "folder with the 640x360 clips")
    cams.add_argument("--counts", type=_positive(int), nargs="+", default=[1, 2, 4, 8])
    cams.add_argument("--seconds", type=_positive(float), default=20.0, help="measured seconds per run")
    cams.add_argument("--warmup", type=_positive(float, zero=True), default=5.0)
    cams.add_argument("--profile", action="store_true",
                      help="also CPU ms per camera-second by thread and by stage, beside the decode-only floor")
    cams.add_argument("--backend", choices=["openvino", "int8", "torch", "all"], default="all",
                      help="which detectors to run: openvino (yolo11n.pt converted, the CPU default), int8 (the "
                           "INT8 export), torch (the .pt on PyTorch); default: every one that loads here")
    cams.add_argument("--no-record-off", dest="record_off", action="store_false",
                      help="skip the second run of each count with recording off")
    naive = _bench(which, "naive", _naive, "surveil against detection on every frame: CPU per camera-hour and "
                   "events found, same clips and rules, one run")
    _footage(naive, shared, "folder with yolo11n.pt and its export", "folder with the 640x360 clips")
    naive.add_argument("--seconds", type=_positive(float), default=60.0,
                       help="seconds of footage per clip (a shorter clip is looped)")
    naive.add_argument("--backend", choices=["openvino", "int8", "torch"], default="openvino",
                       help="the detector both sides share: openvino (yolo11n.pt converted, the CPU default), "
                            "int8 (the INT8 export) or torch")
    naive.add_argument("--cameras", type=_positive(int), default=1,
                       help="surveil runs this many cameras of the clip and counts the first one's events; "
                            "its CPU is shared out per camera")
    naive.add_argument("--follow", type=follow_rate, default=None, metavar="FPS",
                       help="surveil's cameras detect this often while all motion is on tracked objects "
                            "(motion.follow_detect_fps; default unset: the full rate)")


def _bench(which, name: str, run, text: str):
    parser = which.add_parser(name, help=text)
    parser.add_argument("--json", action="store_true", help="the rows as one JSON object instead of a table")
    parser.set_defaults(run=_checked(run, name))
    return parser


def _footage(parser, shared: Path, models_help: str, media_help: str = "folder of clips") -> None:
    parser.add_argument("--media", type=Path, default=shared / "media", help=media_help)
    parser.add_argument("--models", type=Path, default=shared / "models", help=models_help)


def _positive(kind, zero: bool = False):
    """An argparse type: a number above 0 (or at least 0), refused in one line otherwise."""
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value < 0 or (value == 0 and not zero):
            raise argparse.ArgumentTypeError(f"{text!r} is not a {'whole ' if kind is int else ''}number "
                                             f"{'of at least 0' if zero else 'above 0'}")
        return value
    parse.__name__ = kind.__name__  # argparse names the type in its own messages
    return parse


def _checked(run, name: str):
    """The benchmark, after its folders are checked: a missing folder is one line, not a traceback."""
    def checked(args) -> int:
        problem = _folders_problem(args)
        if problem:
            print(f"surveil bench {name}: {problem}", file=sys.stderr)
            return 1
        return run(args)
    return checked


def _folders_problem(args) -> str | None:
    media, models, workdir = (getattr(args, key, None) for key in ("media", "models", "workdir"))
    if media is not None and not media.is_dir():
        return f"no media folder at {media} (--media, or set SURVEIL_TEST_ASSETS)"
    if media is not None and not any(p.suffix in CLIP_SUFFIXES for p in media.iterdir()):
        return f"no clips ({', '.join(CLIP_SUFFIXES)}) in {media}"
    if models is not None and not (models / "yolo11n.pt").is_file():
        return f"no yolo11n.pt in {models} (--models)"
    if workdir is not None and not workdir.is_dir():
        return f"no folder at {workdir} (--workdir)"
    return None


def _emit(args, header: str, rows, table: str) -> int:
    print(json.dumps({"machine": header, "rows": rows}, default=str) if args.json else f"{header}\n\n{table}")
    return 0


def _vision(args) -> int:
    from surveil.bench import vision

    rows = vision.run(args.media, args.models, args.frames)
    header = f"machine: {vision.machine()}; {args.frames} frames per clip; times in ms per frame read"
    flow = vision.flow_line(args.media)
    return _emit(args, header, {"clips": rows, "flow": flow}, f"{vision.table(rows)}\n\n{flow}")


def _clip(args) -> int:
    from surveil.bench import clip, vision

    speeds, shares = clip.run(args.media, args.models, args.frames, app_paths().model_cache_dir)
    header = (f"machine: {vision.machine()}; random weights (same arithmetic as real ones); "
              f"{args.frames} frames per clip")
    return _emit(args, header, {"speeds": speeds, "shares": shares}, clip.tables(speeds, shares))


def _store(args) -> int:
    from surveil.bench import store, vision

    rows = store.run(args.sizes, args.workdir)
    header = f"machine: {vision.machine()}; one event per ten objects; 512-dim float16 embeddings, 2 KB thumbnails"
    return _emit(args, header, rows, store.table(rows))


def _cameras(args) -> int:
    from surveil.bench import cameras, profile, vision
    from surveil.vision import pools

    rows = cameras.run(args.media, args.models, args.counts, args.seconds, args.warmup, args.backend,
                       args.record_off, args.profile)
    if not rows:  # the export asked for falls back to the .pt where openvino is not installed
        print(f"surveil bench cameras: no {args.backend} detector loads from {args.models} (openvino and int8 "
              "need pip install 'surveil[openvino]', int8 also yolo11n_int8_openvino_model there)", file=sys.stderr)
        return 1
    header = (f"machine: {vision.machine()}; {args.seconds:g} s measured after {args.warmup:g} s warm-up per run; "
              f"{pools.describe()}")
    text = cameras.table(rows)
    if args.profile:
        text += "\n\nCPU ms per camera-second (recording on rows):\n\n" + profile.table(
            [r for r in rows if r["recording"]])
        text += "\n\n" + profile.skip_line([args.media / c for c in cameras.CLIPS])
    return _emit(args, header, rows, text)


def _naive(args) -> int:
    import time

    from surveil.bench import naive, naive_table, vision
    from surveil.vision import pools

    if not any((args.media / name).is_file() for name in naive.CLIPS):
        print(f"surveil bench naive: none of {', '.join(naive.CLIPS)} in {args.media}", file=sys.stderr)
        return 1
    started, load = time.perf_counter(), os.getloadavg()[0]  # a busy machine inflates CPU time (threads spin)
    rows = naive.run(args.media, args.models, args.seconds, args.backend, args.cameras, args.follow)
    if not rows:
        print(f"surveil bench naive: the {args.backend} detector does not load from {args.models} (openvino and "
              "int8 need pip install 'surveil[openvino]')", file=sys.stderr)
        return 1
    header = (f"machine: {vision.machine()}; {args.seconds:g} s of footage per clip, clips looped; "
              f"surveil runs {args.cameras} camera(s) of each clip"
              f"{'' if args.follow is None else f', following at {args.follow:g} detections/s'}; "
              f"{pools.describe()}; run took {time.perf_counter() - started:.0f} s, "
              f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after")
    return _emit(args, header, {"clips": rows, "total": naive_table.totals(rows)}, naive_table.table(rows))
