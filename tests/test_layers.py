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
