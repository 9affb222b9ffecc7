"""Exponential backoff with jitter for reconnecting streams."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delays that grow by ``multiplier`` from ``initial`` up to ``maximum``, each jittered.

    Jitter spreads retries so that forty cameras behind one switch that reboots do
    not all knock at the same instant. With ``jitter`` j the delay is drawn from
    [d·(1−j), d] — never longer than the cap, so a countdown shown to the operator holds.
    """

    initial: float
    maximum: float
    multiplier: float = 2.0
    jitter: float = 0.2
    max_attempts: int | None = None
    rng: random.Random = field(default_factory=random.Random)
    attempts: int = 0

    def next_delay(self) -> float | None:
        """Seconds to wait before the next attempt, or None when the attempts are spent."""
        if self.max_attempts is not None and self.attempts >= self.max_attempts:
            return None
        base = min(self.maximum, self.initial * self.multiplier**self.attempts)
        self.attempts += 1
        return base * (1.0 - self.jitter * self.rng.random())

    def reset(self) -> None:
        """Start again from ``initial``: called once a connection has delivered frames."""
        self.attempts = 0
