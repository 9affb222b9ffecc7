"""Tabs whose pages scroll instead of widening the window past a laptop's screen."""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QTabWidget, QWidget


def scrolling(widget: QWidget) -> QScrollArea:
    """The widget in a scroll area: it may then be smaller than its layout needs (a 1366x768 screen)."""
    area = QScrollArea(widgetResizable=True, frameShape=QScrollArea.Shape.NoFrame)
    area.setWidget(widget)
    return area


class ScrollingTabs(QTabWidget):
    """Tabs whose pages scroll rather than widen the window past a 1366x768 screen (the wall never scrolls).

    Callers see their own pages: ``widget``, ``indexOf``, ``currentWidget`` and ``setCurrentWidget``
    look through the scroll areas.
    """

    def __init__(self, unscrolled=(), parent: QWidget | None = None):
        super().__init__(parent)
        self._unscrolled = list(unscrolled)

    def addTab(self, page: QWidget, label: str) -> int:  # noqa: N802 (Qt's name)
        """Add a page, in a scroll area unless it was named as one that fits any size."""
        if any(page is fixed for fixed in self._unscrolled):
            return super().addTab(page, label)
        return super().addTab(scrolling(page), label)

    def widget(self, index: int) -> QWidget | None:
        """The page itself, not its scroll area."""
        found = super().widget(index)
        return found.widget() if isinstance(found, QScrollArea) else found

    def currentWidget(self) -> QWidget | None:  # noqa: N802
        """The page shown."""
        return self.widget(self.currentIndex())

    def indexOf(self, page: QWidget) -> int:  # noqa: N802
        """A page's index, whether or not it scrolls."""
        return next((i for i in range(self.count()) if self.widget(i) is page), -1)

    def setCurrentWidget(self, page: QWidget) -> None:  # noqa: N802
        """Show a page."""
        self.setCurrentIndex(self.indexOf(page))
