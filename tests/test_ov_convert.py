"""A .pt detector on OpenVINO: converted once into the cache, chosen by ``models.detector.runtime``."""

import importlib.util
import json
import logging
import os

import numpy as np
import pytest
from pydantic import ValidationError

from surveil.config.sections import DetectorConfig
from surveil.resources import DEFAULT_DETECTOR, resources_dir
from surveil.vision import ov_convert
from surveil.vision.detector import YoloDetector

openvino = pytest.mark.skipif(importlib.util.find_spec("openvino") is None, reason="openvino is not installed")
BUNDLED = resources_dir() / DEFAULT_DETECTOR


@openvino
def test_a_pt_converts_once_and_batches_frames_of_any_shape(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    first = YoloDetector(DetectorConfig(weights=str(BUNDLED)), cache)
    assert first.backend == "openvino" and first.batch_capable and not first.packs
    assert first.path.parent == cache / "openvino" and first.path.name.endswith("_openvino_model")
    assert ov_convert.is_dynamic(first.path)
    monkeypatch.setattr(ov_convert, "_export", lambda weights: pytest.fail("converted twice"))
    again = YoloDetector(DetectorConfig(weights=str(BUNDLED)), cache)
    assert again.path == first.path
    frames = [np.full((360, 640, 3), 90, np.uint8), np.full((480, 640, 3), 90, np.uint8)]
    assert [len(d) for d in again.detect(frames)] == [0, 0], "two shapes in one call, nothing in grey"


def test_changed_weights_convert_again_and_a_killed_conversion_is_cleared(tmp_path, monkeypatch):
    weights, cache, exports = tmp_path / "det.pt", tmp_path / "cache", []

    def fake_export(copy):  # what Ultralytics makes: a folder beside the file it read
        made = copy.parent / f"{copy.stem}_openvino_model"
        made.mkdir()
        (made / "det.xml").write_bytes(copy.read_bytes())
        (made / "det.bin").write_bytes(b"")
        exports.append(copy.read_bytes())
        return str(made)

    monkeypatch.setattr(ov_convert, "_export", fake_export)
    left = cache / "openvino" / ".converting-killed"
    left.mkdir(parents=True)
    os.utime(left, (0, 0))  # a killed conversion's folder, long ago
    weights.write_bytes(b"first")
    first = ov_convert.converted(weights, cache)
    assert ov_convert.converted(weights, cache) == first and exports == [b"first"], "made once"
    weights.write_bytes(b"second")
    second = ov_convert.converted(weights, cache)
    assert second != first and exports == [b"first", b"second"] and (second / "det.xml").read_bytes() == b"second"
    assert sorted(p.name for p in (cache / "openvino").iterdir()) == sorted([first.name, second.name])


def test_runtime_torch_and_a_failed_conversion_run_on_torch(tmp_path, monkeypatch, caplog):
    pinned = YoloDetector(DetectorConfig(weights=str(BUNDLED), runtime="torch"), tmp_path)
    assert pinned.backend == "torch" and pinned.path == BUNDLED.resolve()

    def broken(weights):
        raise RuntimeError("no space left on device")

    monkeypatch.setattr(ov_convert, "_export", broken)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "openvino" else None)
    with caplog.at_level(logging.WARNING):
        fallen = YoloDetector(DetectorConfig(weights=str(BUNDLED), runtime="openvino"), tmp_path)
    assert fallen.backend == "torch"
    assert "could not convert yolo11n.pt for OpenVINO (RuntimeError: no space left on device)" in caplog.text
    assert not [p for p in (tmp_path / "openvino").iterdir()], "no half-made conversion left in the cache"


def test_runtime_openvino_without_the_package_says_so_and_runs_torch(tmp_path, monkeypatch, caplog):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "openvino" else real(name, *a))
    with caplog.at_level(logging.WARNING):
        detector = YoloDetector(DetectorConfig(weights=str(BUNDLED), runtime="openvino"), tmp_path)
    assert detector.backend == "torch" and "pip install 'surveil[openvino]'" in caplog.text


def test_an_unknown_runtime_is_refused():
    with pytest.raises(ValidationError, match="runtime"):
        DetectorConfig(runtime="tensorrt")


@openvino
def test_on_real_footage_the_converted_model_finds_what_torch_finds(tmp_path, assets):
    import av

    with av.open(str(assets / "media" / "lobby_cctv_640x360.mp4")) as container:
        decoded = zip(range(60), container.decode(video=0), strict=False)
        frames = [f.to_ndarray(format="bgr24") for i, f in decoded if i % 15 == 0]
    weights = str(assets / "models" / "yolo11n.pt")
    torch_found = YoloDetector(DetectorConfig(weights=weights, runtime="torch"), tmp_path).detect(frames)
    ov_found = YoloDetector(DetectorConfig(weights=weights, runtime="openvino"), tmp_path).detect(frames)
    boxes, kept = 0, 0
    for a, b in zip(torch_found, ov_found, strict=True):
        boxes += len(a)
        if len(a) and len(b):
            kept += int((_iou(a.xyxy, b.xyxy).max(axis=1) > 0.7).sum())
    assert boxes >= 20 and kept >= 0.9 * boxes, (kept, boxes)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None, :] - inter)


def test_models_list_says_where_the_detector_runs(tmp_path, capsys, monkeypatch):
    from surveil.cli.main import main

    pinned = tmp_path / "torch.yaml"
    pinned.write_text("models: {detector: {runtime: torch}}\n")
    assert main(["models", "list", "--config", str(pinned), "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[0])["runs_on"] == "torch"
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object() if name == "openvino" else None)
    default = tmp_path / "default.yaml"
    default.write_text("models: {detector: {device: cpu}}\n")
    assert main(["models", "list", "--config", str(default)]) == 0
    assert "runs on openvino (converted" in capsys.readouterr().out  # now or at the engine's first start
