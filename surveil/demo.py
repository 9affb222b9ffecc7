"""The demo: the bundled walkway clip as a camera, the default rules, the engine, a fresh data folder.

Without a display (or with ``--headless``/``--json``) it prints what the engine sees and
raises, once a second and as it happens, through the same loop as ``surveil run``.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import TextIO

from surveil.cli.monitor import Printer, run_engine
from surveil.config import SurveilConfig, load_config, save_config
from surveil.engine.engine import Engine
from surveil.paths import AppPaths
from surveil.resources import DEMO_CONFIG, resource_path

logger = logging.getLogger(__name__)


def prepare_demo(paths: AppPaths) -> tuple[SurveilConfig, Path]:
    """Load the bundled demo config and save it into a fresh ``data/demo`` folder with its store."""
    config = load_config(resource_path(DEMO_CONFIG))
    demo_dir = paths.data_dir / "demo"
    if demo_dir.exists():
        shutil.rmtree(demo_dir)  # only ever our own demo folder: the demo starts fresh each time
    demo_dir.mkdir(parents=True)
    config.storage.path = demo_dir / "store"
    config.recording.clips_dir = demo_dir / "clips"
    config.recording.folder = demo_dir / "recordings"
    save_config(config, demo_dir / "config.yaml")
    return config, demo_dir


def run_demo(paths: AppPaths, seconds: float | None, as_json: bool, out: TextIO) -> int:
    """Run the engine on the demo until ``seconds`` pass or a signal; one status line a second."""
    config, demo_dir = prepare_demo(paths)
    printer = Printer(out, as_json)
    printer.say("start", f"surveil demo: data in {demo_dir}; cameras: "
                f"{', '.join(c.display_name for c in config.cameras)}",
                detail={"demo_dir": str(demo_dir), "cameras": [c.id for c in config.cameras]})
    engine = Engine(config, paths, config_path=demo_dir / "config.yaml")
    return run_engine(engine, printer, "demo", seconds, stats_every=1.0,
                      farewell=f"review with `surveil events --config {demo_dir / 'config.yaml'}`")
