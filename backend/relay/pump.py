"""Reads every pull's stdout pipe in batches, in a thread of its own: one wakeup serves all cameras.

Why: with 16 cameras at 25 frames/s ffmpeg writes ~400 small chunks a second. Waking the event loop for
each (epoll_wait, a read, the Python dispatch, a send per viewer) cost the relay more CPU than the pulls
themselves, and even batched on the event loop's timers, its per-wakeup work (scheduling, selectors,
handles) cost twice a plain read-and-send loop. So the pump is that loop, in its own thread: it blocks in
its own epoll set of pipe fds; when reads find several pipes with data (many cameras) it sleeps until
``interval`` after that batch, so that the next batch finds a chunk in most pipes: one ``epoll`` and one
``read`` per pipe with data. Data after a quiet spell is read at once (one
camera at 25 frames/s goes out without delay). The relay so adds at most ``interval`` of latency, and only
under load. ffmpeg never waits: the pipes are grown to 1 MiB.

The pump also tells a pipe that went quiet (no data for ``quiet_after`` seconds, checked every
``QUIET_CHECK_S``): it notes when it last read each pipe (one dict store per pipe read), so the event loop need
not wake a few times a second to look for a camera that stopped sending.

Handlers run in the pump's thread with ``LOCK`` held; the event loop takes ``LOCK`` around anything it
shares with them (a channel's viewers, its GOP cache), and must never call asyncio from a handler except
through ``loop.call_soon_threadsafe``.
"""
from __future__ import annotations

import fcntl
import logging
import os
import select
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20
READ_SIZE = 1 << 16  # per read; a pipe with more (a large keyframe, a stall) is read again at once
QUIET_CHECK_S = 0.25  # how often the pump looks for pipes gone quiet (and its longest sleep while it has pipes)
LOCK = threading.RLock()  # held by the pump while it hands a batch out; by the loop around shared state


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


Handler = tuple[Callable[[bytes], None], Callable[[], None], Callable[[], None] | None]


class Pump:
    """``pump.add(fd, on_data, on_eof, on_quiet)`` … ``pump.remove(fd)``, which closes ``fd``. At EOF the pump
    stops watching ``fd`` but leaves it open until its owner removes it (so the number cannot be reused
    meanwhile). ``on_quiet`` is called once when ``fd`` has had no data for ``quiet_after`` seconds (again only
    after data came back). The callbacks run in the pump's thread, with ``LOCK`` held. The thread runs while
    there are fds."""

    def __init__(self, interval_s: float = 0.04, quiet_after_s: float = 1.5):
        self.interval = interval_s
        self.quiet_after = quiet_after_s
        self._ep = select.epoll()
        self._handlers: dict[int, Handler] = {}
        self._seen: dict[int, float] = {}  # fd → when it was last read (or added)
        self._quiet: set[int] = set()  # fds reported quiet, not read since
        self._next_check = 0.0
        self._wake_r, self._wake_w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        self._ep.register(self._wake_r, select.EPOLLIN)
        self._thread: threading.Thread | None = None
        self._closed = False
        self.batches = 0

    def add(self, fd: int, on_data: Callable[[bytes], None], on_eof: Callable[[], None],
            on_quiet: Callable[[], None] | None = None) -> None:
        with LOCK:
            if self._closed:
                raise RuntimeError("pump closed")
            self._handlers[fd] = (on_data, on_eof, on_quiet)
            self._seen[fd] = time.monotonic()
            self._ep.register(fd, select.EPOLLIN)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="relay-pump", daemon=True)
                self._thread.start()

    def remove(self, fd: int) -> None:
        with LOCK:
            if self._handlers.pop(fd, None) is None:
                return
            self._seen.pop(fd, None)
            self._quiet.discard(fd)
            self._unwatch(fd)
            os.close(fd)
            if not self._handlers:
                self._wake()  # the thread ends

    def close(self) -> None:
        with LOCK:
            for fd in list(self._handlers):
                self.remove(fd)
            self._closed = True
            thread = self._thread
            self._wake()
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)
        self._ep.close()
        os.close(self._wake_r)
        os.close(self._wake_w)

    # ---- internals -------------------------------------------------------------------------------
    def _wake(self) -> None:
        try:
            os.write(self._wake_w, b"!")
        except BlockingIOError:
            pass

    def _unwatch(self, fd: int) -> None:
        try:
            self._ep.unregister(fd)
        except (OSError, ValueError):
            pass

    def last_read(self, fd: int) -> float | None:
        """When ``fd`` last gave data (or was added), on ``time.monotonic``; None when not watched."""
        return self._seen.get(fd)

    def _run(self) -> None:
        poll, monotonic, sleep = self._ep.poll, time.monotonic, time.sleep
        while True:
            events = poll(QUIET_CHECK_S)
            last = monotonic()
            with LOCK:
                if self._closed or not self._handlers:
                    self._thread = None
                    return
                busy = self._drain(events, last) if events else 0
                if last >= self._next_check:
                    self._next_check = last + QUIET_CHECK_S
                    self._check_quiet(last)
            if busy >= 2 and self.interval > 0:  # many cameras: let the next batch gather
                sleep(max(0.0, last + self.interval - monotonic()))

    def _check_quiet(self, now: float) -> None:
        limit = now - self.quiet_after
        for fd, seen in self._seen.items():
            if seen < limit and fd not in self._quiet:
                self._quiet.add(fd)
                on_quiet = self._handlers[fd][2]  # add/remove keep _seen's fds among the handlers
                if on_quiet is not None:
                    try:
                        on_quiet()
                    except Exception:
                        log.exception("relay pump: quiet handler of fd %d failed", fd)

    def _drain(self, events: list, now: float) -> int:
        """Read every pipe with data and hand it out; returns how many had some. ``os.read`` makes each chunk
        a bytes object of its own size in one step (a read into a shared buffer and a copy out of it cost a
        third more)."""
        self.batches += 1
        read, size, wake, seen, quiet = os.read, READ_SIZE, self._wake_r, self._seen, self._quiet
        busy = 0
        for fd, _mask in events:
            if fd == wake:
                try:
                    read(wake, 4096)
                except BlockingIOError:
                    pass
                continue
            handler = self._handlers.get(fd)
            if handler is None:  # removed since the poll
                continue
            busy += 1
            seen[fd] = now
            if quiet:
                quiet.discard(fd)
            while handler is not None:
                try:
                    data = read(fd, size)
                except BlockingIOError:
                    break
                except OSError:
                    data = b""
                try:
                    if not data:
                        self._unwatch(fd)
                        seen.pop(fd, None)  # ended, not quiet
                        handler[1]()
                        break
                    handler[0](data)
                except Exception:  # a handler's bug must not stop every camera
                    log.exception("relay pump: handler of fd %d failed", fd)
                if len(data) < size:
                    break
                handler = self._handlers.get(fd)
        return busy


_shared: Pump | None = None


def shared() -> Pump:
    """The process's pump (one for all channels, so one wakeup serves every camera)."""
    global _shared
    with LOCK:
        if _shared is None or _shared._closed:
            _shared = Pump()
        return _shared
