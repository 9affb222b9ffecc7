"""Indexing a video file: the live engine on one unpaced file camera stamped from a given start time.

The same path as live (capture with back-pressure, analysis, rules, store, recorder), so
what an index stores is what the camera would have stored had it been watched live.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from surveil.capture.status import SourceState
from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.engine import Engine
from surveil.paths import AppPaths

logger = logging.getLogger(__name__)


@dataclass
class IndexResult:
    """What one file gave."""

    frames: int = 0
    objects: int = 0
    events: int = 0
    segments: int = 0
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    error: str | None = None
    frame_period: float = 0.04


def indexing_config(config: SurveilConfig, camera_id: str, video: Path, start: dt.datetime,
                    record: bool = True) -> SurveilConfig:
    """``config`` with one camera: ``video`` read as fast as analysis goes, first frame at ``start``."""
    known = {c.id: c for c in config.cameras}
    base = known[camera_id].model_dump() if camera_id in known else {"id": camera_id}
    camera = {**base, "source": str(video.resolve()), "loop": False, "realtime": False, "enabled": True,
              "start_time": start.isoformat(), "record": "always" if record else "events"}
    rules = [{**r.model_dump(), "cameras": [camera_id]} for r in config.rules
             if not r.cameras or camera_id in r.cameras]
    data = {**config.model_dump(), "cameras": [camera], "rules": rules}
    return SurveilConfig.model_validate(data)


def index_file(config: SurveilConfig, paths: AppPaths, progress: bool = False, engine_kwargs: dict | None = None,
               ) -> IndexResult:
    """Run the engine over the config's single file camera until the file is done; stop cleanly."""
    camera = config.cameras[0]
    result = IndexResult(start=camera.start_time)
    engine = Engine(config, paths, **(engine_kwargs or {}))
    engine.listeners.append(lambda notice: _count(notice, result))
    engine.start()
    engine.store.listeners.append(lambda kind, record: _count_record(kind, record, camera.id, result))
    try:
        source = engine.loop.sources[camera.id]
        _follow(source, progress)
        if source.status.state is SourceState.FAILED:
            result.error = source.status.reason
    finally:
        engine.stop()
    result.frames = source.frames_read
    if source.info is not None and source.info.fps:
        result.frame_period = 1.0 / source.info.fps
    last = source.last_wall
    result.end = dt.datetime.fromtimestamp(last, dt.UTC) if last is not None else camera.start_time
    return result


def _follow(source, progress: bool) -> None:
    """Wait until the file is read and its last frame taken by analysis, with a progress bar.

    Stopping then is safe: the analysis loop finishes the round that holds the last frame.
    """
    bar = None
    while not (source.status.state.final and source.mailbox.peek() is None):
        if progress and bar is None and source.info is not None:
            bar = tqdm(total=source.info.frame_count, unit="frame", desc=source.camera_id, leave=True)
        if bar is not None:
            bar.update(source.frames_read - bar.n)
        time.sleep(0.2)
    if bar is not None:
        bar.update(source.frames_read - bar.n)
        bar.close()


def _count(notice: EngineNotice, result: IndexResult) -> None:
    if notice.kind == "alert_started":
        result.events += 1


def _count_record(kind: str, record, camera_id: str, result: IndexResult) -> None:
    if getattr(record, "camera_id", None) != camera_id:
        return
    if kind == "object":
        result.objects += 1
    elif kind == "segment" and record.kind == "segment":
        result.segments += 1
