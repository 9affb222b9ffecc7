"""The rule editor: invalid rules refused in place, valid ones applied live and saved, zones drawn by clicks."""

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QPoint, Qt  # noqa: E402

from surveil.config import load_config  # noqa: E402
from surveil.service.link import LocalLink  # noqa: E402
from ui.rule_editor import RuleEditor  # noqa: E402
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
    assert "threshold" in editor.errors.text() and "a prompt is empty" in editor.errors.text()
    assert "c62828" in editor.form.widgets["threshold"].styleSheet()
    qtbot.wait(100)
    assert engine.snapshot().config.rules[0].threshold == 0.5, "the old rule keeps running"
    assert not path.exists()
    editor.form.widgets["threshold"].setValue(0.8)
    editor.form.widgets["prompts"].setPlainText("a person climbing a fence")
    editor.form.widgets["cooldown_s"].setValue(42)
    rule = editor.apply()
    assert rule is not None and editor.errors.text() == ""
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
    from surveil.rules.model import Rule
    from ui.worker import Cancelled, Job

    job = Job(lambda j: None)
    seen = []

    def replay(rule, objects, encoder):  # the back-test, reduced to reading the objects
        for value in objects:
            seen.append(value)
            if value == 150:
                job.cancel()

    monkeypatch.setattr(backtest_module, "objects_from_store", lambda store: iter(range(1000)))
    monkeypatch.setattr(backtest_module, "backtest", replay)
    link = LocalLink(SimpleNamespace(store=object(), encoder=None))
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
