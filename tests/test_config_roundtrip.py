"""Changes saved through the engine edit the operator's file: comments, layout and relative paths stay."""

from __future__ import annotations

import datetime as dt
import difflib
import logging
from pathlib import Path

import pytest
from test_vision_synthetic import PatchDetector

from surveil.config import CameraConfig, SurveilConfig, load_config, save_config
from surveil.engine.changes import put_camera, put_rule, remove_camera
from surveil.engine.engine import Engine
from surveil.paths import app_paths

SITE = """\
# Site configuration for the north gate. Ask Sam before changing the rules.
schema_version: 2
timezone: Europe/Paris   # the site's clocks

cameras:
  # The gate camera, on the pole by the road.
  - id: gate
    name: Front gate
    source: rtsp://10.0.0.9:554/ch1
    read_timeout_s: 20     # the link drops at night
    reconnect:
      max_attempts: 5
  # Archived footage of the yard, next to this file.
  - id: yard
    source: clips/yard.mp4   # relative: moves with the folder
    loop: true
    start_time: null         # empty = when the file opens
    record: events

storage:
  retention_days: 14     # the site's policy
  max_size_gb: 20

# Rules are reviewed every month.
rules:
  # Someone at the fence at night.
  - name: fence climber
    cameras: [gate]        # only the gate sees the fence
    classes: [person]
    zones: [{name: fence, points: [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}]
    schedule: {days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00"}
    severity: high         # wakes the guard
    cooldown_s: 120
  # Cars in the yard, any time.
  - name: yard car
    cameras: [yard]
    classes: [car]
    threshold: 0.6   # fewer false alarms
    actions: [{url: "https://example.org/hook"}]
# end of file
"""


@pytest.fixture
def site(tmp_path) -> tuple[Path, SurveilConfig]:
    path = tmp_path / "config.yaml"
    path.write_text(SITE)
    return path, load_config(path)


def _save(path: Path, new: SurveilConfig) -> tuple[list[str], list[str]]:
    """Save ``new`` keeping the layout; check it loads back as ``new``; the lines removed and added."""
    save_config(new, path, keep_layout=True)
    assert load_config(path) == new, "the file holds exactly the new configuration"
    diff = list(difflib.ndiff(SITE.splitlines(), path.read_text().splitlines()))
    return [d[2:] for d in diff if d.startswith("- ")], [d[2:] for d in diff if d.startswith("+ ")]


def _in_place(config: SurveilConfig, **fields) -> SurveilConfig:
    """A rule edited where it stands (``put_rule`` moves the edited rule to the end of the list)."""
    rules = [r.model_copy(update=fields) if r.name == "fence climber" else r for r in config.rules]
    return SurveilConfig.model_validate(config.model_dump() | {"rules": rules})


def test_an_added_camera_adds_only_its_own_lines_with_its_non_default_fields(site):
    path, config = site
    new = put_camera(config, CameraConfig(id="desk", name="Desk", source="0", realtime=True)).config
    removed, added = _save(path, new)
    assert removed == [], "every original line and comment is still there"
    assert added == ["  - id: desk", "    name: Desk", '    source: "0"']
    text = path.read_text()
    assert text.index("record: events") < text.index("- id: desk") < text.index("\n\nstorage:"), \
        "appended after the last camera, before the blank line that ends the list"


def test_editing_one_rule_field_changes_that_one_line(site):
    path, config = site
    removed, added = _save(path, _in_place(config, severity="critical"))
    assert removed == ["    severity: high         # wakes the guard"]
    assert added == ["    severity: critical     # wakes the guard"]


def test_an_edit_through_put_rule_keeps_the_rule_where_the_operator_put_it(site):
    path, config = site
    new = put_rule(config, config.rule("fence climber").model_copy(update={"cooldown_s": 30})).config
    assert [r.name for r in new.rules] == ["fence climber", "yard car"], "an edited rule keeps its place"
    save_config(new, path, keep_layout=True)
    saved = load_config(path)
    assert saved.rules == new.rules
    assert path.read_text() == SITE.replace("cooldown_s: 120", "cooldown_s: 30")


def test_a_new_rule_comes_with_only_its_own_fields_and_its_times_stay_strings(site):
    path, config = site
    rule = {"name": "night", "classes": ["person"], "schedule": {"start": "22:00", "end": "06:00"}}
    removed, added = _save(path, put_rule(config, rule).config)
    assert removed == []
    assert added == ["  - name: night", "    classes: [person]", "    schedule:", '      start: "22:00:00"',
                     "      end: 06:00:00"]
    assert path.read_text().endswith("      end: 06:00:00\n# end of file\n")


def test_removing_a_camera_removes_its_block_and_comment_and_retargets_its_rule_minimally(site):
    path, config = site
    removed, added = _save(path, remove_camera(config, "gate").config)
    assert removed == SITE.splitlines()[5:12] + ["    cameras: [gate]        # only the gate sees the fence"]
    assert added == ["    enabled: false", "    cameras: []            # only the gate sees the fence"]
    assert "  # Archived footage of the yard, next to this file.\n  - id: yard" in path.read_text()


