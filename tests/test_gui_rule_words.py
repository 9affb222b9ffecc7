"""The rule editor's line under the prompts: what the words check without CLIP, following the typing."""

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt  # noqa: E402

from ui.rule_editor import RuleEditor  # noqa: E402
from ui.rule_words_hint import WARNING_TEXT  # noqa: E402


class ConfigLink:
    """A link to no engine: a configuration, and CLIP there or not."""

    where = "a test"

    def __init__(self, config, clip: bool):
        self.config, self.clip = config, clip

    def snapshot(self):
        from surveil.engine.snapshot import Snapshot

        return Snapshot(0, self.config, clip_reason="" if self.clip else "test: no CLIP")

    def text_search(self) -> bool:
        return self.clip


def _editor(qtbot, tmp_path, clip: bool) -> RuleEditor:
    from surveil.config import SurveilConfig

    config = SurveilConfig.model_validate({
        "cameras": [{"id": "yard", "source": "yard.mp4"}], "storage": {"path": str(tmp_path / "store")},
        "rules": [{"name": "bay", "classes": ["car"],
                   "zones": [{"name": "Loading bay", "points": [[0, 0.5], [1, 0.5], [1, 1]]}]}],
    })
    editor = RuleEditor(ConfigLink(config, clip))
    qtbot.addWidget(editor)
    editor._timer.stop()  # no engine to explain decisions
    return editor


def test_the_hint_follows_the_typing_and_warns_of_unchecked_words_without_clip(qtbot, tmp_path):
    editor = _editor(qtbot, tmp_path, clip=False)
    hint, prompts = editor.form.words, editor.form.widgets["prompts"]
    assert hint.text() == "", "no prompt, nothing to explain"
    prompts.setFocus()
    qtbot.keyClicks(prompts, "a red car stopped in the loading bay")
    assert hint.summary() == ("Understood as: car · red · stopped ≥ 5 s · zone Loading bay  Left for CLIP: —"), \
        "the rule's own zone names are known"
    assert not hint.warns() and WARNING_TEXT not in hint.text()
    qtbot.keyClick(prompts, Qt.Key.Key_Return)
    qtbot.keyClicks(prompts, "a person climbing the fence")
    # Two prompts are alternatives: only what both imply is checked, the object being either.
    assert hint.summary() == ("Understood as: car or person  "
                              "Left for CLIP: 'red', 'stopped', 'loading', 'bay', 'climbing', 'fence'")
    assert hint.warns() and WARNING_TEXT in hint.text()
    assert "stays quiet without CLIP" in hint.toolTip()
    editor.form.widgets["fire_without_clip"].setChecked(True)
    assert "fires on the rest without CLIP" in hint.toolTip()
    assert editor.form.data()["fire_without_clip"] is True


def test_with_clip_the_unchecked_words_are_plain_and_a_drawn_zone_can_be_named(qtbot, tmp_path):
    editor = _editor(qtbot, tmp_path, clip=True)
    hint = editor.form.words
    editor.form.widgets["prompts"].setPlainText("someone loitering in zone 2 at night")
    assert "zone zone 2" not in hint.summary() and "'zone', '2'" in hint.summary()
    editor.zones.polygonClosed.emit([(0.0, 0.0), (0.5, 0.0), (0.5, 0.5)])  # as the zone editor does on a right click
    assert hint.summary() == "Understood as: person · loitering ≥ 30 s · zone zone 2 · at night  Left for CLIP: —"
    editor.form.widgets["prompts"].setPlainText("a person climbing")
    assert "'climbing'" in hint.summary() and not hint.warns() and WARNING_TEXT not in hint.text()
