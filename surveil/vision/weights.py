"""Finding model weights: an explicit path, the model cache, then the bundled resources."""

from __future__ import annotations

from pathlib import Path

from surveil.resources import resources_dir


class WeightsNotFound(FileNotFoundError):
    """No file or folder of that name in any of the places weights are looked for."""


def resolve_weights(name: str, cache_dir: Path) -> Path:
    """The path of ``name``: as given (absolute or relative to here), in ``cache_dir``, or bundled."""
    given = Path(name).expanduser()
    candidates = [given] if given.is_absolute() else [given, cache_dir / name, resources_dir() / name]
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    looked = ", ".join(str(c) for c in candidates)
    raise WeightsNotFound(f"model weights '{name}' not found (looked in: {looked})")


def is_openvino_export(path: Path) -> bool:
    """An Ultralytics OpenVINO export is a folder holding the model's .xml and .bin."""
    return path.is_dir() and any(path.glob("*.xml")) and any(path.glob("*.bin"))
