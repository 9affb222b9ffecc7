"""Child process for the kill tests: the engine recording one camera with a detector that always sees a person.

argv: root folder, source path. Prints "ready" once the engine runs, then one line per notice.
"""

import sys
import time
from pathlib import Path

import numpy as np

from surveil.config import SurveilConfig
from surveil.engine.engine import Engine
from surveil.paths import app_paths
from surveil.vision.detections import Detections


class CornerPerson:
    """A person standing in the lower left of every frame: events start as soon as frames come."""

    names = {0: "person"}

    def detect(self, images):
        return [Detections.from_arrays(np.array([[10, im.shape[0] // 2, 60, im.shape[0] - 5]], float), [0.9], [0])
                for im in images]


class BlinkingPerson(CornerPerson):
    """The same person, seen for ``on`` detector calls and then gone for as many: events that end."""

    def __init__(self, on: int = 30):
        self.on, self.calls = on, 0

    def detect(self, images):
        self.calls += 1
        seen = super().detect(images)
        return seen if (self.calls // self.on) % 2 == 0 else [Detections() for _ in images]


def config(root: Path, source: str) -> SurveilConfig:
    return SurveilConfig.model_validate({
        "cameras": [{"id": "cam", "source": source, "loop": True}],
        "storage": {"path": str(root / "store")},
        "recording": {"folder": str(root / "recordings"), "clips_dir": str(root / "clips"), "segment_s": 2,
                      "pre_roll_s": 1, "post_roll_s": 1},
        "rules": [{"name": "anyone", "classes": ["person"], "min_duration_s": 0, "cooldown_s": 1, "grace_s": 0.5}]})


if __name__ == "__main__":
    engine = Engine(config(Path(sys.argv[1]), sys.argv[2]), app_paths(), detector=CornerPerson(), clip_reason="test")
    engine.listeners.append(lambda notice: print(notice.kind, flush=True))
    engine.start()
    print("ready", flush=True)
    while True:
        time.sleep(1)
