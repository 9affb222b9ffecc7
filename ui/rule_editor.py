"""The rule editor: write and tune rules, draw zones on a camera's frame, see why a rule fires or not.

Three columns in a splitter, sized for a 1366x768 laptop's central area (about 960x560) and up:
the rules with their back-test, the form (which scrolls, and takes most of the width), and the camera side.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from pydantic_core import ValidationError  # pydantic's: "from pydantic" ahead of PySide6 trips shiboken's hook
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from surveil.rules.model import Rule
from surveil.service.link import EngineLink
from ui.rule_backtest import BacktestPanel
from ui.rule_form import RuleForm
from ui.rule_notice import Notice, clip_message
from ui.rule_problems import explain
from ui.rule_zones_side import ZonesSide
from ui.theme import ALARM_TEXT
from ui.worker import Job

logger = logging.getLogger(__name__)

# The columns' widths at 960 pixels, in the order shown. Wider, the list keeps its width and the form and the
# camera side grow in proportion (a splitter's way) until the form reaches its widest; the picture takes the rest.
_WIDTHS = (180, 420, 340)
_STRETCH = (0, 1, 1)
_LEAST = (150, 280, 240)
_FORM_WIDEST = 620


class RuleEditor(QWidget):
    """Edits rules through the link's commands (the engine checks, applies and saves); reads its snapshots."""

    saved = Signal(str)

    def __init__(self, link: EngineLink, parent: QWidget | None = None,
                 frame_for: Callable[[str], np.ndarray | None] | None = None):
        super().__init__(parent)
        self.link = link
        self.rules = QListWidget()
        self.rules.currentTextChanged.connect(self._show_rule)
        self.form = RuleForm()
        self.side = ZonesSide([c.id for c in link.snapshot().config.cameras], frame_for or (lambda _camera: None))
        self.side.zones.polygonClosed.connect(self._zone_added)
        self.side.camera.currentTextChanged.connect(lambda _: self._show_zone_picture())
        self.side.clear.clicked.connect(self._clear_zones)
        # The parts tests and the window reach for, by their names of old.
        self.zones, self.camera, self.zone_source, self.why = (self.side.zones, self.side.camera,
                                                               self.side.source, self.side.why)
        self.testing = BacktestPanel(link)
        self.testing.start.clicked.connect(self.backtest)
        self.backtest_result, self.backtest_hits = self.testing.result, self.testing.hits
        self.errors = QLabel("")  # the editor's status line: errors in ALARM_TEXT, a confirmation in plain text
        self.errors.setWordWrap(True)
        self.clip_notice = Notice()
        message, clip_missing = clip_message(link)
        self.clip_notice.show_message(message, clip_missing)
        self.form.words.set_clip_available(not clip_missing)  # unchecked words turn amber without CLIP
        self._build()
        for rule in link.snapshot().config.rules:
            self.rules.addItem(rule.name)
        if self.rules.count():
            self.rules.setCurrentRow(0)
        self._timer = QTimer(self, interval=1000, timeout=self.refresh_explanations)
        self._timer.start()

    @property
    def job(self) -> Job | None:
        """The last back-test started."""
        return self.testing.job

    def _build(self) -> None:
        splitter = QSplitter(Qt.Orientation.Horizontal, childrenCollapsible=False)
        columns = (self._list_side(), self._form_side(), self.side)
        for n, (column, stretch, least) in enumerate(zip(columns, _STRETCH, _LEAST, strict=True)):
            column.setMinimumWidth(least)
            splitter.addWidget(column)
            splitter.setStretchFactor(n, stretch)
        columns[1].setMaximumWidth(_FORM_WIDEST)  # wide number boxes read no better
        splitter.setSizes(list(_WIDTHS))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(splitter)

    def _list_side(self) -> QWidget:
        """The rules, New and Delete; under them the back-test of the rule in the form."""
        buttons = QHBoxLayout()
        for label, slot, tip in (("New", self.new_rule, "Start a blank rule (Apply adds it)"),
                                 ("Delete", self.delete_rule, "Remove the selected rule; its open events end")):
            button = QPushButton(label, toolTip=tip)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Rules:"))
        layout.addWidget(self.rules, 1)
        layout.addLayout(buttons)
        layout.addSpacing(6)
        layout.addWidget(QLabel("Back-test on stored history:"))
        layout.addWidget(self.testing, 1)
        return side

    def _form_side(self) -> QWidget:
        """The CLIP notice, the form (it scrolls: taller than a laptop leaves it), the status line and Apply."""
        area = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        area.setWidget(self.form)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the form narrows instead
        apply = QPushButton("Apply", toolTip="Check the rule, run it live and save it")
        apply.clicked.connect(self.apply)
        apply.setDefault(True)
        below = QHBoxLayout()  # the status line stays in view below the scrolling form, next to Apply
        below.addWidget(self.errors, 1)
        below.addWidget(apply, 0, Qt.AlignmentFlag.AlignTop)
        side = QWidget()
        layout = QVBoxLayout(side)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.clip_notice)
        layout.addWidget(area, 1)
        layout.addLayout(below)
        return side

    def new_rule(self) -> None:
        """Start a blank rule."""
        self.rules.clearSelection()
        self.form.load(Rule(name="new rule", classes=["person"]))
        self.zones.set_zones([])
        self._say("")
        self._show_zone_picture()

    def apply(self) -> Rule | None:
        """Validate the form; show the errors in place, or apply the rule live and save it."""
        data = self.form.data()
        try:
            Rule.model_validate(data)  # first on its own, to mark the fields at fault
            rule = self.link.update_rule(data)
        except ValidationError as exc:
            lines, fields = explain(exc)
            self.form.mark_invalid(fields)
            self._say("\n".join(lines), error=True)
            return None
        except ValueError as exc:  # ChangeRefused: valid alone, refused with the rest (a camera that does not exist)
            self._say(str(exc), error=True)
            return None
        self.form.mark_invalid(set())
        where = f"running on {', '.join(rule.cameras)}" if rule.cameras else "running on every camera"
        self._say(f"Saved '{rule.name}' — {where if rule.enabled else 'disabled: kept, not running'}")
        self._fill_rules(rule.name)
        self.saved.emit(rule.name)
        return rule

    def _say(self, text: str, error: bool = False) -> None:
        """The status line: a problem in the theme's alarm colour, anything else in the window's text colour."""
        self.errors.setStyleSheet(f"color: {ALARM_TEXT}" if error else "")
        self.errors.setText(text)

    def _fill_rules(self, current: str) -> None:
        """The list as the engine now has it, ``current`` selected, without reloading the form."""
        names = [r.name for r in self.link.config.rules]
        self.rules.blockSignals(True)
        self.rules.clear()
        self.rules.addItems(names if current in names else [*names, current])
        self.rules.setCurrentItem(self.rules.findItems(current, Qt.MatchFlag.MatchExactly)[0])
        self.rules.blockSignals(False)

    def delete_rule(self) -> bool:
        """Remove the selected rule through the link (its open events end); it leaves the list."""
        item = self.rules.currentItem()
        if item is None:
            return False
        try:
            self.link.remove_rule(item.text())
        except ValueError as exc:  # ChangeRefused, or a service that cannot be reached
            self._say(str(exc), error=True)
            return False
        self.rules.takeItem(self.rules.row(item))
        self._say(f"Deleted '{item.text()}'")
        return True

    def backtest(self) -> Job | None:
        """Run the form's rule over the stored history, off the GUI thread: what it would have caught."""
        try:
            rule = Rule.model_validate(self.form.data())
        except ValidationError as exc:
            lines, fields = explain(exc)
            self.form.mark_invalid(fields)
            self._say(f"fix the rule first: {lines[0]}", error=True)
            return None
        return self.testing.run(rule)

    def cancel_backtest(self) -> None:
        """Stop a running back-test at its next progress report."""
        self.testing.cancel()

    def refresh_explanations(self) -> None:
        """The selected rule's decision on each track of the selected camera."""
        name, camera_id = self.form.data().get("name"), self.camera.currentText()
        if not name:
            return
        try:
            snapshot = self.link.snapshot()
        except ValueError:  # a service that went away: the status line says so
            return
        self.side.follow_cameras([c.id for c in snapshot.config.cameras])
        lines = [d.explain() for d in snapshot.decisions_on(camera_id, rule=name)]
        text = "\n\n".join(lines) or f"no tracks on {camera_id} for '{name}' right now"
        correct, false_alarms = snapshot.examples.get(name, (0, 0))
        if correct or false_alarms:
            text = f"learned from {correct} correct and {false_alarms} false-alarm mark(s)\n\n{text}"
        if name in snapshot.rule_failures:
            text = f"FAILING, paused and tried again later: {snapshot.rule_failures[name]}\n\n{text}"
        self.why.setPlainText(text)
        self._show_zone_picture()

    def _show_zone_picture(self) -> None:
        self.side.show_picture(self.form.data()["cameras"])

    def _show_rule(self, name: str) -> None:
        rule = next((r for r in self.link.config.rules if r.name == name), None)
        if rule is not None:
            self.form.load(rule)
            self.zones.set_zones([z.points for z in rule.zones])
            self.form.mark_invalid(set())
            self._say("")
            self.side.follow_rule(rule.cameras)  # live decisions follow too
            self._show_zone_picture()

    def _zone_added(self, points: list) -> None:
        self.form.zones.append({"name": f"zone {len(self.form.zones) + 1}", "points": points,
                                "anchor": "bottom_center"})
        self.form.words.refresh()  # "in zone 2" may now name a zone

    def _clear_zones(self) -> None:
        self.form.zones = []
        self.form.words.refresh()
        self.zones.set_zones([])
