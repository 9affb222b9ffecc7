"""The window's look: a dark Fusion theme for night shifts, icons, severity and state colours, local times.

Colours are chosen for contrast on dark video: every text colour here is paired with the
background it is drawn on and the pair keeps a contrast of at least 4.5:1 (WCAG AA).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtGui import QColor, QIcon, QPalette
from PySide6.QtWidgets import QApplication, QStyle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Severity:
    """How an alert of one severity is drawn: the firing object's outline, the banner and its text."""

    outline: str
    banner: str
    text: str
    strong: bool = False  # critical: a taller banner and a frame round the whole tile


SEVERITIES = {
    "low": Severity("#cfd8dc", "#37474f", "#ffffff"),
    "medium": Severity("#ffb300", "#ffb300", "#000000"),
    "high": Severity("#ff6d00", "#ef6c00", "#000000"),
    "critical": Severity("#ff1744", "#c62828", "#ffffff", strong=True),
}

# A camera state's chip: (background, text).
STATES = {"live": ("#2e7d32", "#ffffff"), "connecting": ("#f9a825", "#000000"),
          "reconnecting": ("#ef6c00", "#000000"), "failed": ("#c62828", "#ffffff"),
          "ended": ("#546e7a", "#ffffff"), "stopped": ("#546e7a", "#ffffff")}
UNKNOWN_STATE = ("#546e7a", "#ffffff")

ALARM_TEXT = "#ff8a80"  # red text that stays readable on the dark window (7:1)

_PALETTE = {
    QPalette.ColorRole.Window: "#1e2228", QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#15181c", QPalette.ColorRole.AlternateBase: "#1e2228",
    QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#2a2f36",
    QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: "#2f6fb2", QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.ToolTipBase: "#2a2f36", QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Link: "#4fc3f7", QPalette.ColorRole.PlaceholderText: "#9aa0a8",
    QPalette.ColorRole.Light: "#3a4049", QPalette.ColorRole.Midlight: "#30363e",
    QPalette.ColorRole.Mid: "#262b32", QPalette.ColorRole.Dark: "#121519", QPalette.ColorRole.Shadow: "#000000",
}
_DISABLED = "#80868e"

STYLESHEET = """
QToolTip { color: #e6e6e6; background-color: #2a2f36; border: 1px solid #4a515b; padding: 3px; }
QDockWidget::title { background: #262b32; padding: 4px 6px; }
QToolBar { border: none; spacing: 3px; padding: 2px; }
QStatusBar { border-top: 1px solid #30363e; }
QTabWidget::pane { border-top: 1px solid #30363e; }
"""

# name: (qtawesome icon, the style's own icon when qtawesome cannot draw)
_ICONS = {
    "layout-1": ("mdi6.square-outline", QStyle.StandardPixmap.SP_TitleBarMaxButton),
    "layout-4": ("mdi6.view-grid-outline", QStyle.StandardPixmap.SP_FileDialogListView),
    "layout-9": ("mdi6.grid-large", QStyle.StandardPixmap.SP_FileDialogDetailedView),
    "layout-16": ("mdi6.grid", QStyle.StandardPixmap.SP_FileDialogDetailedView),
    "full-screen": ("mdi6.fullscreen", QStyle.StandardPixmap.SP_TitleBarMaxButton),
    "camera-list": ("mdi6.format-list-bulleted", QStyle.StandardPixmap.SP_FileDialogListView),
    "add-camera": ("mdi6.video-plus", QStyle.StandardPixmap.SP_FileDialogNewFolder),
    "export": ("mdi6.file-export-outline", QStyle.StandardPixmap.SP_DialogSaveButton),
    "quit": ("mdi6.exit-run", QStyle.StandardPixmap.SP_DialogCloseButton),
    "about": ("mdi6.information-outline", QStyle.StandardPixmap.SP_MessageBoxInformation),
    "previous": ("mdi6.chevron-left", QStyle.StandardPixmap.SP_ArrowLeft),
    "next": ("mdi6.chevron-right", QStyle.StandardPixmap.SP_ArrowRight),
    "app": ("mdi6.cctv", QStyle.StandardPixmap.SP_ComputerIcon),
}
_ICON_COLOUR = "#d8dde3"
_qtawesome_failed = False


def apply(app: QApplication) -> None:
    """Fusion, the dark palette, the small stylesheet and the window icon, for the whole application."""
    app.setStyle("Fusion")
    palette = QPalette()
    for role, colour in _PALETTE.items():
        palette.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(_DISABLED))
    app.setPalette(palette)
    app.setStyleSheet(STYLESHEET)
    app.setWindowIcon(app_icon())


def icon(name: str) -> QIcon:
    """A named icon from qtawesome; the style's standard icon where qtawesome or its font fails to load."""
    global _qtawesome_failed
    font_icon, standard = _ICONS[name]
    if not _qtawesome_failed:
        try:
            import qtawesome

            return qtawesome.icon(font_icon, color=_ICON_COLOUR)
        except Exception as exc:  # noqa: BLE001 (missing package, a font that will not load: icons are optional)
            _qtawesome_failed = True
            logger.warning("icons from qtawesome are unavailable (%s); using the style's own", exc)
    app = QApplication.instance()
    return app.style().standardIcon(standard) if app is not None else QIcon()


def app_icon() -> QIcon:
    """The window and application icon: resources/surveil.svg, or a drawn camera where it is missing."""
    from surveil.resources import resources_dir

    path = resources_dir() / "surveil.svg"
    found = QIcon(str(path)) if path.exists() else QIcon()
    return found if not found.isNull() else icon("app")


def local_time(epoch: float) -> str:
    """A wall-clock time in the user's locale's short format (14:05, or 2:05 PM)."""
    return local_date_time(epoch, date=False)


def local_date_time(epoch: float, date: bool = True, long: bool = False) -> str:
    """A date and time in the user's locale; ISO 8601 under the C locale, whose "30 11 2026" reads as three numbers."""
    when = QDateTime.fromSecsSinceEpoch(int(epoch))
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return when.toString(("yyyy-MM-dd " if date else "") + "HH:mm" + (":ss" if long else ""))
    fmt = QLocale.FormatType.LongFormat if long else QLocale.FormatType.ShortFormat
    return locale.toString(when, fmt) if date else locale.toString(when.time(), fmt)
