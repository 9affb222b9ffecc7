"""What capture hands to the recorder, before analysis sees anything: packets, or frames to encode."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from surveil.capture.demux import Packet, StreamTemplate
    from surveil.capture.frame import Frame


class CaptureTap(Protocol):
    """Called on the camera's capture thread; implementations must not block (queue and return)."""

    def on_stream(self, camera_id: str, template: StreamTemplate | None) -> None:
        """A new run of the stream begins: packets follow (template), or frames to encode (None)."""

    def on_packet(self, packet: Packet) -> None:
        """The stream's own compressed packet, in file order."""

    def on_frame(self, frame: Frame) -> None:
        """A decoded frame of a source without packets worth keeping (a webcam, MJPEG)."""

    def on_gap(self, camera_id: str, t_wall: float, reason: str) -> None:
        """The stream stopped at ``t_wall`` (ended, dropped, stopped); ``reason`` says why."""
