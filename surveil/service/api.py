"""The engine's local HTTP API (FastAPI): what the CLI and attached windows ask of a running engine.

Every route but the OpenAPI pages (``/docs``, ``/openapi.json``) needs ``Authorization: Bearer
<token>`` (the token in the config folder). Commands are the engine's own commands; reads are
the same functions the CLI runs on a store it opens itself (``surveil.service.queries``).

No ``from __future__ import annotations`` here: FastAPI reads the route signatures at run time.
"""


import functools
import json
import logging
import os
import queue
import secrets
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated

import cv2
from fastapi import APIRouter, Body, Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from surveil import __version__
from surveil.config import CameraConfig
from surveil.engine.alerts import EngineNotice
from surveil.engine.changes import ChangeRefused
from surveil.schema import problems
from surveil.service import queries
from surveil.service.link import LiveFrame, LocalLink
from surveil.service.queries import QueryError
from surveil.service.wire import notice_json, snapshot_json
from surveil.store.db import StoreError

logger = logging.getLogger(__name__)


class Filter(BaseModel):
    """Which events (or objects): every field optional; lists mean any of."""

    since: float | None = Field(None, description="Unix seconds")
    until: float | None = Field(None, description="Unix seconds")
    cameras: list[str] = []
    rules: list[str] = []
    labels: list[str] = []
    severities: list[str] = []
    states: list[str] = []


class Mark(BaseModel):
    """Operator triage on one event; only the fields given change."""

    verdict: str | None = Field(None, description="false_alarm or correct")
    acknowledged: bool | None = None
    note: str | None = None
    locked: bool | None = Field(None, description="a locked event and its recording are kept by retention")


class SearchRequest(BaseModel):
    """Exactly one of text, like_event or like_object."""

    text: str | None = None
    like_event: str | None = None
    like_object: str | None = None
    k: int = Field(20, ge=1, le=1000)
    filter: Filter = Filter()


class ExportRange(BaseModel):
    """A camera's recording over a time range."""

    camera_id: str
    start: float
    end: float


class ExportRequest(BaseModel):
    """What to export, and where (a new folder, or a file ending in .zip, on the engine's machine)."""

    out: str
    events: list[str] = []
    filter: Filter = Filter()
    ranges: list[ExportRange] = []


class Notices:
    """Fans engine notices out to every open stream; a slow reader loses its oldest, never blocks the engine."""

    def __init__(self) -> None:
        self._queues: list[queue.Queue] = []
        self._lock = threading.Lock()
        self._closed = False

    def notice(self, notice: EngineNotice) -> None:
        """Engine listener (engine threads)."""
        line = json.dumps(notice_json(notice), default=str)
        with self._lock:
            for q in self._queues:
                _put_dropping(q, line)

    def open(self) -> queue.Queue:
        """A new reader's queue."""
        q: queue.Queue = queue.Queue(500)
        with self._lock:
            if self._closed:  # the server is stopping: this stream ends at once
                q.put_nowait(None)
            else:
                self._queues.append(q)
        return q

    def close(self, q: queue.Queue | None = None) -> None:
        """End one reader (or, with none given, every reader: the server is stopping)."""
        with self._lock:
            self._closed = self._closed or q is None
            ended = [q] if q is not None else list(self._queues)
            self._queues = [x for x in self._queues if x not in ended]
        for x in ended:
            _put_dropping(x, None)


def _put_dropping(q: queue.Queue, item) -> None:
    while True:
        try:
            q.put_nowait(item)
            return
        except queue.Full:
            try:
                q.get_nowait()
            except queue.Empty:
                pass


