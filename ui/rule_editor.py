"""The rule editor: write and tune rules, draw zones on a camera's frame, see why a rule fires or not."""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np
from pydantic_core import ValidationError  # pydantic's: "from pydantic" ahead of PySide6 trips shiboken's hook
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from surveil.rules.model import Rule
from surveil.service.link import EngineLink
from ui.images import icon_from_jpeg
from ui.rule_form import RuleForm, explain
from ui.theme import ALARM_TEXT
from ui.worker import Job
from ui.zone_editor import ZoneEditor

logger = logging.getLogger(__name__)

SHOWN_HITS = 100  # back-test hits listed with their thumbnails


class RuleEditor(QWidget):
    """Edits rules through the link's commands (the engine checks, applies and saves); reads its snapshots."""

    saved = Signal(str)

    def __init__(self, link: EngineLink, parent: QWidget | None = None,
                 frame_for: Callable[[str], np.ndarray | None] | None = None):
        super().__init__(parent)
        self.link = link
        self._frame_for = frame_for or (lambda _camera_id: None)
        self.rules = QListWidget()
        self.rules.currentTextChanged.connect(self._show_rule)
        self.form = RuleForm()
        self.zones = ZoneEditor()
        self.zones.polygonClosed.connect(self._zone_added)
        self.camera = QComboBox()
        self.camera.addItems([c.id for c in link.snapshot().config.cameras])
        self.camera.currentTextChanged.connect(lambda _: self._show_zone_picture())
        self.zone_source = QLabel("")
        self.zone_source.setWordWrap(True)
        self.errors = QLabel("")  # the editor's status line: errors in ALARM_TEXT, a confirmation in plain text
        self.errors.setWordWrap(True)
        self.clip_notice = QLabel(self._clip_text())
        self.clip_notice.setWordWrap(True)
        self.why = QPlainTextEdit(readOnly=True)
        self.backtest_result = QLabel("")
        self.backtest_result.setWordWrap(True)
        self.backtest_hits = QListWidget(viewMode=QListWidget.ViewMode.IconMode, iconSize=QSize(64, 64))
        self.job: Job | None = None
        self._build()
        for rule in link.snapshot().config.rules:
            self.rules.addItem(rule.name)
        if self.rules.count():
            self.rules.setCurrentRow(0)
        self._timer = QTimer(self, interval=1000, timeout=self.refresh_explanations)
        self._timer.start()

    def _build(self) -> None:
        buttons = QGridLayout()  # two a row: the list's side stays narrow
        for n, (label, slot) in enumerate((("New", self.new_rule), ("Apply", self.apply), ("Delete", self.delete_rule),
                                           ("Clear zones", self._clear_zones), ("Back-test", self.backtest),
                                           ("Cancel", self.cancel_backtest))):
            button = QPushButton(label)
            button.clicked.connect(slot)
            buttons.addWidget(button, n // 2, n % 2)
        left = QVBoxLayout()
        left.addWidget(self.rules)
        left.addLayout(buttons)
        left.addWidget(self.backtest_result)
        left.addWidget(self.backtest_hits)
        form_side = QVBoxLayout()
        form_side.addWidget(self.clip_notice)
        form_side.addWidget(self.form)
        right = QVBoxLayout()
        right.addWidget(QLabel("Camera for zones and live decisions:"))
        right.addWidget(self.camera)
        right.addWidget(self.zones, 2)
        right.addWidget(self.zone_source)
        right.addWidget(QLabel("Why it would or would not fire now:"))
        right.addWidget(self.why, 1)
        left_side, form_holder, right_side = QWidget(), QWidget(), QWidget()
        for holder, layout in ((left_side, left), (form_holder, form_side), (right_side, right)):
            holder.setLayout(layout)
        # The form is taller than a 768-pixel screen leaves it: it scrolls instead of growing the window.
        form_area = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
        form_area.setWidget(form_holder)
        form_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form_area.setMinimumWidth(form_holder.minimumSizeHint().width()
                                  + form_area.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent) + 4)
        middle = QWidget()  # the status line stays in view below the scrolling form, next to Apply's result
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.addWidget(form_area, 1)
        middle_layout.addWidget(self.errors)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for widget in (left_side, middle, right_side):
            splitter.addWidget(widget)
        splitter.setStretchFactor(2, 1)
        QVBoxLayout(self).addWidget(splitter)

    def _clip_text(self) -> str:
        if self.link.text_search():
            return "CLIP is available: prompts are scored as probabilities."
        reason = self.link.snapshot().clip_reason or "the engine is not running"
        return (f"CLIP is unavailable ({reason}). Text prompts are kept but ignored until the weights are "
                "present: run `surveil models download` on a machine that is online.")

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
        self.backtest_result.setText("back-testing…")
        self.job = Job(lambda job: self._backtest(rule, job), self)
        self.job.progressed.connect(lambda done, _: self.backtest_result.setText(f"back-testing… {done} objects"))
        self.job.done.connect(self._show_backtest)
        self.job.failed.connect(lambda message: self.backtest_result.setText(
            "back-test cancelled" if message == "cancelled" else f"back-test failed: {message}"))
        return self.job.start()

    def cancel_backtest(self) -> None:
        """Stop a running back-test at its next progress report."""
        if self.job is not None:
            self.job.cancel()

    def _backtest(self, rule: Rule, job: Job):  # worker thread
        """The back-test's result and the thumbnails of the hits shown (the first 100)."""
        result = self.link.backtest(rule, progress=job.progress)
        thumbnails = {}
        for hit in result.hits[:SHOWN_HITS]:
            job.progress(result.checked, 0)  # a cancel still takes effect here
            thumbnails[hit.obj.object_id] = self.link.thumbnail("o", hit.obj.object_id)
        return result, thumbnails

    def _show_backtest(self, done) -> None:
        result, thumbnails = done
        days = ", ".join(f"{day:%d %b}: {n}" for day, n in sorted(result.per_day().items())) or "none"
        left_out = f" Not replayed: {'; '.join(result.left_out)}." if result.left_out else ""
        self.backtest_result.setText(f"{len(result.hits)} of {result.checked} stored objects would have fired "
                                     f"(per day: {days}).{left_out}")
        self.backtest_hits.clear()
        for hit in result.hits[:SHOWN_HITS]:
            item = QListWidgetItem(f"{hit.obj.camera_id} {hit.obj.start_wall:%H:%M:%S}")
            item.setData(Qt.ItemDataRole.UserRole, (hit.obj.camera_id, hit.obj.start_wall.timestamp()))
            item.setToolTip("double-click to play the recording at that moment")
            icon = icon_from_jpeg(thumbnails.get(hit.obj.object_id))
            if icon is not None:
                item.setIcon(icon)
            self.backtest_hits.addItem(item)

    def refresh_explanations(self) -> None:
        """The selected rule's decision on each track of the selected camera."""
        name, camera_id = self.form.data().get("name"), self.camera.currentText()
        if not name:
            return
        try:
            snapshot = self.link.snapshot()
        except ValueError:  # a service that went away: the status line says so
            return
        self._follow_cameras([c.id for c in snapshot.config.cameras])
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
        """A frame from a camera the rule watches (the chosen one if it does, else its first) to draw zones on.

        Once shown the frame stays (zones are drawn on a still picture) until that camera changes.
        """
        watched, chosen = self.form.data()["cameras"], self.camera.currentText() or None
        camera_id = chosen if not watched or chosen in watched else watched[0]
        if camera_id == self.zones.camera_id and self.zones.frame is not None:
            return
        self.zones.set_frame(self._frame_for(camera_id) if camera_id else None, camera_id)
        scope = f"the rule watches {', '.join(watched)}" if watched else "the rule watches every camera"
        missing = "" if self.zones.frame is not None else ": no frame from it yet"
        self.zone_source.setText(f"Zones drawn on {camera_id}'s picture ({scope}){missing}" if camera_id else "")

    def _follow_cameras(self, ids: list[str]) -> None:
        """Cameras added or removed since the list was filled."""
        if ids != [self.camera.itemText(i) for i in range(self.camera.count())]:
            current = self.camera.currentText()
            self.camera.blockSignals(True)
            self.camera.clear()
            self.camera.addItems(ids)
            self.camera.setCurrentText(current)
            self.camera.blockSignals(False)

    def _show_rule(self, name: str) -> None:
        rule = next((r for r in self.link.config.rules if r.name == name), None)
        if rule is not None:
            self.form.load(rule)
            self.zones.set_zones([z.points for z in rule.zones])
            self.form.mark_invalid(set())
            self._say("")
            if rule.cameras and self.camera.currentText() not in rule.cameras and self.camera.findText(
                    rule.cameras[0]) >= 0:
                self.camera.setCurrentText(rule.cameras[0])  # live decisions follow too
            self._show_zone_picture()

    def _zone_added(self, points: list) -> None:
        self.form.zones.append({"name": f"zone {len(self.form.zones) + 1}", "points": points,
                                "anchor": "bottom_center"})

    def _clear_zones(self) -> None:
        self.form.zones = []
        self.zones.set_zones([])

