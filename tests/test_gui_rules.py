"""The rule editor: invalid rules refused in place, valid ones applied live and saved, zones drawn by clicks."""

import numpy as np
import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from surveil.config import load_config  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from ui.rule_editor import RuleEditor  # noqa: E402
from ui.theme import ALARM_TEXT  # noqa: E402
from ui.zone_editor import ZoneEditor  # noqa: E402


def test_an_invalid_rule_is_refused_in_place_and_a_valid_one_is_applied_and_saved(qtbot, fake_engine, tmp_path):
    engine = fake_engine
    path = tmp_path / "config.yaml"
    engine.config_path = path  # the engine saves what it applies; the editor only asks
    editor = RuleEditor(LocalLink(engine))
    qtbot.addWidget(editor)
    assert editor.form.widgets["name"].text() == "square on the right"
    assert "CLIP is unavailable (test: no CLIP)" in editor.clip_notice.text()
    assert editor.form.widgets["threshold"].toolTip().startswith("Probability (0-1)")
    editor.form.widgets["threshold"].setValue(1.5)
    editor.form.widgets["prompts"].setPlainText("a person\n   ")
    assert editor.apply() is None
    assert "Threshold" in editor.errors.text() and "a prompt is empty" in editor.errors.text()
    assert ALARM_TEXT in editor.form.widgets["threshold"].styleSheet() and ALARM_TEXT in editor.errors.styleSheet()
    qtbot.wait(100)
    assert engine.snapshot().config.rules[0].threshold == 0.5, "the old rule keeps running"
    assert not path.exists()
    editor.form.widgets["threshold"].setValue(0.8)
    editor.form.widgets["prompts"].setPlainText("a person climbing a fence")
    editor.form.widgets["cooldown_s"].setValue(42)
    rule = editor.apply()
    assert rule is not None and editor.errors.text().startswith("Saved 'square on the right'")
    qtbot.waitUntil(lambda: engine.snapshot().config.rules[0].cooldown_s == 42, timeout=3000)
    saved = load_config(path).rules[0]
    assert saved.prompts == ["a person climbing a fence"] and saved.threshold == 0.8
    assert saved.zones[0].points == [(0.5, 0.0), (1.0, 0.0), (1.0, 1.0), (0.5, 1.0)], "zones ride along"


