"""A PyTorch detector run on OpenVINO: converted once into the model cache, with a free input shape.

On a CPU, OpenVINO runs the same network for much less than torch: it picks bfloat16 where the
CPU has it (AMX, AVX-512 BF16) and float32 elsewhere. The conversion is Ultralytics' own export
with a dynamic input, so a 16:9 frame is letterboxed to 384x640 rather than 640x640 and several
cameras' frames go in one batch. ``surveil bench vision`` on the 640x360 clips, detecting on
every frame (2-core Xeon with AMX): this 64-74 fps, the INT8 640x640 export 42, torch 21.

The export reads a copy of the weights in a folder of its own inside the cache (it writes next
to the file it reads, and the bundled weights may sit in a read-only install), then moves the
result into place under a name that carries the weights' hash: changed weights convert again.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from surveil.vision.runtime import configure_ultralytics, pick_device
from surveil.vision.weights import is_openvino_export

logger = logging.getLogger(__name__)

FOLDER = "openvino"  # inside the model cache
STALE_S = 3600.0  # a conversion takes seconds: a folder this old was left by a killed process


def runtime_for(config) -> str:
    """Where a .pt of this ``DetectorConfig`` runs: ``openvino`` or ``torch``."""
    if config.runtime == "torch" or importlib.util.find_spec("openvino") is None:
        return "torch"
    if config.runtime == "auto" and pick_device(config.device) != "cpu":
        return "torch"
    return "openvino"


def target_for(weights: Path, cache_dir: Path) -> Path:
    """Where the conversion of ``weights`` lives in the cache (it may not be made yet)."""
    return cache_dir / FOLDER / f"{weights.stem}-{_digest(weights)}_openvino_model"


def converted(weights: Path, cache_dir: Path) -> Path:
    """The OpenVINO export of ``weights`` (a .pt) in the cache, made now if it is not there yet."""
    target = target_for(weights, cache_dir)
    if is_openvino_export(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(target.parent)
    logger.info("converting %s for OpenVINO into %s (once)", weights.name, target)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".converting-") as tmp:
        copy = Path(tmp) / weights.name
        shutil.copyfile(weights, copy)
        made = Path(_export(copy))
        try:
            made.rename(target)
        except OSError:
            if not is_openvino_export(target):  # not another process that got there first
                raise
    return target


def _remove_stale(folder: Path) -> None:
    """Delete what a conversion killed midway left (a copy of the weights, half an export)."""
    for left in folder.glob(".converting-*"):
        try:
            if time.time() - left.stat().st_mtime > STALE_S:
                shutil.rmtree(left)
        except OSError:  # another process's, just finished or removed: not ours to worry about
            pass


def _export(weights: Path) -> str:
    configure_ultralytics()  # this may be the process's first ultralytics import: no settings file, no installs
    from ultralytics import YOLO

    with warnings.catch_warnings():  # torch's tracer warns about its own deprecation, not about the weights
        warnings.simplefilter("ignore")
        return YOLO(str(weights)).export(format="openvino", dynamic=True, half=False, imgsz=640, verbose=False)


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()[:12]


def is_dynamic(export: Path) -> bool:
    """Whether an Ultralytics OpenVINO export takes any input shape (from its metadata.yaml)."""
    import yaml

    try:
        meta = yaml.safe_load((export / "metadata.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        return False
    return bool((meta.get("args") or {}).get("dynamic", False))
