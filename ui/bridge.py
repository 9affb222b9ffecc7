"""The one bridge between the core and Qt: link callbacks (other threads) become queued signals.

``notice`` and ``frame`` are emitted on the link's threads (the engine's, or the one reading a
service's stream); Qt delivers them to slots on the GUI thread because the bridge lives there
(automatic queued connections).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Signal

from surveil.engine.alerts import EngineNotice
from surveil.service.link import EngineLink, LiveFrame


class EngineBridge(QObject):
    """Subscribes to a link; ``detach()`` before the link closes or the window goes.

    Frames are passed on at most ``max_fps`` per camera: a tile cannot show more, and each one
    costs the GUI thread a conversion and a paint.
    """

    notice = Signal(object)  # EngineNotice
    frame = Signal(object)  # LiveFrame

    def __init__(self, link: EngineLink, max_fps: float = 15.0, parent: QObject | None = None):
        super().__init__(parent)
        self.link = link
        self._max_fps, self._period = max_fps, 1.0 / max_fps
        self._last: dict[str, float] = {}
        self._shown: frozenset[str] | None = None  # the cameras on screen (None: not told yet, all)
        link.listen(self._on_notice)
        link.watch_frames(self._on_frame, fps=max_fps)

    def show_cameras(self, camera_ids: set[str]) -> None:
        """The cameras whose tiles are on screen get frames at the view's rate; the others only analysed ones."""
        shown = frozenset(camera_ids)
        if shown != self._shown:
            self._shown = shown
            self.link.watch_frames(self._on_frame, fps=self._max_fps if shown else None, cameras=shown)

    def detach(self) -> None:
        """Stop receiving from the link (idempotent)."""
        self.link.listen(self._on_notice, listening=False)
        self.link.watch_frames(self._on_frame, watching=False)

    def _on_notice(self, notice: EngineNotice) -> None:  # link thread
        self.notice.emit(notice)

    def _on_frame(self, frame: LiveFrame) -> None:  # link thread
        now = time.monotonic()
        if now - self._last.get(frame.camera_id, 0.0) < 0.8 * self._period:  # frames come paced already, with jitter
            return
        self._last[frame.camera_id] = now
        self.frame.emit(frame)
