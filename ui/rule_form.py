"""The rule form: one widget per rule field, labels and tooltips from the rule model's titles and descriptions.

Laid out for a narrow column: the fields take the width, a unit sits in its number's box ("60.00 s"),
and headings split the fields into what the rule matches, when it fires, motion and schedule.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QWidget,
)

from surveil.rules.model import MotionCondition, Rule, Schedule
from ui.rule_words_hint import WordsHint
from ui.theme import ALARM_TEXT

# (field, kind) in the order shown; kinds: text, lines, csv, bool, float, int, severity, motion:<field>
FIELDS = (("name", "text"), ("enabled", "bool"), ("prompts", "lines"), ("contrast_prompts", "lines"),
          ("fire_without_clip", "bool"), ("classes", "csv"), ("cameras", "csv"), ("threshold", "float"),
          ("votes_k", "int"), ("votes_n", "int"),
          ("min_duration_s", "float"), ("cooldown_s", "float"), ("grace_s", "float"), ("severity", "severity"),
          ("motion:min_speed_bh_s", "optional"), ("motion:max_speed_bh_s", "optional"),
          ("motion:stationary_s", "optional"), ("motion:heading_from_deg", "optional"),
          ("motion:heading_to_deg", "optional"), ("schedule:days", "csv"), ("schedule:start", "text"),
          ("schedule:end", "text"))

# Sections of the form: the field that starts one, and its heading.
SECTIONS = {"threshold": "Firing", "motion:min_speed_bh_s": "Motion", "schedule:days": "Schedule"}
# What an empty field means, or the form a value takes, shown in the empty field.
PLACEHOLDERS = {"prompts": "one per line", "contrast_prompts": "one per line", "classes": "any class",
                "cameras": "every camera", "schedule:days": "every day (mon, tue … sun)",
                "schedule:start": "HH:MM", "schedule:end": "HH:MM"}
_UNIT = re.compile(r"^(?P<label>.+?) \((?P<unit>[^)]+)\)$")  # "Cooldown (s)"
_SUFFIXES = {"s": " s", "deg": "°"}


def _info(name: str):
    group, _, field = name.rpartition(":")
    return {"": Rule, "motion": MotionCondition, "schedule": Schedule}[group].model_fields[field]


def label_and_suffix(title: str) -> tuple[str, str]:
    """A title's words and its unit as a spin box suffix: "Cooldown (s)" -> ("Cooldown", " s").

    The unit moves into the number's box, so the label column stays narrow on a laptop screen.
    """
    found = _UNIT.match(title)
    if found is None:
        return title, ""
    unit = found["unit"]
    return found["label"], _SUFFIXES.get(unit, f" {unit}")


class RuleForm(QWidget):
    """Reads and writes a rule as the dict the rule model validates; ``zones`` and ``schedule`` ride along."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.zones: list = []
        self.extra: dict = {}
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)  # the scroll bar's side
        layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)  # one tidy column
        layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # squeezed: the label goes above
        layout.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        for name, kind in FIELDS:
            if name in SECTIONS:
                layout.addRow(self._heading(SECTIONS[name]))
            info = _info(name)
            label, suffix = label_and_suffix(info.title or name)
            widget = self._make(kind) if kind != "optional" else self._optional(info)
            widget.setToolTip(info.description or "")
            if isinstance(widget, QAbstractSpinBox):
                widget.setSuffix(suffix)  # "off" (the special value) is shown without it
            elif suffix:
                label = info.title
            if name in PLACEHOLDERS:
                widget.setPlaceholderText(PLACEHOLDERS[name])
            layout.addRow(label, widget)
            self.widgets[name] = widget
            if name == "prompts":  # what the words check without CLIP, right under them
                self.words = WordsHint(widget, self.zone_names, self._fires_without_clip)
                layout.addRow(self.words)
        self.widgets["fire_without_clip"].toggled.connect(self.words.refresh)

    def zone_names(self) -> list[str]:
        """The names of the rule's zones: a place phrase in a prompt may name one."""
        return [z.get("name", "") for z in self.zones]

    def _fires_without_clip(self) -> bool:
        box = self.widgets.get("fire_without_clip")
        return box is not None and box.isChecked()

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
        self.words.refresh()  # the prompts were set before the zones their words may name

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
    def _heading(text: str) -> QLabel:
        """A section's heading across both columns, ruled off below."""
        heading = QLabel(text)
        rule = heading.palette().color(QPalette.ColorRole.Light).name()
        heading.setStyleSheet("font-weight: bold; padding-top: 8px; padding-bottom: 2px;"
                              f" border: 0px; border-bottom: 1px solid {rule};")
        heading.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)  # spare height stays below
        return heading

    @staticmethod
    def _make(kind: str) -> QWidget:
        if kind == "bool":
            return QCheckBox()
        if kind == "lines":
            widget = QPlainTextEdit()
            widget.setFixedHeight(54)  # three lines
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
