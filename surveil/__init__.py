"""surveil: the headless core of a surveillance event monitor. It never imports Qt."""

import sys
from importlib.metadata import PackageNotFoundError, version

# OpenVINO reports usage over the network on import and on every model conversion, from a
# process it forks (which also inherits the event store's lock), unless a user opted out on
# their machine. This app works offline and sends nothing: with the telemetry package seen as
# missing, OpenVINO uses its own no-op stand-in.
sys.modules.setdefault("openvino_telemetry", None)

try:
    __version__ = version("surveil")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
