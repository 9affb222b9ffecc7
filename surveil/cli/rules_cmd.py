"""``surveil rules``: check the configured rules, or replay them over a video file."""

from __future__ import annotations

import datetime as dt
import json
import sys
import time
from pathlib import Path

from surveil.cli.times import WHEN_HELP, format_time, local_time, parse_when, when_text
from surveil.config import load_or_default
from surveil.paths import app_paths
from surveil.rules.events import EventUpdate


def register(sub) -> None:
    """Add the ``rules`` subcommand."""
    parser = sub.add_parser("rules", help="check rules, or replay them over a video file")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="validate the rules and say which parts can run here")
    check.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    check.add_argument("--json", action="store_true", help="one JSON object instead of text")
    check.set_defaults(run=_check)
    explain = actions.add_parser("explain", help="say what a prompt's words check without CLIP, and what is "
                                 "left for CLIP")
    explain.add_argument("text", nargs="+", help="one or more prompts (several: a rule's alternatives)")
    explain.add_argument("--config", type=Path, help="config file whose rules' zone names a place phrase may name")
    explain.add_argument("--json", action="store_true", help="one JSON object instead of text")
    explain.set_defaults(run=_explain)
    replay = actions.add_parser("replay", help="play a video file as a camera and print what the rules raise")
    replay.add_argument("video", type=Path)
    replay.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    replay.add_argument("--camera", help="which configured camera the file stands for (default: the first)")
    replay.add_argument("--start", type=when_text, help=f"wall time of the first frame, for schedules: {WHEN_HELP} "
                        "(default: now)")
    replay.add_argument("--max-frames", type=int, default=None)
    replay.add_argument("--json", action="store_true", help="JSON lines instead of text")
    replay.set_defaults(run=_replay)


def _check(args) -> int:
    from surveil.vision.clip import load_encoder_or_reason

    paths = app_paths()
    config, source = load_or_default(args.config, paths.config_file)
    encoder, reason = None, ""
    if any(r.prompts for r in config.rules):  # loading CLIP takes seconds; only prompts need it
        encoder, reason = load_encoder_or_reason(config.models.clip, paths.model_cache_dir)
    if args.json:
        print(json.dumps({"config": str(source) if source else None, "clip_available": encoder is not None,
                          "clip_reason": reason or None,
                          "rules": [rule.model_dump(mode="json") for rule in config.rules],
                          "words": [_rule_words(rule, encoder is None) for rule in config.rules if rule.prompts]}))
        return 0
    print(f"{source or 'default configuration'}: {len(config.rules)} rule(s)")
    for rule in config.rules:
        parts = [f"prompts {rule.prompts}" if rule.prompts else "", f"classes {rule.classes}" if rule.classes else "",
                 f"{len(rule.zones)} zone(s)" if rule.zones else "", "motion" if rule.motion else "",
                 "schedule" if rule.schedule else ""]
        state = "" if rule.enabled else " (disabled)"
        print(f"  {rule.name}{state} [{rule.severity}]: {', '.join(p for p in parts if p)}")
        _print_words(rule, encoder is None and bool(reason))
    if encoder is None and reason:
        print(f"CLIP unavailable: {reason}. Rules run on the words understood; a rule with words left for CLIP "
              "stays quiet unless it sets fire_without_clip.")
    return 0


def _rule_words(rule, without_clip_now: bool) -> dict:
    """A rule's words as JSON: what they check, what is left for CLIP, and what happens without CLIP."""
    from surveil.rules.words import compile_prompts, understood_dict, without_clip

    understood = compile_prompts(rule.prompts, [z.name for z in rule.zones])
    state, sentence = without_clip(understood, rule.fire_without_clip)
    return {"rule": rule.name, **understood_dict(understood),
            "without_clip": {"state": state, "text": sentence} if without_clip_now else None}


def _print_words(rule, without_clip_now: bool) -> None:
    """Under a rule's line: what its words check, and, when CLIP is missing, what that means for it."""
    from surveil.rules.words import compile_prompts, describe, without_clip

    if not rule.prompts:
        return
    understood = compile_prompts(rule.prompts, [z.name for z in rule.zones])
    print(f"    {describe(understood)}")
    if without_clip_now and understood.unchecked:
        print(f"    {without_clip(understood, rule.fire_without_clip)[1]}")