class Gate:
    """Counts requests that use the engine, so that it stops only once they are done (and refuses new ones then).

    Uvicorn cancels a request at shutdown, but not the worker thread running a sync route: without
    this, an export or a mark could still be using the store while the engine closes it.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._running = 0
        self._closed = False

    def held(self, route):
        """Decorate a sync route: it runs counted, or gets 503 once the engine is stopping."""

        @functools.wraps(route)
        def counted(*args, **kwargs):
            with self._cond:
                if self._closed:
                    raise HTTPException(503, "the engine is stopping")
                self._running += 1
            try:
                return route(*args, **kwargs)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

        return counted

    def close(self, timeout: float) -> bool:
        """Refuse new requests and wait for running ones; False if some still run after ``timeout``."""
        with self._cond:
            self._closed = True
            return self._cond.wait_for(lambda: self._running == 0, timeout)


class LatestFrames:
    """The newest analysed frame of each camera, kept by reference, encoded only when asked for."""

    def __init__(self) -> None:
        self.frames: dict[str, LiveFrame] = {}

    def __call__(self, frame: LiveFrame) -> None:
        """A frame listener (analysis thread)."""
        self.frames[frame.camera_id] = frame


@dataclass
class Served:
    """The API app and the pieces the server attaches to the engine, and closes, around it."""

    app: FastAPI
    notices: Notices
    frames: LatestFrames
    link: LocalLink
    gate: Gate


def make_app(engine, token: str) -> Served:
    """The API over one running engine."""
    link, notices, frames, gate = LocalLink(engine), Notices(), LatestFrames(), Gate()
    bearer = HTTPBearer(auto_error=False)

    def authorised(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> None:
        if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), token.encode()):
            raise HTTPException(401, "a valid token is needed (the api-token file in the config folder)")

    app = FastAPI(title="surveil engine", version=__version__,
                  description="The running engine's local API: events, objects, search, triage, exports, "
                  "cameras, rules, health and live notices.")
    router = APIRouter(prefix="/api", dependencies=[Depends(authorised)])

    @app.exception_handler(ChangeRefused)
    @app.exception_handler(QueryError)
    async def refused(_request: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    @app.exception_handler(StoreError)
    async def store_failed(_request: Request, exc: StoreError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)  # a full disk, a closed store: say which

    _engine_routes(router, engine, link, notices, frames, gate)
    _store_routes(router, engine, link, gate)
    app.include_router(router)
    return Served(app, notices, frames, link, gate)


def _engine_routes(router: APIRouter, engine, link: LocalLink, notices: Notices, frames: LatestFrames,
                   gate: Gate) -> None:
    @router.get("/ping", summary="Whether the engine answers (and the token is right): its version and process id")
    def ping() -> dict:
        return {"version": __version__, "pid": os.getpid()}

    @router.get("/health", summary="Per camera state and rates, latency, recording, retention, store, failures")
    @gate.held
    def health() -> dict:
        return engine.health()

    @router.get("/snapshot", summary="The running configuration, cameras with their tracks, rule decisions")
    @gate.held
    def snapshot() -> dict:
        return snapshot_json(engine.snapshot())

    @router.get("/retention", summary="Storage use, limits, the next purge and what the last one did")
    @gate.held
    def retention() -> dict:
        return engine.retention.status()

    @router.get("/cameras/{camera_id}/live.jpg", summary="The camera's newest analysed frame (JPEG); "
                "its tracked boxes are in the X-Surveil-Boxes header as JSON")
    def live(camera_id: str, width: int = Query(0, ge=0, le=4096)) -> Response:
        frame = frames.frames.get(camera_id)
        if frame is None:
            raise HTTPException(404, f"no frame from camera '{camera_id}' yet")
        image, scale = frame.image, 1.0
        if width and image.shape[1] > width:
            scale = width / image.shape[1]
            image = cv2.resize(image, (width, round(image.shape[0] * scale)), interpolation=cv2.INTER_AREA)
        ok, jpeg = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 80])
        boxes = {"scale": scale, "size": [frame.image.shape[1], frame.image.shape[0]], "detected": frame.detected,
                 "boxes": [[round(float(v), 1) for v in b] for b in frame.boxes], "labels": list(frame.labels),
                 "track_ids": list(frame.track_ids)}
        return Response(jpeg.tobytes(), media_type="image/jpeg", headers={"X-Surveil-Boxes": json.dumps(boxes)})

    @router.post("/cameras", summary="Add a camera")
    @gate.held
    def add_camera(camera: Annotated[dict, Body()]) -> dict:
        return _change(link.add_camera(_camera(camera)))

    @router.put("/cameras/{camera_id}", summary="Replace a camera's settings (its id may change)")
    @gate.held
    def update_camera(camera_id: str, camera: Annotated[dict, Body()]) -> dict:
        return _change(link.update_camera(camera_id, _camera(camera)))

    @router.delete("/cameras/{camera_id}", summary="Remove a camera; rules naming it stop watching it")
    @gate.held
    def remove_camera(camera_id: str, orphaned: str = Query("disable", pattern="^(disable|delete)$",
                                                            description="rules that watched only this camera")) -> dict:
        return _change(link.remove_camera(camera_id, orphaned))

    @router.put("/rules", summary="Add or replace a rule (the body is the rule, as in the config file)")
    @gate.held
    def update_rule(rule: Annotated[dict, Body()]) -> dict:
        return link.update_rule(rule).model_dump(mode="json")

    @router.delete("/rules/{name:path}", summary="Remove a rule; its open events end")
    @gate.held
    def remove_rule(name: str) -> dict:
        return _change(link.remove_rule(name))

    @router.post("/rules/backtest", summary="What a rule would have caught in the stored objects")
    @gate.held
    def backtest(rule: Annotated[dict, Body()]) -> dict:
        from surveil.rules.model import Rule

        try:
            parsed = Rule.model_validate(rule)
        except ValidationError as exc:
            raise QueryError(f"not a valid rule: {'; '.join(problems(exc, 'rule'))}") from None
        result = link.backtest(parsed)
        return {"checked": result.checked, "left_out": result.left_out,
                "hits": [{"object_id": h.obj.object_id, "camera_id": h.obj.camera_id, "label": h.obj.label,
                          "start": h.obj.start_wall.timestamp()} for h in result.hits]}

    @router.get("/notices", summary="Every engine notice as it happens (server-sent events, one JSON per event)")
    def stream() -> StreamingResponse:
        q = notices.open()

        def lines():
            try:
                while True:
                    try:
                        line = q.get(timeout=10)
                    except queue.Empty:
                        yield ": still here\n\n"  # a comment: keeps proxies and the client's timeout at bay
                        continue
                    if line is None:
                        return
                    yield f"data: {line}\n\n"
            finally:
                notices.close(q)

        return StreamingResponse(lines(), media_type="text/event-stream")


def _store_routes(router: APIRouter, engine, link: LocalLink, gate: Gate) -> None:
    @router.post("/events/list", summary="A page of events, newest first; `next` is the cursor of the next page")
    @gate.held
    def events(flt: Filter, limit: int = Query(50, ge=1, le=5000), before: str | None = None) -> dict:
        page, cursor = link.events(queries.filter_from(flt.model_dump()), limit, before)
        return {"events": [queries.event_row(r, s) for r, s in page], "next": cursor}

    @router.post("/events/per-hour", summary="Events per hour (keys: Unix time of the hour)")
    @gate.held
    def per_hour(flt: Filter) -> dict:
        return {str(k): v for k, v in link.counts_per_hour(queries.filter_from(flt.model_dump())).items()}

    @router.get("/events/{event_id}", summary="One event with its operator state")
    @gate.held
    def event(event_id: str) -> dict:
        record = link.event(event_id)
        if record is None:
            raise HTTPException(404, f"no event '{event_id}' in the store")
        return queries.event_row(record, engine.store.get_state(event_id))

    @router.post("/events/{event_id}/mark", summary="Acknowledge, judge, note, lock or unlock (audited)")
    @gate.held
    def mark(event_id: str, body: Mark) -> dict:
        link.mark_event(event_id, body.verdict, body.acknowledged, body.note, body.locked)
        return {"event_id": event_id, "state": asdict(engine.store.get_state(event_id))}

    @router.get("/{kind}/{record_id}/thumbnail.jpg", summary="An event's or object's thumbnail")
    @gate.held
    def thumbnail(kind: str, record_id: str) -> Response:
        letter = {"events": "e", "objects": "o"}.get(kind)
        data = link.thumbnail(letter, record_id) if letter else None
        if data is None:
            raise HTTPException(404, f"no thumbnail for {kind} '{record_id}'")
        return Response(data, media_type="image/jpeg")

    @router.get("/objects/{object_id}", summary="One stored tracked object")
    @gate.held
    def obj(object_id: str) -> dict:
        record = link.object(object_id)
        if record is None:
            raise HTTPException(404, f"no object '{object_id}' in the store")
        return asdict(record)

    @router.get("/cameras/{camera_id}/recordings", summary="A camera's recorded segments and gaps overlapping "
                "[since, until] (Unix seconds), oldest first; paths are on the engine's machine")
    @gate.held
    def recordings(camera_id: str, since: float, until: float) -> dict:
        return {"recordings": [asdict(r) for r in link.recordings(camera_id, since, until)]}

    @router.post("/search", summary="Objects nearest to words (needs CLIP), an event's object or an object")
    @gate.held
    def search(body: SearchRequest) -> dict:
        hits = queries.search_objects(engine.store, engine.encoder, queries.filter_from(body.filter.model_dump()),
                                      body.text, body.like_event, body.like_object, body.k)
        return {"hits": [{**queries.hit_json(h), "object": asdict(h.obj),
                          "event": queries.event_row(h.event, engine.store.get_state(h.event.event_id))
                          if h.event else None} for h in hits]}

    @router.post("/exports", summary="Export incidents and recorded ranges into a new folder or zip")
    @gate.held
    def export(body: ExportRequest) -> dict:
        from surveil.media.export import TimeRange

        flt = queries.filter_from(body.filter.model_dump())
        ranges = [TimeRange(r.camera_id, r.start, r.end) for r in body.ranges]
        done = queries.export_package(engine.store, engine.config, Path(body.out), body.events or None, flt, ranges)
        return queries.export_json(done)

    @router.post("/verify", summary="Check the audit chain, every record, clip and recording")
    @gate.held
    def verify() -> dict:
        from surveil.store.store import EventStore
        from surveil.store.verify import verify_store

        # A read-only view is one moment of the store: the running engine's writes during the walk
        # would otherwise read as records changed or missing.
        with EventStore(engine.store.folder, read_only=True) as view:
            return {"folder": str(view.folder), **asdict(verify_store(view))}


def _camera(data: dict) -> CameraConfig:
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as exc:
        raise ChangeRefused(f"not a valid camera: {'; '.join(problems(exc, 'camera'))}") from None


def _change(change) -> dict:
    return {"kind": change.kind, "subject": change.subject, "effects": change.effects, "replaces": change.replaces,
            "message": change.describe()}
