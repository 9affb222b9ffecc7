"""Adding or editing a camera, with a "test connection" button that shows a frame or the error."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

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
from ui.theme import ALARM_TEXT
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
        self.user, self.password = QLineEdit(), QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)  # never shown in clear, even in the URL field
        self.user.setToolTip("User name for an rtsp:// or http(s):// camera (kept out of the address field)")
        self.password.setToolTip("Password for the camera; stored in the config file, masked in logs and here")
        self.loop, self.realtime = QCheckBox(), QCheckBox()
        self.realtime.setChecked(True)
        form = QFormLayout()
        for key, widget in (("id", self.id), ("name", self.name), ("source", self.source)):
            widget.setToolTip(fields[key].description)
            form.addRow(fields[key].title, widget)
        form.addRow("User", self.user)
        form.addRow("Password", self.password)
        for key, widget in (("loop", self.loop), ("realtime", self.realtime)):
            widget.setToolTip(fields[key].description)
            form.addRow(fields[key].title, widget)
        if camera is not None:
            self.id.setText(camera.id)
            self.name.setText(camera.name)
            address, user, password = split_credentials(camera.source)
            self.source.setText(address)
            self.user.setText(user)
            self.password.setText(password)
            self.loop.setChecked(camera.loop)
            self.realtime.setChecked(camera.realtime)
        self.preview = QLabel("Test the connection to see a frame")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(320, 180)
        self.error = QLabel("")
        self.error.setStyleSheet(f"color: {ALARM_TEXT}")
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

    def source_url(self) -> str:
        """The address with the user and password fields put back into it."""
        return join_credentials(self.source.text().strip(), self.user.text().strip(), self.password.text())

    def test_connection(self) -> Job:
        """Open the source off the GUI thread; show its first frame, or why there is none."""
        source = self.source_url()
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
        edited = {"id": self.id.text().strip(), "name": self.name.text().strip(), "source": self.source_url(),
                  "loop": self.loop.isChecked(), "realtime": self.realtime.isChecked()}
        try:  # an edit keeps every setting this dialog does not show (masks, recording mode, timeouts…)
            kept = self._current.model_dump(exclude=set(edited)) if self._current is not None else {}
            self.camera = CameraConfig.model_validate({**kept, **edited})
        except ValidationError as exc:
            self.error.setText("\n".join(problems(exc, "camera")))
            return
        super().accept()


def split_credentials(source: str) -> tuple[str, str, str]:
    """``rtsp://user:pass@host/x`` → (``rtsp://host/x``, user, password); other sources unchanged."""
    parts = urlsplit(source)
    if not parts.scheme or not parts.netloc or parts.username is None:
        return source, "", ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host)), unquote(parts.username), unquote(parts.password or "")


def join_credentials(address: str, user: str, password: str) -> str:
    """The other way; the URL's own credentials win if the operator typed them into the address."""
    parts = urlsplit(address)
    if not user or not parts.scheme or not parts.netloc or "@" in parts.netloc:
        return address
    secret = f"{quote(user, safe='')}:{quote(password, safe='')}" if password else quote(user, safe="")
    return urlunsplit(parts._replace(netloc=f"{secret}@{parts.netloc}"))
