"""Where surveil keeps its config, data, model cache and logs.

The platform's user folders by default (platformdirs). One environment variable,
``SURVEIL_HOME``, moves all four under one folder: that is how tests, demos and
portable installs stay out of the user's own files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "surveil"
HOME_ENV = "SURVEIL_HOME"
CONFIG_FILE_NAME = "config.yaml"


@dataclass(frozen=True)
class AppPaths:
    """The four folders the app writes to. Nothing is created until ``ensure()``."""

    config_dir: Path
    data_dir: Path
    model_cache_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        """The default configuration file."""
        return self.config_dir / CONFIG_FILE_NAME

    def ensure(self) -> AppPaths:
        """Create the folders that do not exist yet and return self."""
        for folder in (self.config_dir, self.data_dir, self.model_cache_dir, self.log_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self


def app_paths(environ: dict[str, str] | None = None) -> AppPaths:
    """Resolve the folders, honouring ``SURVEIL_HOME`` when it is set and not empty."""
    env = os.environ if environ is None else environ
    home = env.get(HOME_ENV, "").strip()
    if home:
        root = Path(home).expanduser().resolve()
        return AppPaths(root / "config", root / "data", root / "models", root / "logs")
    return AppPaths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        model_cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "models",
        log_dir=Path(platformdirs.user_log_dir(APP_NAME, appauthor=False)),
    )
