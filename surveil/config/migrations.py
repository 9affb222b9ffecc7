"""One function per schema step, applied in order when an older file is loaded.

``MIGRATIONS[n]`` turns a version-n mapping into a version-(n+1) mapping. Version 2
replaced ``recording.continuous`` with each camera's ``record`` mode.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

Migration = Callable[[dict[str, Any]], dict[str, Any]]


def _continuous_to_record(data: dict[str, Any]) -> dict[str, Any]:
    """1 -> 2: ``recording.continuous`` (never applied) gives way to each camera's ``record`` mode."""
    recording = dict(data.get("recording") or {})
    continuous = recording.pop("continuous", None)
    if "recording" in data:
        data["recording"] = recording
    if continuous is False:  # the old files recorded around events only
        data["cameras"] = [{"record": "events", **camera} for camera in data.get("cameras") or []]
    return data


MIGRATIONS: dict[int, Migration] = {1: _continuous_to_record}


class MigrationError(ValueError):
    """The file's schema version cannot be brought to the current one."""


def migrate(data: dict[str, Any], current: int, migrations: dict[int, Migration] | None = None) -> dict[str, Any]:
    """Return ``data`` brought up to schema ``current``; a file without a version is taken as current."""
    steps = MIGRATIONS if migrations is None else migrations
    version = data.get("schema_version", current)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise MigrationError(f"schema_version must be a whole number of at least 1, not {version!r}")
    if version > current:
        raise MigrationError(
            f"schema_version {version} was written by a newer surveil; this one reads up to {current}"
        )
    while version < current:
        if version not in steps:
            raise MigrationError(f"no migration from schema_version {version} to {version + 1}")
        data = steps[version](dict(data))
        version += 1
        data["schema_version"] = version
        logger.info("migrated configuration to schema version %d", version)
    return data
