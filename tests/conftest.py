"""Shared fixtures. Every test runs with SURVEIL_HOME in a temporary folder: no test touches
the real user folders. Real footage comes from $SURVEIL_TEST_ASSETS (``.ci/run`` points it
at ../shared); tests that need it skip with a reason where it is not set.

With SURVEIL_STRICT=1 (``.ci/run`` sets it) a skip is a failure instead: CI must run every
test, so missing footage, a machine where tmpfs cannot be mounted (not root) or a missing
PySide6 fails the run with "strict (CI): <the skip's reason>" rather than passing quietly."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

# Set before anything imports surveil or a library that writes settings (ultralytics, Qt):
# subprocesses inherit these, so they stay out of the user's folders too.
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="surveil-tests-"))
os.environ["SURVEIL_HOME"] = str(_SESSION_HOME / "home")
os.environ["XDG_CONFIG_HOME"] = str(_SESSION_HOME / "xdg-config")
os.environ["XDG_CACHE_HOME"] = str(_SESSION_HOME / "xdg-cache")
os.environ["XDG_DATA_HOME"] = str(_SESSION_HOME / "xdg-data")
os.environ["YOLO_CONFIG_DIR"] = str(_SESSION_HOME / "ultralytics")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"  # nothing in the test suite downloads anything

ASSETS_ENV = "SURVEIL_TEST_ASSETS"
STRICT_ENV = "SURVEIL_STRICT"


def _strict() -> bool:
    return os.environ.get(STRICT_ENV, "") == "1"


def _skip_reason(longrepr) -> str:
    """The reason a skip report carries: its longrepr is (path, line, "Skipped: reason")."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _fail_skip(report) -> None:
    if _strict() and report.skipped and not hasattr(report, "wasxfail"):  # an xfail is not a skip
        report.outcome = "failed"
        report.longrepr = f"strict (CI): {_skip_reason(report.longrepr)}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Under SURVEIL_STRICT=1, a test that skips (in setup, a fixture, or its body) fails."""
    report = yield
    _fail_skip(report)
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """Under SURVEIL_STRICT=1, a module that skips while collected (``pytest.importorskip``) is an error."""
    report = yield
    _fail_skip(report)
    return report


@pytest.fixture(autouse=True)
def surveil_home(tmp_path, monkeypatch) -> Path:
    """A fresh SURVEIL_HOME for each test.

    Its model cache shares one folder of OpenVINO conversions with the whole session: a .pt
    converts once per run, not once per test (``tests/test_ov_convert.py`` tests converting).
    """
    home = tmp_path / "surveil-home"
    monkeypatch.setenv("SURVEIL_HOME", str(home))
    shared = _SESSION_HOME / "openvino-conversions"
    shared.mkdir(exist_ok=True)
    (home / "models").mkdir(parents=True)
    (home / "models" / "openvino").symlink_to(shared, target_is_directory=True)
    return home


@pytest.fixture(scope="session")
def assets() -> Path:
    """The shared test assets folder (media/ and models/), or skip."""
    value = os.environ.get(ASSETS_ENV, "")
    if not value:
        pytest.skip(f"{ASSETS_ENV} is not set: real footage and weights are not available here")
    path = Path(value)
    if not (path / "media").is_dir():
        pytest.skip(f"{ASSETS_ENV}={value} has no media/ folder")
    return path


@pytest.fixture(scope="session")
def media(assets) -> Path:
    """The folder of real CCTV clips."""
    return assets / "media"


@pytest.fixture
def tiny_disk(tmp_path):
    """A factory for small tmpfs mounts (a disk that fills up for real); skips where mounting is not allowed."""
    import subprocess

    mounts = []

    def make(size: str):
        mount = tmp_path / f"tiny-{len(mounts)}"
        mount.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs here (needs root): {done.stderr.decode().strip()}")
        mounts.append(mount)
        return mount

    yield make
    for mount in mounts:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


@pytest.fixture
def fake_engine(tmp_path):
    """A running engine on one looping synthetic camera, with a detector that finds the bright square."""
    from test_engine import _config
    from test_vision_synthetic import PatchDetector
    from videos import write_video

    from surveil.engine.engine import Engine
    from surveil.paths import app_paths

    clip = write_video(tmp_path / "cam.avi", count=140, fps=20, size=(160, 120), step=1)
    engine = Engine(_config(tmp_path, [{"id": "cam", "source": str(clip), "loop": True, "name": "Front"}]),
                    app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP")
    engine.start()
    yield engine
    engine.stop()
