"""SURVEIL_STRICT=1 (set by .ci/run) turns every skip into a failure; without it a skip stays a skip."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

CONFTEST = (Path(__file__).parent / "conftest.py").read_text()

SKIPPING = """
import pytest


@pytest.fixture
def footage():
    pytest.skip("no footage here")


def test_skips_in_its_body():
    pytest.skip("needs root")


def test_skips_in_a_fixture(footage):
    pass


@pytest.mark.skipif(True, reason="marked to skip")
def test_skips_by_marker():
    pass


def test_runs():
    pass
"""

IMPORT_SKIPPING = """
import pytest

pytest.importorskip("surveil_no_such_module")


def test_never_collected():
    pass
"""


@pytest.fixture
def project(pytester, monkeypatch):
    pytester.makeconftest(CONFTEST)
    monkeypatch.delenv("SURVEIL_STRICT", raising=False)
    return pytester


def test_without_strict_skips_stay_skips_with_their_reason(project):
    project.makepyfile(test_skipping=SKIPPING)
    result = project.runpytest_subprocess("-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=3)
    skipped = sorted(line.split(": ", 1)[1] for line in result.outlines if line.startswith("SKIPPED"))
    assert skipped == ["marked to skip", "needs root", "no footage here"]
    assert "strict (CI)" not in result.stdout.str()


def test_strict_turns_every_skip_into_a_failure_naming_its_reason(project, monkeypatch):
    project.makepyfile(test_skipping=SKIPPING)
    monkeypatch.setenv("SURVEIL_STRICT", "1")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1, errors=2)  # a skip in setup (fixture, marker) fails as an error
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    for reason in ("no footage here", "needs root", "marked to skip"):
        assert f"strict (CI): {reason}" in result.stdout.str()


def test_strict_fails_a_module_that_skips_while_collected(project, monkeypatch):
    project.makepyfile(test_import_skipping=IMPORT_SKIPPING)
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(skipped=1)
    monkeypatch.setenv("SURVEIL_STRICT", "1")
    result = project.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    assert result.ret != pytest.ExitCode.OK
    assert "strict (CI): could not import 'surveil_no_such_module'" in result.stdout.str()
