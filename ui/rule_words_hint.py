"""The line under a rule's prompts: what the app checks of their words itself, and what is left for CLIP.

Compiling the words is pure Python and quick, so the line follows every keystroke.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from surveil.rules.words import Understood, compile_prompts, without_clip
from surveil.rules.words_types import quoted

logger = logging.getLogger(__name__)

WARNING_TEXT = "#ffb300"  # the amber of the CLIP notice's edge: unchecked words matter when CLIP is missing


def prompt_lines(text: str) -> list[str]:
    """The prompts in the box: one a line, blank lines skipped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class WordsHint(QLabel):
    """What the prompts being typed are understood as, and what is left for CLIP (in amber when CLIP is missing)."""

    def __init__(self, prompts: QPlainTextEdit, zone_names: Callable[[], list[str]],
                 fire_without_clip: Callable[[], bool] = lambda: False, parent: QWidget | None = None):
        super().__init__(parent)
        self.prompts, self.zone_names, self.fire_without_clip = prompts, zone_names, fire_without_clip
        self.clip_available = True
        self.understood = Understood()
        self.setWordWrap(True)  # a narrow form column: the line wraps rather than hides its end
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        prompts.textChanged.connect(self.refresh)
        self.refresh()

    def set_clip_available(self, available: bool) -> None:
        """Whether the engine has CLIP: without it, the unchecked words decide whether the rule can fire."""
        self.clip_available = available
        self.refresh()

    def refresh(self) -> None:
        """Compile the prompts as they are now and say what came of them."""
        prompts = prompt_lines(self.prompts.toPlainText())
        self.understood = compile_prompts(prompts, self.zone_names())
        if not prompts:
            self.setText("")
            self.setToolTip("")
            return
        self.setText(self._html())
        self.setToolTip(self._tip())

    def summary(self) -> str:
        """The line without its markup: "Understood as: person · at night  Left for CLIP: 'climbing', 'fence'"."""
        conditions = " · ".join(self.understood.condition_texts()) or "—"
        return f"Understood as: {conditions}  Left for CLIP: {quoted(self.understood.unchecked)}"

    def warns(self) -> bool:
        """Whether the unchecked words are shown as a warning (CLIP missing, and some words unchecked)."""
        return not self.clip_available and bool(self.understood.unchecked)

    def _html(self) -> str:
        conditions = html.escape(" · ".join(self.understood.condition_texts()) or "—")
        left = html.escape(quoted(self.understood.unchecked))
        if self.warns():
            left = f'<span style="color: {WARNING_TEXT}">{left}</span>'
        return f"<b>Understood as:</b> {conditions}&nbsp;&nbsp; <b>Left for CLIP:</b> {left}"

    def _tip(self) -> str:
        lead = ("These words become conditions the app checks itself (object, colour, motion, count, zone, time); "
                "the rest only CLIP can judge.")
        if self.clip_available or not self.understood.unchecked:
            return f"<p>{html.escape(lead)}</p>"
        sentence = without_clip(self.understood, self.fire_without_clip())[1]
        return f"<p>{html.escape(lead)}</p><p>CLIP is unavailable: this rule {html.escape(sentence)}.</p>"
