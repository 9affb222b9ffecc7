import json
import os
import subprocess
import sys
import time

import pytest


def _surveil(*args, timeout=300, env=None):
    return subprocess.run([sys.executable, "-m", "surveil", *args], capture_output=True, text=True, timeout=timeout,
                          env=env)


def test_models_lists_the_bundled_detector_and_says_clip_is_missing_without_failing():
    done = _surveil("models", "verify")
    assert done.returncode == 0, "missing CLIP weights alone are not a failure: the detector is here"
    lines = done.stdout.splitlines()
    assert "detector yolo11n.pt" in lines[0] and "present" in lines[0] and "sha256 ok" in lines[0]
    assert lines[1].strip().startswith("runs on "), "the detector's runtime, under its line"
    assert "missing  (not in the model cache: run `surveil models download`)" in lines[2]
    assert "rules made of classes, zones and motion work without them" in done.stdout
    rows = [json.loads(line) for line in _surveil("models", "--json").stdout.splitlines()]
    assert [(r["state"], r["downloadable"]) for r in rows] == [("present", False), ("missing", True)]


def test_models_download_offline_says_so_in_one_line():
    done = _surveil("models", "download", timeout=120)
    assert done.returncode == 1
    assert done.stderr == ("surveil models download: downloads are switched off (HF_HUB_OFFLINE is set): "
                           "ViT-B-32 laion2b_s34b_b79k not downloaded\n")


def test_models_download_names_a_host_it_cannot_reach_without_retrying():
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower() and k != "HF_HUB_OFFLINE"}
    env["HF_ENDPOINT"] = "http://127.0.0.1:9"  # the discard port: nothing listens there
    began = time.monotonic()
    done = _surveil("models", "download", timeout=120, env=env)
    assert done.returncode == 1 and time.monotonic() - began < 30, "no minute of retries"
    assert done.stderr == ("surveil models download: cannot reach 127.0.0.1 (offline?): "
                           "ViT-B-32 laion2b_s34b_b79k not downloaded\n")


def test_rules_check_names_what_runs_without_clip(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("cameras: [{id: gate, source: x.mp4}]\nrules:\n"
                      "  - {name: climber, prompts: [a person climbing a fence], classes: [person]}\n"
                      "  - {name: cars, classes: [car], enabled: false}\n")
    done = _surveil("rules", "check", "--config", str(config))
    assert done.returncode == 0
    assert "climber [medium]: prompts ['a person climbing a fence'], classes ['person']" in done.stdout
    assert "cars (disabled)" in done.stdout
    assert "CLIP unavailable" in done.stdout and "Rules run on the words understood" in done.stdout
    as_json = json.loads(_surveil("rules", "check", "--config", str(config), "--json").stdout)
    assert [r["name"] for r in as_json["rules"]] == ["climber", "cars"] and as_json["clip_available"] is False


def test_rules_check_refuses_a_bad_rule(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text("rules:\n  - {name: climber, prompts: [''], threshold: 2}\n")
    done = _surveil("rules", "check", "--config", str(config))
    assert done.returncode == 1
    assert "rules[0] (climber).prompts" in done.stderr and "rules[0] (climber).threshold" in done.stderr


@pytest.mark.media
def test_rules_replay_on_the_walkway_raises_zone_alerts_with_reasons(media, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"""
cameras: [{{id: walkway, source: {media / 'pets2009_walkway_480x360.avi'}}}]
models: {{detector: {{classes: [person]}}}}
rules:
  - name: lower walkway
    classes: [person]
    zones: [{{points: [[0, 0.6], [1, 0.6], [1, 1], [0, 1]]}}]
    min_duration_s: 1
    cooldown_s: 0
""")
    done = _surveil("rules", "replay", str(media / "pets2009_walkway_480x360.avi"), "--config", str(config),
                    "--max-frames", "300", "--json")
    assert done.returncode == 0, done.stderr
    updates = [json.loads(line) for line in done.stdout.splitlines()]
    started = [u for u in updates if u["kind"] == "started"]
    ended = [u for u in updates if u["kind"] == "ended"]
    # Measured: 300 frames (30 s) of the walkway give 5 alerts (people crossing the lower band), at
    # these seconds of the clip; each ends before the replay does.
    assert [u["start_s"] for u in started] == [2.2, 5.2, 20.4, 20.8, 24.0]
    assert [(u["start_s"], u["end_s"]) for u in ended] == [(2.2, 6.2), (5.2, 8.8), (20.8, 23.8), (20.4, 27.2),
                                                           (24.0, 28.4)]
    assert all(u["label"] == "person" and "zone: bottom_center of the box is in zone 1" in u["reasons"]
               for u in started)
    assert sorted(u["event_id"] for u in ended) == sorted(u["event_id"] for u in started)
