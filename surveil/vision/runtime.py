"""Process-wide settings for ultralytics, applied before it is first imported.

Ultralytics writes a settings file into the user's config folder and, by default,
pip-installs missing packages at run time (openvino, for an OpenVINO export). Neither
is acceptable in an app: settings go to our model cache, and nothing installs itself.
"""

from __future__ import annotations

import os

from surveil.paths import app_paths


def configure_ultralytics() -> None:
    """Point ultralytics at our folders and switch off auto-install and chatter. Idempotent."""
    os.environ.setdefault("YOLO_CONFIG_DIR", str(app_paths().model_cache_dir / "ultralytics"))
    os.environ.setdefault("YOLO_AUTOINSTALL", "false")
    os.environ.setdefault("YOLO_VERBOSE", "false")


def pick_device(requested: str) -> str:
    """'auto' becomes the first CUDA GPU when torch sees one, else 'cpu'; anything else passes through."""
    if requested != "auto":
        return requested
    import torch

    return "cuda:0" if torch.cuda.is_available() else "cpu"
