"""The alerts panel's reads and writes, each on a worker: stored alerts and thumbnails in, the operator's marks out.

A mixin of ``AlertsPanel``: a link may be a service answering over HTTP, so nothing here runs on
the GUI thread; rows change once the link has taken a mark.
"""

from __future__ import annotations

import logging

from surveil.store.db import StoreError
from surveil.store.query import EventFilter
from ui.review_triage import TRIAGE
from ui.worker import Job

logger = logging.getLogger(__name__)


class AlertJobs:
    """Reads the unacknowledged alerts and their thumbnails, and stores marks, through a link."""

    def load_stored(self, link, limit: int = 200) -> Job:
        """Read the unacknowledged alerts off the GUI thread, list them, then fetch their thumbnails."""
        self.link = link
        job = Job(lambda _job: link.events(EventFilter(states=["new"]), limit=limit)[0], self)
        job.done.connect(lambda stored: self._load_thumbnails(link, self.add_stored(stored)))
        job.failed.connect(lambda why: logger.warning("could not read the stored alerts: %s", why))
        return job.start()

    def _load_thumbnails(self, link, event_ids: list[str]) -> None:
        def read(job: Job) -> list[tuple[str, bytes | None]]:
            out = []
            for i, event_id in enumerate(event_ids):
                job.progress(i, len(event_ids))  # cancellable between two reads
                out.append((event_id, link.thumbnail("e", event_id)))
            return out

        job = Job(read, self)
        job.done.connect(lambda pairs: [self.set_thumbnail(event_id, jpeg) for event_id, jpeg in pairs])
        job.start()

    def act_on(self, link, event_id: str, what: str, text: str = "") -> Job:
        """Store an ``action`` (acknowledge, false_alarm, correct, lock, unlock, or a note ``text``) on a worker."""
        return self.mark(link, [event_id], TRIAGE.get(what, {"note": text}))

    def mark(self, link, event_ids: list[str], changes: dict) -> Job:
        """``link.mark_event(id, **changes)`` for each alert on a worker (a service answers over HTTP)."""
        def work(job: Job) -> tuple[dict, list[str], list[str]]:
            marked, refused = [], []
            for i, event_id in enumerate(event_ids):
                if i:  # never cancelled before the first: closing the window keeps a click's mark
                    job.progress(i, len(event_ids))
                try:
                    link.mark_event(event_id, **changes)
                except (ValueError, KeyError, OSError, StoreError) as exc:  # refused, or the store failed: say which
                    refused.append(f"{event_id}: {exc}")
                else:
                    marked.append(event_id)
            return changes, marked, refused

        job = Job(work, self)
        job.done.connect(self._marked)
        job.failed.connect(lambda why: self._say(f"could not save: {why}", alarm=True))
        if len(event_ids) > 1:
            self._say(f"marking {len(event_ids)} alerts…")
        self.job = job
        return job.start()

    def _marked(self, answer: tuple[dict, list[str], list[str]]) -> None:
        changes, marked, refused = answer
        for event_id in marked:
            self.apply(event_id, changes)
        if refused:
            logger.warning("marks refused: %s", refused)
            self._say(f"could not save {len(refused)} of {len(refused) + len(marked)}: {refused[0]}", alarm=True)
        elif len(marked) > 1:
            self._say(f"{'acknowledged' if changes == {'acknowledged': True} else 'marked'} {len(marked)} alerts")
        else:
            self._say("")
