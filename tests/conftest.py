"""Suite-wide set-up: widgets render offscreen unless a real X server was given (the video tests)."""
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# Video tests run under Xvfb (`make test` starts it and sets CC_TEST_XVFB=1); everything else offscreen.
if not os.environ.get("CC_TEST_XVFB"):
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_QPA_FONTDIR", "/usr/share/fonts")


def pytest_collection_modifyitems(config, items):
    """Every Hypothesis property test is also marked ``fuzz``: `make test` runs them in a lane of their own,
    on the CPU time the rest of the suite leaves (scripts/run-tests.sh). There a case may wait for a core, so
    a wall-clock ``deadline`` is off: tests/helpers/fuzz.py bounds a case's CPU time instead."""
    import pytest

    for item in items:
        if getattr(getattr(item, "function", None), "is_hypothesis_test", False):
            item.add_marker(pytest.mark.fuzz)


def _terminated(signum, _frame):
    raise KeyboardInterrupt(f"pytest got signal {signum}")


def pytest_configure(config):
    """SIGTERM (a CI job's time limit, a run stopped by hand) unwinds the run like Ctrl-C, so that fixtures and
    ``finally`` blocks stop what the tests started. Python's default for SIGTERM ends the process at once, and a
    backend, relay or broker a test had started kept running (tests/reliability/test_sigterm_cleanup.py)."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminated)
