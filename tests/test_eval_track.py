"""``surveil eval track``: the scoring is right on ground truth we control, and a real run is sane.

The harness is checked first with no model at all: ground truth fed back as the tracker's
output scores perfectly, the same boxes with identities swapped between frames do not, and only
the frames named are scored. Then the app's own pipeline runs once per rate on TUD-Campus (71
frames, $SURVEIL_TEST_ASSETS/media/mot) and its scores must fall in ranges a working tracker
reaches; ranges, not exact values, because improving the tracker is the point of the harness.
"""

import json
from pathlib import Path

import numpy as np
import pytest

from surveil.cli.main import main
from surveil.eval.boxes import FrameBoxes
from surveil.eval.ground_truth import GroundTruthError, load_ground_truth
from surveil.eval.report import which_frames
from surveil.eval.scoring import score_tracking

CAMPUS = "TUD-Campus"  # 71 frames, 8 people, 25 fps


@pytest.fixture(scope="module")
def mot(media) -> Path:
    return media / "mot"


@pytest.fixture(scope="module")
def campus_truth(mot):
    return load_ground_truth(mot / f"{CAMPUS}.gt.txt")


def test_ground_truth_fed_back_as_the_tracker_scores_perfectly(campus_truth):
    score = score_tracking(campus_truth, campus_truth.frames, range(1, 72))
    assert (score.mota, score.idf1, score.id_switches, score.precision, score.recall) == (1.0, 1.0, 0, 1.0, 1.0)
    assert (score.gt_ids, score.predicted_ids, score.gt_boxes, score.frames) == (8, 8, 359, 71)


def test_identities_swapped_between_frames_are_switches(campus_truth):
    shuffled = {f: FrameBoxes(np.roll(b.ids, f % 2), b.xywh) for f, b in campus_truth.frames.items()}
    score = score_tracking(campus_truth, shuffled, range(1, 72))
    assert (score.precision, score.recall) == (1.0, 1.0)  # every box is still found...
    assert score.id_switches > 50 and score.idf1 < 0.8 and score.mota < 0.9  # ...under the wrong name


def test_only_the_frames_named_are_scored(campus_truth):
    every_5th = list(range(1, 72, 5))
    seen = {f: campus_truth.frames[f] for f in every_5th}  # the tracker said nothing on the other frames
    score = score_tracking(campus_truth, seen, every_5th)
    assert (score.mota, score.frames, score.gt_boxes) == (1.0, 15, sum(len(seen[f]) for f in every_5th))
    assert score_tracking(campus_truth, seen, range(1, 72)).recall < 0.3


def test_boxes_flagged_0_are_neither_missed_nor_false_positives(tmp_path):
    gt = tmp_path / "gt.txt"
    gt.write_text("1,1,10,10,20,40,1,-1,-1,-1\n1,2,100,10,20,40,0,-1,-1,-1\n"
                  "2,1,12,10,20,40,1,-1,-1,-1\n2,2,102,10,20,40,0,-1,-1,-1\n3,2,104,10,20,40,0,-1,-1,-1\n")
    truth = load_ground_truth(gt)
    tracked = {f: FrameBoxes.of([7, 8], [[8 + 2 * f, 10, 20, 40], [98 + 2 * f, 10, 20, 40]]) for f in (1, 2)}
    tracked[3] = FrameBoxes.of([8], [[104, 10, 20, 40]])  # only the ignored box is left in frame 3
    score = score_tracking(truth, tracked, [1, 2, 3])
    assert (score.mota, score.false_positives, score.misses, score.gt_ids, score.predicted_ids) == (1.0, 0, 0, 1, 1)
    assert truth.last_frame == 3


@pytest.mark.parametrize(("line", "says"), [
    ("1,1,10,10", "expected frame, id"), ("one,1,10,10,20,40,1", "not numbers"), ("0,1,10,10,20,40,1", "from 1"),
    ("1,1,10,10,0,40,1", "width and height"), ("1,1,10,10,nan,40,1", "finite"),
])
def test_a_bad_line_is_named_with_its_file_and_number(tmp_path, line, says):
    gt = tmp_path / "bad.txt"
    gt.write_text(f"1,1,10,10,20,40,1\n{line}\n")
    with pytest.raises(GroundTruthError, match=f"bad.txt line 2: .*{says}"):
        load_ground_truth(gt)


