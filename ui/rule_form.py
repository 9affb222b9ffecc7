"""The rule form: one widget per rule field, labels and tooltips from the rule model's titles and descriptions."""

from __future__ import annotations

import re
import types
import typing

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from surveil.rules.model import MotionCondition, Rule, Schedule
from ui.theme import ALARM_TEXT

if typing.TYPE_CHECKING:
    from pydantic import BaseModel, ValidationError

# (field, kind) in the order shown; kinds: text, lines, csv, bool, float, int, severity, motion:<field>
FIELDS = (("name", "text"), ("enabled", "bool"), ("prompts", "lines"), ("contrast_prompts", "lines"),
          ("classes", "csv"), ("cameras", "csv"), ("threshold", "float"), ("votes_k", "int"), ("votes_n", "int"),
          ("min_duration_s", "float"), ("cooldown_s", "float"), ("grace_s", "float"), ("severity", "severity"),
          ("motion:min_speed_bh_s", "optional"), ("motion:max_speed_bh_s", "optional"),
          ("motion:stationary_s", "optional"), ("motion:heading_from_deg", "optional"),
          ("motion:heading_to_deg", "optional"), ("schedule:days", "csv"), ("schedule:start", "text"),
          ("schedule:end", "text"))


def _info(name: str):
    group, _, field = name.rpartition(":")
    return {"": Rule, "motion": MotionCondition, "schedule": Schedule}[group].model_fields[field]


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


class RuleForm(QWidget):
    """Reads and writes a rule as the dict the rule model validates; ``zones`` and ``schedule`` ride along."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.zones: list = []
        self.extra: dict = {}
        layout = QFormLayout(self)
        for name, kind in FIELDS:
            info = _info(name)
            widget = self._make(kind) if kind != "optional" else self._optional(info)
            widget.setToolTip(info.description or "")
            layout.addRow(info.title or name, widget)
            self.widgets[name] = widget

    def load(self, rule: Rule) -> None:
        """Show a rule."""
        data = rule.model_dump(mode="json")
        for name, kind in FIELDS:
            group, _, field = name.rpartition(":")
            value = (data.get(group) or {}).get(field) if group else data.get(name)
            if group == "schedule" and field in ("start", "end") and value:
                value = value[:5]  # HH:MM
            self._set(self.widgets[name], kind, value)
        self.zones = [z for z in data.get("zones", [])]
        self.extra = {k: data[k] for k in ("actions",) if data.get(k)}

    def data(self) -> dict:
        """The form as a rule dict (not yet validated)."""
        out: dict = dict(self.extra)
        groups: dict[str, dict] = {"motion": {}, "schedule": {}}
        for name, kind in FIELDS:
            value = self._get(self.widgets[name], kind)
            group, _, field = name.rpartition(":")
            if not group:
                out[name] = value
            elif value not in (None, "", []):
                groups[group][field] = value
        out["motion"] = groups["motion"] or None
        out["schedule"] = groups["schedule"] or None  # empty: always; days given alone: all day on those days
        out["zones"] = self.zones
        return out

    def mark_invalid(self, fields: set[str]) -> None:
        """Outline the widgets of the fields that failed validation."""
        for name, widget in self.widgets.items():
            key = name.split(":")[0]
            widget.setStyleSheet(f"border: 2px solid {ALARM_TEXT};" if key in fields or name in fields else "")

    @staticmethod
    def _make(kind: str) -> QWidget:
        if kind == "bool":
            return QCheckBox()
        if kind == "lines":
            widget = QPlainTextEdit()
            widget.setFixedHeight(54)
            widget.setPlaceholderText("one per line")
            return widget
        if kind == "int":
            widget = QSpinBox()
            widget.setRange(0, 100)
            return widget
        if kind == "float":
            widget = QDoubleSpinBox()
            widget.setRange(-1.0, 100000.0)
            widget.setDecimals(2)
            return widget
        if kind == "severity":
            widget = QComboBox()
            widget.addItems(["low", "medium", "high", "critical"])
            return widget
        return QLineEdit()

    @staticmethod
    def _optional(info) -> QDoubleSpinBox:
        """A number that may be left out: its minimum reads "off" and means None.

        The minimum sits one step below the lowest valid value, so the first step up from "off"
        is valid (0 for a heading, 1 s for "still for"), never a 0.00 that the rule refuses.
        """
        widget = QDoubleSpinBox(decimals=2)
        low, high = -1.0, 100000.0
        for bound in info.metadata:  # pydantic's Ge, Gt, Le, Lt
            if getattr(bound, "ge", None) is not None:
                low = float(bound.ge) - 1
            elif getattr(bound, "gt", None) is not None:
                low = float(bound.gt)
            elif getattr(bound, "le", None) is not None:
                high = float(bound.le)
            elif getattr(bound, "lt", None) is not None:
                high = float(bound.lt) - 0.01
        widget.setRange(low, high)
        widget.setSpecialValueText("off")
        widget.setValue(low)
        return widget

    @staticmethod
    def _set(widget, kind: str, value) -> None:
        if kind == "bool":
            widget.setChecked(bool(value))
        elif kind == "lines":
            widget.setPlainText("\n".join(value or []))
        elif kind == "csv":
            widget.setText(", ".join(value or []))
        elif kind in ("int", "float"):
            widget.setValue(value or 0)
        elif kind == "optional":
            widget.setValue(widget.minimum() if value is None else value)
        elif kind == "severity":
            widget.setCurrentText(value or "medium")
        else:
            widget.setText(value or "")

    @staticmethod
    def _get(widget, kind: str):
        if kind == "bool":
            return widget.isChecked()
        if kind == "lines":
            # Empty lines are gaps; a line of spaces is an empty prompt, which validation names.
            return [line.strip() for line in widget.toPlainText().splitlines() if line]
        if kind == "csv":
            return [part.strip() for part in widget.text().split(",") if part.strip()]
        if kind == "int":
            return widget.value()
        if kind == "float":
            return widget.value()
        if kind == "optional":
            return None if widget.value() <= widget.minimum() else widget.value()
        if kind == "severity":
            return widget.currentText()
        return widget.text()
