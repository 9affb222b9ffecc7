"""``surveil bench``: benchmarks whose tables go into the README."""

from __future__ import annotations

import os
from pathlib import Path

from surveil.paths import app_paths


def register(sub) -> None:
    """Add the ``bench`` subcommand."""
    parser = sub.add_parser("bench", help="run a benchmark and print its table")
    which = parser.add_subparsers(dest="bench", metavar="BENCH", required=True)
    vision = which.add_parser("vision", help="decode floor, stage times and the motion gate's saving per clip")
    shared = Path(os.environ.get("SURVEIL_TEST_ASSETS", "../shared"))
    vision.add_argument("--media", type=Path, default=shared / "media", help="folder of clips")
    vision.add_argument("--models", type=Path, default=shared / "models", help="folder with yolo11n.pt and its export")
    vision.add_argument("--frames", type=int, default=300, help="frames per clip and run")
    vision.set_defaults(run=_vision)
    clip = which.add_parser("clip", help="CLIP crops/s single and batched, text time, share of tracks re-embedded")
    clip.add_argument("--media", type=Path, default=shared / "media", help="folder of clips")
    clip.add_argument("--models", type=Path, default=shared / "models", help="folder with yolo11n.pt")
    clip.add_argument("--frames", type=int, default=300, help="frames per clip for the re-embedding share")
    clip.set_defaults(run=_clip)
    store = which.add_parser("store", help="event store ingest, query and search at several sizes")
    store.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    store.add_argument("--workdir", type=Path, default=None, help="where the temporary stores go")
    store.set_defaults(run=_store)
    cams = which.add_parser("cameras", help="how many real-time cameras this machine sustains")
    cams.add_argument("--media", type=Path, default=shared / "media", help="folder with the 640x360 clips")
    cams.add_argument("--models", type=Path, default=shared / "models", help="folder with yolo11n.pt and its export")
    cams.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4, 8])
    cams.add_argument("--seconds", type=float, default=20.0, help="measured seconds per run")
    cams.add_argument("--warmup", type=float, default=5.0)
    cams.set_defaults(run=_cameras)


def _vision(args) -> int:
    from surveil.bench import vision

    rows = vision.run(args.media, args.models, args.frames, app_paths().model_cache_dir)
    print(f"machine: {vision.machine()}; {args.frames} frames per clip; times in ms per frame read\n")
    print(vision.table(rows))
    print()
    print(vision.flow_line(args.media))
    return 0


def _clip(args) -> int:
    from surveil.bench import clip, vision

    speeds, shares = clip.run(args.media, args.models, args.frames, app_paths().model_cache_dir)
    print(f"machine: {vision.machine()}; random weights (same arithmetic as real ones); "
          f"{args.frames} frames per clip\n")
    print(clip.tables(speeds, shares))
    return 0


def _store(args) -> int:
    from surveil.bench import store, vision

    rows = store.run(args.sizes, args.workdir)
    print(f"machine: {vision.machine()}; one event per ten objects; 512-dim float16 embeddings, 2 KB thumbnails\n")
    print(store.table(rows))
    return 0


def _cameras(args) -> int:
    from surveil.bench import cameras, vision

    rows = cameras.run(args.media, args.models, args.counts, args.seconds, args.warmup)
    print(f"machine: {vision.machine()}; {args.seconds:g} s measured after {args.warmup:g} s warm-up per run\n")
    print(cameras.table(rows))
    return 0
