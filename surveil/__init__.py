"""surveil: the headless core of a surveillance event monitor. It never imports Qt."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("surveil")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
