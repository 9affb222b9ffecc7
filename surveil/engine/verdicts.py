"""Operator verdicts: stored with the event's operator state, and learned again by the rules at every start.

A verdict ("correct" or "false alarm") on an event with a crop embedding becomes one example
of its rule. The store keeps the verdict (audited, in the operator state); the embedding is
the event's own, so nothing else needs keeping for a rule's lessons to survive a restart.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from surveil.engine.changes import ChangeRefused
from surveil.rules.engine import RuleEngine
from surveil.store.store import EventStore

logger = logging.getLogger(__name__)

VERDICTS = ("false_alarm", "correct")


@dataclass(frozen=True)
class Verdict:
    """An operator's change to one event, and what a rule can learn from it."""

    event_id: str
    rule: str
    camera_id: str
    changes: dict
    embedding: np.ndarray | None
    appearance: tuple[str, np.ndarray] | None = None  # (model tag, vector)

    @property
    def correct(self) -> bool:
        """Whether the verdict says the rule was right."""
        return self.changes.get("verdict") == "correct"

    def describe(self) -> str:
        """One line: what changed."""
        return ", ".join(f"{k} {v}" for k, v in self.changes.items())


def record_verdict(store: EventStore, event_id: str, verdict: str | None, acknowledged: bool | None,
                   note: str | None, locked: bool | None = None) -> Verdict:
    """Store an operator's decision on an event (audited); raises ChangeRefused for bad input.

    A locked event (and the recording around it) is kept by retention until it is unlocked.
    """
    if verdict not in (None, *VERDICTS):
        raise ChangeRefused(f"unknown verdict '{verdict}': use false_alarm or correct")
    changes = {k: v for k, v in (("verdict", verdict), ("acknowledged", acknowledged), ("note", note),
                                 ("locked", locked)) if v is not None}
    if not changes:
        raise ChangeRefused("nothing to record: give a verdict, an acknowledgement, a note or a lock")
    if note is not None and not note.strip():
        raise ChangeRefused("an empty note: write something")
    record = store.get_event(event_id)
    if record is None:
        raise ChangeRefused(f"no event '{event_id}' in the store")
    store.set_state(event_id, **changes)
    return Verdict(event_id, record.rule, record.camera_id, changes, store.embedding("e", event_id),
                   store.appearance("e", event_id))


def learn_stored_verdicts(store: EventStore, rules: RuleEngine, appearance_tag: str | None = None) -> int:
    """At start: every stored verdict with a vector (CLIP's, or the running appearance model's) is relearned."""
    learned = 0
    for event_id, state in store.states():
        if state.verdict not in VERDICTS:
            continue
        record, embedding, look = store.get_event(event_id), store.embedding("e", event_id), None
        tagged = store.appearance("e", event_id)
        if tagged is not None and tagged[0] == appearance_tag:
            look = tagged[1]
        if record is not None and (embedding is not None or look is not None):
            rules.learn(record.rule, embedding, state.verdict == "correct", key=event_id, appearance=look)
            learned += 1
    if learned:
        logger.info("relearned %d operator verdict(s) from the store", learned)
    return learned
