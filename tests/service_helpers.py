"""A real `surveil run` process on the bundled demo clip, for tests of clients beside it."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import yaml

from surveil.paths import app_paths
from surveil.service.discovery import SERVICE_FILE


def surveil(home: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    """A CLI command as its own process, in ``home``."""
    env = {**os.environ, "SURVEIL_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def start_service(home: Path) -> tuple[Path, subprocess.Popen, object]:
    """Start `surveil run --json` on the demo (API on a free port); returns (config path, process, its output file)."""
    from surveil.demo import prepare_demo

    paths = app_paths({"SURVEIL_HOME": str(home)}).ensure()
    _, demo_dir = prepare_demo(paths)
    config_path = demo_dir / "config.yaml"
    data = yaml.safe_load(config_path.read_text())
    data["service"] = {"port": 0}  # several test engines at once must not fight over 8765
    config_path.write_text(yaml.safe_dump(data))
    log = open(home / "run.out", "w")  # noqa: SIM115 (the caller closes it with stop_service)
    proc = subprocess.Popen([sys.executable, "-m", "surveil", "run", "--config", str(config_path), "--json"],
                            stdout=log, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SURVEIL_HOME": str(home)})
    return config_path, proc, log


def service_url(config_path: Path, proc: subprocess.Popen, timeout: float = 120) -> str:
    """Wait for the service to publish its address; fails with its stderr if it exits first."""
    path = config_path.parent / "store" / SERVICE_FILE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"surveil run exited: {proc.stderr.read()}"
        if path.exists():
            return json.loads(path.read_text())["url"]
        time.sleep(0.3)
    raise AssertionError(f"no {SERVICE_FILE} within {timeout} s")


def stop_service(proc: subprocess.Popen, log) -> int:
    """SIGTERM and wait; the exit code."""
    proc.terminate()
    try:
        return proc.wait(60)
    finally:
        log.close()
