"""Freeze a process for a test (SIGSTOP) and know it is frozen."""
import os
import signal
from pathlib import Path

from tests.helpers.wait import wait_until


def _states(pid: int) -> list[str]:
    states = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            stat = (task / "stat").read_text()
        except FileNotFoundError:  # a thread that ended meanwhile
            continue
        states.append(stat.rsplit(")", 1)[1].split()[0])  # the field after "(comm)"
    return states


def freeze(pid: int, timeout: float = 10.0) -> None:
    """SIGSTOP ``pid`` and return once every one of its threads is stopped.

    kill() returns when the signal is queued, not when the process has stopped: one thread takes the signal and
    only then stops the others, which go on running until it has been scheduled. On a loaded machine another
    thread of a multi-threaded server (nats-server) can still answer a request sent right after kill()."""
    os.kill(pid, signal.SIGSTOP)
    wait_until(lambda: all(s in ("T", "t") for s in _states(pid)), timeout, f"process {pid} stopped", 0.005)
