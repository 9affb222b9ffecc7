"""``surveil rules``: check the configured rules, or replay them over a video file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from surveil.config import load_or_default
from surveil.paths import app_paths
from surveil.rules.events import EventUpdate
from surveil.vision.clip import load_encoder_or_reason


def register(sub) -> None:
    """Add the ``rules`` subcommand."""
    parser = sub.add_parser("rules", help="check rules, or replay them over a video file")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate the rules and say which parts can run here")
    check.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    check.set_defaults(run=_check)
    replay = actions.add_parser("replay", help="play a video file as a camera and print what the rules raise")
    replay.add_argument("video", type=Path)
    replay.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    replay.add_argument("--camera", help="which configured camera the file stands for (default: the first)")
    replay.add_argument("--max-frames", type=int, default=None)
    replay.add_argument("--json", action="store_true", help="JSON lines instead of text")
    replay.set_defaults(run=_replay)


def _check(args) -> int:
    paths = app_paths()
    config, source = load_or_default(args.config, paths.config_file)
    encoder, reason = load_encoder_or_reason(config.models.clip, paths.model_cache_dir)
    print(f"{source or 'default configuration'}: {len(config.rules)} rule(s)")
    for rule in config.rules:
        parts = [f"prompts {rule.prompts}" if rule.prompts else "", f"classes {rule.classes}" if rule.classes else "",
                 f"{len(rule.zones)} zone(s)" if rule.zones else "", "motion" if rule.motion else "",
                 "schedule" if rule.schedule else ""]
        state = "" if rule.enabled else " (disabled)"
        print(f"  {rule.name}{state} [{rule.severity}]: {', '.join(p for p in parts if p)}")
    if encoder is None and any(r.prompts for r in config.rules):
        print(f"CLIP unavailable: {reason}. Text prompts are ignored; these rules run on their other conditions.")
    return 0


def _replay(args) -> int:
    from surveil.rules.replay import replay
    from surveil.vision.detector import DetectorError, YoloDetector

    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    if not config.cameras or not config.rules:
        print("surveil rules replay: the config needs at least one camera and one rule", file=sys.stderr)
        return 1
    camera = config.camera(args.camera) if args.camera else config.cameras[0]
    try:
        detector = YoloDetector(config.models.detector, paths.model_cache_dir)
    except DetectorError as exc:
        print(f"surveil rules replay: {exc}", file=sys.stderr)
        return 1
    encoder, reason = load_encoder_or_reason(config.models.clip, paths.model_cache_dir)  # the engine says it once
    for update in replay(args.video, camera, config, detector, encoder, reason, max_frames=args.max_frames):
        print(json.dumps(_record(update)) if args.json else _line(update), flush=True)
    return 0


def _record(update: EventUpdate) -> dict:
    e = update.event
    return {"kind": update.kind, "event_id": e.event_id, "rule": e.rule, "camera": e.camera_id,
            "track_id": e.track_id, "label": e.label, "severity": e.severity, "start_s": round(e.start_t, 2),
            "end_s": None if e.end_t is None else round(e.end_t, 2), "peak_probability": e.peak_probability,
            "reasons": e.reasons}


def _line(update: EventUpdate) -> str:
    e = update.event
    at = {"started": e.start_t, "updated": e.last_t}.get(update.kind, e.end_t if e.end_t is not None else e.last_t)
    head = f"{at:7.1f}s {update.kind:8} {e.rule} on {e.camera_id}: {e.label} #{e.track_id} [{e.severity}]"
    if update.kind == "started":
        return head + "".join(f"\n           {reason}" for reason in e.reasons)
    return head + (f" after {e.end_t - e.start_t:.1f} s" if e.end_t is not None else "")
