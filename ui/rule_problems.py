"""A rule's validation errors in the operator's words: each named by the form's titles, with the fields to outline."""

from __future__ import annotations

import re
import types
import typing

from surveil.rules.model import MotionCondition, Rule, Schedule
from ui.rule_form import FIELDS

if typing.TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError


def _submodel(annotation) -> type[BaseModel] | None:
    """The model inside ``Model``, ``Model | None`` or ``list[Model]``."""
    if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        return next(filter(None, map(_submodel, typing.get_args(annotation))), None)
    return None


def title_path(loc: tuple) -> str:
    """A validation error's location in the model's titles: ("motion", "stationary_s") -> "Motion › Still …"."""
    model: type[BaseModel] | None = Rule
    parts = []
    for step in loc:
        if isinstance(step, int):  # an item of a list: zones, actions
            parts.append(f"#{step + 1}")
        elif model is not None and step in model.model_fields:
            info = model.model_fields[step]
            parts.append(info.title or str(step))
            model = _submodel(info.annotation)
        else:
            parts.append(str(step))
    return " › ".join(parts)


# Model validators name fields in their messages ("votes_k (5) cannot exceed votes_n (3)"): shown by title.
_TITLES = {name: info.title for model in (Rule, MotionCondition, Schedule)
           for name, info in model.model_fields.items() if "_" in name and info.title}
_NAMED = re.compile(r"\b(" + "|".join(map(re.escape, _TITLES)) + r")\b")


def explain(exc: ValidationError) -> tuple[list[str], set[str]]:
    """Each problem as "Title › Path: message" in the operator's words, and the form fields to outline."""
    lines, fields = [], set()
    for error in exc.errors(include_input=False, include_url=False):
        loc, message = tuple(error["loc"]), error["msg"].removeprefix("Value error, ")
        fields |= _at_fault(loc, message)
        message = _NAMED.sub(lambda m: f"'{_TITLES[m.group(1)]}'", message)
        lines.append(f"{title_path(loc)}: {message}" if loc else message)
    return lines, fields


def _at_fault(loc: tuple, message: str) -> set[str]:
    """The form fields a problem names in its message (a model validator's), else the one at its location."""
    group = str(loc[0]) if loc and loc[0] in ("motion", "schedule") else ""
    named = {name for name, _ in FIELDS if name.rpartition(":")[0] == group
             and re.search(rf"\b{name.rpartition(':')[2]}\b", message)}
    if named or not loc:
        return named
    return {f"{group}:{loc[1]}" if group and len(loc) > 1 else str(loc[0])}
