"""Triage from the review table: acknowledge, verdicts, lock and notes on the selected incidents, on a worker.

Each mark goes through ``link.mark_event`` (stored and audited by the engine or the service);
the rows show the change once the link has taken it, the same change the store made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QInputDialog, QPushButton, QWidget

from surveil.service.link import EngineLink
from ui.review_model import IncidentModel
from ui.worker import Job

logger = logging.getLogger(__name__)

TRIAGE = {  # a verdict is also an acknowledgement, as in the alerts panel
    "acknowledge": {"acknowledged": True},
    "false_alarm": {"verdict": "false_alarm", "acknowledged": True},
    "correct": {"verdict": "correct", "acknowledged": True},
    "lock": {"locked": True},
    "unlock": {"locked": False},
}
BUTTONS = (("Acknowledge", "acknowledge"), ("False alarm", "false_alarm"), ("Correct", "correct"),
           ("Lock", "lock"), ("Unlock", "unlock"), ("Note…", "note"))


class TriageBar(QWidget):
    """The triage buttons; ``report(text)`` says what was stored or refused."""

    report = Signal(str)

    def __init__(self, link: EngineLink, model: IncidentModel, selected: Callable[[], list[str]],
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.link, self.model, self.selected = link, model, selected
        self.job: Job | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for text, what in BUTTONS:
            button = QPushButton(text)
            button.clicked.connect(lambda _=False, w=what: self.act(w))
            layout.addWidget(button)

    def act(self, what: str, note: str | None = None) -> Job | None:
        """Mark the selection with one of ``TRIAGE`` or a note (asked for unless given)."""
        if what == "note" and note is None:
            note, ok = QInputDialog.getText(self, "Note", "Note for the selected incidents:")
            if not ok or not note.strip():
                return None
        return self.mark(TRIAGE[what] if what != "note" else {"note": note})

    def mark(self, changes: dict) -> Job | None:
        """Store ``changes`` for every selected incident on a worker; the rows change when it is done."""
        ids, link = self.selected(), self.link
        if not ids:
            self.report.emit("select the incidents to mark")
            return None

        def work(job: Job):
            marked, refused = [], []
            for i, event_id in enumerate(ids):
                job.progress(i, len(ids))
                try:
                    link.mark_event(event_id, **changes)
                except (ValueError, KeyError, OSError) as exc:  # refused, or the service/store failed: say which
                    refused.append(f"{event_id}: {exc}")
                else:
                    marked.append(event_id)
            return changes, marked, refused

        self.job = Job(work, self)
        self.job.done.connect(self._marked)
        self.job.failed.connect(self._failed)
        self.report.emit(f"marking {len(ids)} incidents…")
        return self.job.start()

    def _failed(self, message: str) -> None:
        self.report.emit(f"could not mark: {message}")

    def _marked(self, answer) -> None:
        changes, marked, refused = answer
        for event_id in marked:
            self.model.apply(event_id, changes)
        what = ", ".join(f"{k} {v}" if k != "note" else "a note" for k, v in changes.items())
        text = f"marked {len(marked)} incidents: {what}"
        if refused:
            logger.warning("marks refused: %s", refused)
            text += f"; {len(refused)} refused ({refused[0]})"
        self.report.emit(text)
