"""The audit chain: every write, operator change, export and purge, each entry hashing the one before.

Entries go into the same write batch as the change they describe, so a change and its
audit entry land together or not at all.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

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
