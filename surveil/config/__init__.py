"""Validated configuration: pydantic models, YAML load/save, migrations."""

from surveil.config.camera import CameraConfig, ReconnectConfig
from surveil.config.io import ConfigError, Problem, load_config, load_or_default, parse_config, save_config
from surveil.config.root import SCHEMA_VERSION, SurveilConfig
from surveil.config.sections import ClipConfig, DetectorConfig, ModelsConfig, RecordingConfig, StorageConfig
from surveil.config.vision import MotionConfig

__all__ = [
    "SCHEMA_VERSION",
    "CameraConfig",
    "ClipConfig",
    "ConfigError",
    "DetectorConfig",
    "ModelsConfig",
    "MotionConfig",
    "Problem",
    "ReconnectConfig",
    "RecordingConfig",
    "StorageConfig",
    "SurveilConfig",
    "load_config",
    "load_or_default",
    "parse_config",
    "save_config",
]
