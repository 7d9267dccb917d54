"""Tour timing as plain data: which item a tour shows at a given time, with pause and resume (no Qt, no clock)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TourClock:
    """A tour of ``items`` entries, ``dwell`` seconds each, started at ``start`` (any monotonic clock).

    Paused time does not count: after resume the tour goes on where it stopped.

    Attributes:
        items, dwell, start: as given.  paused_at: when pause() was called, None while running.
        held: seconds spent paused before the current run.
    """

    items: int
    dwell: float
    start: float
    paused_at: float | None = None
    held: float = 0.0

    def __post_init__(self) -> None:
        if self.items < 1 or not self.dwell > 0:
            raise ValueError(f"a tour needs at least one item and a dwell > 0, got {self.items}, {self.dwell}")

    @property
    def paused(self) -> bool:
        return self.paused_at is not None

    def elapsed(self, now: float) -> float:
        """Running time (pauses left out)."""
        end = self.paused_at if self.paused_at is not None else now
        return max(0.0, end - self.start - self.held)

    def index(self, now: float) -> int:
        return int(self.elapsed(now) // self.dwell) % self.items

    def until_next(self, now: float) -> float | None:
        """Seconds until the next item (None while paused)."""
        if self.paused:
            return None
        return self.dwell - (self.elapsed(now) % self.dwell)

    def pause(self, now: float) -> None:
        if self.paused_at is None:
            self.paused_at = now

    def resume(self, now: float) -> None:
        if self.paused_at is not None:
            self.held += max(0.0, now - self.paused_at)
            self.paused_at = None
