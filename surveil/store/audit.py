"""The audit chain: every write, operator change, export and purge, each entry hashing the one before.

Entries go into the same write batch as the change they describe, so a change and its
audit entry land together or not at all. A chain checks itself link by link, but a cut
of its newest entries leaves a shorter chain that is still whole: the checkpoint (the
head, signed with this installation's key, rewritten after every committed batch) is
what shows such a cut.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from surveil import signing
from surveil.paths import app_paths
from surveil.signing import Signer

logger = logging.getLogger(__name__)

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """One link: what happened to which subject, the digest of its bytes, and the chain hashes."""

    seq: int
    time: float
    action: str
    subject: str
    digest: str | None
    detail: dict = field(default_factory=dict)
    prev: str = GENESIS
    hash: str = ""

    def expected_hash(self) -> str:
        """The hash this entry must carry: sha256 over its content and the previous hash."""
        body = asdict(self)
        body.pop("hash")
        return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    def encode(self) -> bytes:
        """Canonical JSON."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, data: bytes) -> AuditEntry:
        """From canonical JSON."""
        return cls(**json.loads(data))


class ChainHead:
    """The last sequence number and hash; the next entry links to it."""

    def __init__(self, seq: int = -1, hash_: str = GENESIS):
        self.seq, self.hash = seq, hash_

    def next_entry(self, time: float, action: str, subject: str, digest: str | None, detail: dict) -> AuditEntry:
        """Build the next entry (not yet committed: call ``advance`` once it is written)."""
        entry = AuditEntry(self.seq + 1, time, action, subject, digest, detail, self.hash)
        return AuditEntry(**{**asdict(entry), "hash": entry.expected_hash()})

    def advance(self, entry: AuditEntry) -> None:
        """The entry was written: it is the new head."""
        self.seq, self.hash = entry.seq, entry.hash


# -- the checkpoint: the chain head, signed, so a cut of the newest entries shows -------------

CHECKPOINT_FILE = "audit-checkpoint.json"


class CheckpointError(Exception):
    """The checkpoint file is there but cannot be trusted; the message says why."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain head as it was after a committed batch, and the key that signed it."""

    seq: int
    hash: str
    time: float
    fingerprint: str


def checkpoint_path(folder: Path) -> Path:
    """Where a store keeps its checkpoint: in its own folder, so it travels with the store."""
    return Path(folder) / CHECKPOINT_FILE


def write_checkpoint(folder: Path, head: ChainHead, signer: Signer) -> None:
    """Sign the head and put it in place atomically (a temporary file, synced, then renamed)."""
    body = {"seq": head.seq, "hash": head.hash, "time": time.time()}
    document = {"head": body, "signature": base64.b64encode(signer.sign(_canonical(body))).decode(),
                "public_key": signer.public_pem.decode(), "fingerprint": signer.fingerprint}
    path = checkpoint_path(folder)
    temp = path.with_name(f".{path.name}.tmp")
    with open(temp, "wb") as handle:
        handle.write(json.dumps(document, indent=1).encode())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)


def read_checkpoint(folder: Path) -> Checkpoint | None:
    """The signed head, None where there is no checkpoint; CheckpointError when it is garbled or its signature fails."""
    path = checkpoint_path(folder)
    try:
        document = json.loads(path.read_bytes())
        body, public = document["head"], document["public_key"].encode()
        signature = base64.b64decode(document["signature"], validate=True)
        checkpoint = Checkpoint(int(body["seq"]), str(body["hash"]), float(body["time"]), signing.fingerprint(public))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, signing.SigningError) as exc:
        raise CheckpointError(f"is garbled ({exc.__class__.__name__}: {exc})") from None
    if not signing.verify(public, _canonical(body), signature):
        raise CheckpointError("does not match its signature (edited after it was signed)")
    return checkpoint


def checkpoint_conflict(folder: Path, hash_at: Callable[[int], str | None], expected: bool) -> str | None:
    """Why a writer must not renew the checkpoint (a new one would hide a cut or a rewrite), or None.

    ``hash_at(seq)`` is the hash of entry ``seq`` in the chain as it is, None where there is none;
    ``expected``: the store has kept a checkpoint before.
    """
    path = checkpoint_path(folder)
    try:
        checkpoint = read_checkpoint(folder)
    except CheckpointError as exc:
        return f"the audit checkpoint {path} {exc}"
    if checkpoint is None:
        return f"the audit checkpoint {path} is missing" if expected else None
    if hash_at(checkpoint.seq) != checkpoint.hash:
        return (f"the audit checkpoint {path} names entry #{checkpoint.seq}, which the chain no longer holds as "
                "signed: entries were cut or rewritten")
    return None


class Checkpointer:
    """Signs the chain head into the checkpoint after each committed batch, unless the one there is evidence."""

    def __init__(self, folder: Path, signer: Signer | None = None):
        self.folder, self.signer, self.on = Path(folder), signer, False

    def start(self, head: ChainHead, hash_at: Callable[[int], str | None], expected: bool) -> bool:
        """Check the checkpoint against the chain (see ``checkpoint_conflict``) and start keeping it.

        Returns True when there is a checkpoint to keep (one is written now where there was none):
        the caller then marks the store as one that keeps it (``expected`` from then on).
        """
        try:
            self.signer = self.signer or signing.load_or_create(app_paths().config_dir)
        except signing.SigningError as exc:
            logger.error("no audit checkpoints for %s: %s", self.folder, exc)
            return False
        conflict = checkpoint_conflict(self.folder, hash_at, expected)
        if conflict:  # writing over it would hide the cut: it stays, and verify keeps reporting it
            logger.error("%s; no new checkpoint is written over it (see `surveil verify`)", conflict)
            return False
        self.on = True
        if not checkpoint_path(self.folder).exists():
            self.write(head)
        return checkpoint_path(self.folder).exists()

    def write(self, head: ChainHead) -> None:
        """The batch is committed: sign its head. A failure is logged (a stale checkpoint only narrows what shows)."""
        if self.on:
            try:
                write_checkpoint(self.folder, head, self.signer)
            except OSError as exc:
                logger.warning("cannot write the audit checkpoint of %s: %s", self.folder, exc)


def _canonical(body: dict) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
