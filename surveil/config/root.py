"""The whole configuration file."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from surveil.config.camera import CameraConfig
from surveil.config.sections import ModelsConfig, MqttConfig, NightConfig, RecordingConfig, ServiceConfig, StorageConfig
from surveil.rules.model import Rule
from surveil.schema import StrictModel

SCHEMA_VERSION = 2


class SurveilConfig(StrictModel):
    """Everything the app needs to run: cameras, models, storage, recording and rules."""

    schema_version: int = Field(
        SCHEMA_VERSION, title="Schema version",
        description="Version of this file's layout; older files are migrated when loaded.",
    )
    timezone: str | None = Field(
        None, title="Time zone",
        description="IANA time zone for schedules and local times (for example Europe/Paris); "
        "empty means the system's.",
    )
    cameras: list[CameraConfig] = Field(
        default_factory=list, title="Cameras", description="The cameras to watch.",
    )
    models: ModelsConfig = Field(
        default_factory=ModelsConfig, title="Models", description="Detector and CLIP settings.",
    )
    storage: StorageConfig = Field(
        default_factory=StorageConfig, title="Storage", description="Event store location and retention.",
    )
    recording: RecordingConfig = Field(
        default_factory=RecordingConfig, title="Recording", description="Recording segments and event clips.",
    )
    service: ServiceConfig = Field(
        default_factory=ServiceConfig, title="Local API", description="The running engine's API for the CLI and "
        "attached windows.",
    )
    mqtt: MqttConfig = Field(
        default_factory=MqttConfig, title="MQTT", description="Alerts and camera status to an MQTT broker.",
    )
    night: NightConfig = Field(
        default_factory=NightConfig, title="Night hours",
        description="What 'at night' and 'by day' mean in a rule's words.",
    )
    rules: list[Rule] = Field(
        default_factory=list, title="Rules", description="Alert rules written in plain words.",
    )

    @field_validator("cameras")
    @classmethod
    def _unique_ids(cls, cameras: list[CameraConfig]) -> list[CameraConfig]:
        seen: set[str] = set()
        for camera in cameras:
            if camera.id in seen:
                raise ValueError(f"camera id '{camera.id}' is used twice")
            seen.add(camera.id)
        return cameras

    @field_validator("rules")
    @classmethod
    def _unique_rule_names(cls, rules: list[Rule]) -> list[Rule]:
        names = [rule.name for rule in rules]
        doubled = sorted({n for n in names if names.count(n) > 1})
        if doubled:
            raise ValueError(f"rule name '{doubled[0]}' is used twice")
        return rules

    @model_validator(mode="after")
    def _rule_cameras_exist(self) -> SurveilConfig:
        known = {camera.id for camera in self.cameras}
        for rule in self.rules:
            missing = [c for c in rule.cameras if c not in known]
            if missing:
                raise ValueError(f"rule '{rule.name}' names camera '{missing[0]}', which is not configured")
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone '{value}'") from None
        return value

    def zone(self) -> dt.tzinfo | None:
        """The configured time zone; None means the system's, which callers get from ``astimezone()``."""
        return ZoneInfo(self.timezone) if self.timezone else None

    def rule(self, name: str) -> Rule:
        """The rule with this name; KeyError names the rules that exist."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(f"no rule '{name}' (have: {', '.join(r.name for r in self.rules) or 'none'})")

    def camera(self, camera_id: str) -> CameraConfig:
        """The camera with this id; KeyError names the ids that exist."""
        for camera in self.cameras:
            if camera.id == camera_id:
                return camera
        raise KeyError(f"no camera '{camera_id}' (have: {', '.join(c.id for c in self.cameras) or 'none'})")
