"""The reconnect back-off schedule: start 0.2 s, doubling, jittered, capped at 5 s, reset after a stable link."""
import random

import pytest

from backend_client.client import Backoff


def schedule(backoff: Backoff, n: int) -> list[float]:
    return [backoff.next() for _ in range(n)]


def test_starts_at_0_2_s_doubles_and_caps_at_5_s():
    b = Backoff(rng=random.Random(1))
    delays = schedule(b, 12)
    nominal = [min(5.0, 0.2 * 2 ** i) for i in range(12)]
    for d, nom in zip(delays, nominal):
        assert nom * 0.8 <= d <= min(5.0, nom * 1.2)
    assert 0.16 <= delays[0] <= 0.24
    assert max(delays) <= 5.0
    assert all(d >= 4.0 for d in delays[6:])  # 0.2·2^5 = 6.4 → capped: reached after a few failures


def test_reset_returns_to_the_start():
    b = Backoff(rng=random.Random(2))
    schedule(b, 8)
    assert b.nominal() == 5.0
    b.reset()
    assert b.failures == 0
    assert 0.16 <= b.next() <= 0.24


def test_jitter_spreads_clients_apart():
    firsts = {round(Backoff(rng=random.Random(seed)).next(), 6) for seed in range(20)}
    assert len(firsts) > 10  # 20 clients restarting together do not retry in lock-step
    same = [schedule(Backoff(rng=random.Random(7)), 6) for _ in range(2)]
    assert same[0] == same[1]  # reproducible with a seeded rng


@pytest.mark.parametrize("kwargs", [{"start": 0}, {"start": 6, "cap": 5}, {"factor": 0.5}, {"jitter": 1.5}])
def test_bad_parameters_are_refused(kwargs):
    with pytest.raises(ValueError, match="bad back-off"):
        Backoff(**kwargs)
