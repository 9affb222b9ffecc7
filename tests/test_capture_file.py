import threading
import time

import pytest
from capture_helpers import camera, final_status, open_fds, wait_for
from videos import write_video

from surveil.capture.camera import CameraSource
from surveil.capture.status import SourceState


def _drain(source: CameraSource, frames: list, stop: threading.Event) -> threading.Thread:
    def run():
        while not stop.is_set():
            frame = source.mailbox.take(timeout=0.05)
            if frame is not None:
                frames.append(frame)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_file_plays_once_and_every_frame_is_stamped(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=40, fps=100)
    source = CameraSource(camera(str(clip), realtime=True, analysis_fps=120))
    frames, stop = [], threading.Event()
    consumer = _drain(source, frames, stop)
    before = time.time()
    source.start()
    status = final_status(source)
    stop.set()
    consumer.join(2)
    assert status.state is SourceState.ENDED and "after 40 frames" in status.reason
    assert source.frames_read == 40
    seqs = [f.seq for f in frames]
    assert seqs == sorted(set(seqs)) and seqs[-1] == 39
    assert len(frames) + source.mailbox.drops == 40
    assert all(b.t_mono >= a.t_mono for a, b in zip(frames, frames[1:], strict=False))
    assert before <= frames[0].t_wall <= time.time()
    assert {f.camera_id for f in frames} == {"cam"} and frames[0].size == (160, 120)


def _count_conversions(monkeypatch) -> list:
    from surveil.capture import camera as camera_module

    converted, real_bgr = [], camera_module.bgr
    monkeypatch.setattr(camera_module, "bgr", lambda decoded: converted.append(1) or real_bgr(decoded))
    return converted


def _play_to_the_end(source: CameraSource) -> list:
    frames, stop = [], threading.Event()
    consumer = _drain(source, frames, stop)
    source.start()
    final_status(source)
    stop.set()
    consumer.join(2)
    return frames


def test_a_live_camera_is_analysed_at_its_rate_and_the_frames_between_are_never_converted(tmp_path, monkeypatch):
    converted = _count_conversions(monkeypatch)
    clip = write_video(tmp_path / "clip.avi", count=50, fps=50)  # one second
    source = CameraSource(camera(str(clip), realtime=True, motion={"max_detect_fps": 10}))
    frames = _play_to_the_end(source)
    assert source.frames_read == 50 and source.frames_skipped == 40, "read, not analysed: not drops"
    # Unset, the rate is the gate's detection rate: 10 a second of the stream's time, every fifth frame.
    assert [f.seq for f in frames] == list(range(0, 50, 5)) and source.mailbox.drops == 0
    assert len(converted) == 10, "frames not analysed are decoded but not converted"
    gaps = [b.t_mono - a.t_mono for a, b in zip(frames, frames[1:], strict=False)]
    assert all(abs(g - 0.1) < 0.01 for g in gaps), gaps


def test_a_live_view_gets_frames_at_its_own_rate_and_only_while_it_watches(tmp_path, monkeypatch):
    converted = _count_conversions(monkeypatch)
    clip = write_video(tmp_path / "clip.avi", count=50, fps=50)  # one second
    source = CameraSource(camera(str(clip), realtime=True, motion={"max_detect_fps": 10}))
    shown = []
    source.show(shown.append, fps=25)
    frames = _play_to_the_end(source)
    assert [f.seq for f in frames] == list(range(0, 50, 5)), "analysis keeps its own rate"
    assert [f.seq for f in shown] == list(range(0, 50, 2)), "the view gets 25 a second of the stream's time"
    assert len(converted) == len({*range(0, 50, 5), *range(0, 50, 2)}), "a frame both analysed and shown: once"
    source.show(None)
    assert source._display is None


def test_realtime_playback_keeps_the_files_frame_rate(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=12, fps=20)
    source = CameraSource(camera(str(clip), realtime=True))
    start = time.monotonic()
    source.start()
    final_status(source)
    # 12 frames at 20 fps cannot arrive in less than 11 frame periods.
    assert time.monotonic() - start >= 11 / 20 * 0.9


def test_loop_restarts_the_file_and_sequence_numbers_keep_counting(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=10, fps=25)
    source = CameraSource(camera(str(clip), loop=True, realtime=False))
    frames, stop = [], threading.Event()
    consumer = _drain(source, frames, stop)
    source.start()
    wait_for(lambda: source.frames_read > 35, 10, "three passes of the file")
    assert source.status.state is SourceState.LIVE
    assert source.stop() is True
    stop.set()
    consumer.join(2)
    while (frame := source.mailbox.take(0)) is not None:  # the last one, if the consumer stopped first
        frames.append(frame)
    assert source.status.state is SourceState.STOPPED
    # Unpaced, the file waits for its consumer: every frame of every pass arrives, numbered on.
    assert [f.seq for f in frames] == list(range(source.frames_read)) and source.mailbox.drops == 0
    walls = [f.t_wall for f in frames]
    assert walls == sorted(walls), "a later pass of a looping file never goes back in time"


