"""Appearance vectors and ``surveil eval reid``.

The encoder runs on the bundled yolo11n.pt (the real model, no fakes): shapes, unit length,
determinism, the model tag, and that a crop of a real person stays nearer to a shifted,
brightened copy of itself than to the other people in the same frame. The OpenVINO path must
give torch's vectors (cosine >= 0.999 per crop, on real people and on noise, in batches of every
size it splits), and without openvino the encoder runs torch, quietly. The re-identification
protocol is checked on vectors we control, then run once on TUD-Stadtmitte
($SURVEIL_TEST_ASSETS/media/mot) through the command line.
"""

import json
import logging
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from surveil.cli.main import main
from surveil.eval.boxes import FrameBoxes
from surveil.eval.ground_truth import load_ground_truth
from surveil.eval.reid import Crop, rank_scores, score_vectors, tracklets, visible
from surveil.resources import DEFAULT_DETECTOR, resource_path
from surveil.vision import appearance_net
from surveil.vision.analyze import video_frames
from surveil.vision.appearance import AppearanceError, colour_dim, colour_histogram, colour_histograms, load_appearance
from surveil.vision.appearance_net import chunks

STADTMITTE = "TUD-Stadtmitte"  # 179 frames, 10 people, 640x480
SAME_SPACE = 0.999  # cosine per crop that another backend's vector must keep with torch's


@pytest.fixture(scope="module")
def encoder():
    return load_appearance()


@pytest.fixture(scope="module")
def noise_crops():
    rng = np.random.default_rng(7)
    sizes = [(200, 80), (3, 2), (40, 300), (128, 64), (1, 1), (500, 400)]
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in sizes]


def test_vectors_are_unit_float32_rows_of_dim(encoder, noise_crops):
    vectors = encoder.encode(noise_crops)
    assert vectors.shape == (len(noise_crops), encoder.dim) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.dim > colour_dim()  # the backbone's part is there, not only the histogram


def test_empty_input_gives_no_rows_and_an_empty_crop_is_refused(encoder):
    assert encoder.encode([]).shape == (0, encoder.dim)
    with pytest.raises(ValueError, match="crop 1"):
        encoder.encode([np.zeros((10, 10, 3), np.uint8), np.zeros((0, 5, 3), np.uint8)])


def test_vectors_are_deterministic_and_do_not_depend_on_the_batch(encoder, noise_crops):
    first, again = encoder.encode(noise_crops), encoder.encode(noise_crops)
    np.testing.assert_array_equal(first, again)
    alone = encoder.encode([noise_crops[3]])[0]
    np.testing.assert_allclose(alone, first[3], atol=1e-4)
    assert float(first[0] @ first[2]) < 0.999  # different crops are not one vector


def test_model_tag_follows_the_weights_bytes(encoder, tmp_path):
    copy = tmp_path / DEFAULT_DETECTOR
    shutil.copyfile(resource_path(DEFAULT_DETECTOR), copy)
    assert load_appearance(copy).model_tag == encoder.model_tag  # same bytes, same space
    assert encoder.model_tag.startswith("yolo11n-backbone-v1-") and len(encoder.model_tag.rsplit("-", 1)[1]) == 8
    assert load_appearance(colour_weight=0).model_tag != encoder.model_tag


def test_other_weights_get_another_tag(encoder, assets):
    other = load_appearance(assets / "models" / "yolov8n.pt")
    assert other.model_tag != encoder.model_tag and other.model_tag.startswith("yolov8n-")


