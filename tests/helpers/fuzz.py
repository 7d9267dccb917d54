"""The property tests' settings: 10,000 cases each, and no case over 1 s of CPU.

The bound is on a case's own CPU time (its thread's clock), not on the wall clock that Hypothesis's
``deadline`` measures: `make test` runs these tests in a lane that only gets the CPU time the rest of the suite
leaves (scripts/run-tests.sh), where a case can wait for a core longer than it computes. A case over the bound
fails like any other, and Hypothesis shrinks it.
"""
from __future__ import annotations

import functools
import time

from hypothesis import HealthCheck, settings

CPU_LIMIT_S = 1.0
TEN_K = settings(max_examples=10_000, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)


def cpu_bound(test):
    """Fail a case that uses more than ``CPU_LIMIT_S`` of its thread's CPU time. Goes under ``@given``."""
    @functools.wraps(test)
    def case(*args, **kwargs):
        start = time.thread_time()
        result = test(*args, **kwargs)
        used = time.thread_time() - start
        if used > CPU_LIMIT_S:
            raise AssertionError(f"one case used {used:.2f} s of CPU (the limit is {CPU_LIMIT_S:g} s)")
        return result
    return case
