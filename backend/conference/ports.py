"""UDP port pairs for RTP between Janus, the relay's ffmpeg and Janus's streaming plugin, safe across processes.

A port handed out is reserved machine-wide until given back or until the process ends: an exclusive ``flock`` on
``<lock dir>/<port>`` (a lock the kernel drops when the holder dies, so a SIGKILLed backend leaks nothing), and
only after checking by binding that both the port and the RTCP port after it are free right now. Two backends,
or tests running in parallel, with the same range therefore never get the same port, even in the gap between
the hand-out and the moment the relay's ffmpeg binds it.

    pool = PortPool(42000, 42999)        # --conference-rtp-ports
    port = pool.take()                   # even; port and port + 1 free
    pool.give_back(port)
"""
from __future__ import annotations

import fcntl
import os
import socket
import tempfile
from pathlib import Path


class PortError(RuntimeError):
    """No port left in the range; names the range."""


def default_lock_dir() -> Path:
    return Path(tempfile.gettempdir()) / f"cc-udp-ports-{os.getuid()}"


def parse_range(text: str) -> tuple[int, int]:
    """ "42000-42999" → (42000, 42999); ValueError naming the problem."""
    try:
        low, high = (int(x) for x in str(text).split("-", 1))
    except ValueError:
        raise ValueError(f"expected MIN-MAX (e.g. 42000-42999), got {text!r}") from None
    if not 1024 <= low < high <= 65534:
        raise ValueError(f"port range {text!r}: expected 1024 <= MIN < MAX <= 65534")
    return low, high


def _free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


class PortPool:
    """Even UDP ports (RTP; RTCP takes the odd one after) from ``low``–``high``.

    Attributes:
        low, high, host: the range and the address checked.  lock_dir: where the reservations are.
    """

    def __init__(self, low: int = 42000, high: int = 42999, host: str = "127.0.0.1",
                 lock_dir: str | Path | None = None):
        self.low, self.high, self.host = low + (low % 2), high, host
        self.lock_dir = Path(lock_dir) if lock_dir is not None else default_lock_dir()
        self._held: dict[int, int] = {}  # port -> fd of its lock file

    @classmethod
    def from_range(cls, text: str, **kw) -> "PortPool":
        return cls(*parse_range(text), **kw)

    def _reserve(self, port: int) -> int | None:
        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.lock_dir / str(port), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return None
        return fd

    def take(self) -> int:
        for port in range(self.low, self.high, 2):
            if port in self._held:
                continue
            fd = self._reserve(port)
            if fd is None:
                continue  # another process (or pool) holds it
            # on 0.0.0.0 too: ffmpeg's SDP input binds the wildcard address
            if all(_free(h, p) for p in (port, port + 1) for h in (self.host, "0.0.0.0")):
                self._held[port] = fd
                return port
            os.close(fd)
        raise PortError(f"no free even UDP port pair left in {self.low}-{self.high}")

    def give_back(self, port: int) -> None:
        fd = self._held.pop(port, None)
        if fd is not None:
            os.close(fd)

    def close(self) -> None:
        for port in list(self._held):
            self.give_back(port)

    @property
    def held(self) -> list[int]:
        return sorted(self._held)
