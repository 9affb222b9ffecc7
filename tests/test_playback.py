"""Playing a camera's recording back: frames and their wall times, seeking, stepping, segment ends and gaps.

The segments are written by the recorder's own writer from frames that carry their number
(eight black or white blocks), so every check reads which frame is really shown.
"""

import time

import numpy as np
import pytest

from surveil.capture.frame import Frame
from surveil.config import SurveilConfig
from surveil.engine.snapshot import Snapshot
from surveil.engine.verdicts import record_verdict
from surveil.media.index import gap_record, segment_record
from surveil.media.playback import PAST_THE_END, Playback, gaps_of
from surveil.media.player import PlaybackThread
from surveil.media.segments import SegmentWriter
from surveil.service.link import LocalLink
from surveil.store.store import EventStore, Put

BASE = 1_795_000_000.0
FPS = 10.0
RUNS = ((0, 120), (150, 190))  # frames 0-119 in three 4 s segments, a gap, then frames 150-189
PERIOD = 1 / FPS


def numbered(i: int) -> np.ndarray:
    """A 160×120 frame showing its number in binary: eight blocks along the top, white for a one."""
    image = np.full((120, 160, 3), 40, np.uint8)
    for bit in range(8):
        if i >> bit & 1:
            image[:20, bit * 20:(bit + 1) * 20] = 230
    return image


def number_of(image: np.ndarray) -> int:
    """The number a decoded frame shows."""
    return sum(1 << bit for bit in range(8) if image[3:17, bit * 20 + 3:bit * 20 + 17].mean() > 135)


def wall_of(i: int) -> float:
    return BASE + i / FPS


def record_camera(folder, camera_id: str = "cam", runs=RUNS, gap_records: bool = True) -> list:
    """Segments (4 s each) and gap records of numbered frames at 10 fps, as the recorder writes and indexes them."""
    writer, records, last = SegmentWriter(camera_id, folder, 4.0), [], None
    for first, end in runs:
        if last is not None and gap_records:
            records.append(gap_record(camera_id, wall_of(last) + PERIOD / 2, wall_of(first), "connection lost"))
        for i in range(first, end):
            closed = writer.write_frame(Frame(numbered(i), camera_id, i, i / FPS, wall_of(i)))
            records += [segment_record(closed)] if closed else []
        records += [segment_record(writer.close())]
        last = end - 1
    return sorted(records, key=lambda r: r.start)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> list:
    return record_camera(tmp_path_factory.mktemp("recordings"))


def shows(frame, i: int) -> bool:
    """The frame is frame ``i``, by its picture and by its wall time."""
    return frame is not None and number_of(frame.image) == i and abs(frame.wall - wall_of(i)) < 0.002


def test_the_recorder_wrote_three_segments_a_gap_and_one_more(recorded):
    kinds = [r.kind for r in recorded]
    assert kinds == ["segment", "segment", "segment", "gap", "segment"], recorded


def test_a_seek_shows_the_last_frame_at_or_before_the_time(recorded):
    playback = Playback(recorded)
    for t in (0.0, 0.05, 2.34, 3.99, 4.0, 4.01, 7.95, 11.9, 16.66, 18.9):
        frame = playback.seek(BASE + t)
        i = int(t * FPS + 1e-6)
        assert shows(frame, i), (t, number_of(frame.image), frame.wall - BASE)
        assert frame.gap is None
    assert shows(playback.seek(BASE - 30), 0), "before the recording: its first frame"
    assert shows(playback.seek(BASE + 500), 189), "after it: its last frame"
    playback.close()


def test_frame_steps_cross_segment_ends_both_ways(recorded):
    playback = Playback(recorded)
    playback.seek(wall_of(38))
    assert [number_of(playback.next().image) for _ in range(3)] == [39, 40, 41]
    assert [number_of(playback.previous().image) for _ in range(3)] == [40, 39, 38]
    assert shows(playback.seek(wall_of(40)), 40)
    assert shows(playback.previous(), 39), "back from a segment's first frame, with nothing decoded before it"
    assert shows(playback.next(), 40)
    assert shows(playback.seek(BASE), 0) and shows(playback.previous(), 0), "the first frame stays"
    playback.close()


def test_gaps_are_crossed_and_reported(recorded):
    playback = Playback(recorded)
    frame = playback.seek(BASE + 13.0)  # in the gap: the first frame after it
    assert shows(frame, 150) and frame.gap is not None and frame.gap.reason == "connection lost"
    assert shows(playback.previous(), 119) and playback.current.gap.reason == "connection lost"
    playback.seek(wall_of(119))
    frame = playback.next()
    assert shows(frame, 150) and frame.gap.reason == "connection lost"
    playback.seek(wall_of(189))
    assert playback.next() is None, "the end of the recording"
    playback.close()


def test_a_hole_without_a_gap_record_is_a_gap_and_a_missing_file_is_skipped(tmp_path):
    records = record_camera(tmp_path, runs=((0, 40), (60, 80)), gap_records=False)
    assert [(round(g.start - BASE, 1), round(g.end - BASE, 1), g.reason) for g in gaps_of(records)] == \
        [(3.9, 6.0, "not recorded")]
    frame = Playback(records).seek(BASE + 5)
    assert shows(frame, 60) and frame.gap.reason == "not recorded"
    (tmp_path / "cam").rename(tmp_path / "gone")  # every file of the camera
    assert Playback(records).seek(BASE + 1) is None


