"""Where the store and the clips of a configuration live."""

from __future__ import annotations

from pathlib import Path

from surveil.config import SurveilConfig
from surveil.paths import AppPaths


def store_folder(config: SurveilConfig, paths: AppPaths) -> Path:
    """The configured store folder, or ``store`` in the data folder."""
    return Path(config.storage.path) if config.storage.path else paths.data_dir / "store"


def clips_folder(config: SurveilConfig, paths: AppPaths) -> Path:
    """The configured clips folder, or ``clips`` in the data folder."""
    return Path(config.recording.clips_dir) if config.recording.clips_dir else paths.data_dir / "clips"


def recordings_folder(config: SurveilConfig, paths: AppPaths) -> Path:
    """The configured recordings folder, or ``recordings`` in the data folder."""
    return Path(config.recording.folder) if config.recording.folder else paths.data_dir / "recordings"
