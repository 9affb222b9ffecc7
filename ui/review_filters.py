"""The review panel's filters and search: two rows that fit a 1366x768 laptop's central area (about 940 px).

The first row is when and where (time range, camera, rule, label), the second what (severity,
state), the button that applies them, and the search in words with its buttons. The boxes of
configured names are short and show whole names in their popup; the rule box takes what is left.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from surveil.store.query import STATES, EventFilter

logger = logging.getLogger(__name__)

ANY = "any"
LABELS = ("person", "car", "truck", "bicycle", "motorcycle", "bus", "dog")
SEVERITY_NAMES = ("low", "medium", "high", "critical")
NAME_CHARS = 7  # a camera's or rule's box shows "walkway4"; its popup shows whole names
RULE_MAX_W, TEXT_MAX_W = 280, 420  # on a wide screen the rows stay packed to the left, not stretched across
ISO_MINUTES = "yyyy-MM-dd HH:mm"


class FilterBar(QWidget):
    """The filter and search widgets in two rows; the panel connects the buttons to what they do."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.since, self.until = _date_edit(-7), _date_edit(1)
        self.camera, self.rule = _names("Camera"), _names("Rule")
        self.label = _choices("Object label", LABELS)
        self.severity, self.state = _choices("Severity", SEVERITY_NAMES), _choices("Operator state", STATES)
        self.text = QLineEdit(placeholderText="search in words", clearButtonEnabled=True, minimumWidth=120,
                              maximumWidth=TEXT_MAX_W,
                              toolTip="Words to search for, e.g. a person with a ladder (needs CLIP); Enter searches")
        self.apply = _button("Apply", "Read the incidents that match these filters")
        self.search = _button("Search", "Search the filtered incidents for these words (needs CLIP)")
        self.similar = _button("Find similar", "Find incidents whose object looks like the selected incident's")
        self.cancel = _button("Stop", "Stop the running search; its results are dropped")
        self.text.returnPressed.connect(self.search.click)  # Enter in the box searches, as the button does
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        first = _row(("From", self.since), ("to", self.until), ("Camera", self.camera), ("Rule", self.rule, 1),
                     ("Label", self.label))
        layout.addLayout(first)
        self.rule.setMinimumContentsLength(NAME_CHARS - 2)  # it stretches into what the row leaves
        self.rule.setMaximumWidth(RULE_MAX_W)
        second = _row(("Severity", self.severity), ("State", self.state), (None, self.apply))
        second.addWidget(_separator())
        for widget, stretch in ((self.text, 1), (self.search, 0), (self.similar, 0), (self.cancel, 0)):
            second.addWidget(widget, stretch)
        for row in (first, second):
            row.addStretch(0)  # what the stretching boxes leave once at their widest
        layout.addLayout(second)

    def current_filter(self) -> EventFilter:
        """The filters as the store's EventFilter."""
        pick = lambda box: [] if box.currentText() == ANY else [box.currentText()]  # noqa: E731
        return EventFilter(self.since.dateTime().toSecsSinceEpoch(), self.until.dateTime().toSecsSinceEpoch(),
                           pick(self.camera), pick(self.rule), pick(self.label), pick(self.severity), pick(self.state))

    def fill(self, config) -> None:
        """Cameras and rules as configured now, keeping the current choice (even if it is gone: it is the filter)."""
        for box, names in ((self.camera, [c.id for c in config.cameras]), (self.rule, [r.name for r in config.rules])):
            current = box.currentText() or ANY
            items = [ANY, *names] + ([current] if current not in (ANY, *names) else [])
            if items != [box.itemText(i) for i in range(box.count())]:
                box.blockSignals(True)
                box.clear()
                box.addItems(items)
                box.setCurrentText(current)
                box.blockSignals(False)

    def show_hour(self, start: int) -> None:
        """Filter to the hour that starts at ``start`` (Unix s)."""
        self.since.setDateTime(QDateTime.fromSecsSinceEpoch(start))
        self.until.setDateTime(QDateTime.fromSecsSinceEpoch(start + 3600))


def _date_edit(days_from_now: int) -> QDateTimeEdit:
    edit = QDateTimeEdit(QDateTime.currentDateTime().addDays(days_from_now), calendarPopup=True)
    if QLocale().language() == QLocale.Language.C:  # the C locale's "23 11 2026 15:45" reads as four numbers
        edit.setDisplayFormat(ISO_MINUTES)
    return edit


def _names(what: str) -> QComboBox:
    """A box of configured names: a long one must not push the row past a laptop's width."""
    box = QComboBox(toolTip=what)
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(NAME_CHARS)
    return box


def _choices(what: str, items) -> QComboBox:
    """A box of fixed, short items, as wide as the widest."""
    box = QComboBox(toolTip=what, sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToContents)
    box.addItems([ANY, *items])
    return box


def _button(text: str, tip: str) -> QPushButton:
    return QPushButton(text, toolTip=tip)


def _separator() -> QFrame:
    line = QFrame(frameShape=QFrame.Shape.VLine, frameShadow=QFrame.Shadow.Sunken)
    line.setFixedWidth(12)
    return line


def _row(*items) -> QHBoxLayout:
    """Label and widget pairs (a label of None: the widget alone), with an optional stretch third."""
    row = QHBoxLayout()
    row.setSpacing(6)
    for label, widget, *stretch in items:
        if label is not None:
            row.addWidget(QLabel(label), 0)
        row.addWidget(widget, *stretch)
        if label is not None and widget is not items[-1][1]:
            row.addSpacing(4)
    return row
