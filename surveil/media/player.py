"""A recording played on its own thread: commands in (seek, step, play, speed), updates out.

The thread paces frames by their wall-clock distance at the chosen speed and never catches up
in a burst when it falls behind. A recording that goes on (``extend``) plays on where playing had
reached its end. ``on_update`` is called on that thread: a GUI hands the update
to its own thread (the newest wins).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import av

from surveil.media.playback import Playback, PlayedFrame

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlayerUpdate:
    """What the player thread shows now: a frame (None when there is none), whether it plays, and a message."""

    frame: PlayedFrame | None
    playing: bool
    speed: float
    message: str = ""


class PlaybackThread:
    """Drives a ``Playback`` on its own thread: commands in, ``on_update`` called on that thread with each change.

    Seeks that queue up while one decodes (a dragged scrub bar) collapse into the newest.
    """

    def __init__(self, playback: Playback, on_update: Callable[[PlayerUpdate], None]):
        self.playback, self._on_update = playback, on_update
        self._commands: queue.Queue = queue.Queue()
        self.playing, self.speed = False, 1.0
        self._due = 0.0
        self._stalled = False  # it played to the end of the recording: more recording plays on
        self._thread = threading.Thread(target=self._run, name="playback", daemon=True)

    def start(self) -> PlaybackThread:
        """Start the thread."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """End the thread and close the file (idempotent)."""
        self._commands.put(("stop",))
        if self._thread.is_alive():
            self._thread.join(timeout)

    def seek(self, wall: float) -> None:
        """Show the frame at ``wall``."""
        self._commands.put(("seek", wall))

    def skip(self, seconds: float) -> None:
        """Seek ``seconds`` from the frame shown."""
        self._commands.put(("skip", seconds))

    def step(self, frames: int) -> None:
        """Pause, and show the next (1) or previous (-1) frame."""
        self._commands.put(("step", frames))

    def play(self, playing: bool = True) -> None:
        """Play (or pause) from the frame shown."""
        self._commands.put(("play", playing))

    def set_speed(self, speed: float) -> None:
        """Play at ``speed`` times real time."""
        self._commands.put(("speed", speed))

    def extend(self, records: list) -> None:
        """Add the segments and gaps indexed since it opened (``Playback.extend``); what is shown stays."""
        self._commands.put(("records", list(records)))

    def _run(self) -> None:
        try:
            self._loop()
        except Exception:  # a listener or a decoder bug: the player stops, the window goes on
            logger.exception("the playback thread failed")
        finally:
            self.playback.close()

    def _loop(self) -> None:
        while True:
            wait = max(0.0, self._due - time.monotonic()) if self.playing else None
            try:
                batch = [self._commands.get(timeout=wait)]
            except queue.Empty:
                self._advance()
                continue
            while not self._commands.empty():
                batch.append(self._commands.get_nowait())
            if any(c[0] == "stop" for c in batch):
                return
            last_seek = max((i for i, c in enumerate(batch) if c[0] == "seek"), default=-1)
            for i, command in enumerate(batch):
                if command[0] != "seek" or i == last_seek:
                    self._handle(command)

    def _handle(self, command: tuple) -> None:
        kind, pb, message = command[0], self.playback, ""
        if kind == "records":
            if pb.extend(command[1]) and self._stalled:  # it played to the end: the recording went on
                self._stalled, self.playing, self._due = False, True, time.monotonic()
                self._on_update(PlayerUpdate(pb.current, True, self.speed))
            return
        self._stalled = self._stalled and kind == "speed"
        try:
            if kind == "seek":
                frame = pb.seek(command[1])
            elif kind == "skip":
                frame = pb.seek((pb.current.wall if pb.current else 0.0) + command[1])
            elif kind == "step":
                self.playing = False
                frame = pb.next() if command[1] > 0 else pb.previous()
                message = "" if frame is not None else "end of the recording"
                frame = frame or pb.current
            else:
                if kind == "play":
                    self.playing = bool(command[1]) and pb.current is not None
                else:
                    self.speed = float(command[1])
                frame = pb.current
        except (av.error.FFmpegError, OSError) as exc:
            logger.warning("playback failed: %s", exc)
            self.playing, frame, message = False, pb.current, f"cannot play: {exc}"
        if frame is None and not message:
            message = "no recording here"
        self._due = time.monotonic()
        self._on_update(PlayerUpdate(frame, self.playing, self.speed, message))

    def _advance(self) -> None:
        """The next frame, on time: its wall-clock distance from the last, at the chosen speed."""
        before = self.playback.current
        try:
            frame = self.playback.next()
        except (av.error.FFmpegError, OSError) as exc:
            logger.warning("playback failed: %s", exc)
            frame = None
        if frame is None:
            self.playing, self._stalled = False, True
            self._on_update(PlayerUpdate(before, False, self.speed, "end of the recording"))
            return
        period = 0.0 if frame.gap or before is None else min(frame.wall - before.wall, 1.0)
        self._due = max(self._due + max(period, 0.0) / self.speed, time.monotonic() - 0.25)  # late: no catch-up burst
        self._on_update(PlayerUpdate(frame, True, self.speed,
                                     f"skipped a gap: {frame.gap.reason}" if frame.gap else ""))
