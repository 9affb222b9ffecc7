"""``surveil models``: which models are configured, whether they are here, download and verify."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path

from surveil.config import load_or_default
from surveil.paths import app_paths
from surveil.resources import DEFAULT_DETECTOR, resources_dir
from surveil.vision.clip_weights import ClipUnavailable, WeightsState, clip_state, download_clip
from surveil.vision.weights import WeightsNotFound, resolve_weights

# sha256 of the weights that ship in resources/ (see resources/LICENSES/README.md).
BUNDLED_SHA256 = {DEFAULT_DETECTOR: "0e14607cb04da18ece7c3a25df81e13a514646909d6b1a91f0111b3a8980d09c"}


def register(sub) -> None:
    """Add the ``models`` subcommand."""
    parser = sub.add_parser("models", help="list, download or verify the configured models")
    parser.add_argument("action", nargs="?", choices=("list", "download", "verify"), default="list")
    parser.add_argument("--config", type=Path, help="config file (default: the one in the config folder)")
    parser.add_argument("--json", action="store_true", help="one JSON object per model instead of text")
    parser.set_defaults(run=run)


def run(args) -> int:
    """List, download or verify.

    Exit 1 when the detector is missing, a file does not verify or a download failed. Missing CLIP
    weights alone are not a failure: rules without text prompts run without them.
    """
    paths = app_paths()
    config, _ = load_or_default(args.config, paths.config_file)
    states = [_detector_state(config.models.detector.weights, paths.model_cache_dir),
              clip_state(config.models.clip, paths.model_cache_dir)]
    runs_on = _runs_on(config.models.detector, states[0].path, paths.model_cache_dir)
    failed = 0
    if args.action == "download" and states[1].state == "downloadable":
        try:
            download_clip(config.models.clip, paths.model_cache_dir)
        except ClipUnavailable as exc:
            print(f"surveil models download: {exc}", file=sys.stderr)
            failed = 1
        states[1] = clip_state(config.models.clip, paths.model_cache_dir)
    rows = [_row(state, args.action == "verify") for state in states]
    rows[0]["runs_on"] = runs_on
    mismatch = any(row.get("verify", "").startswith("MISMATCH") for row in rows)
    failed = failed or states[0].state != "present" or mismatch
    for row in rows:
        print(json.dumps(row) if args.json else _line(row))
    if states[1].state != "present" and not args.json:
        print("CLIP conditions of rules are unavailable until the CLIP weights are present; "
              "rules made of classes, zones and motion work without them.")
    return 1 if failed else 0


def _row(state: WeightsState, check: bool) -> dict:
    """What one model's line says; a downloadable model is missing here, with how to get it as the reason."""
    row = {"name": state.name, "state": "present" if state.state == "present" else "missing",
           "downloadable": state.state == "downloadable", "path": str(state.path) if state.path else None,
           "detail": state.detail}
    if check and state.path is not None:
        row["verify"] = verify(state.path)
    return row


def _line(row: dict) -> str:
    shown = row["path"] if row["state"] == "present" else f"({row['detail']})"
    line = f"{row['name']:45} {row['state']:8} {shown}" + (f"  {row['verify']}" if "verify" in row else "")
    return line + (f"\n{'':45} runs on {row['runs_on']}" if row.get("runs_on") else "")


def _runs_on(detector, path: Path | None, cache: Path) -> str | None:
    """How the engine will run the detector: a .pt on torch, or on OpenVINO from its conversion in the cache."""
    from surveil.vision import ov_convert
    from surveil.vision.weights import is_openvino_export

    if path is None:
        return None
    installed = importlib.util.find_spec("openvino") is not None
    if is_openvino_export(path):
        return "openvino (an export)" if installed else f"torch ({DEFAULT_DETECTOR}: the openvino package is missing)"
    if ov_convert.runtime_for(detector) == "torch":
        return "torch"
    try:
        target = ov_convert.target_for(path, cache)
    except OSError as exc:
        return f"openvino, once the weights can be read ({exc.strerror})"
    made = "converted" if is_openvino_export(target) else "converted at the engine's first start"
    return f"openvino ({made}: {target})"


def verify(path: Path) -> str:
    """Compare a file's sha256 with the known one (bundled) or the one recorded at first check."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    digest = hashlib.sha256()
    for file in files:
        with open(file, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    actual = digest.hexdigest()
    known = BUNDLED_SHA256.get(path.name) if path.parent == resources_dir() else None
    sidecar = path.with_name(path.name + ".sha256")
    if known is None and sidecar.is_file():
        known = sidecar.read_text().split()[0]
    if known is None:
        try:
            sidecar.write_text(f"{actual}  {path.name}\n")
        except OSError:
            return f"sha256 {actual[:12]}… (not recorded: folder is read-only)"
        return f"sha256 {actual[:12]}… recorded"
    if actual == known:
        return f"sha256 ok ({actual[:12]}…)"
    return f"MISMATCH: sha256 {actual[:12]}…, expected {known[:12]}…"


def _detector_state(weights: str, cache: Path) -> WeightsState:
    name = f"detector {weights}"
    try:
        return WeightsState(name, "present", resolve_weights(weights, cache), "")
    except WeightsNotFound as exc:
        return WeightsState(name, "missing", None, str(exc))
