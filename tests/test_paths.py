from pathlib import Path

import platformdirs

from surveil.paths import app_paths


def test_surveil_home_moves_every_folder(tmp_path):
    paths = app_paths({"SURVEIL_HOME": str(tmp_path / "h")})
    root = (tmp_path / "h").resolve()
    for folder in (paths.config_dir, paths.data_dir, paths.model_cache_dir, paths.log_dir):
        assert folder.parent == root
    assert len({paths.config_dir, paths.data_dir, paths.model_cache_dir, paths.log_dir}) == 4
    assert paths.config_file == root / "config" / "config.yaml"
    assert not root.exists(), "resolving paths must not create anything"
    paths.ensure()
    assert all(p.is_dir() for p in (paths.config_dir, paths.data_dir, paths.model_cache_dir, paths.log_dir))


def test_without_surveil_home_the_platform_folders_are_used():
    paths = app_paths({})
    assert paths.config_dir == Path(platformdirs.user_config_dir("surveil", appauthor=False))
    assert paths.data_dir == Path(platformdirs.user_data_dir("surveil", appauthor=False))
    assert paths.log_dir == Path(platformdirs.user_log_dir("surveil", appauthor=False))
    assert paths.model_cache_dir.parent == Path(platformdirs.user_cache_dir("surveil", appauthor=False))


def test_blank_surveil_home_is_ignored():
    assert app_paths({"SURVEIL_HOME": "  "}) == app_paths({})


def test_tests_run_inside_a_temporary_home(surveil_home):
    assert app_paths().data_dir.is_relative_to(surveil_home.resolve())
