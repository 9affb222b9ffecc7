"""Recording: segments of each camera's own stream, clips and exports cut from them, crashes and kills."""

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import av
import pytest
from capture_helpers import wait_for
from recording_child import CornerPerson, config
from videos import write_video

from surveil.engine.engine import Engine
from surveil.hashing import file_sha256
from surveil.media.export import TimeRange, export_incidents, verify_export
from surveil.media.reconcile import probe_segment, reconcile
from surveil.paths import app_paths
from surveil.store.records import EventRecord
from surveil.store.store import EventStore
from surveil.store.verify import verify_store

HERE = Path(__file__).parent


def _probe(path) -> dict:
    """Codec, duration and whether the first frame is a keyframe, read back with FFmpeg (PyAV)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        first = next(container.decode(stream))
        duration = container.duration / 1e6 if container.duration else None
        return {"codec": stream.codec_context.name, "duration": duration, "key": first.key_frame,
                "format": container.format.name}


def _events(store) -> list[EventRecord]:
    return list(store.events())


def _holes(segments) -> list[float]:
    return [b.start - a.end for a, b in zip(segments, segments[1:], strict=False)]


@pytest.fixture
def lobby(media) -> str:
    return str(media / "lobby_cctv_640x360.mp4")


def test_segments_cover_the_run_and_clips_and_ranges_are_h264_cuts(tmp_path, lobby):
    engine = Engine(config(tmp_path, lobby), app_paths(), detector=CornerPerson(), clip_reason="test")
    engine.start()
    try:  # the clip has a keyframe every 5.3 s: three closed segments are about 16 s of it
        wait_for(lambda: engine.recorder.status()["cam"]["segments"] >= 3, 90, "three closed segments")
    finally:
        engine.stop()
    with EventStore(tmp_path / "store") as store:
        segments = list(store.segments("cam"))
        assert len(segments) >= 3 and all(not s.encoded and s.codec == "h264" for s in segments), segments
        # Back to back: a segment ends where the next begins (a frame period apart at most).
        assert max(_holes(segments)) < 0.1, _holes(segments)
        assert all(a.start < a.end <= b.start for a, b in zip(segments, segments[1:], strict=False)), segments
        assert verify_store(store).ok
        events = _events(store)
        assert events and all(e.clip_state == "written" and e.end is not None for e in events)
        for event in events:
            clip = _probe(event.clip_path)
            # Pre- and post-roll of 1 s, within what was recorded (the engine stopped the last event).
            asked = min(event.end + 1, segments[-1].end) - max(event.start - 1, segments[0].start)
            # From the keyframe before the pre-roll: longer by at most one GOP (about 5.3 s in this clip).
            assert clip["codec"] == "h264" and clip["format"].startswith("mov") and clip["key"], clip
            assert asked - 0.5 <= clip["duration"] <= asked + 5.5, (asked, clip)
        start = segments[0].start + 4
        export = export_incidents(store, tmp_path / "range", event_ids=[], ranges=[TimeRange("cam", start, start + 6)])
    cut = next((tmp_path / "range" / "recordings").glob("*.mp4"))
    info = _probe(cut)
    assert info["codec"] == "h264" and info["key"] and 6 - 0.5 <= info["duration"] <= 6 + 5.5, info
    assert verify_export(export.path).ok
    # One flipped byte in one segment is named by `surveil verify`.
    target = Path(segments[1].path)
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    done = subprocess.run([sys.executable, "-m", "surveil", "verify", "--store", str(tmp_path / "store")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and f"BROKEN: recording of cam was altered: {target}" in done.stdout, done.stdout


def test_a_source_without_packets_to_keep_is_encoded_to_h264(tmp_path):
    clip = write_video(tmp_path / "mjpeg.avi", count=120, fps=20, size=(160, 120), step=1)
    engine = Engine(config(tmp_path, str(clip)), app_paths(), detector=CornerPerson(), clip_reason="test")
    engine.start()
    try:
        time.sleep(7)
    finally:
        engine.stop()
    with EventStore(tmp_path / "store") as store:
        segments = list(store.segments("cam"))
        assert segments and all(s.encoded and s.codec == "h264" for s in segments)
        assert verify_store(store).ok
        events = _events(store)
    assert events and _probe(events[0].clip_path)["codec"] == "h264"


def test_events_mode_keeps_only_what_an_event_needs(tmp_path, lobby):
    cfg = config(tmp_path, lobby)
    cfg.cameras[0].record = "events"
    cfg.rules[0].classes = ["car"]  # never fires here: nothing is needed
    engine = Engine(cfg, app_paths(), detector=CornerPerson(), clip_reason="test")
    engine.start()
    recorder = engine.recorder
    try:  # a segment closes at each keyframe, every 5.3 s of the clip
        wait_for(lambda: recorder.status()["cam"]["discarded_segments"] >= 2, 60, "two segments nobody needs")
    finally:
        engine.stop()
    with EventStore(tmp_path / "store") as store:
        assert list(store.segments("cam")) == []
    assert not list((tmp_path / "recordings").rglob("*.ts")), "segments nobody needs are deleted"


def test_kills_during_recording_lose_no_segment_and_leave_no_event_open(tmp_path, lobby):
    rng = random.Random(7)
    root = tmp_path / "site"
    for round_ in range(20):
        fresh = round_ % 5 == 0  # every fifth kill hits a store in its first second of life
        if fresh and root.exists():
            shutil.rmtree(root)
        child = subprocess.Popen([sys.executable, str(HERE / "recording_child.py"), str(root), lobby],
                                 stdout=subprocess.PIPE, text=True, cwd=HERE)
        delay = rng.uniform(0.0, 1.0) if fresh else rng.uniform(1.5, 4.5)
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if not (root / "store").exists():
            continue
        with EventStore(root / "store") as store:  # always reopens
            reconcile(store, root / "recordings", root / "clips", 1, 1)  # what the next start does
            _check_after_kill(store, root)


def _check_after_kill(store, root) -> None:
    assert verify_store(store).ok, verify_store(store).problems
    indexed = {s.path for s in store.segments("cam")}
    on_disk = {str(p) for p in (root / "recordings").rglob("*.ts")}
    assert on_disk == indexed, "every segment on disk is indexed after the restart"
    for path in on_disk:
        assert probe_segment(Path(path)) is not None, f"{path} plays"
    for event in _events(store):
        assert event.end is not None and event.clip_state in ("written", "failed"), event
        if event.clip_state == "written":
            assert file_sha256(event.clip_path) == event.clip_sha256
    assert not list((root / "clips").rglob("*.partial.mp4"))


RUN_CONFIG = """
cameras: [{{id: lobby, source: {lobby}, loop: true}}]
models: {{detector: {{weights: {models}/yolo11n.pt, classes: [person]}}}}
storage: {{path: {root}/store}}
recording: {{folder: {root}/recordings, clips_dir: {root}/clips, segment_s: 4, pre_roll_s: 2, post_roll_s: 2}}
rules: [{{name: people, classes: [person], cooldown_s: 2, grace_s: 1}}]
"""


def test_sigterm_with_the_cpu_saturated_stops_in_time_and_every_event_has_its_clip(tmp_path, lobby, assets):
    cfg = tmp_path / "config.yaml"
    cfg.write_text(RUN_CONFIG.format(lobby=lobby, models=assets / "models", root=tmp_path))
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(4)]
    try:
        child = subprocess.Popen([sys.executable, "-m", "surveil", "run", "--config", str(cfg)],
                                 stdout=subprocess.PIPE, text=True)
        lines = iter(child.stdout.readline, "")
        assert any("alert_started" in line for line in lines), "an alert before the stop"
        time.sleep(3)
        child.send_signal(signal.SIGTERM)
        code = child.wait(90)  # a generous limit on a shared machine: a stop that hangs fails here
    finally:
        for hog in hogs:
            hog.kill()
    assert code == 0, f"exit {code}"
    with EventStore(tmp_path / "store") as store:
        events = _events(store)
        assert events and all(e.clip_state == "written" and e.end is not None for e in events), events
        assert verify_store(store).ok


def test_a_full_disk_stops_recording_and_it_resumes_by_itself(tmp_path, tiny_disk, lobby):
    disk = tiny_disk("1m")  # the lobby clip records about 45 KB/s: full in about 20 s
    cfg = config(tmp_path, lobby)
    cfg.recording.folder = disk
    cfg.storage.min_free_gb = 0  # else retention frees the tiny disk before it fills
    notices = []
    engine = Engine(cfg, app_paths(), detector=CornerPerson(), clip_reason="test")
    engine.listeners.append(notices.append)
    engine.start()
    try:
        wait_for(lambda: any(n.kind == "recording_error" for n in notices), 60, "the disk to fill")
        assert engine.health()["cameras"]["cam"]["state"] == "live", "analysis goes on"
        for path in sorted(disk.rglob("*.ts"))[:-1]:
            os.unlink(path)  # the operator frees space (as retention would)
        wait_for(lambda: any(n.kind == "recording_resumed" for n in notices), 30, "recording to resume")
    finally:
        engine.stop()
    assert str(disk) in next(n.message for n in notices if n.kind == "recording_error")


def _used(root: Path) -> int:
    return sum(p.stat().st_size for folder in ("recordings", "clips", "store") for p in (root / folder).rglob("*")
               if p.is_file())


def test_retention_keeps_a_running_engine_under_its_cap_and_spares_locked_evidence(tmp_path, media):
    from recording_child import BlinkingPerson

    cfg = config(tmp_path, str(media / "lobby_cctv_640x360.mp4"))
    cfg.cameras = [cfg.cameras[0].model_copy(update={"id": f"cam{i}", "source": str(media / clip)})
                   for i, clip in enumerate(["lobby_cctv_640x360.mp4", "highway_traffic_640x360.mp4"] * 2)]
    cfg.rules[0].cooldown_s = 30  # an alert per camera every 30 s: clips stay a share of what is recorded
    # The four cameras record about 230 KB/s: the cap's purge trigger (85 %) is reached in about 30 s, and
    # then each pass (every 10 s, the shortest allowed) finds 2 MB more; some 17 MB in all, twice the cap.
    cap = 8_000_000
    cfg.storage.max_size_gb, cfg.storage.retention_every_s = cap / 1e9, 10
    notices, samples = [], []
    engine = Engine(cfg, app_paths(), detector=BlinkingPerson(), clip_reason="test")
    engine.listeners.append(notices.append)
    engine.start()
    try:
        wait_for(lambda: any(n.kind == "alert_ended" for n in notices), 30, "a first finished event")
        first = next(n for n in notices if n.kind == "alert_started").record
        engine.store.set_state(first.event_id, locked=True)
        end = time.monotonic() + 65
        while time.monotonic() < end:
            samples.append(_used(tmp_path))
            time.sleep(0.5)
    finally:
        engine.stop()
    purges = [n for n in notices if n.kind == "retention"]
    assert len(purges) >= 3, "retention ran again and again"
    assert max(samples) <= cap, f"peak {max(samples)} bytes over the {cap} cap"
    with EventStore(tmp_path / "store") as store:
        assert verify_store(store).ok
        audited = [e for e in store.audit_entries() if e.action == "purge"]
        assert len(audited) == len(purges), "each purge is one audit entry"
        locked = store.get_event(first.event_id)
        assert locked is not None and Path(locked.clip_path).is_file()
        kept = list(store.segments(first.camera_id, locked.start - 1, locked.end + 1))
        # (Records keep milliseconds: the first segment may start a fraction of one after the event.)
        assert kept and kept[0].start <= locked.start + 0.001 and kept[-1].end >= locked.end, "its recording covers it"
        assert all(Path(s.path).is_file() for s in kept)
        oldest = min(s.start for c in ("cam0", "cam1", "cam2", "cam3") for s in store.segments(c)
                     if s.segment_id not in {k.segment_id for k in kept})
    assert oldest > locked.end, "everything older than the locked event's recording went, the locked part stayed"


def test_a_live_timeline_follows_drift_silently_and_counts_only_real_jumps(monkeypatch):
    from surveil.capture import timeline

    clock = [1000.0]
    monkeypatch.setattr(timeline.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(timeline.time, "time", lambda: clock[0] + 1e9)
    line = timeline.Timeline(live=True)
    for i in range(10):  # capture falls 3 s behind its stream: re-anchored, same run
        line.stamp(i * 0.1)
        clock[0] += 0.1 + (3.0 if i == 5 else 0)
    assert line.jumps == 0 and line.last[0] == pytest.approx(clock[0] - 0.1, abs=0.01)
    line.stamp(500.0)  # the camera rebooted: its timestamps jump
    line.stamp(0.2)  # and go back
    assert line.jumps == 2


def _lobby_packets(lobby, camera_id, start):
    from surveil.capture.demux import copy_packet, open_av
    from surveil.capture.timeline import Timeline
    from surveil.sources import parse_source

    src = open_av(parse_source(lobby), 5, 5)
    line = Timeline(False, start_wall=start)
    packets = [copy_packet(p, camera_id, line.stamp(float(p.dts * p.time_base))[1]) for p in src.packets()]
    template = src.template
    src.release()
    return template, packets


def test_a_camera_edited_live_keeps_recording(tmp_path, lobby):
    from surveil.media.recorder import Recorder

    indexed = []
    recorder = Recorder(tmp_path / "rec", tmp_path / "clips", 4, 1, 1, indexed.append, lambda *a: None,
                        lambda *a: None, lambda *a: None)
    recorder.add_camera("cam", "always")
    recorder.start()
    template, packets = _lobby_packets(lobby, "cam", 1_000_000.0)
    recorder.on_stream("cam", template)
    for packet in packets[:300]:
        recorder.on_packet(packet)
    wait_for(lambda: recorder._queue.empty(), 30, "the recorder to catch up, as it does live")
    recorder.remove_camera("cam")  # the edit, in the engine's order: the old camera closes, the new one opens
    recorder.add_camera("cam", "always")
    recorder.on_stream("cam", template)
    for packet in packets[300:]:
        recorder.on_packet(packet)
    recorder.stop()
    # Measured: the old recording closes at the last packet before the edit (10.01 s), the new one
    # starts at the next keyframe (10.68 s); keyframes every 5.34 s cut the rest, to the last packet.
    spans = [(round(r.start - 1_000_000, 2), round(r.end - 1_000_000, 2)) for r in indexed]
    assert spans == [(0.0, 5.34), (5.34, 10.01), (10.68, 16.02), (16.02, 21.39)], spans
    assert indexed[-1].end == pytest.approx(packets[-1].t_wall, abs=0.1), "recorded to the last packet"
