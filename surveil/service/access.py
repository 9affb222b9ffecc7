"""How a CLI command reaches the store: through the running engine's API, or by opening the store itself.

Both answer with the same JSON-ready dicts (the API's own forms), so a command prints the same
lines either way. ``open_access`` picks: an engine serving the store wins; with none, the store
is opened here (read-only for reads; for writing, which StoreInUse refuses while another process
holds it without serving).
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from surveil.config import SurveilConfig
from surveil.paths import AppPaths
from surveil.service import queries
from surveil.service.client import ApiClient
from surveil.service.queries import QueryError, filter_from

logger = logging.getLogger(__name__)


class DirectAccess:
    """The store opened by this process (no engine runs)."""

    via = "store"

    def __init__(self, folder: Path, config: SurveilConfig, paths: AppPaths, write: bool):
        from surveil.store.store import EventStore

        self.config, self.paths, self.folder = config, paths, folder
        # A fresh install has no store yet: that means no events, not an error (and reading makes none).
        self.store = EventStore(folder, read_only=not write) if (folder / "CURRENT").exists() else None

    def close(self) -> None:
        """Close the store."""
        if self.store is not None:
            self.store.close()

    @property
    def empty(self) -> str | None:
        """Why there is nothing to read, or None."""
        return None if self.store is not None else (
            f"no events yet: the store at {self.folder} is made when the engine first runs "
            "(`surveil run` or `surveil demo`)")

    def events(self, flt: dict, limit: int, before: str | None) -> dict:
        """A page of event rows and the next cursor."""
        from surveil.store.query import list_events

        if self.store is None:
            filter_from(flt)  # a bad filter is still refused
            return {"events": [], "next": None, "note": self.empty}
        page, cursor = list_events(self.store, filter_from(flt), limit, before)
        return {"events": [queries.event_row(r, s) for r, s in page], "next": cursor}

    def per_hour(self, flt: dict) -> dict[int, int]:
        """Events per hour."""
        from surveil.store.query import counts_per_hour

        return counts_per_hour(self.store, filter_from(flt)) if self.store is not None else {}

    def search(self, flt: dict, text: str | None, like_object: str | None, k: int) -> list[dict]:
        """Search hits (text needs CLIP, loaded here)."""
        if self.store is None:
            raise QueryError(self.empty)
        encoder = None
        if text is not None:
            from surveil.vision.clip import load_encoder_or_reason

            encoder, reason = load_encoder_or_reason(self.config.models.clip, self.paths.model_cache_dir)
            if encoder is None:
                raise QueryError(f"text search needs CLIP, which is unavailable: {reason}. "
                                 "--similar OBJECT_ID works without it.")
        hits = queries.search_objects(self.store, encoder, filter_from(flt), text=text, like_object=like_object, k=k)
        return [queries.hit_json(h) for h in hits]

    def mark(self, event_id: str, **changes) -> dict:
        """Triage, stored and audited here."""
        if self.store is None:
            raise QueryError(f"no event '{event_id}': {self.empty}")
        queries.mark_in_store(self.store, event_id, **changes)
        return {"event_id": event_id, "state": asdict(self.store.get_state(event_id))}

    def export(self, out: Path, events: list[str], flt: dict, ranges: list[dict], progress=None) -> dict:
        """Export into a new folder or zip."""
        from surveil.media.export import TimeRange

        if self.store is None:
            raise QueryError(f"nothing to export: {self.empty}")
        spans = [TimeRange(r["camera_id"], r["start"], r["end"]) for r in ranges]
        return queries.export_json(queries.export_package(self.store, self.config, out, events, filter_from(flt),
                                                          spans, progress))

    def verify(self) -> dict:
        """The store's verification report."""
        from surveil.store.verify import verify_store

        if self.store is None:
            raise QueryError(f"nothing to verify: {self.empty}")
        return {"folder": str(self.store.folder), **asdict(verify_store(self.store))}


class ServiceAccess:
    """The running engine's API."""

    via = "engine"

    def __init__(self, client: ApiClient):
        self.client = client

    def close(self) -> None:
        """Close the connections."""
        self.client.close()

    def events(self, flt: dict, limit: int, before: str | None) -> dict:
        """A page of event rows and the next cursor."""
        return self.client.post("/api/events/list", flt, params={"limit": limit, **({"before": before} if before
                                                                                    else {})})

    def per_hour(self, flt: dict) -> dict[int, int]:
        """Events per hour."""
        return {int(k): v for k, v in self.client.post("/api/events/per-hour", flt).items()}

    def search(self, flt: dict, text: str | None, like_object: str | None, k: int) -> list[dict]:
        """Search hits (text searched with the engine's CLIP)."""
        data = self.client.post("/api/search", {"text": text, "like_object": like_object, "k": k, "filter": flt})
        return [{key: h[key] for key in ("object_id", "score", "camera", "label", "start", "events")}
                for h in data["hits"]]

    def mark(self, event_id: str, **changes) -> dict:
        """Triage through the engine (which also teaches the rule)."""
        try:
            return self.client.post(f"/api/events/{quote(event_id, safe='')}/mark", changes, command=True)
        except ValueError as exc:
            raise QueryError(str(exc)) from None

    def export(self, out: Path, events: list[str], flt: dict, ranges: list[dict], progress=None) -> dict:
        """Export, written by the engine (same machine) into ``out``."""
        return self.client.post("/api/exports", {"out": str(Path(out).resolve()), "events": events, "filter": flt,
                                                 "ranges": ranges}, timeout=None)

    def verify(self) -> dict:
        """The store's verification report, made by the engine."""
        return self.client.post("/api/verify", timeout=None)


@contextmanager
def open_access(folder: Path, config: SurveilConfig, paths: AppPaths, write: bool = False):
    """The engine serving ``folder`` if there is one, else the store itself; closed on exit."""
    client = ApiClient.for_store(folder, paths.config_dir)
    access = ServiceAccess(client) if client is not None else DirectAccess(folder, config, paths, write)
    logger.info("answering through the %s", access.via)
    try:
        yield access
    finally:
        access.close()
