"""Rules over a video file, headless: what would have fired, and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from surveil.config import CameraConfig, SurveilConfig
from surveil.rules.engine import RuleEngine
from surveil.rules.evaluator import RuleEvaluator
from surveil.rules.events import EventUpdate
from surveil.vision.analyze import video_frames
from surveil.vision.clip import TextImageEncoder
from surveil.vision.detector import Detector
from surveil.vision.pipeline import Analyzer, CameraPipeline


def replay(video: Path, camera: CameraConfig, config: SurveilConfig, detector: Detector,
           encoder: TextImageEncoder | None, clip_reason: str, start: dt.datetime | None = None,
           max_frames: int | None = None, tz: dt.tzinfo | None = None,
           on_engine: Callable[[RuleEngine], None] | None = None, appearance=None) -> Iterator[EventUpdate]:
    """Yield event updates as the file plays as ``camera``; wall time runs from ``start`` (now).

    ``appearance``: the engine's appearance encoder (tracking and the operator's examples), or None.
    A file that does not open raises SourceOpenError (its ``reason`` is for the operator) at the first step.
    """
    start = start or dt.datetime.now(dt.UTC)
    engine = RuleEngine(config.rules, encoder, tz, clip_unavailable=clip_reason, night=config.night)
    if on_engine is not None:
        on_engine(engine)
    pipeline = CameraPipeline(camera.id, camera.motion, detector.names, appearance=appearance)
    analyzer = Analyzer(detector, {camera.id: pipeline})
    evaluator = RuleEvaluator(engine, encoder, appearance=appearance)
    last_t = 0.0
    for seq, t, image in video_frames(video, max_frames):
        last_t = t
        result = analyzer.analyze([(camera.id, image, seq, t)])[0]
        yield from evaluator.process([(result, image, start + dt.timedelta(seconds=t))])
    wall = start + dt.timedelta(seconds=last_t)
    yield from evaluator.end(camera.id, [track.track_id for track in pipeline.close()], last_t, wall)
