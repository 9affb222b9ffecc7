"""`surveil run` end to end on real footage: alerts, stored events, readable clips, exports, kills."""

import json
import os
import signal
import subprocess
import sys
import zipfile

import pytest

from surveil.capture.cv import cv2
from surveil.hashing import file_sha256
from surveil.media.export import verify_export
from surveil.store.store import EventStore
from surveil.store.verify import verify_store

pytestmark = [pytest.mark.media, pytest.mark.slow]

CONFIG = """
cameras:
  - {{id: walkway, source: {media}/pets2009_walkway_480x360.avi}}
  - {{id: lobby, source: {media}/lobby_cctv_640x360.mp4}}
models: {{detector: {{weights: {models}/yolo11n.pt, classes: [person, car, truck]}}}}
storage: {{path: {root}/store}}
recording: {{clips_dir: {root}/clips, pre_roll_s: 2, post_roll_s: 1}}
rules:
  - name: near side
    classes: [person]
    zones: [{{points: [[0, 0.55], [1, 0.55], [1, 1], [0, 1]]}}]
    min_duration_s: 1
    cooldown_s: 3
    grace_s: 1
"""


@pytest.fixture
def run_config(assets, tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(CONFIG.format(media=assets / "media", models=assets / "models", root=tmp_path))
    return path


def _run(config, seconds):
    done = subprocess.run([sys.executable, "-m", "surveil", "run", "--config", str(config), "--json",
                           "--seconds", str(seconds)], capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_run_stores_verifiable_incidents_with_readable_clips_and_exports_them(run_config, tmp_path):
    notices = _run(run_config, 14)
    kinds = [n["kind"] for n in notices]
    # Both clips have people in their lower half within the first seconds (see `surveil rules replay`).
    assert kinds.count("alert_started") >= 2 and "clip_written" in kinds and kinds[-1] == "stopped"
    assert {n["camera"] for n in notices if n["kind"] == "alert_started"} == {"walkway", "lobby"}
    with EventStore(tmp_path / "store", read_only=True) as store:
        assert verify_store(store).ok
        events = [store.get_event(n["event"]["event_id"]) for n in notices if n["kind"] == "alert_started"]
        written = [e for e in events if e.clip_state == "written"]
        assert len(written) == len(events), "every alert got its clip before the engine stopped"
        for event in written:
            assert file_sha256(event.clip_path) == event.clip_sha256
            cap = cv2.VideoCapture(event.clip_path)
            frames = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
            ok, image = cap.read()
            cap.release()
            # pre-roll 2 s + at least the 1 s minimum duration, at 10-30 fps
            assert ok and image is not None and frames >= 20
            assert event.end is not None and event.end >= event.start and event.object_id
            assert store.thumbnail("e", event.event_id)[:2] == b"\xff\xd8"
    package = tmp_path / "evidence.zip"
    done = subprocess.run([sys.executable, "-m", "surveil", "export", "--config", str(run_config), "-o",
                           str(package)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    check = verify_export(package)
    # Per event its record, thumbnail and clip; one audit file for them all (the manifest is not counted).
    assert check.ok and check.files == 3 * len(events) + 1, check
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(tampered, "w") as dst:
        first_clip = next(name for name in src.namelist() if name.startswith("clips/"))
        for name in src.namelist():
            data = src.read(name)
            if name == first_clip:  # one flipped bit in one clip
                data = data[:1000] + bytes([data[1000] ^ 1]) + data[1001:]
            dst.writestr(name, data)
    done = subprocess.run([sys.executable, "-m", "surveil", "verify", str(tampered)], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 1 and "was altered (sha256 mismatch)" in done.stdout
    with EventStore(tmp_path / "store", read_only=True) as store:
        exports = [e for e in store.audit_entries() if e.action == "export"]
        assert exports and exports[-1].digest == check.manifest_sha256


def test_a_run_killed_with_sigkill_loses_no_acknowledged_event(run_config, tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "surveil", "run", "--config", str(run_config), "--json"],
                            stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        for line in proc.stdout:
            notice = json.loads(line)
            if notice["kind"] == "alert_started":  # printed only once the event is on disk
                acknowledged.append(notice["event"]["event_id"])
                if len(acknowledged) == 2:
                    break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert len(acknowledged) == 2
    with EventStore(tmp_path / "store") as store:  # the writer lock died with the process
        assert all(store.get_event(event_id) is not None for event_id in acknowledged)
        assert verify_store(store).ok
    done = subprocess.run([sys.executable, "-m", "surveil", "verify", "--config", str(run_config)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "verified" in done.stdout
