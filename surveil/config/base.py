"""The base every configuration model shares: unknown keys refused, assignments validated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A pydantic model that refuses unknown keys and validates on assignment.

    Every field of a subclass must carry a ``title`` and a ``description``: the
    rule and camera editors show them as labels and tooltips (a test checks it).
    """

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False)
