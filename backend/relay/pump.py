"""Reads every pull's stdout pipe in batches: one wakeup serves all cameras, at most once per interval.

Why: with 16 cameras at 25 frames/s ffmpeg writes ~400 small chunks a second. Waking the event loop for
each (epoll_wait, a read, the Python dispatch, a send per viewer) cost the relay more CPU than the pulls
themselves. The pump keeps its own epoll set of pipe fds (not the event loop's), and spaces its reads at
least ``interval`` apart: data that comes more than half of it after the previous read is read at once
(one camera at 25 frames/s goes out without delay); data that comes sooner waits for the next read; and while
reads keep finding several pipes with data (many cameras) the pump stays on a timer, reading whatever all
pipes hold every ``interval``: one ``epoll(0)`` and one ``readv`` per pipe with data, into one
preallocated buffer (no allocation per read). The relay so adds at most ``interval`` of latency, and only
under load. ffmpeg never waits: the pipes are grown to 1 MiB.
"""
from __future__ import annotations

import asyncio
import fcntl
import os
import select
import weakref
from typing import Callable

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20


def make_pipe() -> tuple[int, int]:
    """(read fd, write fd): non-blocking close-on-exec read end, as large as the system allows."""
    r, w = os.pipe2(os.O_CLOEXEC)
    os.set_blocking(r, False)
    for size in (PIPE_SIZE, 256 * 1024):
        try:
            fcntl.fcntl(r, F_SETPIPE_SZ, size)
            break
        except OSError:
            continue
    return r, w


class Pump:
    """``pump.add(fd, on_data, on_eof)`` … ``pump.remove(fd)``, which closes ``fd``. At EOF the pump stops
    watching ``fd`` but leaves it open until its owner removes it (so the number cannot be reused meanwhile)."""

    def __init__(self, interval_s: float = 0.04, bufsize: int = PIPE_SIZE):
        self.interval = interval_s
        self._ep = select.epoll()
        self._handlers: dict[int, tuple[Callable[[bytes], None], Callable[[], None]]] = {}
        self._buf = bytearray(bufsize)
        self._mv = memoryview(self._buf)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watching = False  # the event loop watches our epoll fd (idle mode)
        self._timer: asyncio.TimerHandle | None = None  # busy mode: the next batch
        self._last = float("-inf")  # loop time of the previous read
        self.batches = 0
        self.reads = 0

    def add(self, fd: int, on_data: Callable[[bytes], None], on_eof: Callable[[], None]) -> None:
        self._loop = asyncio.get_running_loop()
        self._ep.register(fd, select.EPOLLIN)
        self._handlers[fd] = (on_data, on_eof)
        if self._timer is None:
            self._watch(True)

    def remove(self, fd: int) -> None:
        if self._handlers.pop(fd, None) is None:
            return
        self._unwatch(fd)
        os.close(fd)
        if not self._handlers:
            self._watch(False)
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    def close(self) -> None:
        for fd in list(self._handlers):
            self.remove(fd)
        self._ep.close()

    # ---- internals -------------------------------------------------------------------------------
    def _unwatch(self, fd: int) -> None:
        try:
            self._ep.unregister(fd)
        except (OSError, ValueError):
            pass

    def _watch(self, on: bool) -> None:
        if on and not self._watching and self._loop is not None:
            self._loop.add_reader(self._ep.fileno(), self._on_ready)
            self._watching = True
        elif not on and self._watching:
            self._loop.remove_reader(self._ep.fileno())
            self._watching = False

    def _on_ready(self) -> None:  # idle mode: some pipe has data
        if self._loop.time() >= self._last + self.interval / 2:
            self._drain()  # reads are sparse enough: at once, and stay in idle mode (half the interval, not
            return         # all of it: else a read delayed once would keep every later one that late)
        self._watch(False)  # too soon after the previous read: wait for its turn
        self._timer = self._loop.call_at(self._last + self.interval, self._on_timer)

    def _on_timer(self) -> None:  # busy mode: stay on the timer while reads find several pipes with data
        self._timer = None
        if self._drain() >= 2 and self.interval > 0:
            self._timer = self._loop.call_at(self._last + self.interval, self._on_timer)
        elif self._handlers:
            self._watch(True)

    def _drain(self) -> int:
        """Read every pipe with data; returns how many had some."""
        events = self._ep.poll(0)
        self._last = self._loop.time()
        self.batches += 1
        for fd, _mask in events:
            while fd in self._handlers:
                on_data, on_eof = self._handlers[fd]
                try:
                    n = os.readv(fd, [self._buf])
                except BlockingIOError:
                    break
                except OSError:
                    n = 0
                self.reads += 1
                if n == 0:
                    self._unwatch(fd)
                    on_eof()
                    break
                on_data(bytes(self._mv[:n]))
                if n < len(self._buf):
                    break
        return len(events)


_shared: "weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Pump]" = weakref.WeakKeyDictionary()


def shared() -> Pump:
    """The running event loop's pump (one for all channels, so one wakeup serves every camera)."""
    loop = asyncio.get_running_loop()
    pump = _shared.get(loop)
    if pump is None:
        pump = _shared[loop] = Pump()
    return pump
