"""The property tests' settings: 10,000 cases each, and no case over 1 s of CPU.

The bound is on a case's own CPU time (its thread's clock), not on the wall clock that Hypothesis's
``deadline`` measures: `make test` runs these tests in a lane that only gets the CPU time the rest of the suite
leaves (scripts/run-tests.sh), where a case can wait for a core longer than it computes. A case over the bound
fails like any other, and Hypothesis shrinks it.

Full (generation 2) garbage collections that fall inside a case are not counted as the case's: they walk every
object of the process, and during a 10,000-case run most of those are Hypothesis's own record of the cases so far
(a trivial 10,000-case test here: 28,000 objects before, 452,000 by its last case, 28,000 after; its worst full
collection took 0.96 s).
Measured on this machine, one such pass inside a trivial case took 0.40 s (CAP bytes), 0.68 s (CAP mutations), and
in a CI run 1.65 s (layout round trip, the fourteenth test of the lane's process). The collections of the young
generations, which the case's own garbage fills, still count.
"""
from __future__ import annotations

import functools
import gc
import threading
import time

from hypothesis import HealthCheck, settings

CPU_LIMIT_S = 1.0
TEN_K = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


class _FullCollections:
    """CPU time each thread has spent in generation-2 collections so far (a ``gc.callbacks`` entry)."""

    def __init__(self) -> None:
        self._total: dict[int, float] = {}
        self._start: dict[int, float] = {}

    def __call__(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        me = threading.get_ident()
        if phase == "start":
            self._start[me] = time.thread_time()
        elif me in self._start:
            self._total[me] = self.total() + time.thread_time() - self._start.pop(me)

    def total(self) -> float:
        """This thread's total."""
        return self._total.get(threading.get_ident(), 0.0)


_full_collections = _FullCollections()
gc.callbacks.append(_full_collections)


def cpu_bound(test):
    """Fail a case that uses more than ``CPU_LIMIT_S`` of its thread's CPU time, full collections aside.
    Goes under ``@given``."""
    @functools.wraps(test)
    def case(*args, **kwargs):
        start, collected = time.thread_time(), _full_collections.total()
        result = test(*args, **kwargs)
        in_gc = _full_collections.total() - collected
        used = time.thread_time() - start - in_gc
        if used > CPU_LIMIT_S:
            raise AssertionError(f"one case used {used:.2f} s of CPU (the limit is {CPU_LIMIT_S:g} s; "
                                 f"{in_gc:.2f} s of full garbage collection beside it not counted)")
        return result
    return case
