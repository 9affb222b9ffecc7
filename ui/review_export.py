"""Exporting incidents from the review panel: ask, choose where, show progress to the end, offer the folder.

The link's export reports ``progress(done, total)``: one step per incident copied, then, for a zip,
one per file packed (``total`` grows by the files when packing starts). The dialog maps the
two phases onto one bar (copying the first half, packing the second) so that it never runs
backwards, and it is shown at once: an export of a few incidents must not finish unseen.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QWidget

from surveil.service.link import EngineLink, Range
from surveil.store.records import EventRecord
from ui.theme import local_date_time
from ui.worker import Job

logger = logging.getLogger(__name__)

STEPS = 1000  # the dialog's scale


def confirm_export(parent: QWidget, records: list[EventRecord], selected: bool, more_unlisted: bool) -> bool:
    """Ask before exporting: how many incidents and from when to when (all listed ones when none is selected)."""
    if not records:
        return False
    span = f"from {_when(min(r.start for r in records))} to {_when(max(r.start for r in records))}"
    if selected:
        text = f"Export {len(records)} incident{'s' * (len(records) != 1)} ({span})?"
    else:
        text = f"Nothing is selected. Export all {len(records)} listed incidents ({span})?"
        if more_unlisted:
            text += "\n\nMore incidents match the filters but are not loaded; only the listed ones are exported."
    return _ask(parent, "Export incidents", text)


def confirm_range(parent: QWidget, camera: str, start: float, end: float, events: int,
                  zone: dt.tzinfo | None = None) -> bool:
    """Ask before exporting a camera's recording over a time range, with the events in it."""
    fmt = "%H:%M" if end - start >= 120 else "%H:%M:%S"
    first, last = (dt.datetime.fromtimestamp(t, zone) for t in (start, end))
    if first.date() != last.date() or first.date() != dt.datetime.now(zone).date():
        fmt = "%d %b " + fmt
    inside = {0: "no events in it", 1: "the event in it"}.get(events, f"the {events} events in it")
    text = f"Export {camera} from {first.strftime(fmt)} to {last.strftime(fmt)} (the recording and {inside})?"
    return _ask(parent, "Export recording", text)


def _ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text,
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def choose_destination(parent: QWidget) -> Path | None:
    """A new zip's path, offered in the user's Documents (or home) folder with a dated name."""
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = documents if documents and Path(documents).is_dir() else \
        QStandardPaths.writableLocation(QStandardPaths.StandardLocation.HomeLocation)
    default = Path(folder) / f"evidence-{dt.datetime.now():%Y-%m-%d-%H%M}.zip"
    name, _ = QFileDialog.getSaveFileName(parent, "Export incidents", str(default), "Zip (*.zip)")
    return Path(name) if name else None


class ExportRun(QObject):
    """One export on a worker, with its progress dialog; ``finished(result or None)`` on the GUI thread.

    ``ranges``: ``(camera_id, start, end)`` recordings to export with the incidents.
    """

    finished = Signal(object)

    def __init__(self, link: EngineLink, dest: Path, event_ids: list[str], parent: QWidget,
                 report: Callable[[str], None], ranges: list[Range] | None = None):
        super().__init__(parent)
        self.dest, self.count, self.report = dest, len(event_ids), report
        self.ranges = list(ranges or [])
        self.zipping = dest.suffix.lower() == ".zip"
        what = f"{self.count} incidents" + (f" and {_recordings(len(self.ranges))}" if self.ranges else "")
        self.dialog = QProgressDialog(f"Exporting {what}…", "Cancel", 0, STEPS, parent)
        self.dialog.setWindowTitle("Export incidents")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.result_box: QMessageBox | None = None
        cuts = self.ranges or None  # a link without ranges is still called as before
        self.job = Job(lambda job: link.export(dest, event_ids, progress=job.progress,
                                               **({"ranges": cuts} if cuts else {})), self)
        self.job.progressed.connect(self._progress)
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)
        self.dialog.canceled.connect(self._cancel)

    def start(self) -> Job:
        """Show the dialog and begin."""
        self.dialog.setValue(0)
        self.dialog.show()
        return self.job.start()

    def _progress(self, done: int, total: int) -> None:
        if self.zipping and total > self.count:  # packing: the second half of the bar
            files = total - self.count
            value = STEPS // 2 + STEPS // 2 * (done - self.count) // max(1, files)
            self.dialog.setLabelText(f"Packing the zip: {done - self.count} of {files} files")
        else:
            value = (STEPS // 2 if self.zipping else STEPS) * done // max(1, total)
            self.dialog.setLabelText(f"Copying incident {done} of {total}")
        self.dialog.setValue(max(self.dialog.value(), min(value, STEPS)))

    def _cancel(self) -> None:
        self.job.cancel()
        self.dialog.setLabelText("Cancelling at the next file…")

    def _done(self, result) -> None:
        self.dialog.close()
        recorded = f" and {_recordings(len(self.ranges))}" if self.ranges else ""
        self.report(f"exported {len(result.events)} incidents{recorded} to {result.path} "
                    f"(manifest sha256 {result.manifest_sha256[:16]}…)")
        box = QMessageBox(QMessageBox.Icon.Information, "Export done",
                          f"Saved {len(result.events)} incidents{recorded} ({result.files} files) to\n{result.path}",
                          QMessageBox.StandardButton.Ok, self.parent())
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setEscapeButton(QMessageBox.StandardButton.Ok)  # Esc and the title bar's close dismiss it
        opener = box.addButton("Open folder", QMessageBox.ButtonRole.ActionRole)
        opener.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(result.path).parent))))
        box.open()  # not exec(): no nested event loop, and the panel goes on painting
        self.result_box = box
        self.finished.emit(result)

    def _failed(self, message: str) -> None:
        self.dialog.close()
        self.report("export cancelled: nothing was written" if message == "cancelled" else f"export failed: {message}")
        self.finished.emit(None)


def _recordings(n: int) -> str:
    return f"{n} recording{'s' * (n != 1)}"


def _when(t: float) -> str:
    return local_date_time(t)