def test_removing_the_last_camera_keeps_the_comments_that_follow_it(site):
    path, config = site
    removed, added = _save(path, remove_camera(config, "yard").config)
    assert removed == SITE.splitlines()[12:18] + ["    cameras: [yard]"]
    assert added == ["    enabled: false", "    cameras: []"]


def test_renaming_a_camera_edits_it_in_place_and_its_rule_follows(site):
    path, config = site
    front = config.camera("gate").model_copy(update={"id": "front"})
    removed, added = _save(path, put_camera(config, front, replaces="gate").config)
    assert removed == ["  - id: gate", "    cameras: [gate]        # only the gate sees the fence"]
    assert added == ["  - id: front", "    cameras: [front]       # only the gate sees the fence"]


def test_a_relative_path_stays_relative_when_its_camera_is_edited(site, tmp_path):
    path, config = site
    assert config.camera("yard").source == str(tmp_path / "clips" / "yard.mp4"), "resolved when loaded"
    yard = config.camera("yard").model_copy(update={"name": "Yard", "loop": False})
    removed, added = _save(path, put_camera(config, yard, replaces="yard").config)
    assert removed == ["    loop: true"]
    assert added == ["    name: Yard", "    loop: false"]
    assert "    source: clips/yard.mp4   # relative: moves with the folder\n" in path.read_text()
    assert str(tmp_path) not in path.read_text()


def test_a_value_inside_a_flow_mapping_changes_inside_it(site):
    path, config = site
    schedule = config.rule("fence climber").schedule.model_copy(update={"end": dt.time(7, 0)})
    removed, added = _save(path, _in_place(config, schedule=schedule))
    assert removed == ['    schedule: {days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00"}']
    assert added == ['    schedule: {days: [mon, tue, wed, thu, fri], start: "22:00", end: "07:00:00"}']


def test_a_changed_nested_value_changes_one_line_and_a_new_section_only_its_own(site):
    path, config = site
    data = config.model_dump()
    data["storage"]["max_size_gb"] = 80
    data["service"]["port"] = 9000
    removed, added = _save(path, SurveilConfig.model_validate(data))
    assert removed == ["  max_size_gb: 20"]
    assert added == ["  max_size_gb: 80", "service:", "  port: 9000"]


@pytest.mark.parametrize("text", ["cameras: [unclosed\n", "timezone: UTC\ntimezone: Europe/Paris\n"],
                         ids=["not YAML", "a duplicate key ruamel refuses"])
def test_a_file_that_cannot_be_edited_is_written_in_full(tmp_path, text, caplog):
    path = tmp_path / "config.yaml"
    path.write_text(text)
    new = SurveilConfig.model_validate({"cameras": [{"id": "desk", "source": "0"}]})
    with caplog.at_level(logging.WARNING, logger="surveil.config.io"):
        save_config(new, path, keep_layout=True)
    assert "cannot edit" in caplog.text and "writing it in full" in caplog.text
    assert load_config(path) == new
    assert path.read_text().startswith("# surveil configuration.")


def test_an_edit_that_would_not_load_back_as_the_new_config_is_not_written(site, monkeypatch, caplog):
    path, config = site
    monkeypatch.setattr("surveil.config.io.edit_text", lambda text, current, new: text)  # an edit that forgot
    new = put_camera(config, CameraConfig(id="desk", source="0")).config
    with caplog.at_level(logging.WARNING, logger="surveil.config.io"):
        save_config(new, path, keep_layout=True)
    assert "would not give the new configuration" in caplog.text
    assert load_config(path) == new


def test_a_missing_file_is_written_in_full(tmp_path):
    new = SurveilConfig.model_validate({"cameras": [{"id": "desk", "source": "0"}]})
    path = save_config(new, tmp_path / "new" / "config.yaml", keep_layout=True)
    assert load_config(path) == new


def test_a_camera_added_through_the_engine_keeps_the_file_comments(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(f"""\
# The test site.
cameras:
  - id: yard           # disabled: nothing to open
    source: yard.avi   # relative
    enabled: false
storage: {{path: {tmp_path / "store"}}}   # the test's own store
recording: {{folder: {tmp_path / "rec"}, clips_dir: {tmp_path / "clips"}}}
rules:
  - name: people
    classes: [person]
""")
    before = path.read_text()
    engine = Engine(load_config(path), app_paths(), detector=PatchDetector(), clip_reason="test: no CLIP",
                    config_path=path)
    engine.start()
    try:
        change = engine.add_camera(CameraConfig(id="desk", source="0", enabled=False))
    finally:
        engine.stop()
    assert path.read_text() == before.replace("storage:", '  - id: desk\n    source: "0"\n    enabled: false\nstorage:')
    assert load_config(path) == change.config
