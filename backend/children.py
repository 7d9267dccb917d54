"""Helper processes that must not outlive the backend (Janus, the centre's nats-server).

The camera relay is meant to outlive a backend restart (it is adopted); these are not: a SIGKILLed backend
would otherwise leave them holding their ports, and the restarted backend's own copy could not start.
``die_with_parent`` runs in the child between fork and exec and asks Linux to send it SIGTERM when the
backend (the thread that forked it: the event loop's) dies, however it dies; Janus gets SIGKILL instead
(``killed_with_parent``: Janus 1.1 may hang for good after logging "Bye!"). A child that still does not end
is ended by the next backend that starts it: the child's pid is kept in a file, and ``end_leftover`` SIGKILLs
it.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """preexec_fn: send this child ``sig`` when its parent dies (Linux only; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def killed_with_parent() -> None:
    """preexec_fn: SIGKILL this child when its parent dies. For Janus, which keeps nothing a graceful stop would
    save, and which may hang on SIGTERM: one did so for two hours after a test's backend was SIGKILLed (the
    next backend never started Janus, so ``end_leftover`` never ran)."""
    die_with_parent(signal.SIGKILL)


def end_leftover(pid_file: Path, marker: str, wait_s: float = 5.0) -> int | None:
    """SIGKILL the process named in ``pid_file`` if it still runs and its command line has ``marker`` as one
    of its arguments (so that a pid reused by another process is left alone); wait until it is dead. Returns
    the pid it ended, else None."""
    try:
        pid = int(pid_file.read_text("ascii").strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError):
        return None
    if marker.encode() not in cmdline:
        return None  # the number was reused by another process, or the child ended
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[-1][:1]
        except OSError:
            break  # gone
        if state == "Z":
            break  # dead; its parent (init, since its backend died) reaps it
        time.sleep(0.05)
    return pid
