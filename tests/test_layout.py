"""The core never imports Qt or ui/, and the repository keeps its agreed shape."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = ("PySide6", "PyQt5", "PyQt6", "PySide2", "shiboken6", "ui")


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_core_module_imports_qt_or_ui():
    files = sorted((ROOT / "surveil").rglob("*.py"))
    assert len(files) > 10
    offenders = {str(f.relative_to(ROOT)): sorted(_imported_roots(f) & set(FORBIDDEN)) for f in files}
    assert {k: v for k, v in offenders.items() if v} == {}


BLOCKER = """
import importlib, importlib.abc, pkgutil, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {forbidden!r}:
            raise ImportError('the core imported ' + name)
sys.meta_path.insert(0, Block())
import surveil
for info in pkgutil.walk_packages(surveil.__path__, 'surveil.'):
    if not info.name.endswith('__main__'):
        importlib.import_module(info.name)
from surveil.cli.main import main
assert main(['config', 'paths']) == 0
print('imported', len([m for m in sys.modules if m.startswith('surveil')]))
"""


def test_the_whole_core_imports_and_runs_with_qt_unavailable():
    done = subprocess.run([sys.executable, "-c", BLOCKER.format(forbidden=set(FORBIDDEN))],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split("imported")[-1]) > 10


def test_top_level_layout():
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        entries = {p.name for p in ROOT.iterdir() if not p.name.startswith(".") or p.name == ".ci"}
    else:
        entries = {line.split("/")[0] for line in listed.stdout.splitlines()}
    expected = {"pyproject.toml", "surveil", "ui", "resources", "tests", "packaging", "docs", "README.md", ".ci",
                ".gitignore"}
    assert entries <= expected, entries - expected
    assert {"pyproject.toml", "surveil", "ui", "resources", "tests", "README.md"} <= entries


def test_bundled_resources_are_found():
    from surveil.resources import DEFAULT_DETECTOR, DEMO_CLIP, DEMO_CONFIG, resource_path

    for name in (DEMO_CLIP, DEMO_CONFIG, DEFAULT_DETECTOR):
        assert resource_path(name).stat().st_size > 0


def test_readme_shows_the_test_command_that_ci_runs():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    marker = next(i for i, line in enumerate(ci_lines) if line.startswith("# README test command"))
    command = ci_lines[marker + 1]
    assert command in (ROOT / "README.md").read_text()


def test_every_package_is_listed_for_the_wheel():
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for top in ("surveil", "ui")
        for p in (ROOT / top).rglob("__init__.py")
    } | {"surveil_resources"}
    assert listed == on_disk


def test_ruff_finds_nothing():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "surveil", "ui", "tests"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_notice_kind_is_in_the_readme():
    from surveil.engine.alerts import NOTICE_KINDS

    readme = (ROOT / "README.md").read_text()
    assert [kind for kind in NOTICE_KINDS if f"`{kind}`" not in readme] == []
