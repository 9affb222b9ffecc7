"""Per-camera settings for the motion gate and the tracker."""

from __future__ import annotations

from pydantic import Field, field_validator

from surveil.schema import Polygon, StrictModel, check_polygon


class MotionConfig(StrictModel):
    """The cheap frame-differencing gate that decides whether detection runs at all."""

    enabled: bool = Field(True, title="Motion gate", description="Off runs detection on every analysed frame.")
    pixel_threshold: int = Field(
        25, ge=1, le=255, title="Pixel threshold",
        description="Brightness change (0-255) for a pixel to count as moving; lower is more sensitive.",
    )
    min_area: float = Field(
        0.002, ge=0.0, le=1.0, title="Minimum moving area",
        description="Share of the picture that must change before the gate opens (0.002 = 0.2 %).",
    )
    max_detect_fps: float = Field(
        5.0, gt=0, le=60, title="Detections per second",
        description="While something moves, detection runs at most this often.",
    )
    follow_detect_fps: float | None = Field(
        None, gt=0, le=60, title="Detections per second while following",
        description="While everything that moves is an object already tracked, detection runs this often "
                    "(at most the rate above); motion anywhere else brings the full rate back at once. "
                    "Empty: the full rate always. Lower saves CPU on busy scenes and loses some identity.",
    )
    min_detect_interval_s: float = Field(
        5.0, gt=0, le=3600, title="Detect at least every (s)",
        description="Detection runs this often even without motion, so still objects are seen now and then.",
    )
    masks: list[Polygon] = Field(
        default_factory=list, title="Ignored regions",
        description="Polygons (normalised 0-1 coordinates) whose motion is ignored: trees, clocks, busy roads.",
    )

    @field_validator("masks")
    @classmethod
    def _check_masks(cls, masks: list[Polygon]) -> list[Polygon]:
        return [check_polygon(points) for points in masks]