def test_which_frames_says_how_they_were_picked():
    assert which_frames(list(range(1, 72))) == "every frame"
    assert which_frames(list(range(1, 180, 5))) == "every 5th"
    assert which_frames([3, 5, 7]) == "every 2nd from frame 3"
    assert which_frames([1, 6, 16]).endswith("5 to 10 apart (the motion gate's choice)")


def _eval(capsys, *args) -> tuple[int, str, str]:
    code = main(["eval", "track", *map(str, args), "--no-progress"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("problem", ["garbage", "missing", "another video's"])
def test_bad_ground_truth_is_one_line_naming_the_file(mot, tmp_path, capsys, problem):
    gt = {"garbage": tmp_path / "garbage.gt.txt", "missing": tmp_path / "missing.gt.txt",
          "another video's": mot / "TUD-Stadtmitte.gt.txt"}[problem]
    if problem == "garbage":
        gt.write_text("frame,id,left,top,width,height\n")
    code, out, err = _eval(capsys, mot / f"{CAMPUS}.mp4", "--gt", gt)  # refused before any model loads
    assert (code, out, err.count("\n")) == (1, "", 1), err
    assert err.startswith("surveil eval track: ") and gt.name in err and "Traceback" not in err


@pytest.mark.media
def test_the_live_rate_scores_every_5th_frame_and_finds_people(assets, mot, capsys):
    weights = assets / "models" / "yolo11n.pt"
    code, out, err = _eval(capsys, mot / f"{CAMPUS}.mp4", "--gt", mot / f"{CAMPUS}.gt.txt", "--weights", weights,
                           "--fps", "5", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert (result["frames_read"], result["frames_scored"], result["scored_frames"]) == (71, 15, "every 5th")
    assert result["gt_ids"] == 8 and 1 <= result["predicted_ids"] <= 40 and result["gt_boxes"] == 75
    assert result["recall"] > 0.3 and result["precision"] > 0.5 and result["idf1"] > 0.2 and result["mota"] > 0.0


@pytest.mark.media
def test_the_full_rate_scores_every_frame_and_keeps_identities(assets, mot, capsys):
    code, out, err = _eval(capsys, mot / f"{CAMPUS}.mp4", "--gt", mot / f"{CAMPUS}.gt.txt", "--weights",
                           assets / "models" / "yolo11n.pt", "--fps", "full")
    assert code == 0, err
    assert "scored 71 of 71 frames: every frame" in out, out
    rows = dict(line.strip().rsplit(None, 1) for line in out.splitlines()[2:-1])
    assert float(rows["recall"]) > 0.5 and float(rows["precision"]) > 0.5, out
    assert float(rows["MOTA"]) > 0.3 and float(rows["IDF1"]) > 0.4 and int(rows["ID switches"]) < 40, out


@pytest.mark.media
def test_a_follow_rate_detects_less_often_while_only_tracked_people_move(assets, mot, capsys):
    code, out, err = _eval(capsys, mot / f"{CAMPUS}.mp4", "--gt", mot / f"{CAMPUS}.gt.txt", "--weights",
                           assets / "models" / "yolo11n.pt", "--fps", "5", "--follow", "2", "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["rate"] == "5 fps, 2 while following"
    # Every 5th frame (15) at the full rate; a group walking together is mostly followed, so fewer.
    assert 3 <= result["frames_scored"] < 15 and "the motion gate's choice" in result["scored_frames"]
    assert result["recall"] > 0.3 and result["idf1"] > 0.2


def test_a_follow_rate_without_a_detection_rate_is_refused_in_one_line(tmp_path, capsys):
    code, _, err = _eval(capsys, tmp_path / "v.mp4", "--gt", tmp_path / "gt.txt", "--fps", "full", "--follow", "2")
    assert code == 1 and err.strip() == ("surveil eval track: --follow needs a detection rate (--fps N): "
                                         "at 'full' every frame is detected")
