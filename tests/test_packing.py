"""Two cameras' frames in one detector call: which frames pair, and boxes back in their own pixels."""

import os
from pathlib import Path

import numpy as np
import pytest

from surveil.vision import packing
from surveil.vision.detections import Detections


def test_wide_frames_pair_and_others_go_alone():
    shapes = [(360, 640), (480, 640), (720, 1280), (1280, 720), (360, 640)]
    groups = packing.plan(shapes, 640)
    assert sorted(map(sorted, groups)) == [[0, 2], [1], [3], [4]], "16:9 in pairs; 4:3 and portrait alone"


def test_boxes_drawn_in_each_frame_come_back_where_they_were():
    top, bottom = np.zeros((360, 640, 3), np.uint8), np.zeros((720, 1280, 3), np.uint8)
    canvas, placements = packing.compose([top, bottom], 640)
    assert canvas.shape == (640, 640, 3) and placements[0].y0 == 0 and placements[1].y0 + 312 <= 640
    # A box in each frame's own pixels, put where compose puts it on the canvas.
    own = [np.array([100, 50, 200, 300], np.float32), np.array([600, 400, 900, 700], np.float32)]
    on_canvas = [box * p.scale + [p.x0, p.y0, p.x0, p.y0] for box, p in zip(own, placements, strict=True)]
    found = Detections.from_arrays(np.stack(on_canvas[::-1]), [0.9, 0.8], [2, 0])
    back = packing.split(found, placements, 640)
    assert [len(d) for d in back] == [1, 1]
    assert back[0].class_id.tolist() == [0] and back[1].class_id.tolist() == [2]
    np.testing.assert_allclose(back[0].xyxy[0], own[0], atol=1.5)
    np.testing.assert_allclose(back[1].xyxy[0], own[1], atol=3)


def _iou(a, b):
    lo, hi = np.maximum(a[:, None, :2], b[None, :, :2]), np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(hi - lo, 0, None), axis=2)
    area = lambda x: np.prod(x[:, 2:] - x[:, :2], axis=1)  # noqa: E731
    return inter / (area(a)[:, None] + area(b)[None] - inter)


def test_a_packed_detector_finds_the_same_confident_objects_as_alone():
    assets = os.environ.get("SURVEIL_TEST_ASSETS")
    if not assets:
        pytest.skip("needs SURVEIL_TEST_ASSETS (real footage and the OpenVINO export)")
    pytest.importorskip("openvino")
    import av

    from surveil.config import DetectorConfig
    from surveil.vision.detector import YoloDetector

    media, models = Path(assets) / "media", Path(assets) / "models"
    clips = []
    for clip in ("lobby_cctv_640x360.mp4", "highway_traffic_640x360.mp4"):
        with av.open(str(media / clip)) as container:
            clips.append([f.to_ndarray(format="bgr24") for i, f in enumerate(container.decode(video=0))
                          if i % 25 == 0 and i < 250])
    detector = YoloDetector(DetectorConfig(weights=str(models / "yolo11n_int8_openvino_model")), Path("/nonexistent"))
    assert detector.packs
    packed = [detector.detect(list(pair)) for pair in zip(*clips, strict=True)]
    detector.packs = False
    alone = [detector.detect(list(pair)) for pair in zip(*clips, strict=True)]
    for camera in (0, 1):  # the lobby's people, the motorway's cars
        found = []
        for a, p in zip((r[camera] for r in alone), (r[camera] for r in packed), strict=True):
            sure = a[a.confidence >= 0.6]
            overlap = _iou(sure.xyxy, p.xyxy) * (sure.class_id[:, None] == p.class_id[None, :])
            found += (overlap.max(axis=1, initial=0) >= 0.5).tolist()
        assert len(found) >= 10, "the frames show people and cars"
        assert np.mean(found) >= 0.85, "the confident objects are found again, in place"
