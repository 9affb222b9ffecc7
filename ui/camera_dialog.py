"""Adding or editing a camera, with a "test connection" button that shows a frame or the error."""

from __future__ import annotations

from pydantic import ValidationError
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
)

from surveil.capture.probe import grab_frame
from surveil.config import CameraConfig
from surveil.redact import mask_credentials
from surveil.schema import problems
from ui.images import qimage_from_bgr
from ui.worker import Job


class CameraDialog(QDialog):
    """``camera`` holds the validated CameraConfig once the dialog is accepted."""

    def __init__(self, camera: CameraConfig | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Camera")
        self.camera: CameraConfig | None = None
        self._current = camera  # what an edit starts from
        fields = CameraConfig.model_fields
        self.id, self.name, self.source = QLineEdit(), QLineEdit(), QLineEdit()
        self.loop, self.realtime = QCheckBox(), QCheckBox()
        self.realtime.setChecked(True)
        form = QFormLayout()
        for key, widget in (("id", self.id), ("name", self.name), ("source", self.source), ("loop", self.loop),
                            ("realtime", self.realtime)):
            widget.setToolTip(fields[key].description)
            form.addRow(fields[key].title, widget)
        if camera is not None:
            self.id.setText(camera.id)
            self.name.setText(camera.name)
            self.source.setText(camera.source)
            self.loop.setChecked(camera.loop)
            self.realtime.setChecked(camera.realtime)
        self.preview = QLabel("Test the connection to see a frame")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 180)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828")
        self.error.setWordWrap(True)
        test = QPushButton("Test connection")
        test.clicked.connect(self.test_connection)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(test)
        layout.addWidget(self.preview)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.job: Job | None = None

    def test_connection(self) -> Job:
        """Open the source off the GUI thread; show its first frame, or why there is none."""
        source = self.source.text().strip()
        self.preview.setText(f"connecting to {mask_credentials(source)}…")
        self.error.setText("")
        self.job = Job(lambda job: grab_frame(source, timeout_s=5.0), self)
        self.job.done.connect(self._show)
        return self.job.start()

    def _show(self, result) -> None:
        image, reason = result
        if image is None:
            self.preview.setText("no picture")
            self.error.setText(reason)
            return
        # A copy: the preview stays after the job's frame is gone, and one picture costs nothing.
        qimage = qimage_from_bgr(image, copy=True)
        self.preview.setPixmap(QPixmap.fromImage(qimage).scaled(320, 180, Qt.AspectRatioMode.KeepAspectRatio))

    def accept(self) -> None:
        """Validate with the camera model; errors stay in the dialog."""
        edited = {"id": self.id.text().strip(), "name": self.name.text().strip(), "source": self.source.text().strip(),
                  "loop": self.loop.isChecked(), "realtime": self.realtime.isChecked()}
        try:  # an edit keeps every setting this dialog does not show (masks, recording mode, timeouts…)
            kept = self._current.model_dump(exclude=set(edited)) if self._current is not None else {}
            self.camera = CameraConfig.model_validate({**kept, **edited})
        except ValidationError as exc:
            self.error.setText("\n".join(problems(exc, "camera")))
            return
        super().accept()
