"""Exporting incidents from the review panel: ask, choose where, show progress to the end, offer the folder.

The link's export reports ``progress(done, total)``: one step per incident copied, then, for a zip,
one per file packed (``total`` grows by the files when packing starts). The dialog maps the
two phases onto one bar (copying the first half, packing the second) so that it never runs
backwards, and it is shown at once: an export of a few incidents must not finish unseen.

Before the first report the export checks what it takes and cuts the recorded ranges, which
reports nothing (a long range takes minutes): the bar is busy meanwhile, with what is being done
and for how long. Cancel is there from the start; the export stops at its next report (after the
cut in progress), and the dialog stays until it has stopped.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog, QPushButton, QWidget

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


class _Progress(QProgressDialog):
    """A progress dialog on which Escape and the title bar's close ask to cancel while the work runs.

    A plain one hides itself instead, and the work goes on unseen. ``ExportRun`` closes it when the work ends.
    """

    def reject(self) -> None:
        """Escape (and a close): as Cancel while the work runs."""
        if self.property("running"):
            self.canceled.emit()
        else:
            super().reject()


class ExportRun(QObject):
    """One export on a worker, with its progress dialog; ``finished(result or None)`` on the GUI thread.

    ``ranges``: ``(camera_id, start, end)`` recordings to export with the incidents (times shown in ``zone``).
    """

    finished = Signal(object)

    def __init__(self, link: EngineLink, dest: Path, event_ids: list[str], parent: QWidget,
                 report: Callable[[str], None], ranges: list[Range] | None = None, zone: dt.tzinfo | None = None):
        super().__init__(parent)
        self.dest, self.count, self.report = dest, len(event_ids), report
        self.ranges, self.zone = list(ranges or []), zone
        self.zipping = dest.suffix.lower() == ".zip"
        self.reported = self.cancelling = False  # a first report came; Cancel was pressed
        self.started = time.monotonic()
        self.dialog = _Progress(self._before(), "", 0, 0, parent)  # busy until the first report
        self.dialog.setWindowTitle("Export recording" if self.ranges else "Export incidents")
        self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.setAutoClose(False)
        self.dialog.setAutoReset(False)
        self.cancel_button = QPushButton("Cancel")
        self.dialog.setCancelButton(self.cancel_button)
        self.dialog.canceled.disconnect(self.dialog.cancel)  # it would hide the dialog while the work goes on
        self.dialog.canceled.connect(self._cancel)
        self._clock = QTimer(self, interval=1000, timeout=self._tick)
        self.result_box: QMessageBox | None = None
        cuts = self.ranges or None  # a link without ranges is still called as before
        self.job = Job(lambda job: link.export(dest, event_ids, progress=job.progress,
                                               **({"ranges": cuts} if cuts else {})), self)
        self.job.progressed.connect(self._progress)
        self.job.done.connect(self._done)
        self.job.failed.connect(self._failed)

    def start(self) -> Job:
        """Show the dialog and begin."""
        self.dialog.setValue(0)
        self.dialog.setProperty("running", True)
        self.dialog.show()
        self._clock.start()
        return self.job.start()

    def _before(self) -> str:
        """What the export does before it first reports: check what it takes, and cut the ranges."""
        what = f"{self.count} incident{'s' * (self.count != 1)}"
        if not self.ranges:
            return f"Checking {what} against the store…"
        camera, start, end = self.ranges[0]
        times = "–".join(dt.datetime.fromtimestamp(t, self.zone).strftime("%H:%M:%S") for t in (start, end))
        more = f" and {_recordings(len(self.ranges) - 1)} more" if len(self.ranges) > 1 else ""
        then = f",\nthen copying {what}" if self.count else ""
        return f"Checking and cutting the recording of {camera}, {times} ({_duration(end - start)}){more}{then}…"

    def _tick(self) -> None:
        """The time taken so far, under what is being done, while the bar cannot say."""
        if self.reported and not self.cancelling:
            return
        text = self._cancelling() if self.cancelling else self._before()
        self.dialog.setLabelText(f"{text}\n{_duration(time.monotonic() - self.started)} so far")

    def _progress(self, done: int, total: int) -> None:
        if self.cancelling:
            return
        if not self.reported:
            self.reported = True
            self.dialog.setRange(0, STEPS)
        if self.zipping and total > self.count:  # packing: the second half of the bar
            files = total - self.count
            value = STEPS // 2 + STEPS // 2 * (done - self.count) // max(1, files)
            self.dialog.setLabelText(f"Packing the zip: {done - self.count} of {files} files")
        else:
            value = (STEPS // 2 if self.zipping else STEPS) * done // max(1, total)
            self.dialog.setLabelText(f"Copying incident {done} of {total}")
        self.dialog.setValue(max(self.dialog.value(), min(value, STEPS)))

    def _cancel(self) -> None:
        if self.cancelling or not self.dialog.property("running"):
            return  # asked already, or the work has ended (closing the dialog says "canceled" too)
        self.cancelling = True
        self.job.cancel()
        self.cancel_button.setEnabled(False)
        self.dialog.setRange(0, 0)  # busy: the bar cannot say when the step in hand ends
        self._tick()

    def _cancelling(self) -> str:
        cutting = "\n(once the recording in hand is cut)" if self.ranges and not self.reported else ""
        return f"Cancelling: the export stops at its next step{cutting} and leaves nothing behind…"

    def _done(self, result) -> None:
        self._close()
        recorded = f" and {_recordings(len(self.ranges))}" if self.ranges else ""
        late = "finished before it could be cancelled: " if self.cancelling else ""
        self.report(f"{late}exported {len(result.events)} incidents{recorded} to {result.path} "
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
        self._close()
        self.report("export cancelled: nothing was written" if message == "cancelled" else f"export failed: {message}")
        self.finished.emit(None)

    def _close(self) -> None:
        self._clock.stop()
        self.dialog.setProperty("running", False)
        self.dialog.close()


def _recordings(n: int) -> str:
    return f"{n} recording{'s' * (n != 1)}"


def _duration(seconds: float) -> str:
    """"45 s", "2 min 30 s", "1 h 05 min"."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min" + (f" {seconds % 60:02d} s" if seconds % 60 else "")
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _when(t: float) -> str:
    return local_date_time(t)
