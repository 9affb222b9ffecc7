"""The layers below capture load without OpenCV: config, the rule model, the store, the command line.

Each check runs in a fresh interpreter, because this test process has long since imported cv2.
"""

import subprocess
import sys

BLOCK_CV2 = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] == 'cv2':
            raise ImportError('loaded OpenCV: ' + name)
sys.meta_path.insert(0, Block())
"""

WITHOUT_CV2 = BLOCK_CV2 + """
import surveil.config, surveil.rules.model, surveil.store.store, surveil.paths, surveil.engine.alerts
from surveil.config import load_config
from surveil.resources import DEMO_CONFIG, resource_path
from surveil.sources import SourceKind, parse_source
config = load_config(resource_path(DEMO_CONFIG))
assert parse_source(config.cameras[0].source).kind is SourceKind.FILE, config.cameras
from surveil.cli.main import build_parser
assert build_parser().parse_args(['probe', 'x.mp4']).command == 'probe'
assert 'cv2' not in sys.modules
print('ok')
"""


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def test_config_store_rules_and_the_command_line_load_without_opencv():
    done = _run(WITHOUT_CV2)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_the_blocker_does_block_opencv():
    done = _run(BLOCK_CV2 + "import surveil.capture.camera\n")
    assert done.returncode != 0
    assert "loaded OpenCV: cv2" in done.stderr


# The window reaches the engine only through an EngineLink: only ui/app.py, which builds the engine
# (or connects to a service) and wraps it, may import these.
ENGINE_SIDE = ("surveil.engine.engine", "surveil.store.store", "surveil.store.search", "surveil.media.export",
               "surveil.rules.backtest", "surveil.service.remote", "surveil.service.client",
               "surveil.store.query.list_events", "surveil.store.query.counts_per_hour",
               "surveil.service.link.LocalLink")


def _imports(path) -> set[str]:
    """Every module, and every name imported from a module, in a file (lazy imports in functions too)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _engine_side(path) -> list[str]:
    return sorted(name for name in _imports(path) for banned in ENGINE_SIDE
                  if name == banned or name.startswith(banned + "."))


def test_the_window_talks_to_the_engine_only_through_a_link():
    from pathlib import Path

    ui = Path(__file__).resolve().parents[1] / "ui"
    modules = sorted(ui.glob("*.py"))
    assert len(modules) > 10, "the scan sees the ui package"
    reaching = {path.name: _engine_side(path) for path in modules if path.name != "app.py"}
    assert not {name: found for name, found in reaching.items() if found}
    # The scan does see imports: app.py builds the engine and connects to a service, lazily.
    assert {"surveil.engine.engine.Engine", "surveil.service.remote.RemoteLink"} <= set(_engine_side(ui / "app.py"))
