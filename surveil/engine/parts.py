"""The engine's worker parts, started in order: store writer → webhooks → MQTT (if enabled) → retention → recorder.

Each runs one thread under the engine's ``Watch``: a body that raises is counted, announced
and started again. ``Engine.stop`` stops them in reverse order. The MQTT publisher, when there is
one, sits between webhooks and retention in the list; the engine adds its ``notice`` to its listeners.
"""

from __future__ import annotations

from collections.abc import Callable

from surveil.config import SurveilConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.retention_thread import RetentionThread
from surveil.engine.watch import Watch
from surveil.engine.webhooks import WebhookSender
from surveil.engine.writer import StoreWriter, WriteJob
from surveil.media.export_partial import clean_partial_exports
from surveil.media.index import gap_record, segment_record
from surveil.media.reconcile import reconcile
from surveil.media.recorder import Recorder
from surveil.paths import AppPaths
from surveil.service.mqtt import MqttPublisher
from surveil.store.paths import clips_folder, recordings_folder, store_folder
from surveil.store.store import EventStore, Put

Notify = Callable[[EngineNotice], None]


def start_parts(config: SurveilConfig, paths: AppPaths, watch: Watch, notify: Notify,
                on_segment: Callable, on_clip: Callable,
                config_now: Callable[[], SurveilConfig] | None = None) -> tuple[EventStore, list]:
    """Open the store (repairing what a crash left), then start the parts; returns the store and the parts in order.

    ``config_now``: the configuration as changes leave it (for the parts that follow changes).
    """
    rec = config.recording
    recordings, clips = recordings_folder(config, paths), clips_folder(config, paths)
    store = EventStore(store_folder(config, paths))
    parts: list = []
    try:
        reconcile(store, recordings, clips, rec.pre_roll_s, rec.post_roll_s)
        clean_partial_exports(store.folder)  # what a killed export left (none of it verifies)
        writer = StoreWriter(store, lambda msg: notify(EngineNotice("store_error", msg)),
                             on_resumed=lambda msg: notify(EngineNotice("store_resumed", msg)), watch=watch)
        parts.append(_started(writer))
        parts.append(_started(WebhookSender(watch=watch)))
        if config.mqtt.enabled:
            parts.append(_started(MqttPublisher(config, notify, watch=watch, lookup_event=store.get_event,
                                                config_now=config_now)))
        parts.append(_started(RetentionThread(store, config, recordings, clips, notify, watch=watch)))

        def segment_closed(segment) -> None:  # recorder thread: into the index and the audit chain
            writer.submit(WriteJob([Put(segment_record(segment))]))
            on_segment(segment)

        def gap(camera_id: str, start: float, end: float, reason: str) -> None:
            writer.submit(WriteJob([Put(gap_record(camera_id, start, end, reason))]))

        recorder = Recorder(recordings, clips, rec.segment_s, rec.pre_roll_s, rec.post_roll_s,
                            on_segment=segment_closed, on_clip=on_clip, on_gap=gap,
                            notify=lambda kind, msg, cam: notify(EngineNotice(kind, msg, camera_id=cam)), watch=watch)
        parts.append(_started(recorder))
    except BaseException:
        for part in reversed(parts):
            part.stop()
        store.close()
        raise
    return store, parts


def _started(part):
    part.start()
    return part
