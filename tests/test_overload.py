"""Overload is said once when it starts and once when it ends, from the share of due frames dropped."""

import logging

from surveil.engine.overload import OverloadWatch


def test_overload_is_judged_per_window_and_announced_once_each_way(caplog):
    clock = [0.0]
    watch = OverloadWatch(window_s=5.0, clock=lambda: clock[0])
    counts = {"a": [0, 0], "b": [0, 0]}

    def window(puts: int, drops: dict) -> bool:
        clock[0] += 5.0
        for camera in counts:
            counts[camera][0] += puts
            counts[camera][1] += drops.get(camera, 0)
        return watch.update({c: tuple(v) for c, v in counts.items()})

    caplog.set_level(logging.INFO, "surveil.engine.overload")
    assert watch.update({c: tuple(v) for c, v in counts.items()}) is False  # the first call only sets the base
    assert window(25, {"a": 1}) is False and not watch.state.overloaded, "2 % dropped is no overload"
    assert window(25, {"a": 2, "b": 2}) is True and watch.state.overloaded, "8 % is"
    assert abs(watch.state.drop_share - 0.08) < 1e-9 and watch.state.since is not None
    since = watch.state.since
    assert window(25, {"a": 1}) is False and watch.state.overloaded, "2 %: not yet over (hysteresis)"
    assert watch.state.since == since, "the same overload goes on"
    assert window(25, {}) is True and not watch.state.overloaded and watch.state.since is None
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2 and "overloaded: 8 %" in lines[0] and "2 camera(s)" in lines[0]
    assert "keeps up again" in lines[1]


def test_a_window_not_yet_over_changes_nothing():
    clock = [0.0]
    watch = OverloadWatch(window_s=5.0, clock=lambda: clock[0])
    watch.update({"a": (0, 0)})
    clock[0] = 4.0
    assert watch.update({"a": (10, 10)}) is False and not watch.state.overloaded
    clock[0] = 5.0
    assert watch.update({"a": (10, 10)}) is True and watch.state.drop_share == 1.0


def test_the_log_line_names_openvino_only_for_a_detector_on_torch_on_the_cpu(caplog, monkeypatch):
    from types import SimpleNamespace

    from surveil.engine import overload

    caplog.set_level(logging.WARNING, "surveil.engine.overload")
    on_torch, on_ov = SimpleNamespace(backend="torch", device="cpu"), SimpleNamespace(backend="openvino", device="cpu")
    monkeypatch.setattr(overload.importlib.util, "find_spec", lambda name, *a: None)
    missing = overload.detector_hint(on_torch)
    monkeypatch.setattr(overload.importlib.util, "find_spec", lambda name, *a: object())
    pinned = overload.detector_hint(on_torch)
    assert "pip install 'surveil[openvino]'" in missing and "models.detector.runtime" in pinned
    assert overload.detector_hint(on_ov) == "" and overload.detector_hint(SimpleNamespace()) == ""
    clock = [0.0]
    watch = OverloadWatch(window_s=5.0, clock=lambda: clock[0], more=pinned)
    watch.update({"a": (0, 0)})
    clock[0] = 5.0
    assert watch.update({"a": (10, 5)}) is True
    assert caplog.records[-1].getMessage().endswith("motion.max_detect_fps" + pinned)
