"""One owner of the store, many clients: a real `surveil run` process and CLI commands beside it.

The engine runs the bundled demo clip (real footage, the bundled detector); the CLI commands are
separate processes that must reach it through its API, since the store is the engine's.
"""

import json
import signal
import time
from pathlib import Path

import pytest
from service_helpers import service_url, start_service, stop_service, surveil

from surveil.service.client import ApiClient
from surveil.service.discovery import SERVICE_FILE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """`surveil run` on the demo clip with its API on a free port; yields (home, config path, process)."""
    home = tmp_path_factory.mktemp("service-home")
    config_path, proc, log = start_service(home)
    service_url(config_path, proc)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not _ended_events(home, config_path):
        assert proc.poll() is None, f"surveil run exited: {proc.stderr.read()}"
        time.sleep(1)
    yield home, config_path, proc
    stop_service(proc, log)


def _ended_events(home: Path, config_path: Path) -> list[dict]:
    done = surveil(home, "events", "--config", str(config_path), "--json", "--limit", "200")
    if done.returncode != 0:
        return []
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    return [r for r in rows if r["end"] is not None and r["clip_state"] == "written"]


def test_cli_commands_work_beside_a_running_engine(service, tmp_path):
    home, config_path, proc = service
    config = ["--config", str(config_path)]
    event = _ended_events(home, config_path)[0]

    marked = surveil(home, "mark", event["event_id"], "--lock", "--false-alarm", "--note", "kept for the police",
                      *config)
    assert marked.returncode == 0, marked.stderr
    assert marked.stdout.strip() == f"{event['event_id']}: locked, false_alarm, acknowledged, 1 note(s)"
    # The engine itself recorded it (audited), and announced it on its own output.
    run_lines = [json.loads(line) for line in (home / "run.out").read_text().splitlines()]
    assert any(n["kind"] == "event_marked" and n["detail"].get("event_id") == event["event_id"] for n in run_lines)

    # An object is stored when its track ends, which may be after its event ended: wait for one that is.
    info = json.loads((config_path.parent / "store" / SERVICE_FILE).read_text())
    client = ApiClient(info["url"], (home / "config" / "api-token").read_text().strip())
    deadline, stored = time.monotonic() + 90, None
    while stored is None and time.monotonic() < deadline:
        stored = next((e["object_id"] for e in _ended_events(home, config_path)
                       if client.raw(f"/api/objects/{e['object_id']}") is not None), None)
        time.sleep(0 if stored else 2)
    client.close()
    assert stored is not None, "an ended event whose track was stored"
    similar = surveil(home, "search", "--similar", stored, "-k", "3", "--json", *config)
    # Without CLIP weights objects carry no embedding here (issue 14 adds appearance vectors).
    assert similar.returncode == 0 or "no stored embedding" in similar.stderr, similar.stderr
    assert "Traceback" not in similar.stderr

    out = tmp_path / "evidence.zip"
    exported = surveil(home, "export", "--event", event["event_id"], "-o", str(out), *config)
    assert exported.returncode == 0, exported.stderr
    assert out.is_file() and "Traceback" not in exported.stderr
    verified = surveil(home, "verify", str(out))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    store_check = surveil(home, "verify", *config)
    assert store_check.returncode == 0, store_check.stdout + store_check.stderr
    assert proc.poll() is None  # the engine kept running through all of it


def test_a_second_engine_on_the_same_store_is_refused_and_deletes_nothing(service):
    home, config_path, proc = service
    store = config_path.parent / "store"
    before = sorted(p.name for p in store.iterdir())
    second = surveil(home, "run", "--config", str(config_path), "--seconds", "5")
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert f"in use by process {proc.pid}" in second.stderr
    assert set(before) <= {p.name for p in store.iterdir()}
    assert proc.poll() is None


def test_the_api_needs_the_token(service):
    home, config_path, _ = service
    info = json.loads((config_path.parent / "store" / SERVICE_FILE).read_text())
    import httpx

    assert httpx.get(f"{info['url']}/api/health", timeout=10).status_code == 401
    assert httpx.get(f"{info['url']}/api/health", headers={"Authorization": "Bearer wrong"},
                     timeout=10).status_code == 401
    token_file = home / "config" / "api-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    client = ApiClient(info["url"], token_file.read_text().strip())
    health = client.get("/api/health")
    assert health["cameras"]["walkway"]["state"] == "live"
    assert "/api/events/list" in httpx.get(f"{info['url']}/openapi.json", timeout=10).json()["paths"]


def test_the_cli_gives_the_same_rows_through_the_engine_and_from_the_store(service):
    home, config_path, proc = service
    through_engine = {r["event_id"]: r for r in _ended_events(home, config_path)}
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0
    assert not (config_path.parent / "store" / SERVICE_FILE).exists()
    direct = {r["event_id"]: r for r in _ended_events(home, config_path)}
    shared = set(through_engine) & set(direct)
    assert shared
    for event_id in shared:
        assert through_engine[event_id] == direct[event_id]