def test_drawing_a_zone_with_clicks_gives_the_polygon(qtbot):
    zone = ZoneEditor()
    qtbot.addWidget(zone)
    zone.resize(640, 360)  # no frame yet: a 16:9 picture filling the widget exactly
    closed = []
    zone.polygonClosed.connect(closed.append)
    for x, y in ((64, 36), (576, 36), (576, 324)):
        qtbot.mouseClick(zone, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseClick(zone, Qt.MouseButton.RightButton, pos=QPoint(10, 10))
    assert closed == [[(0.1, 0.1), (0.9, 0.1), (0.9, 0.9)]]
    qtbot.mouseClick(zone, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    qtbot.mouseClick(zone, Qt.MouseButton.RightButton, pos=QPoint(5, 5))
    assert len(closed) == 1, "two corners are not a zone"


def test_back_test_counts_what_the_rule_would_have_caught_in_the_store(qtbot, fake_engine, tmp_path):
    from capture_helpers import wait_for

    engine = fake_engine
    wait_for(lambda: sum(1 for _ in engine.store.objects()) >= 2, 60, "stored tracked objects")
    editor = RuleEditor(LocalLink(engine))
    qtbot.addWidget(editor)
    stored = sum(1 for _ in engine.store.objects())
    job = editor.backtest()
    qtbot.waitUntil(lambda: "stored objects would have fired" in editor.backtest_result.text(), timeout=10000)
    assert job is not None
    # Every object is a person; the zone is the right half and every square crosses it, but objects
    # keep only their last box: the count must equal the objects whose last box is on the right.
    from surveil.rules.backtest import objects_from_store

    expected = sum(1 for o in objects_from_store(engine.store) if o.box and (o.box[0] + o.box[2]) / 2 > 80)
    assert f"{expected} of " in editor.backtest_result.text() and stored >= 2
    assert editor.backtest_hits.count() == expected


def test_a_cancelled_back_test_stops_at_its_next_progress_report(qtbot, monkeypatch):
    """The editor hands its job's progress to the link's back-test: a cancel ends it at the next report."""
    from types import SimpleNamespace

    import surveil.rules.backtest as backtest_module
    from surveil.config import SurveilConfig
    from surveil.rules.model import Rule
    from ui.worker import Cancelled, Job

    job = Job(lambda j: None)
    seen = []

    def replay(rule, objects, encoder, tz=None, night=None):  # the back-test, reduced to reading the objects
        for value in objects:
            seen.append(value)
            if value == 150:
                job.cancel()

    monkeypatch.setattr(backtest_module, "objects_from_store", lambda store, crops=False: iter(range(1000)))
    monkeypatch.setattr(backtest_module, "backtest", replay)
    link = LocalLink(SimpleNamespace(store=object(), encoder=None, config=SurveilConfig()))
    with pytest.raises(Cancelled):
        link.backtest(Rule(name="r", classes=["person"]), progress=job.progress)
    assert seen[-1] == 198, "objects up to the next report (the 200th) went through, no more"


def test_a_rule_deleted_in_the_editor_leaves_the_engine_and_a_failing_rule_says_so(qtbot, fake_engine):
    engine = fake_engine
    editor = RuleEditor(LocalLink(engine))
    qtbot.addWidget(editor)
    from surveil.rules.engine import RuleFailure

    def fail() -> None:  # as a rule that raised leaves it (on the analysis thread, paused for good here)
        engine.loop.rules.failures["square on the right"] = RuleFailure("boom", float("inf"))

    engine.loop.call_soon(fail)
    qtbot.waitUntil(lambda: "square on the right" in engine.snapshot().rule_failures, timeout=5000)
    editor.refresh_explanations()
    assert editor.why.toPlainText().startswith("FAILING, paused and tried again later: boom")
    assert editor.delete_rule()
    assert editor.rules.count() == 0 and [r.name for r in engine.config.rules] == []
    qtbot.waitUntil(lambda: engine.snapshot().config.rules == [], timeout=5000)
    assert "square on the right" not in engine.loop.rules.rules


class RulesOnlyLink:
    """A link to no engine: the configuration's cameras and rules, changed as the engine would change them."""

    where = "a test"

    def __init__(self, config):
        self.config = config

    def snapshot(self):
        from surveil.engine.snapshot import Snapshot

        return Snapshot(0, self.config, clip_reason="test: no CLIP")

    def text_search(self) -> bool:
        return False

    def update_rule(self, data):
        from surveil.engine.changes import put_rule

        change = put_rule(self.config, data)
        self.config = change.config
        return change.config.rule(change.subject)


@pytest.fixture
def two_cameras(tmp_path):
    """A lobby and a walkway; one rule on the walkway only, one on every camera."""
    from surveil.config import SurveilConfig

    config = SurveilConfig.model_validate({
        "cameras": [{"id": "lobby", "source": "lobby.mp4"}, {"id": "walkway", "source": "walkway.mp4"}],
        "storage": {"path": str(tmp_path / "store")},
        "rules": [{"name": "walkway people", "classes": ["person"], "cameras": ["walkway"]},
                  {"name": "anyone anywhere", "classes": ["person"]}],
    })
    frames = {camera: np.full((90, 160, 3), shade, np.uint8) for camera, shade in (("lobby", 40), ("walkway", 200))}
    return RulesOnlyLink(config), frames


def _editor(qtbot, link, frames) -> RuleEditor:
    editor = RuleEditor(link, frame_for=frames.get)
    qtbot.addWidget(editor)
    editor._timer.stop()  # the test drives it
    return editor


def test_the_zone_picture_comes_from_a_camera_the_rule_watches(qtbot, two_cameras):
    link, frames = two_cameras
    editor = _editor(qtbot, link, frames)
    assert editor.form.widgets["name"].text() == "walkway people"
    assert editor.zones.frame is frames["walkway"] and editor.zones.camera_id == "walkway"
    editor.camera.setCurrentText("lobby")  # live decisions on the lobby; the rule does not watch it
    assert editor.zones.frame is frames["walkway"]
    editor.rules.setCurrentRow(1)  # a rule on every camera: the camera box decides
    assert editor.zones.frame is frames["lobby"]
    editor.camera.setCurrentText("walkway")
    assert editor.zones.frame is frames["walkway"] and "walkway's picture" in editor.zone_source.text()


def test_a_blank_rule_with_a_name_and_a_class_applies_and_is_confirmed(qtbot, two_cameras):
    link, frames = two_cameras
    editor = _editor(qtbot, link, frames)
    editor.new_rule()
    editor.form.widgets["name"].setText("night gate")
    motion = [w for name, w in editor.form.widgets.items() if name.startswith("motion:")]
    assert motion and all(w.text() == "off" for w in motion)
    assert editor.form.data()["motion"] is None
    editor.form.widgets["cameras"].setText("walkway, lobby")
    rule = editor.apply()
    assert rule is not None and rule.motion is None
    assert editor.errors.text() == "Saved 'night gate' — running on walkway, lobby"
    assert ALARM_TEXT not in editor.errors.styleSheet()
    names = [editor.rules.item(i).text() for i in range(editor.rules.count())]
    assert names == ["walkway people", "anyone anywhere", "night gate"]
    assert editor.rules.currentItem().text() == "night gate"


def test_the_first_step_from_off_is_a_valid_value(qtbot, two_cameras):
    editor = _editor(qtbot, *two_cameras)
    still, heading = editor.form.widgets["motion:stationary_s"], editor.form.widgets["motion:heading_from_deg"]
    still.stepUp()
    heading.stepUp()
    assert still.value() == 1 and heading.value() == 0  # 0 degrees (to the right) is a heading, not "off"
    assert editor.form.data()["motion"] == {"stationary_s": 1.0, "heading_from_deg": 0.0}


def test_problems_name_fields_by_their_titles_and_outline_them(qtbot, two_cameras):
    editor = _editor(qtbot, *two_cameras)
    editor.form.widgets["votes_k"].setValue(0)
    assert editor.apply() is None
    assert editor.errors.text().startswith("Votes needed: ") and "votes_k" not in editor.errors.text()
    assert ALARM_TEXT in editor.form.widgets["votes_k"].styleSheet()
    editor.form.widgets["votes_k"].setValue(5)
    assert editor.apply() is None
    assert editor.errors.text() == "'Votes needed' (5) cannot exceed 'Votes window' (3)"
    assert ALARM_TEXT in editor.form.widgets["votes_n"].styleSheet()
    assert editor.form.widgets["threshold"].styleSheet() == ""
    editor.form.widgets["votes_k"].setValue(2)
    editor.form.widgets["motion:heading_from_deg"].setValue(90)
    assert editor.apply() is None
    assert editor.errors.text() == ("Motion: give both 'Heading from (deg)' and 'Heading to (deg)', or neither")
    assert ALARM_TEXT in editor.form.widgets["motion:heading_to_deg"].styleSheet()
    assert editor.form.widgets["motion:stationary_s"].styleSheet() == ""


def test_nested_problems_are_named_by_their_titles_path():
    from pydantic import ValidationError

    from surveil.rules.model import Rule
    from ui.rule_problems import explain

    with pytest.raises(ValidationError) as caught:
        Rule.model_validate({"name": "r", "classes": ["person"], "motion": {"stationary_s": 0},
                             "zones": [{"points": [[0, 0], [1, 0]]}]})
    lines, fields = explain(caught.value)
    assert "Motion › Still for at least (s): Input should be greater than 0" in lines
    assert any(line.startswith("Zones › #1 › Polygon: ") for line in lines)
    assert {"motion:stationary_s", "zones"} <= fields


def test_the_editor_fits_a_laptop_and_gives_the_form_its_width(qtbot, two_cameras):
    """A 1366x768 laptop leaves the Rules tab about 960x560: no scroll bar across, a Name field that reads."""
    editor = _editor(qtbot, *two_cameras)
    least = editor.minimumSizeHint()
    assert least.width() <= 960 and least.height() <= 520
    editor.resize(960, 560)
    editor.show()
    qtbot.waitExposed(editor)
    assert editor.form.widgets["name"].width() >= 250
    line = editor.clip_notice.fontMetrics().lineSpacing()
    assert editor.clip_notice.height() <= 2 * line, "the CLIP notice is one line; the rest is in its tooltip"
    assert "run `surveil models download`" in editor.clip_notice.toolTip()
    assert editor.zones.width() >= 240 and editor.why.height() >= 4 * line
