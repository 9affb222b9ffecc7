"""The live view's frames: at the view's rate, between analysed ones, with the newest boxes; none without a view."""

from capture_helpers import wait_for

from surveil.service.link import LocalLink


def test_a_view_moves_faster_than_analysis_and_carries_the_newest_boxes(fake_engine):
    engine, link = fake_engine, LocalLink(fake_engine)
    source = engine.loop.sources["cam"]
    assert source._display is None, "no view, no frame converted for one"
    analysed, shown = [], []
    link.watch_frames(analysed.append)
    link.watch_frames(shown.append, fps=20)
    assert source._display is not None and source._display.fps == 20
    wait_for(lambda: len(analysed) >= 8 and any(len(f.boxes) == 1 for f in shown), 20,
             "analysed frames and a shown frame with a box")
    # The clip is 20 fps and analysed 5 times a second: the view sees about four frames for each analysed one.
    assert len(shown) >= 2 * len(analysed), (len(shown), len(analysed))
    assert not any(f.detected for f in shown) and any(f.detected for f in analysed)
    boxed = next(f for f in shown if len(f.boxes))
    assert boxed.labels == ("person",) and boxed.camera_id == "cam"
    link.watch_frames(shown.append, watching=False)
    assert source._display is None and engine.loop.display is None, "the view gone: back to analysed frames only"
    assert engine.loop.frame_listeners, "the analysis listener stays"
    link.close()
    assert not engine.loop.frame_listeners


def test_a_view_of_some_cameras_converts_only_theirs_and_gets_the_others_analysed(fake_engine):
    engine, link = fake_engine, LocalLink(fake_engine)
    source, got = engine.loop.sources["cam"], []
    link.watch_frames(got.append, fps=20, cameras=frozenset({"elsewhere"}))
    assert source._display is None and engine.loop.display[2] == frozenset({"elsewhere"})
    wait_for(lambda: len(got) >= 3, 20, "analysed frames of a camera not on screen")
    assert any(f.detected for f in got), "analysed frames (a view's own frames never say detected)"
    link.watch_frames(got.append, fps=20, cameras=frozenset({"cam"}))
    assert source._display is not None, "on screen: converted for the view"
    link.watch_frames(got.append, fps=20, cameras=frozenset())
    assert source._display is None and engine.loop.display is None, "nothing on screen: nothing converted for it"
    link.close()
