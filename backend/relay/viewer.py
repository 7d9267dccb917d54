"""A client of one camera stream in the relay, written to directly by the pump's thread (see Viewer)."""
from __future__ import annotations

import asyncio
import os
import time
from dataclasses import dataclass, field
from typing import Callable


@dataclass(eq=False)
class Viewer:
    """A client receiving one stream. ``done`` is set when it is gone (``reason`` says why).

    The pump's thread writes to it directly (``send``): a TCP viewer through its own duplicate of the socket's
    descriptor (``attach``), so that a number the transport closes is never reused under our writes; a
    multicast sender through its DatagramWriter (``attach_writer``). What the socket cannot take at once
    waits in ``_backlog`` and goes first at the next chunk; a viewer whose backlog passes the limit is too
    slow. The asyncio ``transport`` is only used on the event loop: the HTTP head, reading, closing.
    """

    user: str
    camera: str
    stream: str
    transport: asyncio.WriteTransport | None
    start: float = field(default_factory=time.time)
    bytes: int = 0
    reason: str = ""
    kind: str = "http"  # http | udp (a multicast sender) | rtsp-direct (a direct URL handed out)
    peer: str = ""  # the viewer's IP address, for the audit ("from where")
    done: asyncio.Event = field(default_factory=asyncio.Event)
    _fd: int = -1  # our duplicate of the TCP socket's descriptor
    _write: Callable[[bytes], int] | None = None  # or a writer that takes what it can, returns how much
    _backlog: bytearray = field(default_factory=bytearray)

    def attach(self, sock) -> None:
        """Write to this connected stream socket (non-blocking) directly."""
        self._fd = os.dup(sock.fileno())

    def attach_writer(self, write: Callable[[bytes], int]) -> None:
        self._write = write

    def send(self, data: bytes, limit: int) -> bool:
        """Write ``data`` now, after any backlog; False when this viewer is gone or too slow (``reason``
        says which): the channel then drops it. Called with the pump's LOCK held."""
        if self.reason:
            return False
        if self._backlog:
            if not self._keep(data, limit):
                return False
            data = self._backlog
        try:
            n = os.write(self._fd, data) if self._fd >= 0 else self._write(data) if self._write else 0
        except (BlockingIOError, InterruptedError):
            n = 0
        except OSError:  # the peer is gone (EPIPE, ECONNRESET)
            self.reason = "closed"
            return False
        self.bytes += n
        if data is self._backlog:
            del self._backlog[:n]
        elif n < len(data):
            self._backlog += memoryview(data)[n:]  # the socket is full: the rest goes first next time
        return True

    def lane_fd(self) -> int:
        """The descriptor the pump's C lane may write this viewer's stream to: its socket's, while nothing waits
        in its backlog (else -1: the Python path writes, so that the backlog goes first)."""
        return -1 if self._backlog or self.reason else self._fd

    def fell_behind(self, sent: int, unsent: bytes, err: int, limit: int) -> bool:
        """The C lane wrote ``sent`` bytes and could not write ``unsent`` (``err``: the errno, 0 when the socket
        was full); that becomes the backlog. Like ``send``: False when this viewer is gone or too slow."""
        self.bytes += sent
        if err:
            self.reason = self.reason or "closed"
        return not self.reason and self._keep(unsent, limit)  # gone meanwhile: nothing more to keep

    def _keep(self, data: bytes, limit: int) -> bool:
        """Add ``data`` to the backlog; False (``reason`` "too_slow") when that puts it over ``limit``."""
        self._backlog += data
        if len(self._backlog) > limit:
            self.reason = "too_slow"
            return False
        return True

    def close(self, reason: str) -> None:
        """On the event loop, with the pump's LOCK held: no more writes; ``done`` is set."""
        if not self.reason:
            self.reason = reason
        if not self.done.is_set():
            self.done.set()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self._write = None
        self._backlog.clear()
