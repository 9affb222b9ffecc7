"""Finding the files bundled in ``resources/``: the demo clip, default weights, default configs."""

from __future__ import annotations

from pathlib import Path

DEMO_CLIP = "pets2009_walkway_480x360.avi"
DEMO_CONFIG = "demo.yaml"
DEFAULT_DETECTOR = "yolo11n.pt"


def resources_dir() -> Path:
    """The folder of bundled resources, installed (``surveil_resources``) or in a source tree."""
    try:
        import surveil_resources
    except ImportError:
        return Path(__file__).resolve().parent.parent / "resources"
    return Path(surveil_resources.__file__).resolve().parent


def resource_path(name: str) -> Path:
    """The path of one bundled file; FileNotFoundError says where it was looked for."""
    path = resources_dir() / name
    if not path.exists():
        raise FileNotFoundError(f"bundled resource '{name}' is missing from {path.parent}; reinstall surveil")
    return path
