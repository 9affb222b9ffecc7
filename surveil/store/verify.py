"""``surveil verify``: walk the audit chain, compare its head with the signed checkpoint, then check every stored byte.

Each real problem is reported once. Where the chain itself is damaged (a broken link, missing
entries), records that merely disagree with what is left of it are consequences, not news:
they are counted on the chain's own line instead of one line each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from surveil import signing
from surveil.hashing import file_sha256, sha256
from surveil.paths import app_paths
from surveil.store.audit import GENESIS, AuditEntry, CheckpointError, checkpoint_path, read_checkpoint
from surveil.store.layout import APPEARANCE, EMBEDDINGS, THUMBNAILS
from surveil.store.reads import RECORD_FAMILIES
from surveil.store.records import EventRecord, SegmentRecord, decode
from surveil.store.store import EventStore

BLOBS = {THUMBNAILS: "thumbnail", EMBEDDINGS: "embedding", APPEARANCE: "appearance"}
# Why a stored item disagrees with the chain; consequences, not news, where the chain itself is damaged.
_CHANGED, _UNVOUCHED, _ORPHAN = "changed after it was written", "in no audit entry", "of no audited record"
KIND_LETTER = {"event": "e", "object": "o"}
_EXAMPLES = 3


@dataclass
class VerifyReport:
    """What was checked, the problems (each once, the chain's first) and notes that are not problems."""

    entries: int = 0
    records: int = 0
    clips: int = 0
    segments: int = 0
    blobs: int = 0  # thumbnails and embeddings checked against their audited sha256
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is broken."""
        return not self.problems


@dataclass
class _Chain:
    """What the walk learnt: the latest audited digest of each record and blob, and where the chain is damaged."""

    last_seq: int = -1
    hashes: dict[int, str] = field(default_factory=dict)  # only the seq the checkpoint names
    latest: dict[tuple[str, str], tuple[int, str | None]] = field(default_factory=dict)  # (action, id): (seq, digest)
    blobs: dict[tuple[str, bytes], tuple[int, str]] = field(default_factory=dict)  # (family, key): (seq, digest)
    purged: dict[str, int] = field(default_factory=dict)  # id: seq of its purge
    damage: list[str] = field(default_factory=list)

    def vouched(self, action: str, subject: str) -> tuple[int, str | None] | None:
        """The latest audited (seq, digest) of a record that was not purged after it, else None."""
        found = self.latest.get((action, subject))
        return found if found and self.purged.get(subject, -1) < found[0] else None


def verify_store(store: EventStore, own_fingerprint: str | None = None) -> VerifyReport:
    """Check every chain link, the chain's head against the checkpoint, every record, thumbnail, embedding and file.

    ``own_fingerprint``: this installation's key (default: read from the config folder, never
    made), to say whether it signed the checkpoint. Reads only: a store on read-only media
    (opened with ``read_only=True``) can be verified.
    """
    own_fingerprint = own_fingerprint or signing.existing_fingerprint(app_paths().config_dir)
    report, derived = VerifyReport(), []
    checkpoint = _read_checkpoint(store, report)
    chain = _walk(store, report, checkpoint.seq if checkpoint else None)
    if checkpoint is not None:
        _compare_head(chain, checkpoint, own_fingerprint, report)
    _check_records(store, chain, report, derived)
    _check_blobs(store, chain, report, derived)
    if derived and chain.damage:
        chain.damage[0] += (f"; what is left of it no longer vouches for {_count(len(derived), 'stored item')}: "
                            + _examples([f"{what} ({why})" for why, what in derived]))
    elif derived:
        report.problems += _render(derived)
    report.problems[:0] = chain.damage
    return report


def _read_checkpoint(store: EventStore, report: VerifyReport):
    try:
        checkpoint = read_checkpoint(store.folder)
    except CheckpointError as exc:
        report.problems.append(f"the audit checkpoint {checkpoint_path(store.folder)} {exc}")
        return None
    if checkpoint is None:
        if store.checkpoint_expected():
            report.problems.append(f"the audit checkpoint {checkpoint_path(store.folder)} is missing (this store "
                                   "kept one): the newest entries may have been cut")
        else:
            report.notes.append("no audit checkpoint yet (it is written when the store is next opened for "
                                "writing): a cut of the newest audit entries cannot be detected")
    return checkpoint


def _walk(store: EventStore, report: VerifyReport, checkpoint_seq: int | None) -> _Chain:
    chain, prev, expected = _Chain(), GENESIS, 0
    for entry in store.audit_entries():
        report.entries += 1
        intact = entry.hash == entry.expected_hash()
        if entry.seq > expected:
            gone = f" #{expected} is" if entry.seq == expected + 1 else f"s #{expected} to #{entry.seq - 1} are"
            chain.damage.append(f"audit entry{gone} missing: the chain breaks here")
        elif entry.seq < expected or not intact:
            chain.damage.append(f"audit entry {entry.seq} ({entry.action} {entry.subject}) is altered or out of "
                                "order: the chain breaks here")
        elif entry.prev != prev:
            chain.damage.append(f"audit entry {entry.seq} does not link to entry {entry.seq - 1}: that entry was "
                                "rewritten or replaced")
        prev, expected, chain.last_seq = entry.hash, entry.seq + 1, entry.seq
        if entry.seq == checkpoint_seq:
            chain.hashes[entry.seq] = entry.hash
        if intact:
            _learn(chain, entry)
    return chain


def _learn(chain: _Chain, entry: AuditEntry) -> None:
    if entry.action == "purge":
        chain.purged.update(dict.fromkeys(entry.detail.get("ids", []), entry.seq))
    elif entry.action in RECORD_FAMILIES:
        chain.latest[(entry.action, entry.subject)] = (entry.seq, entry.digest)
        letter = KIND_LETTER.get(entry.action)
        for family, name in BLOBS.items():
            if letter and f"{name}_sha256" in entry.detail:
                key = (family, (letter + entry.subject).encode())
                chain.blobs[key] = (entry.seq, entry.detail[f"{name}_sha256"])


def _compare_head(chain: _Chain, checkpoint, own_fingerprint: str | None, report: VerifyReport) -> None:
    if checkpoint.seq > chain.last_seq:
        chain.damage.insert(0, f"the newest {checkpoint.seq - chain.last_seq} audit entries are missing (chain ends "
                               f"at #{chain.last_seq}, checkpoint says #{checkpoint.seq})")
    elif checkpoint.seq >= 0 and chain.hashes.get(checkpoint.seq) != checkpoint.hash:
        chain.damage.insert(0, f"audit entry #{checkpoint.seq} is not the one the checkpoint signed: the chain was "
                               "rewritten from there on")
    if own_fingerprint and checkpoint.fingerprint != own_fingerprint:
        report.notes.append(f"the audit checkpoint was signed by key {checkpoint.fingerprint}, not by this "
                            f"installation's ({own_fingerprint}): if the store was made here, it was replaced")


def _check_records(store: EventStore, chain: _Chain, report: VerifyReport, derived: list) -> None:
    seen = set()
    for action, family in RECORD_FAMILIES.items():
        for key, data in store.raw_items(family):
            subject = key.decode()
            seen.add((action, subject))
            vouched = chain.vouched(action, subject)
            if vouched is None:
                derived.append((_UNVOUCHED, f"{action} {subject}"))
                continue
            report.records += 1
            if sha256(data) != vouched[1]:
                derived.append((_CHANGED, f"{action} {subject}"))
            elif action == "event":
                _check_clip(decode(EventRecord, data), report)
            elif action == "segment":
                _check_segment(decode(SegmentRecord, data), report)
    for action, subject in chain.latest:
        if (action, subject) not in seen and chain.vouched(action, subject):
            report.problems.append(f"{action} {subject} is in the audit chain but missing from the store")


def _check_blobs(store: EventStore, chain: _Chain, report: VerifyReport, derived: list) -> None:
    uncovered, seen = 0, set()
    for family, name in BLOBS.items():
        for key, data in store.raw_items(family):
            seen.add((family, key))
            action, subject = _owner(key)
            what, audited = f"{name} of {action} {subject}", chain.blobs.get((family, key))
            if chain.vouched(action, subject) is None:
                derived.append((_ORPHAN, what))
            elif audited is None or chain.purged.get(subject, -1) > audited[0]:
                uncovered += 1
            elif sha256(data) != audited[1]:
                derived.append((_CHANGED, what))
            else:
                report.blobs += 1
    for (family, key), (seq, _) in chain.blobs.items():
        action, subject = _owner(key)
        if (family, key) not in seen and chain.purged.get(subject, -1) < seq:
            report.problems.append(f"{BLOBS[family]} of {action} {subject} is in the audit chain but missing from "
                                   "the store")
    if uncovered:
        report.notes.append(f"{uncovered} thumbnails or embeddings were written before their sha256 went into the "
                            "audit chain: not covered")


def _owner(key: bytes) -> tuple[str, str]:
    """The record a thumbnail or embedding key belongs to: ``e<id>`` an event, ``o<id>`` an object."""
    return ("event" if key[:1] == b"e" else "object"), key[1:].decode()


def _check_segment(segment: SegmentRecord, report: VerifyReport) -> None:
    if segment.kind == "segment" and segment.path:
        report.segments += 1
        _check_file(report, f"recording of {segment.camera_id}", Path(segment.path), segment.sha256)


def _check_clip(event: EventRecord, report: VerifyReport) -> None:
    if event.clip_path and event.clip_sha256:
        report.clips += 1
        _check_file(report, f"clip of event {event.event_id}", Path(event.clip_path), event.clip_sha256)


def _check_file(report: VerifyReport, what: str, path: Path, digest: str | None) -> None:
    if not path.is_file():
        report.problems.append(f"{what} is missing: {path}")
    elif file_sha256(path) != digest:
        report.problems.append(f"{what} was altered: {path} (sha256 mismatch)")


def _render(derived: list[tuple[str, str]]) -> list[str]:
    """Problem lines: one per changed item; planted records and orphaned blobs one line each kind."""
    lines = [f"{what} was changed after it was written (digest mismatch)" for why, what in derived if why == _CHANGED]
    for why, line in ((_UNVOUCHED, "{} in the store but in no audit entry: {}"),
                      (_ORPHAN, "{} of no audited record in the store: {}")):
        items = [what for kind, what in derived if kind == why]
        if items:
            noun = "record" if why == _UNVOUCHED else "thumbnail or embedding"
            lines.append(line.format(_count(len(items), noun), _examples(items)))
    return lines


def _count(n: int, noun: str) -> str:
    """``1 record``, ``2 records``; ``thumbnail or embedding`` takes its plural on both nouns."""
    return f"{n} {noun}" if n == 1 else f"{n} " + " or ".join(word + "s" for word in noun.split(" or "))


def _examples(items: list[str]) -> str:
    more = f", and {len(items) - _EXAMPLES} more" if len(items) > _EXAMPLES else ""
    return ", ".join(items[:_EXAMPLES]) + more

