"""Camera configuration: where frames come from and how hard to try when they stop."""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from surveil.config.vision import MotionConfig
from surveil.redact import mask_credentials
from surveil.schema import StrictModel
from surveil.sources import SourceKind, SourceSpecError, parse_source

_CAMERA_ID = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,63}$")


class ReconnectConfig(StrictModel):
    """Exponential backoff with jitter for streams that drop."""

    initial_delay_s: float = Field(
        1.0, gt=0, le=600, title="First retry delay (s)",
        description="Seconds to wait before the first reconnection attempt.",
    )
    max_delay_s: float = Field(
        30.0, gt=0, le=3600, title="Longest retry delay (s)",
        description="The delay doubles after each failed attempt up to this many seconds.",
    )
    multiplier: float = Field(
        2.0, ge=1.0, le=10.0, title="Backoff multiplier",
        description="Factor by which the delay grows after each failed attempt.",
    )
    jitter: float = Field(
        0.2, ge=0.0, le=1.0, title="Jitter",
        description="Fraction of each delay that is randomised, so many cameras do not retry in step.",
    )
    max_attempts: int | None = Field(
        None, ge=1, title="Attempts before giving up",
        description="Reconnection attempts before the camera is marked failed; empty means retry forever.",
    )

    @model_validator(mode="after")
    def _delays_ordered(self) -> ReconnectConfig:
        if self.max_delay_s < self.initial_delay_s:
            raise ValueError("max_delay_s must not be smaller than initial_delay_s")
        return self


class CameraConfig(StrictModel):
    """One camera: a video file, an RTSP or HTTP(S)/MJPEG URL, or a local webcam index."""

    id: str = Field(
        ..., title="Camera id",
        description="Short unique name used in storage keys and file names: lower-case letters, digits, '-' and '_'.",
    )
    name: str = Field("", title="Display name", description="Name shown to operators; defaults to the id.")
    source: str = Field(
        ..., title="Source",
        description="A video file path, an rtsp://, http:// or https:// URL, or a webcam index such as 0.",
    )
    enabled: bool = Field(True, title="Enabled", description="Disabled cameras are kept in the config but not opened.")
    loop: bool = Field(
        False, title="Loop file", description="For video files: start again at the end instead of ending.",
    )
    realtime: bool = Field(
        True, title="Play at file speed",
        description="For video files: deliver frames at the file's own frame rate; off reads as fast as possible.",
    )
    start_time: dt.datetime | None = Field(
        None, title="Start time of the file",
        description="For video files: the wall-clock time of the file's first frame (archived footage); "
        "events and recordings are stamped from it. Empty means the moment the file is opened.",
    )
    record: Literal["always", "motion", "events"] = Field(
        "always", title="Recording",
        description="always: keep every segment of the camera's stream; motion: keep segments with motion "
        "or an event; events: keep only the pre-roll, the event and the post-roll around alerts.",
    )
    recording_days: float | None = Field(
        None, gt=0, le=3650, title="Keep recordings (days)",
        description="Recordings of this camera older than this are deleted; empty uses storage.recording_days.",
    )
    event_days: float | None = Field(
        None, gt=0, le=3650, title="Keep events (days)",
        description="Events of this camera (with their clips) older than this are deleted; empty uses "
        "storage.retention_days.",
    )
    open_timeout_s: float = Field(
        10.0, gt=0, le=120, title="Open timeout (s)",
        description="How long opening a stream may take before it counts as a failed attempt.",
    )
    read_timeout_s: float = Field(
        10.0, gt=0, le=120, title="Read timeout (s)",
        description="How long a live stream may go without a frame before it is reconnected.",
    )
    reconnect: ReconnectConfig = Field(
        default_factory=ReconnectConfig, title="Reconnection",
        description="How a stream that drops is retried.",
    )
    motion: MotionConfig = Field(
        default_factory=MotionConfig, title="Motion gate",
        description="When detection runs on this camera, and which regions to ignore.",
    )
    analysis_fps: float | None = Field(
        None, gt=0, le=120, title="Analysed frames per second",
        description="How many of the camera's frames a second go to the motion gate (and, when it opens, "
                    "detection); the others are recorded but never converted or analysed. Empty: the gate's "
                    "detection rate (motion.max_detect_fps), the most detection can use; for a file read "
                    "faster than real time (realtime: false), every frame.",
    )

    @property
    def analysis_rate(self) -> float | None:
        """Frames a second handed to analysis (None: every frame).

        Unset, a live source (or a file played at its own speed) gets the gate's detection rate, and
        a file read as fast as analysis goes gets every frame: nothing in it is skipped.
        """
        if self.analysis_fps is not None:
            return self.analysis_fps
        unpaced_file = parse_source(self.source).kind is SourceKind.FILE and not self.realtime
        return None if unpaced_file else self.motion.max_detect_fps

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _CAMERA_ID.match(value):
            raise ValueError("use 1-64 lower-case letters, digits, '-' or '_', starting with a letter or digit")
        return value

    @field_validator("start_time")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give the time zone, for example 2026-11-02T14:00:00+01:00 or ...Z for UTC")
        return value

    @model_validator(mode="after")
    def _start_time_for_files(self) -> CameraConfig:
        if self.start_time is not None and parse_source(self.source).kind is not SourceKind.FILE:
            raise ValueError("start_time is for video files only: a stream or webcam is stamped as it arrives")
        return self

    @field_validator("source")
    @classmethod
    def _check_source(cls, value: str) -> str:
        try:
            parse_source(value)
        except SourceSpecError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def display_name(self) -> str:
        """The name to show: ``name`` when set, else the id."""
        return self.name or self.id

    @property
    def masked_source(self) -> str:
        """The source with credentials hidden: the only form that may be logged or shown."""
        return mask_credentials(self.source)

    def __repr_args__(self):
        for key, value in super().__repr_args__():
            yield key, (mask_credentials(value) if key == "source" else value)