def test_the_thread_plays_at_speed_and_steps(recorded):
    updates = []
    player = PlaybackThread(Playback(recorded), updates.append).start()
    try:
        player.seek(wall_of(10))
        player.set_speed(4.0)
        started = time.monotonic()
        player.play()
        deadline = started + 5
        while not (updates and updates[-1].frame.wall >= wall_of(30)) and time.monotonic() < deadline:
            time.sleep(0.01)
        took = time.monotonic() - started
        player.play(False)
        assert 0.35 < took < 1.5, f"2 s of recording at 4× took {took:.2f} s"
        walls = [u.frame.wall for u in updates if u.playing]
        assert walls == sorted(walls) and len(walls) >= 15
        for _ in range(5):
            player.seek(wall_of(100))  # a dragged scrub bar: only the newest seek need be shown
        player.seek(wall_of(60))
        player.step(-1)
        deadline = time.monotonic() + 5
        while not shows(updates[-1].frame, 59) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert shows(updates[-1].frame, 59) and not updates[-1].playing
    finally:
        player.stop()
    assert not player._thread.is_alive()


def test_a_recording_that_goes_on_is_extended_in_place_and_a_time_past_its_end_says_so(recorded):
    first_two = recorded[:2]  # frames 0-79 indexed so far
    playback = Playback(first_two)
    frame = playback.seek(wall_of(100))
    assert shows(frame, 79) and frame.gap is not None and frame.gap.reason == PAST_THE_END
    assert (frame.gap.start, frame.gap.end) == (frame.wall, wall_of(100))
    assert shows(playback.seek(wall_of(79) + 0.5), 79) and playback.current.gap is None, "within HOLE_S: no gap"
    assert playback.extend(first_two) == 0, "known segments are not added twice"
    assert playback.extend(recorded) == 2, "frames 80-119 and 150-189"
    assert shows(playback.next(), 80), "the frame shown stays; the next one is in the new segment"
    assert shows(playback.seek(wall_of(100)), 100) and playback.current.gap is None
    assert shows(playback.seek(BASE + 13.0), 150) and playback.current.gap.reason == "connection lost"
    playback.close()


def test_the_thread_plays_on_when_the_recording_it_played_to_the_end_goes_on(recorded):
    updates = []
    player = PlaybackThread(Playback(recorded[:1]), updates.append).start()  # frames 0-39
    try:
        player.seek(wall_of(30))
        player.set_speed(4.0)
        player.play()
        deadline = time.monotonic() + 5
        while not (updates and updates[-1].message == "end of the recording") and time.monotonic() < deadline:
            time.sleep(0.01)
        assert shows(updates[-1].frame, 39) and not updates[-1].playing
        player.extend(recorded)
        while not (updates[-1].frame.wall >= wall_of(50)) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert updates[-1].frame.wall >= wall_of(50) and updates[-1].playing, "it played on into the new segment"
    finally:
        player.stop()


class StoreEngine:
    """What a LocalLink needs of an engine, over a real store with no camera running."""

    def __init__(self, store: EventStore, camera_ids=("cam",)):
        self.store, self.encoder, self.listeners = store, None, []
        self.config = SurveilConfig.model_validate({
            "cameras": [{"id": c, "source": f"/nowhere/{c}.mp4"} for c in camera_ids],
            "storage": {"path": str(store.folder)}})

    def snapshot(self) -> Snapshot:
        return Snapshot(1, self.config)

    def health(self) -> dict:
        return {"cameras": {}, "latency_s": {"p95": None}, "retention": {}, "recording": {}, "failures": {}}

    def watch_frames(self, listener, watching=True) -> None:
        pass

    def watch_display(self, listener, fps=15.0, cameras=None) -> None:
        pass

    def mark_event(self, event_id, verdict=None, acknowledged=None, note=None, locked=None) -> None:
        record_verdict(self.store, event_id, verdict, acknowledged, note, locked)


def test_a_client_reads_the_same_recordings_from_the_store_and_over_the_api(recorded, tmp_path):
    from fastapi.testclient import TestClient

    from surveil.service.api import make_app
    from surveil.service.remote import RemoteLink

    with EventStore(tmp_path / "store") as store:
        store.put([Put(r) for r in recorded])
        local = LocalLink(StoreEngine(store))
        served = make_app(StoreEngine(store), "secret")
        http = TestClient(served.app, headers={"Authorization": "Bearer secret"})

        class Client:  # what RemoteLink asks of its ApiClient, answered by the app in this process
            def get(self, path, **kw):
                response = http.get(path, **kw)
                response.raise_for_status()
                return response.json()

        remote = RemoteLink.__new__(RemoteLink)
        remote.client = Client()
        near = local.recordings("cam", BASE + 9, BASE + 16)
        assert [r.kind for r in near] == ["segment", "gap", "segment"]
        assert remote.recordings("cam", BASE + 9, BASE + 16) == near
        assert remote.recordings("cam", BASE + 900, BASE + 960) == [] == local.recordings("other", BASE, BASE + 60)
        assert http.get("/api/cameras/cam/recordings", params={"since": BASE},
                        headers={"Authorization": "Bearer wrong"}).status_code == 401