def _explain(args) -> int:
    """What the words check, for prompts typed on the command line, with the configured rules' zone names."""
    from surveil.rules.words import compile_prompt, compile_prompts, describe, understood_dict

    config, _source = load_or_default(args.config, app_paths().config_file)
    zones = list(dict.fromkeys(z.name.strip() for r in config.rules for z in r.zones if z.name.strip()))
    each = [compile_prompt(text, zones) for text in args.text]
    together = compile_prompts(args.text, zones)
    if args.json:
        print(json.dumps({"zones": zones, "prompts": [{"text": t, **understood_dict(u)}
                                                      for t, u in zip(args.text, each, strict=True)],
                          "together": understood_dict(together)}))
        return 0
    for text, understood in zip(args.text, each, strict=True):
        print(f"{text!r}\n  {describe(understood)}")
    if len(args.text) > 1:
        print(f"together (any of them, as a rule's prompts):\n  {describe(together)}")
    print(f"zone names known: {', '.join(zones)}" if zones else
          "no zones in the configured rules: a place such as 'in the loading bay' is left for CLIP")
    return 0


def _replay(args) -> int:
    """Check everything an operator can get wrong before the seconds it takes to load the models."""
    paths = app_paths()
    config, source = load_or_default(args.config, paths.config_file)
    problem = _replay_problem(args, config, source)
    if problem:
        print(f"surveil rules replay: {problem}", file=sys.stderr)
        return 1
    camera = config.camera(args.camera) if args.camera else config.cameras[0]
    start_s = time.time() if args.start is None else parse_when(args.start, config.zone())
    start = local_time(start_s, config.zone())
    return _play(args, config, camera, start, paths.model_cache_dir)


def _replay_problem(args, config, source) -> str | None:
    from surveil.capture.probe import probe

    where = source or "the default configuration"
    if args.camera:
        try:
            config.camera(args.camera)
        except KeyError as exc:
            return f"{exc.args[0]} in {where}"
    if not config.cameras or not config.rules:
        return f"{where} needs at least one camera and one rule"
    if not args.video.is_file():
        return f"{args.video}: no such file"
    result = probe(str(args.video))
    return None if result.opened else f"{args.video}: {result.error}"


def _play(args, config, camera, start: dt.datetime, model_cache: Path) -> int:
    from surveil.capture.opener import SourceOpenError
    from surveil.rules.replay import replay
    from surveil.vision.appearance import load_if_enabled
    from surveil.vision.clip import load_encoder_or_reason
    from surveil.vision.detector import DetectorError, YoloDetector

    try:
        detector = YoloDetector(config.models.detector, model_cache)
    except DetectorError as exc:
        print(f"surveil rules replay: {exc}", file=sys.stderr)
        return 1
    encoder, reason = load_encoder_or_reason(config.models.clip, model_cache)  # the engine says it once
    zone = config.zone()
    try:
        for update in replay(args.video, camera, config, detector, encoder, reason, start=start,
                             max_frames=args.max_frames, tz=zone,
                             appearance=load_if_enabled(config.models.appearance)):
            print(json.dumps(_record(update, zone)) if args.json else _line(update, zone), flush=True)
    except SourceOpenError as exc:
        print(f"surveil rules replay: {args.video}: {exc.reason}", file=sys.stderr)
        return 1
    return 0


def _record(update: EventUpdate, zone: dt.tzinfo | None) -> dict:
    e = update.event
    return {"kind": update.kind, "event_id": e.event_id, "rule": e.rule, "camera": e.camera_id,
            "track_id": e.track_id, "label": e.label, "severity": e.severity, "start_s": round(e.start_t, 2),
            "end_s": None if e.end_t is None else round(e.end_t, 2),
            "start": format_time(e.start_wall.timestamp(), zone),
            "end": None if e.end_wall is None else format_time(e.end_wall.timestamp(), zone),
            "peak_probability": e.peak_probability, "reasons": e.reasons}


def _line(update: EventUpdate, zone: dt.tzinfo | None) -> str:
    e = update.event
    at = {"started": e.start_t, "updated": e.last_t}.get(update.kind, e.end_t if e.end_t is not None else e.last_t)
    wall = e.start_wall + dt.timedelta(seconds=at - e.start_t)
    head = (f"{local_time(wall.timestamp(), zone):%H:%M:%S} {at:7.1f}s {update.kind:8} {e.rule} on {e.camera_id}: "
            f"{e.label} #{e.track_id} [{e.severity}]")
    if update.kind == "started":
        return head + "".join(f"\n                    {reason}" for reason in e.reasons)
    return head + (f" after {e.end_t - e.start_t:.1f} s" if e.end_t is not None else "")
