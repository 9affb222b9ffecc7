"""Building blocks of every validated model (config sections, rules): a leaf module, imported by both."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError

Polygon = list[tuple[float, float]]


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys and validates on assignment.

    Every field of a subclass must carry a ``title`` and a ``description``: the
    rule and camera editors show them as labels and tooltips (a test checks it).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)


def check_polygon(points: Polygon) -> Polygon:
    """A polygon in normalised coordinates: at least three points, each inside [0, 1]."""
    if len(points) < 3:
        raise ValueError(f"a polygon needs at least 3 points, got {len(points)}")
    for x, y in points:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError(f"point ({x}, {y}) is outside the picture: use coordinates from 0 to 1")
    return points


def problems(exc: ValidationError, whole: str = "config") -> list[str]:
    """Each validation problem as ``field.path: message``, without pydantic's "Value error, " prefix."""
    return [f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors(include_input=False, include_url=False)]
