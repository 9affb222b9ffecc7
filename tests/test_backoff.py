import random

import pytest

from surveil.capture.backoff import Backoff


def test_delays_grow_by_the_multiplier_up_to_the_cap_without_jitter():
    backoff = Backoff(initial=1, maximum=10, multiplier=2, jitter=0)
    assert [backoff.next_delay() for _ in range(6)] == [1, 2, 4, 8, 10, 10]


def test_jitter_stays_inside_its_band_and_varies():
    backoff = Backoff(initial=4, maximum=4, jitter=0.25, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(200)]
    assert all(3.0 <= d <= 4.0 for d in delays)
    assert max(delays) - min(delays) > 0.5, "jitter must spread retries"


def test_attempts_run_out_and_reset_starts_over():
    backoff = Backoff(initial=1, maximum=8, jitter=0, max_attempts=3)
    assert [backoff.next_delay() for _ in range(4)] == [1, 2, 4, None]
    backoff.reset()
    assert backoff.next_delay() == 1


@pytest.mark.parametrize("seed", range(5))
def test_jitter_never_exceeds_the_cap(seed):
    backoff = Backoff(initial=0.5, maximum=3, jitter=1.0, rng=random.Random(seed))
    assert all(0 <= backoff.next_delay() <= 3 for _ in range(50))
