from pathlib import Path

import pytest
from pydantic import BaseModel

from surveil.config import ConfigError, SurveilConfig, load_config, parse_config, save_config
from surveil.config.migrations import MigrationError, migrate

GOOD = """\
schema_version: 1
cameras:
  - id: gate
    source: rtsp://admin:hunter2@10.1.1.1:554/ch1
    reconnect:
      max_attempts: 5
  - id: yard
    source: clips/yard.mp4
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, text))
    message = str(info.value)
    assert str(tmp_path / "config.yaml") in message, "the message names the file"
    return message


def test_save_then_load_gives_the_same_config(tmp_path):
    config = load_config(_write(tmp_path, GOOD))
    again = load_config(save_config(config, tmp_path / "copy" / "config.yaml"))
    assert again == config
    assert again.camera("gate").reconnect.max_attempts == 5


def test_relative_file_sources_resolve_against_the_config_folder(tmp_path):
    config = load_config(_write(tmp_path, GOOD))
    assert config.camera("yard").source == str(tmp_path / "clips" / "yard.mp4")


def test_unknown_key_names_field_line_and_reason(tmp_path):
    message = _error(tmp_path, GOOD.replace("    reconnect:", "    fps: 10\n    reconnect:"))
    assert "cameras[0].fps" in message
    assert "unknown key" in message
    assert "line 5" in message


def test_wrong_type_names_the_nested_field(tmp_path):
    message = _error(tmp_path, GOOD.replace("max_attempts: 5", "max_attempts: lots"))
    assert "cameras[0].reconnect.max_attempts" in message
    assert "integer" in message


def test_missing_required_field(tmp_path):
    message = _error(tmp_path, "cameras:\n  - id: gate\n")
    assert "cameras[0].source" in message and "required" in message.lower()


def test_yaml_syntax_error_gives_the_line(tmp_path):
    message = _error(tmp_path, "cameras:\n  - id: gate\n    source: [unclosed\n")
    assert "not valid YAML" in message and "line" in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_duplicate_camera_ids_are_refused(tmp_path):
    message = _error(tmp_path, "cameras:\n  - {id: a, source: x.mp4}\n  - {id: a, source: y.mp4}\n")
    assert "camera id 'a' is used twice" in message


def test_bad_source_scheme_is_refused_without_showing_the_password(tmp_path):
    message = _error(tmp_path, "cameras:\n  - {id: a, source: 'ftp://bob:hunter2@host/x'}\n")
    assert "unsupported URL scheme 'ftp://'" in message
    assert "hunter2" not in message


def test_invalid_camera_id_and_time_zone(tmp_path):
    message = _error(tmp_path, "timezone: Mars/Olympus\ncameras:\n  - {id: 'Front Door', source: x.mp4}\n")
    assert "unknown time zone" in message and "cameras[0].id" in message


def test_top_level_must_be_a_mapping(tmp_path):
    assert "mapping" in _error(tmp_path, "- just\n- a list\n")


def test_newer_schema_is_refused(tmp_path):
    message = _error(tmp_path, "schema_version: 99\n")
    assert "newer surveil" in message and "schema_version" in message


def test_migrations_run_step_by_step():
    steps = {1: lambda d: {"schema_version": d["schema_version"], "b": d["a"]}, 2: lambda d: {**d, "c": d["b"] * 2}}
    assert migrate({"schema_version": 1, "a": 3}, current=3, migrations=steps) == {"schema_version": 3, "b": 3, "c": 6}
    with pytest.raises(MigrationError, match="no migration from schema_version 1"):
        migrate({"schema_version": 1}, current=2, migrations={})


def test_empty_file_is_the_defaults(tmp_path):
    assert load_config(_write(tmp_path, "")) == SurveilConfig()


def test_repr_and_errors_never_show_credentials():
    config = parse_config(GOOD)
    assert "hunter2" not in repr(config)
    assert "hunter2" not in repr(config.camera("gate"))
    assert config.camera("gate").masked_source == "rtsp://***@10.1.1.1:554/ch1"


def _models(model: type[BaseModel], seen: set) -> list[type[BaseModel]]:
    out = [model]
    seen.add(model)
    for field in model.model_fields.values():
        for kind in getattr(field.annotation, "__args__", ()) + (field.annotation,):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and kind not in seen:
                out += _models(kind, seen)
    return out


def test_every_field_has_a_title_and_description():
    models = _models(SurveilConfig, set())
    assert len(models) >= 8, "the walk reaches the nested sections"
    for model in models:
        for name, field in model.model_fields.items():
            assert field.title and field.description, f"{model.__name__}.{name} lacks a title or description"


def test_cli_config_check_reports_a_bad_file(tmp_path, capsys):
    from surveil.cli.main import main

    path = _write(tmp_path, "cameras:\n  - {id: a, source: x.mp4, colour: red}\n")
    assert main(["config", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "cameras[0].colour" in err and str(path) in err


def test_zone_is_the_configured_time_zone_or_none_for_the_systems():
    import datetime as dt

    assert SurveilConfig().zone() is None
    paris = SurveilConfig(timezone="Europe/Paris").zone()
    assert dt.datetime(2024, 7, 1, 12, tzinfo=dt.UTC).astimezone(paris).hour == 14
