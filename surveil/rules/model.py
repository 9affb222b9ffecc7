"""The rule: what an operator writes, validated, with a title and description on every field."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Literal, get_args

from pydantic import Field, field_validator, model_validator

from surveil.rules.geometry import self_intersects
from surveil.schema import Polygon, StrictModel, check_polygon
from surveil.vision.coco import COCO_CLASSES

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Severity = Literal["low", "medium", "high", "critical"]
SEVERITIES = get_args(Severity)
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Zone(StrictModel):
    """A region of the picture the object must be in."""

    name: str = Field("", title="Zone name", description="A label for the zone, shown on the camera wall.")
    points: Polygon = Field(
        ..., title="Polygon", description="Three or more corners in normalised coordinates (0-1, from top left).",
    )
    anchor: Literal["bottom_center", "center", "any"] = Field(
        "bottom_center", title="Point that must be inside",
        description="bottom_center (where feet or wheels touch the ground), center, or any corner of the box.",
    )

    @field_validator("points")
    @classmethod
    def _valid_polygon(cls, points: Polygon) -> Polygon:
        check_polygon(points)
        if self_intersects(points):
            raise ValueError("the polygon's edges cross each other; draw its corners in order around the zone")
        return points


class MotionCondition(StrictModel):
    """Conditions on how the object moves, from optical flow."""

    min_speed_bh_s: float | None = Field(
        None, ge=0, title="Minimum speed (heights/s)",
        description="Faster than this many of its own heights a second (a walk is about 0.5, a run 1.5).",
    )
    max_speed_bh_s: float | None = Field(
        None, ge=0, title="Maximum speed (heights/s)", description="Slower than this many of its own heights a second.",
    )
    heading_from_deg: float | None = Field(
        None, ge=0, lt=360, title="Heading from (deg)",
        description="Direction range start, counter-clockwise: 0 = right, 90 = up the picture, 180 = left, 270 = down.",
    )
    heading_to_deg: float | None = Field(
        None, ge=0, lt=360, title="Heading to (deg)",
        description="Direction range end (counter-clockwise from the start).",
    )
    stationary_s: float | None = Field(
        None, gt=0, title="Still for at least (s)",
        description="Loitering: the object has stood still at least this many seconds.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> MotionCondition:
        if (self.heading_from_deg is None) != (self.heading_to_deg is None):
            raise ValueError("give both heading_from_deg and heading_to_deg, or neither")
        if self.min_speed_bh_s is not None and self.max_speed_bh_s is not None \
                and self.min_speed_bh_s > self.max_speed_bh_s:
            raise ValueError("min_speed_bh_s is above max_speed_bh_s: nothing could match")
        return self


class Schedule(StrictModel):
    """When the rule is active, in the configured time zone."""

    days: list[Weekday] = Field(
        default_factory=lambda: list(WEEKDAYS), title="Days", description="Days the rule runs on (mon … sun).",
    )
    start: dt.time = Field(dt.time(0, 0), title="From", description="Start time of day (HH:MM).")
    end: dt.time = Field(
        dt.time(0, 0), title="Until",
        description="End time of day (HH:MM); before the start means overnight; equal to the start means all day.",
    )

    @field_validator("days")
    @classmethod
    def _some_days(cls, days: list[str]) -> list[str]:
        if not days:
            raise ValueError("no days chosen: the rule would never run")
        return days


class WebhookAction(StrictModel):
    """Post the alert as JSON to a URL."""

    kind: Literal["webhook"] = Field("webhook", title="Kind", description="The action type.")
    url: str = Field(
        ..., title="URL",
        description="An http:// or https:// address that receives the alert as JSON; user:password@ in it is "
        "sent as HTTP basic auth (percent-encode '@' and ':' in them).",
    )

    @field_validator("url")
    @classmethod
    def _http(cls, url: str) -> str:
        if not url.lower().startswith(("http://", "https://")):
            raise ValueError("a webhook URL must start with http:// or https://")
        parts = urllib.parse.urlsplit(url)
        try:
            parts.port  # noqa: B018 -- raises on a port that is not a number in range
        except ValueError:
            raise ValueError("a webhook URL's port must be a number from 1 to 65535") from None
        if not parts.hostname:
            raise ValueError("a webhook URL needs a host (http://host/path)")
        return url


class Rule(StrictModel):
    """One alert rule: text prompts scored by CLIP, plus classes, zones, motion and time conditions."""

    name: str = Field(..., min_length=1, max_length=80, title="Name", description="Unique name of the rule.")
    enabled: bool = Field(True, title="Enabled", description="Disabled rules are kept but never evaluated.")
    cameras: list[str] = Field(default_factory=list, title="Cameras", description="Camera ids; empty means all.")
    prompts: list[str] = Field(
        default_factory=list, title="Prompts",
        description="What to look for, in plain words: 'a person climbing a fence'.",
    )
    contrast_prompts: list[str] = Field(
        default_factory=list, title="Contrast prompts",
        description="What it must not be confused with: 'a person walking past a fence'.",
    )
    fire_without_clip: bool = Field(
        False, title="Fire without CLIP",
        description="When CLIP is unavailable, fire on the words the app can check (object, colour, motion, "
        "count, zone, time) even though other words of the prompt went unchecked; off keeps such a rule quiet.",
    )
    classes: list[str] = Field(
        default_factory=list, title="Object classes", description="Detector classes the object must be (empty: any).",
    )
    zones: list[Zone] = Field(
        default_factory=list, title="Zones", description="The object must be inside one of these.",
    )
    motion: MotionCondition | None = Field(
        None, title="Motion", description="Speed, direction or loitering conditions.",
    )
    min_duration_s: float = Field(
        0.0, ge=0, le=3600, title="Minimum duration (s)",
        description="All conditions must hold this long before the alert is raised.",
    )
    votes_k: int = Field(2, ge=1, le=50, title="Votes needed", description="CLIP must agree in k of the last n looks.")
    votes_n: int = Field(3, ge=1, le=50, title="Votes window", description="How many recent CLIP looks are counted.")
    threshold: float = Field(
        0.5, ge=0.0, le=1.0, title="Threshold",
        description="Probability (0-1) a CLIP look must reach to count as a vote.",
    )
    cooldown_s: float = Field(
        60.0, ge=0, le=86400, title="Cooldown (s)",
        description="After an alert on a camera, the same rule stays quiet there this long.",
    )
    grace_s: float = Field(
        3.0, ge=0, le=600, title="Grace period (s)",
        description="An alert ends only after its conditions have failed this long, so flicker does not split it.",
    )
    schedule: Schedule | None = Field(None, title="Schedule", description="When the rule runs; empty means always.")
    severity: Severity = Field(
        "medium", title="Severity", description="How loudly the alert is raised.",
    )
    actions: list[WebhookAction] = Field(
        default_factory=list, title="Actions", description="What else happens when the rule fires (webhooks).",
    )

    @field_validator("name")
    @classmethod
    def _name(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the name is blank")
        return name.strip()

    @field_validator("prompts", "contrast_prompts")
    @classmethod
    def _prompts(cls, prompts: list[str]) -> list[str]:
        cleaned = [p.strip() for p in prompts]
        if any(not p for p in cleaned):
            raise ValueError("a prompt is empty; write what to look for, or remove it")
        return cleaned

    @field_validator("classes")
    @classmethod
    def _classes(cls, classes: list[str]) -> list[str]:
        unknown = [c for c in classes if c not in COCO_CLASSES]
        if unknown:
            raise ValueError(f"unknown class {unknown[0]!r}; known classes include person, car, truck, bicycle, dog")
        return classes

    @model_validator(mode="after")
    def _sound(self) -> Rule:
        if self.votes_k > self.votes_n:
            raise ValueError(f"votes_k ({self.votes_k}) cannot exceed votes_n ({self.votes_n})")
        if self.contrast_prompts and not self.prompts:
            raise ValueError("contrast prompts need at least one prompt to contrast with")
        if not (self.prompts or self.classes or self.zones or self.motion):
            raise ValueError("the rule has no condition: give prompts, classes, zones or motion")
        return self
