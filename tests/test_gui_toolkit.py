"""The installed Qt binding itself: a defect there crashes the window however right our code is."""

import sys

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import QObject, Signal  # noqa: E402


class _Emitter(QObject):
    text = Signal(str)
    pair = Signal(object)
    bare = Signal()


@pytest.mark.parametrize(("name", "args"), [("text", ("x",)), ("pair", ((1, None),)), ("bare", ())])
def test_emitting_a_signal_keeps_the_reference_counts_of_true_and_none(qtbot, name, args):
    # PySide6 6.12.0 drops a reference to True or None on each emit: the player's per-frame signal
    # aborts the interpreter (bool_dealloc) after a few minutes. pyproject.toml excludes it.
    emitter = _Emitter()  # a bound signal does not keep its QObject alive
    signal = getattr(emitter, name)
    signal.connect(lambda *a: None)
    signal.emit(*args)
    before = sys.getrefcount(True), sys.getrefcount(None)
    for _ in range(200):
        signal.emit(*args)
    after = sys.getrefcount(True), sys.getrefcount(None)
    assert after[0] >= before[0] and after[1] >= before[1] - 5, (before, after)