def _read_to_the_end(source: CameraSource, delay: float = 0.0) -> list:
    frames = []
    source.start()
    while not source.status.state.final or source.mailbox.peek() is not None:
        frame = source.mailbox.take(timeout=0.2)
        if frame is not None:
            frames.append(frame)
            time.sleep(delay)
    return frames


def test_an_unpaced_file_waits_for_analysis_instead_of_dropping_frames(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=60, fps=25)
    source = CameraSource(camera(str(clip), realtime=False))
    frames = _read_to_the_end(source, delay=0.005)  # a slower consumer than the file
    assert [f.seq for f in frames] == list(range(60)) and source.mailbox.drops == 0
    # Stamped by the file's own clock: 25 fps apart, although they arrived faster or slower than that.
    gaps = [b.t_wall - a.t_wall for a, b in zip(frames, frames[1:], strict=False)]
    assert all(abs(g - 0.04) < 1e-3 for g in gaps), gaps[:5]


def test_a_file_with_a_start_time_is_stamped_from_it(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=20, fps=10)
    source = CameraSource(camera(str(clip), realtime=False, start_time="2026-01-02T03:04:05Z"))
    frames = _read_to_the_end(source)
    assert frames[0].t_wall == pytest.approx(1767323045.0) and frames[-1].t_wall == pytest.approx(1767323046.9)
    assert source.reconnects == 0


def test_missing_file_fails_at_once_without_retrying(tmp_path):
    source = CameraSource(camera(str(tmp_path / "gone.mp4")))
    source.start()
    status = final_status(source, timeout=5)
    assert status.state is SourceState.FAILED
    assert "file not found" in status.reason and "gone.mp4" in status.reason
    assert source.reconnects == 0


@pytest.mark.parametrize(
    ("content", "reason"),
    # Fixed bytes: some random buffers pass FFmpeg's probe as an audio-only stream (then the reason
    # is "no decodable frames"), which made a urandom buffer fail one run in a few hundred.
    [(lambda: __import__("random").Random(7).randbytes(200_000), "not a video"), (lambda: b"", "file is empty")],
    ids=["random-bytes", "empty"],
)
def test_unreadable_files_fail_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content())
    source = CameraSource(camera(str(path)))
    source.start()
    status = final_status(source, timeout=5)
    assert status.state is SourceState.FAILED and reason in status.reason, status.reason


def test_truncated_mp4_ends_or_fails_with_a_reason_and_never_hangs(tmp_path):
    clip = write_video(tmp_path / "full.mp4", count=60, fps=30, fourcc="mp4v")
    data = clip.read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    source = CameraSource(camera(str(cut), realtime=False))
    source.start()
    status = final_status(source, timeout=10)
    # Measured: the cut removes the index at the end of the file, so it does not open at all.
    assert status.state is SourceState.FAILED and source.frames_read == 0
    assert "truncated" in status.reason, status.reason


def test_stopping_sources_leaks_no_file_handles(tmp_path):
    clip = write_video(tmp_path / "clip.avi", count=10, fps=25)
    baseline = open_fds()
    for _ in range(3):
        sources = [CameraSource(camera(str(clip), id=f"c{i}", loop=True)) for i in range(4)]
        for s in sources:
            s.start()
        wait_for(lambda sources=sources: all(s.frames_read > 0 for s in sources), 10, "frames from every camera")
        for s in reversed(sources):
            assert s.stop() is True
    assert open_fds() <= baseline


def test_h264_in_avi_is_stamped_in_the_order_frames_are_shown(tmp_path):
    from pathlib import Path

    # The demo clip: H.264 with B-frames in AVI, whose decoded frames carry pts in decode order (1, 4, 3, 5, 2...).
    demo = Path(__file__).resolve().parent.parent / "resources" / "pets2009_walkway_480x360.avi"
    source = CameraSource(camera(str(demo), realtime=False, start_time="2026-01-02T03:04:05Z"))
    frames = _read_to_the_end(source)
    assert len(frames) > 100 and source.mailbox.drops == 0
    gaps = [round(b.t_wall - a.t_wall, 3) for a, b in zip(frames, frames[1:], strict=False)]
    assert set(gaps[3:]) == {0.1}, sorted(set(gaps))  # 10 fps, every frame after the first few exactly 0.1 s on
    assert min(gaps) >= 0, "no frame is stamped before the one shown ahead of it"


def test_frame_times_follow_pts_until_it_goes_back():
    from fractions import Fraction

    from surveil.capture.timeline import FrameTimes

    mp4 = FrameTimes()  # pts in order (B-frames in MP4): dts is never used
    assert [mp4.seconds(p, d, Fraction(1, 10)) for p, d in ((0, -2), (1, -1), (2, 0))] == [0.0, 0.1, 0.2]
    avi = FrameTimes()
    times = [avi.seconds(p, d, Fraction(1, 10)) for p, d in ((1, 2), (4, 3), (3, 4), (5, 5), (2, 6), (8, 7))]
    assert avi.by_dts and times == [0.1, 0.4, 0.4, 0.5, 0.6, 0.7]