def test_loading_writes_nothing_into_the_working_folder(tmp_path, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    load_appearance().encode([np.full((50, 20, 3), 90, np.uint8)])
    assert os.listdir(work) == []


def test_weights_that_are_not_a_checkpoint_are_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(AppearanceError, match="junk.pt"):
        load_appearance(junk)
    with pytest.raises(AppearanceError, match=".pt checkpoint"):
        load_appearance(tmp_path)


@pytest.fixture(scope="module")
def torch_encoder():
    return load_appearance(openvino=False)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def test_openvino_gives_torch_s_vectors_in_every_batch_size(encoder, torch_encoder, noise_crops):
    pytest.importorskip("openvino")
    assert (encoder.backend, torch_encoder.backend) == ("openvino", "torch")
    assert encoder.model_tag == torch_encoder.model_tag and encoder.dim == torch_encoder.dim
    crops = noise_crops * 3  # 18 crops: chunks of 8, 8 and 2
    for n in (1, 3, 5, 8, 18):
        assert cosines(encoder.encode(crops[:n]), torch_encoder.encode(crops[:n])).min() >= SAME_SPACE


def test_the_encoder_may_be_shared_by_camera_threads(encoder, noise_crops):
    alone = [encoder.encode(noise_crops[:k]) for k in range(1, len(noise_crops) + 1)]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(lambda k: encoder.encode(noise_crops[:k]), range(1, len(noise_crops) + 1)))
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_without_openvino_the_encoder_runs_torch_and_says_nothing(torch_encoder, noise_crops, tmp_path, monkeypatch,
                                                                  caplog):
    monkeypatch.setitem(sys.modules, "openvino", None)  # what an install without the extra sees: ImportError
    copy = tmp_path / DEFAULT_DETECTOR  # another path: loaded afresh, not taken from the cache
    shutil.copyfile(resource_path(DEFAULT_DETECTOR), copy)
    with caplog.at_level(logging.INFO, logger="surveil.vision"):
        plain = load_appearance(copy)
    assert plain.backend == "torch" and plain.model_tag == torch_encoder.model_tag
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    np.testing.assert_allclose(plain.encode(noise_crops), torch_encoder.encode(noise_crops), atol=1e-6)


def test_a_compiled_net_that_disagrees_with_torch_is_not_used(torch_encoder, noise_crops, tmp_path, monkeypatch,
                                                              caplog):
    monkeypatch.setattr(appearance_net, "compile_openvino", lambda net, hw: lambda batch: np.zeros((len(batch), 384)))
    copy = tmp_path / DEFAULT_DETECTOR
    shutil.copyfile(resource_path(DEFAULT_DETECTOR), copy)
    with caplog.at_level(logging.WARNING, logger="surveil.vision"):
        checked = load_appearance(copy)
    assert checked.backend == "torch" and "differ from torch's" in caplog.text
    np.testing.assert_allclose(checked.encode(noise_crops), torch_encoder.encode(noise_crops), atol=1e-6)


def test_a_batch_splits_into_the_compiled_sizes():
    assert chunks(0) == [] and chunks(1) == [1] and chunks(7) == [7] and chunks(19) == [8, 8, 3]
    assert chunks(7, (8, 4, 2, 1)) == [4, 2, 1]


def test_colour_histogram_is_unit_and_tells_top_from_bottom():
    red, blue = (0, 0, 200), (200, 0, 0)
    red_over_blue = np.concatenate([np.full((40, 20, 3), red, np.uint8), np.full((40, 20, 3), blue, np.uint8)])
    blue_over_red = red_over_blue[::-1]
    a, b = colour_histogram(red_over_blue), colour_histogram(blue_over_red)
    assert a.shape == (colour_dim(),) and abs(np.linalg.norm(a) - 1) < 1e-5
    assert float(a @ b) < 0.1  # same colours, other halves: a shirt is not trousers
    assert colour_histograms([]).shape == (0, colour_dim())


@pytest.fixture(scope="module")
def stadtmitte_frame(media):
    """Frame 1 of TUD-Stadtmitte and its visible ground-truth people."""
    truth = load_ground_truth(media / "mot" / f"{STADTMITTE}.gt.txt")
    _, _, image = next(iter(video_frames(media / "mot" / f"{STADTMITTE}.mp4", max_frames=1)))
    boxes = truth.at(1)
    keep = visible(boxes, image.shape[:2])
    return image, boxes.xywh[keep].round().astype(int)


@pytest.mark.media
def test_a_person_is_nearer_to_a_shifted_brighter_copy_than_to_anyone_else(encoder, stadtmitte_frame):
    image, boxes = stadtmitte_frame
    assert len(boxes) >= 3
    crops = [image[y:y + h, x:x + w] for x, y, w, h in boxes]
    for i, (x, y, w, h) in enumerate(boxes):
        moved = image[y + 3:y + h + 3, x + 2:x + w + 2].astype(np.int16) + 15
        query, *rest = encoder.encode([np.clip(moved, 0, 255).astype(np.uint8), *crops])
        sims = np.asarray(rest) @ query
        assert int(np.argmax(sims)) == i, f"person {i}: {np.round(sims, 3)}"


