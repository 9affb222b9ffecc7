"""``RemoteLink``: the EngineLink of a window attached to a running ``surveil run`` over its local API.

Notices arrive on one thread reading the API's event stream (reconnecting when the service
restarts); live frames on another, polling each camera's newest JPEG while someone watches.
Everything else is one request per call.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from urllib.parse import quote

import cv2
import numpy as np

from surveil.config import CameraConfig, SurveilConfig
from surveil.engine.changes import Change
from surveil.engine.snapshot import Snapshot
from surveil.paths import AppPaths
from surveil.rules.model import Rule
from surveil.service.client import ApiClient, ServiceUnavailable
from surveil.service.link import ExportDone, FrameListener, LiveFrame, NoticeListener, SearchHit
from surveil.service.queries import filter_dict
from surveil.service.wire import event_row_from, notice_from, object_from, record_from, snapshot_from
from surveil.store.query import EventFilter
from surveil.store.records import EventRecord, SegmentRecord

logger = logging.getLogger(__name__)

FRAME_FPS = 5.0  # per camera: enough for a wall of tiles, light on the engine


class RemoteLink:
    """An engine in another process, reached through its API."""

    def __init__(self, client: ApiClient):
        self.client, self.where = client, client.url
        self._notices: list[NoticeListener] = []
        self._frames: list[FrameListener] = []
        self._closing = threading.Event()
        self._threads: list[threading.Thread] = []
        self._snapshot = snapshot_from(client.get("/api/snapshot"))
        self._start("notices", self._read_notices)
        self._start("frames", self._poll_frames)

    @classmethod
    def connect(cls, url: str | None, paths: AppPaths) -> RemoteLink:
        """Attach to the engine at ``url``, or to the one serving the configured store; ServiceUnavailable if none."""
        if url is None:
            from surveil.config import load_or_default
            from surveil.store.paths import store_folder

            config, _ = load_or_default(None, paths.config_file)
            folder = store_folder(config, paths)
            client = ApiClient.for_store(folder, paths.config_dir)
            if client is None:
                raise ServiceUnavailable(f"no running engine serves the store at {folder}: start `surveil run`, "
                                         "or give its address (surveil --attach http://127.0.0.1:8765)")
            return cls(client)
        return cls(ApiClient.at(url, paths.config_dir))

    def _start(self, name: str, body) -> None:
        thread = threading.Thread(target=body, name=f"attach-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    # -- the live engine ----------------------------------------------------------------------

    @property
    def config(self) -> SurveilConfig:
        """The service's running configuration (as of the newest snapshot read)."""
        return self._snapshot.config

    def snapshot(self) -> Snapshot:
        """The service's newest snapshot (one request)."""
        try:
            self._snapshot = snapshot_from(self.client.get("/api/snapshot"))
        except ServiceUnavailable as exc:
            logger.debug("snapshot: %s", exc)  # the last one stands until the service answers again
        return self._snapshot

    def health(self) -> dict:
        """The service's health."""
        return self.client.get("/api/health")

    def text_search(self) -> bool:
        """Whether the service has CLIP."""
        return self._snapshot.clip_reason is None

    def listen(self, listener: NoticeListener, listening: bool = True) -> None:
        """Add (or remove) a notice listener, called on this link's stream thread."""
        if listening:
            self._notices.append(listener)
        elif listener in self._notices:
            self._notices.remove(listener)

    def watch_frames(self, listener: FrameListener, watching: bool = True, fps: float | None = None,
                     cameras: frozenset[str] | None = None) -> None:
        """Add (or remove) a live-frame listener, called on this link's frame thread.

        A service's frames are its newest analysed ones (``/live.jpg``): ``fps`` and ``cameras`` do not apply,
        and watching again changes nothing.
        """
        if watching and listener not in self._frames:
            self._frames.append(listener)
        elif not watching and listener in self._frames:
            self._frames.remove(listener)

    # -- commands ----------------------------------------------------------------------------

    def add_camera(self, camera: CameraConfig) -> Change:
        """Start watching a new camera."""
        return self._change(self.client.post("/api/cameras", camera.model_dump(mode="json"), command=True))

    def update_camera(self, camera_id: str, camera: CameraConfig) -> Change:
        """Replace a camera's settings."""
        return self._change(self.client.put(f"/api/cameras/{quote(camera_id, safe='')}",
                                            camera.model_dump(mode="json")))

    def remove_camera(self, camera_id: str, orphaned: str = "disable") -> Change:
        """Stop and forget a camera; rules that watched only it are disabled or deleted."""
        return self._change(self.client.delete(f"/api/cameras/{quote(camera_id, safe='')}?orphaned={orphaned}"))

    def update_rule(self, data: dict | Rule) -> Rule:
        """Add or replace a rule."""
        body = data.model_dump(mode="json") if isinstance(data, Rule) else data
        rule = Rule.model_validate(self.client.put("/api/rules", body))
        self.snapshot()
        return rule

    def remove_rule(self, name: str) -> Change:
        """Delete a rule."""
        return self._change(self.client.delete(f"/api/rules/{quote(name, safe='')}"))

    def mark_event(self, event_id: str, verdict: str | None = None, acknowledged: bool | None = None,
                   note: str | None = None, locked: bool | None = None) -> None:
        """Operator triage, audited by the service."""
        body = {"verdict": verdict, "acknowledged": acknowledged, "note": note, "locked": locked}
        self.client.post(f"/api/events/{quote(event_id, safe='')}/mark", body, command=True)

    def _change(self, data: dict) -> Change:
        self.snapshot()
        return Change(self._snapshot.config, data["kind"], data["subject"], data.get("effects") or [],
                      data.get("replaces"))

    # -- the store ------------------------------------------------------------------------------

    def events(self, flt: EventFilter, limit: int = 50, before: str | None = None):
        """A page of events, newest first, and the next page's cursor."""
        params = {"limit": limit, **({"before": before} if before else {})}
        data = self.client.post("/api/events/list", filter_dict(flt), params=params)
        return [event_row_from(row) for row in data["events"]], data["next"]

    def counts_per_hour(self, flt: EventFilter) -> dict[int, int]:
        """Events per hour."""
        return {int(k): v for k, v in self.client.post("/api/events/per-hour", filter_dict(flt)).items()}

    def event(self, event_id: str) -> EventRecord | None:
        """One stored event."""
        response = self.client.raw(f"/api/events/{quote(event_id, safe='')}")
        return record_from(EventRecord, response.json()) if response is not None else None

    def object(self, object_id: str):
        """One stored object."""
        response = self.client.raw(f"/api/objects/{object_id}")
        return object_from(response.json()) if response is not None else None

    def thumbnail(self, kind: str, record_id: str) -> bytes | None:
        """A stored thumbnail (JPEG)."""
        response = self.client.raw(f"/api/{'events' if kind == 'e' else 'objects'}/{record_id}/thumbnail.jpg")
        return response.content if response is not None else None

    def recordings(self, camera_id: str, since: float, until: float) -> list[SegmentRecord]:
        """A camera's segments and gaps in ``[since, until]`` (the service's paths: it runs on this machine)."""
        data = self.client.get(f"/api/cameras/{quote(camera_id, safe='')}/recordings",
                               params={"since": since, "until": until})
        return [record_from(SegmentRecord, row) for row in data["recordings"]]

    def search(self, flt: EventFilter, text: str | None = None, like_event: str | None = None,
               k: int = 50) -> list[SearchHit]:
        """Objects like a text (CLIP, on the service) or like an event's object."""
        data = self.client.post("/api/search", {"text": text, "like_event": like_event, "k": k,
                                                "filter": filter_dict(flt)})
        return [SearchHit(h["object_id"], h["score"], object_from(h["object"]),
                          event_row_from(h["event"])[0] if h["event"] else None) for h in data["hits"]]

    def export(self, dest: Path, event_ids: list[str], progress=None, ranges=None) -> ExportDone:
        """Export incidents and ``(camera_id, start, end)`` recordings (written by the service, on this machine)."""
        if progress is not None:
            progress(0, len(event_ids))
        cuts = [{"camera_id": c, "start": start, "end": end} for c, start, end in ranges or []]
        data = self.client.post("/api/exports", {"out": str(Path(dest).resolve()), "events": event_ids,
                                                 "ranges": cuts}, timeout=None)
        if progress is not None:
            progress(len(event_ids), len(event_ids))
        return ExportDone(Path(data["path"]), data["events"], data["files"], data["manifest_sha256"],
                          data["warnings"], data.get("fingerprint"))

    def backtest(self, rule: Rule, progress=None):
        """What the rule would have caught, computed by the service."""
        import datetime as dt

        from surveil.rules.backtest import BacktestHit, BacktestResult, StoredObject

        data = self.client.post("/api/rules/backtest", rule.model_dump(mode="json"), timeout=None)
        hits = [BacktestHit(StoredObject(h["object_id"], h["camera_id"], h["label"],
                                         dt.datetime.fromtimestamp(h["start"], dt.UTC)), [], None)
                for h in data["hits"]]
        return BacktestResult(hits, data["checked"], data["left_out"])

    def close(self) -> None:
        """Stop the stream and frame threads; the service goes on."""
        self._closing.set()
        self._notices.clear()
        self._frames.clear()
        for thread in self._threads:
            thread.join(2)
        self.client.close()

    # -- threads ------------------------------------------------------------------------------

    def _read_notices(self) -> None:
        delay = 0.5
        while not self._closing.is_set():
            try:
                for line in self.client.lines("/api/notices"):
                    delay = 0.5
                    notice = notice_from(json.loads(line))
                    for listener in list(self._notices):
                        try:
                            listener(notice)
                        except Exception:
                            logger.exception("a notice listener failed on %s", notice.kind)
                    if self._closing.is_set():
                        return
            except Exception as exc:  # a dropped stream, or a line this version cannot read: start again
                if self._closing.is_set():
                    return
                logger.warning("notice stream from %s: %s; retrying in %.0f s", self.where, exc, delay)
            self._closing.wait(delay)
            delay = min(delay * 2, 10.0)

    def _poll_frames(self) -> None:
        while not self._closing.wait(1.0 / FRAME_FPS):
            if not self._frames:
                continue
            for camera in self._snapshot.config.cameras:
                if self._closing.is_set():
                    return
                frame = self._fetch_frame(camera.id)
                for listener in list(self._frames) if frame is not None else ():
                    listener(frame)

    def _fetch_frame(self, camera_id: str) -> LiveFrame | None:
        try:
            response = self.client.raw(f"/api/cameras/{camera_id}/live.jpg", params={"width": 960}, timeout=5)
        except ServiceUnavailable:
            return None
        if response is None:
            return None
        image = cv2.imdecode(np.frombuffer(response.content, np.uint8), cv2.IMREAD_COLOR)
        meta = json.loads(response.headers.get("X-Surveil-Boxes", "{}"))
        if image is None or not meta:
            return None
        boxes = np.asarray(meta["boxes"], np.float32).reshape(-1, 4) * float(meta["scale"])
        return LiveFrame(camera_id, image, boxes, tuple(meta["labels"]), tuple(meta["track_ids"]), meta["detected"])


def wait_for_service(paths: AppPaths, folder: Path, seconds: float) -> ApiClient | None:
    """Wait for an engine to serve ``folder`` (tests and scripts that start one); None if none did."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        client = ApiClient.for_store(folder, paths.config_dir)
        if client is not None:
            return client
        time.sleep(0.2)
    return None
