import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from videos import write_video

import surveil


def _surveil(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=timeout)


def _probe(*args: str) -> tuple[int, list[dict]]:
    done = _surveil("probe", "--timeout", "3", *args)
    return done.returncode, [json.loads(line) for line in done.stdout.splitlines()]


def test_version_matches_the_package():
    done = _surveil("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"surveil {surveil.__version__}"
    assert surveil.__version__ != "0.0.0+source", "tests run against the installed package"


def test_probe_reports_what_was_written(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=37, fps=15, size=(320, 240))
    code, [result] = _probe(str(clip))
    assert code == 0 and result["opened"] is True and result["error"] is None
    assert (result["width"], result["height"], result["frame_count"]) == (320, 240, 37)
    assert result["fps"] == pytest.approx(15)
    assert result["codec"].upper() == "MJPG" and result["kind"] == "file"


def test_probe_fails_clearly_on_bad_input(tmp_path):
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(os.urandom(50_000))
    code, results = _probe(str(tmp_path / "missing.mp4"), str(noise), "gopher://x/y", "rtsp://127.0.0.1:1/a")
    assert code == 1
    errors = [r["error"] for r in results]
    assert [r["opened"] for r in results] == [False] * 4
    assert "file not found" in errors[0]
    assert "not a video" in errors[1]
    assert "unsupported URL scheme" in errors[2]
    assert "connection refused" in errors[3]


def test_probe_decode_all_finds_truncation(media, tmp_path):
    cut = tmp_path / "cut.mp4"
    cut.write_bytes((media / "lobby_cctv_640x360.mp4").read_bytes()[:300_000])
    code, [result] = _probe("--decode-all", str(cut))
    assert code == 0 and result["frame_count"] == 641
    assert result["decoded_frames"] == 182  # measured: the first 300 KB of the file hold 182 frames
    assert "truncated" in result["warning"]


# The README of ../shared/media lists these; probe must agree with it.
CLIPS = {
    "pets2009_walkway_480x360.avi": (480, 360, 10.0, 795),
    "lobby_cctv_640x360.mp4": (640, 360, 29.97, 641),
    "highway_traffic_640x360.mp4": (640, 360, 30.0, 917),
    "night_lane_cctv_1280x720.mp4": (1280, 720, 25.0, 1081),
}


def test_probe_answers_for_every_shared_clip(media):
    code, results = _probe(*(str(media / name) for name in CLIPS))
    assert code == 0
    for (name, (width, height, fps, count)), result in zip(CLIPS.items(), results, strict=True):
        assert result["opened"], name
        assert (result["width"], result["height"], result["frame_count"]) == (width, height, count), name
        assert result["fps"] == pytest.approx(fps, abs=0.01) and result["codec"] == "h264"


def _demo_lines(proc: subprocess.Popen, until, timeout: float) -> list[dict]:
    lines, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(json.loads(line))
        if until(lines[-1]):
            return lines
    raise AssertionError(f"demo did not print what was expected in {timeout} s: {lines}")


def test_demo_runs_the_engine_in_a_fresh_folder_and_stops_on_sigterm(surveil_home):
    stale = surveil_home / "data" / "demo" / "leftover.txt"
    stale.parent.mkdir(parents=True)
    stale.write_text("from an earlier run")
    proc = subprocess.Popen([sys.executable, "-m", "surveil", "demo", "--json"], stdout=subprocess.PIPE, text=True)
    try:
        # The first person steps onto the near side about 2 s into the clip (measured with
        # `surveil rules replay` on the same config); wait until that alert's clip is written.
        lines = _demo_lines(proc, lambda r: r["kind"] == "clip_written", 90)
        proc.send_signal(signal.SIGTERM)
        lines += _demo_lines(proc, lambda r: r["kind"] == "stopped", 60)
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    assert all(set(r) == {"time", "kind", "message", "camera", "event", "detail"} for r in lines), "one schema"
    start = lines[0]
    assert start["kind"] == "start" and start["detail"]["cameras"] == ["walkway"]
    demo_dir = Path(start["detail"]["demo_dir"])
    assert demo_dir.is_relative_to(surveil_home.resolve())
    assert (demo_dir / "config.yaml").is_file() and not stale.exists()
    stats = [r for r in lines if r["kind"] == "stats"]
    assert stats and max(r["detail"]["objects"].get("person", 0) for r in stats) >= 2
    alert = next(r["event"] for r in lines if r["kind"] == "alert_started")
    assert alert["rule"] == "person on the near side" and alert["label"] == "person"
    assert "zone: bottom_center of the box is in zone near side" in alert["reasons"]
    verify = _surveil("verify", "--config", str(demo_dir / "config.yaml"))
    assert verify.returncode == 0 and "verified: the chain is whole" in verify.stdout, verify.stdout
    assert list((demo_dir / "clips" / "walkway").glob("*.mp4"))
