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

The pump also tells a pipe that went quiet (no data for ``quiet_after`` seconds): it notes when it last read each
pipe (one dict store per pipe read) and looks again when the first of them would go quiet (at least every
``QUIET_CHECK_S``), so the event loop need not wake a few times a second to look for a camera that stopped
sending, and a pipe is found quiet within a few ms of ``quiet_after``.

Handlers run in the pump's thread with ``LOCK`` held; the event loop takes ``LOCK`` around anything it
shares with them (a channel's viewers, its GOP cache), and must never call asyncio from a handler except
through ``loop.call_soon_threadsafe``.

The steady stream goes through ``lane`` when the C extension (``_fanout.c``) is built: a channel whose viewers
all keep up puts its pipe and their descriptors there (``Lane.set``), and the batch's reads and writes of those
pipes happen in C with no Python per chunk (~0.4 % of a core less for 16 cameras, see the relay's README). The
rest (a new pull before its first keyframe, a viewer with a backlog, a multicast sender, EOF) goes through the
handlers as before. The lane's loop hands over when it read each pipe as it returns (``_note_reads``: only
for pipes still watched), and ``last_read`` asks the lane itself meanwhile. ``CC_RELAY_NATIVE=0`` in the
environment, or a missing extension, leaves everything to Python.

``BATCH_MS`` (the relay's ``batch_ms`` setting) is 45: a little longer than the 40 ms between two frames of a
25 frames/s camera, so that a batch often finds two frames of a pipe (22 writes a second to a viewer instead
of 25), and short enough that the latency added stays under the 50 ms the relay may add (p95 43 ms, max 46 ms
with 16 cameras; at 40 ms the CPU ratio sat on its 1.2 limit: the relay's README, *CPU*).
"""
from __future__ import annotations

import fcntl
import logging
import os
import select
import threading
import time
from typing import Callable

try:
    from backend.relay import _fanout
except ImportError:  # not built (no C compiler at setup): the Python path does it all
    _fanout = None

log = logging.getLogger(__name__)

F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
PIPE_SIZE = 1 << 20
READ_SIZE = 1 << 16  # per read; a pipe with more (a large keyframe, a stall) is read again at once
BATCH_MS = 45.0  # the default read batching under load (see above)
QUIET_CHECK_S = 1.0  # the longest the pump goes without looking for pipes gone quiet (at most quiet_after)


class _PumpLock:
    """A re-entrant lock that also holds the C lanes' mutex while it is held (``_fanout.lock``): the lane's loop
    takes only that mutex around each batch, so it never writes in the middle of what the event loop does under
    ``LOCK`` (a viewer's GOP burst and its joining the lane must not have a chunk between them)."""

    def __init__(self) -> None:
        self._rlock = threading.RLock()
        self._depth = 0  # changed only by the thread holding _rlock

    def __enter__(self) -> "_PumpLock":
        self._rlock.acquire()
        self._depth += 1
        if self._depth == 1 and _fanout is not None:
            try:
                _fanout.lock()
            except BaseException:
                self._depth -= 1
                self._rlock.release()
                raise
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        if self._depth == 0 and _fanout is not None:
            _fanout.unlock()
        self._rlock.release()


LOCK = _PumpLock()  # held by the pump while it hands a batch out; by the loop around shared state


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


Handler = tuple[Callable[[bytes], None], Callable[[], None], Callable[[], None] | None, Callable[[], None] | None]


def native_available() -> bool:
    """Is the C lane built and allowed (``CC_RELAY_NATIVE`` is not "0")?"""
    return _fanout is not None and os.environ.get("CC_RELAY_NATIVE", "1") != "0"


class Pump:
    """``pump.add(fd, on_data, on_eof, on_quiet)`` … ``pump.remove(fd)``, which closes ``fd``. At EOF the pump
    stops watching ``fd`` but leaves it open until its owner removes it (so the number cannot be reused
    meanwhile). ``on_quiet`` is called once when ``fd`` has had no data for ``quiet_after`` seconds (again only
    after data came back). The callbacks run in the pump's thread, with ``LOCK`` held. The thread runs while
    there are fds.

    ``lane`` (None without the C extension): the owner of ``fd`` may hand its steady stream to it
    (``lane.set(fd, viewer fds)``, with ``LOCK`` held); when viewers then fall behind or fail, they leave the
    lane and ``on_short()`` is called: the owner takes them back with ``lane.left(fd)``."""

    def __init__(self, interval_s: float = BATCH_MS / 1000, quiet_after_s: float = 1.5, native: bool | None = None):
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
        use_lane = native_available() if native is None else native and _fanout is not None
        self.lane = _fanout.Lane() if use_lane else None

    def add(self, fd: int, on_data: Callable[[bytes], None], on_eof: Callable[[], None],
            on_quiet: Callable[[], None] | None = None,
            on_short: Callable[[], None] | None = None) -> None:
        with LOCK:
            if self._closed:
                raise RuntimeError("pump closed")
            self._handlers[fd] = (on_data, on_eof, on_quiet, on_short)
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
            if self.lane is not None:
                self.lane.set(fd, None)  # its owner took what it wanted before: nothing may write for a closed fd
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
        """When ``fd`` last gave data (or was added), on ``time.monotonic``; None when not watched. The lane
        hands its reads to ``_seen`` only when its loop returns (at the latest at the next quiet check): it is
        asked as well."""
        with LOCK:
            seen = self._seen.get(fd)
            if seen is not None and self.lane is not None:
                seen = max(seen, self.lane.last(fd))
            return seen

    def _run(self) -> None:
        """The thread: until the pump is closed or has no fds. A bug in the loop itself (the handlers' own are
        caught around each call) is logged and the loop goes on: a dead pump thread would silently stop every
        camera while the relay still answers."""
        while True:
            try:
                self._serve()
                return
            except Exception:
                if self._closed:  # its epoll set may be closed already
                    return
                log.exception("relay pump: its loop failed; going on")
                time.sleep(0.1)

    def _serve(self) -> None:
        poll, monotonic, sleep, lane = self._ep.poll, time.monotonic, time.sleep, self.lane
        short: list[int] = []
        reads: dict[int, float] = {}
        while True:
            busy = 0
            if lane is None:
                events = poll(max(0.0, self._next_check - monotonic()))
            else:  # the lane's loop, until something is for Python
                try:
                    busy, events, short, reads = lane.run(self._ep.fileno(), self.interval, self._next_check,
                                                          READ_SIZE)
                except MemoryError:
                    log.exception("relay pump: the C lane is out of memory")
                    events = poll(0.1)  # the data waits in the pipes
            last = monotonic()
            with LOCK:
                if self._closed or not self._handlers:
                    self._thread = None
                    return
                if reads:
                    self._note_reads(reads)
                    reads = {}
                for fd in short:  # viewers that left the lane
                    handler = self._handlers.get(fd)
                    if handler is not None and handler[3] is not None:
                        self._call(fd, handler[3])
                short = []
                busy += self._drain(events, last) if events else 0
                if last >= self._next_check:
                    self._check_quiet(last)
            if busy >= 2 and self.interval > 0:  # many cameras: let the next batch gather
                sleep(max(0.0, last + self.interval - monotonic()))

    def _note_reads(self, reads: dict[int, float]) -> None:
        """The lane's reads: when it last read each pipe. Only of pipes still watched (one removed meanwhile is
        closed, or its number is a new pipe's: that one's time is not put back)."""
        seen, quiet = self._seen, self._quiet
        for fd, when in reads.items():
            before = seen.get(fd)
            if before is not None and when > before:
                seen[fd] = when
                quiet.discard(fd)

    def _check_quiet(self, now: float) -> None:
        """Report the pipes gone quiet; the next check is due when the first of the others would go quiet."""
        after = self.quiet_after
        limit, due = now - after, now + min(QUIET_CHECK_S, after)
        for fd, seen in self._seen.items():
            if fd in self._quiet:
                continue
            if seen <= limit:
                self._quiet.add(fd)
                on_quiet = self._handlers[fd][2]  # add/remove keep _seen's fds among the handlers
                if on_quiet is not None:
                    self._call(fd, on_quiet)
            elif seen + after < due:
                due = seen + after
        self._next_check = due

    @staticmethod
    def _call(fd: int, callback: Callable[[], None]) -> None:
        try:
            callback()
        except Exception:
            log.exception("relay pump: handler of fd %d failed", fd)

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
