"""Per-connection rate limit: a token bucket, and a count of refusals that tells abuse from a burst."""
from __future__ import annotations

import time
from typing import Callable


class TokenBucket:
    """``rate`` frames per second on average, bursts up to ``burst``.

    ``take()`` → True (allowed) or False (refused: answer ``rate_limited``, keep the connection).
    ``abusive``: more than ``abuse_limit`` refusals within ``abuse_window`` seconds (close it).
    """

    def __init__(self, rate: float, burst: float, *, abuse_limit: int = 200, abuse_window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate limit: rate {rate} must be > 0 and burst {burst} >= 1")
        self.rate, self.burst, self.clock = rate, burst, clock
        self.abuse_limit, self.abuse_window = abuse_limit, abuse_window
        self.tokens = burst
        self.refused = 0  # in the current abuse window
        self._last = self._window = clock()

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self._last) * self.rate)
        self._last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        if now - self._window > self.abuse_window:
            self._window, self.refused = now, 0
        self.refused += 1
        return False

    @property
    def abusive(self) -> bool:
        return self.refused > self.abuse_limit
