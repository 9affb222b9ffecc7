"""The detectors the benchmarks compare, by the name a table shows.

- ``openvino``: ``yolo11n.pt`` converted for OpenVINO with a free input shape (what the engine
  runs on a CPU where the openvino extra is installed: ``models.detector.runtime: auto``);
- ``int8``: the INT8 OpenVINO export, a fixed 640x640 input (two frames packed per call);
- ``torch``: ``yolo11n.pt`` on PyTorch.

One that does not load as named (no openvino package, no export in the folder) is left out
with a log line, never run under another name.
"""

from __future__ import annotations

import logging
from pathlib import Path

from surveil.config import DetectorConfig
from surveil.paths import app_paths
from surveil.vision.detector import YoloDetector

logger = logging.getLogger(__name__)

CHOICES = {"openvino": ("yolo11n.pt", "openvino"), "int8": ("yolo11n_int8_openvino_model", "auto"),
           "torch": ("yolo11n.pt", "torch")}


def load(models: Path, name: str) -> YoloDetector | None:
    """The detector ``name`` from the ``models`` folder, warmed up; None where it does not load as that."""
    weights, runtime = CHOICES[name]
    if not (models / weights).exists():
        logger.warning("bench: no %s in %s: the %s detector is left out", weights, models, name)
        return None
    detector = YoloDetector(DetectorConfig(weights=str(models / weights), runtime=runtime),
                            app_paths().model_cache_dir)
    if (detector.backend == "torch") != (name == "torch"):
        logger.warning("bench: the %s detector does not load here (pip install 'surveil[openvino]'): left out", name)
        return None
    detector.warmup()
    return detector


def load_all(models: Path, wanted: str = "all") -> list[tuple[str, YoloDetector]]:
    """(name, detector) for ``wanted`` (a name, or ``all``: each that loads)."""
    names = list(CHOICES) if wanted == "all" else [wanted]
    return [(name, d) for name in names if (d := load(models, name)) is not None]
