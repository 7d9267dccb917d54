"""Helper processes that must not outlive the backend (Janus, the centre's nats-server).

The camera relay is meant to outlive a backend restart (it is adopted); these are not: a SIGKILLed backend
would otherwise leave them holding their ports, and the restarted backend's own copy could not start.
``die_with_parent`` runs in the child between fork and exec and asks Linux to send it SIGTERM when the
backend (the thread that forked it: the event loop's) dies, however it dies.
"""
from __future__ import annotations

import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when its parent dies (Linux only; a no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass
