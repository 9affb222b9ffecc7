"""A one-line notice above the rule form: its text cut to the width it gets, the whole of it in the tooltip."""

from __future__ import annotations

import html

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QWidget

from surveil.service.link import EngineLink

_WARNING_FRAME = "background-color: #3a3120; border-left: 3px solid #ffb300;"  # amber edge; #e6e6e6 text on it: 10:1
_ICON_SIZE = 16


class OneLineLabel(QLabel):
    """A label kept to one line: a text too long for its width ends in "…". ``text()`` is the whole text."""

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        """The text, and the same in the tooltip (wrapped there)."""
        super().setText(text)
        self.setToolTip(f"<p>{html.escape(text)}</p>" if text else "")

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        """A few words' width: the label gives way to the widgets beside it."""
        metrics = self.fontMetrics()
        return QSize(metrics.horizontalAdvance("x" * 12), metrics.height())

    def sizeHint(self) -> QSize:  # noqa: N802
        """Its whole text on one line."""
        return QSize(self.fontMetrics().horizontalAdvance(self.text()) + 2, self.fontMetrics().height())

    def paintEvent(self, event) -> None:  # noqa: N802
        """The text, cut at the right with "…" where it does not fit."""
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, rect.width())
        self.style().drawItemText(painter, rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                                  self.palette(), self.isEnabled(), shown, self.foregroundRole())
        painter.end()


class Notice(QFrame):
    """An icon and one line of text; a warning is drawn on an amber-edged band."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._icon = QLabel()
        self.label = OneLineLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self._icon)
        layout.addWidget(self.label, 1)

    def show_message(self, text: str, warning: bool = False) -> None:
        """Say ``text``; ``warning`` for something that does not work as the operator may expect."""
        self.label.setText(text)
        self.setToolTip(self.label.toolTip())
        kind = QStyle.StandardPixmap.SP_MessageBoxWarning if warning else QStyle.StandardPixmap.SP_MessageBoxInformation
        self._icon.setPixmap(self.style().standardIcon(kind).pixmap(_ICON_SIZE, _ICON_SIZE))
        self.setObjectName("notice")
        self.setStyleSheet(f"#notice {{ {_WARNING_FRAME} }}" if warning else "")

    def text(self) -> str:
        """The whole message."""
        return self.label.text()


def clip_message(link: EngineLink) -> tuple[str, bool]:
    """What the form's prompts are worth on this engine, and whether that is a warning (CLIP is missing)."""
    if link.text_search():
        return "CLIP is available: prompts are scored as probabilities.", False
    reason = link.snapshot().clip_reason or "the engine is not running"
    return (f"CLIP is unavailable ({reason}): rules run on the words understood below; words left for CLIP "
            "keep a rule quiet unless 'Fire without CLIP' is ticked; run `surveil models download` on a machine "
            "that is online."), True
