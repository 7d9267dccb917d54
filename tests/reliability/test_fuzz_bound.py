"""The property tests' CPU bound (tests/helpers/fuzz.py) fails a costly case and does not charge a case for a
full garbage collection of the whole process."""
from __future__ import annotations

import gc
import time

import pytest

from tests.helpers import fuzz


def _burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


@pytest.fixture
def limit(monkeypatch):
    monkeypatch.setattr(fuzz, "CPU_LIMIT_S", 0.02)  # the real 1 s, scaled down to keep this test cheap
    return 0.02


def test_a_case_over_the_bound_fails_with_what_it_used(limit):
    with pytest.raises(AssertionError, match=r"one case used 0\.\d\d s of CPU \(the limit is 0.02 s"):
        fuzz.cpu_bound(lambda: _burn(3 * limit))()


def test_a_case_under_the_bound_passes_and_returns_its_result(limit):
    assert fuzz.cpu_bound(lambda: _burn(limit / 4) or "done")() == "done"


def test_a_full_collection_inside_a_case_is_not_the_cases(limit):
    heap = [[i] for i in range(400_000)]  # enough objects that one full collection costs more than the bound
    start = time.thread_time()
    gc.collect()
    assert time.thread_time() - start > limit, "a full collection is cheaper than the bound: this proves nothing"

    assert fuzz.cpu_bound(lambda: (gc.collect(2), "collected")[1])() == "collected"
    with pytest.raises(AssertionError, match="full garbage collection beside it not counted"):
        fuzz.cpu_bound(lambda: (gc.collect(2), _burn(3 * limit)))()
    del heap