@pytest.mark.media
def test_openvino_gives_torch_s_vectors_of_real_people(encoder, torch_encoder, stadtmitte_frame):
    pytest.importorskip("openvino")
    image, boxes = stadtmitte_frame
    crops = [image[y:y + h, x:x + w] for x, y, w, h in boxes]
    crops += [c[: c.shape[0] // 2] for c in crops]  # upper bodies too: other shapes, another batch size
    assert cosines(encoder.encode(crops), torch_encoder.encode(crops)).min() >= SAME_SPACE
    for crop in crops:
        assert float(encoder.encode([crop])[0] @ torch_encoder.encode([crop])[0]) >= SAME_SPACE


def test_visible_drops_narrow_boxes_and_people_behind_nearer_ones():
    boxes = FrameBoxes.of([1, 2, 3, 4], [[10, 10, 20, 80], [100, 50, 40, 100], [110, 60, 40, 120],
                                         [300, 10, 40, 100]])
    # 1 is too narrow; 2 stands behind 3 (3's feet are lower in the image); 4 is alone
    assert visible(boxes, (480, 640)).tolist() == [False, False, True, True]
    assert visible(boxes, (480, 640), min_width=10, max_cover=1.0).tolist() == [True, True, True, True]


def test_ranking_rewards_the_right_neighbour_only():
    ids = np.array([1, 1, 2, 2, 3, 3])
    vectors = np.eye(3)[[0, 0, 1, 1, 2, 2]] + 0.01 * np.arange(6)[:, None]
    others = ~np.eye(6, dtype=bool)
    assert rank_scores(vectors @ vectors.T, ids, ids, others) == (1.0, 1.0)
    shuffled = vectors[[0, 2, 1, 4, 3, 5]]  # each person's second half looks like someone else
    top1, mean_ap = rank_scores(shuffled @ shuffled.T, ids, ids, others)
    assert top1 < 0.5 and mean_ap < 1.0


def test_each_identity_splits_into_an_early_and_a_late_half():
    crops = [Crop(ident, frame, np.zeros((1, 1, 3), np.uint8)) for frame in (9, 1, 5, 13) for ident in (7, 8)]
    crops.append(Crop(9, 1, np.zeros((1, 1, 3), np.uint8)))  # one crop only: no tracklets
    idents, members = tracklets(crops)
    assert idents.tolist() == [7, 7, 8, 8]
    assert [sorted(crops[i].frame for i in m) for m in members] == [[1, 5], [9, 13], [1, 5], [9, 13]]
    vectors = np.eye(9)[[c.ident - 1 for c in crops]].astype(np.float32)
    score = score_vectors("ids", vectors, crops, 0.0)
    assert (score.identities, score.tracklets, score.top1, score.crop_top1) == (2, 4, 1.0, 1.0)


@pytest.mark.media
def test_reid_on_stadtmitte_beats_chance_for_both_methods(media, capsys):
    mot = media / "mot"
    code = main(["eval", "reid", str(mot / f"{STADTMITTE}.mp4"), "--gt", str(mot / f"{STADTMITTE}.gt.txt"),
                 "--json", "--every", "5"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    methods = {m["method"]: m for m in result["methods"]}
    assert set(methods) == {"appearance", "backbone only", "colour histogram"}
    for m in methods.values():
        assert m["identities"] >= 8 and m["tracklets"] == 2 * m["identities"] and m["ms_per_crop"] > 0
    chance = 1 / (methods["appearance"]["tracklets"] - 1)
    assert methods["appearance"]["top1"] >= max(0.5, 5 * chance, methods["colour histogram"]["top1"])
    assert methods["backbone only"]["top1"] >= 0.5  # the pretrained model alone carries identity
    assert methods["appearance"]["crop_mAP"] > methods["backbone only"]["crop_mAP"]
    assert result["model_tag"].startswith("yolo11n-backbone-v1-")


@pytest.mark.media
def test_reid_with_another_video_s_ground_truth_is_one_line(media, capsys):
    mot = media / "mot"
    code = main(["eval", "reid", str(mot / "TUD-Campus.mp4"), "--gt", str(mot / f"{STADTMITTE}.gt.txt")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.startswith("surveil eval reid:") and "\n" not in err
