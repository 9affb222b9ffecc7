"""The rule form: one widget per rule field, labels and tooltips from the rule model's titles and descriptions."""

from __future__ import annotations

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


class RuleForm(QWidget):
    """Reads and writes a rule as the dict the rule model validates; ``zones`` and ``schedule`` ride along."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}
        self.zones: list = []
        self.extra: dict = {}
        layout = QFormLayout(self)
        for name, kind in FIELDS:
            widget = self._make(kind)
            info = _info(name)
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
            widget.setStyleSheet("border: 2px solid #c62828;" if key in fields or name in fields else "")

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
        if kind in ("float", "optional"):
            widget = QDoubleSpinBox()
            widget.setRange(-1.0, 100000.0)
            widget.setDecimals(2)
            if kind == "optional":
                widget.setSpecialValueText("off")
                widget.setMinimum(-1.0)
            return widget
        if kind == "severity":
            widget = QComboBox()
            widget.addItems(["low", "medium", "high", "critical"])
            return widget
        return QLineEdit()

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
            widget.setValue(-1.0 if value is None else value)
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
            return None if widget.value() < 0 else widget.value()
        if kind == "severity":
            return widget.currentText()
        return widget.text()
