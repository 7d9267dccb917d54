"""Serial-port transport for asyncio: moves bytes only, reopens by itself when the port comes back."""
from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable

import serial

log = logging.getLogger(__name__)


class TransportError(Exception):
    """A serial operation failed; the message names the port and the reason."""


class NotConnected(TransportError):
    """The port is not open right now (unplugged, not yet reopened)."""


class WriteTimeout(TransportError):
    """The device did not take the bytes within write_timeout (it stopped reading, or flow control)."""


class TransportClosed(TransportError):
    """close() was called; this transport is finished."""


@dataclass(frozen=True)
class Heartbeat:
    """Idle watch: a connected but silent peer reads as b'' forever, so silence must be timed.

    Attributes:
        idle_after: seconds without a received byte, while connected, before on_idle is called.
        on_idle: called with the seconds of silence, once per silent spell (again only after data
            arrived in between); may be a plain function or a coroutine function. A driver can probe the
            device from here or report it unavailable.
    """

    idle_after: float
    on_idle: Callable[[float], Any]

    def __post_init__(self) -> None:
        if not self.idle_after > 0:
            raise ValueError(f"Heartbeat.idle_after must be > 0 seconds, got {self.idle_after!r}")


class SerialTransport:
    """A serial port as an asyncio byte stream, over pyserial with one reader and one writer thread.

    The reader thread owns the port: it opens it, reads, and after a failure (unplug → SerialException
    on read, OSError from in_waiting) closes it and reopens with exponential back-off until close().
    Received bytes go to the event loop with call_soon_threadsafe. Writes run on the writer thread with
    pyserial's write_timeout, so a device that stops reading costs a WriteTimeout, never a blocked loop.
    pyserial-asyncio(-fast) was not used: it is POSIX-only (add_reader on the fd) and our ports may be
    on Windows machines; two plain threads work everywhere pyserial does.

    Attributes:
        port, baudrate, write_timeout: as given.
        connected: the port is open now.
        idle: the heartbeat saw a silent spell and no byte has arrived since.
        last_error: the latest open/read/write failure, as text naming the port; None if none yet.
        connects: how many times the port was opened (1 + reconnections).
        dropped: bytes discarded because nobody read() and more than max_buffer piled up.
    """

    def __init__(self, port: str, baudrate: int = 9600, *, write_timeout: float = 1.0,
                 heartbeat: Heartbeat | None = None, backoff: tuple[float, float] = (0.05, 2.0),
                 max_buffer: int = 1 << 20, on_state: Callable[[str, str | None], Any] | None = None,
                 poll_interval: float = 0.2, **serial_options: Any) -> None:
        if write_timeout is None or not write_timeout > 0:
            raise ValueError(f"write_timeout must be > 0 seconds (a peer that stops reading would block "
                             f"writes forever), got {write_timeout!r}")
        if not 0 < backoff[0] <= backoff[1]:
            raise ValueError(f"backoff must be (first > 0, max >= first) seconds, got {backoff!r}")
        self.port = port
        self.baudrate = baudrate
        self.write_timeout = write_timeout
        self.heartbeat = heartbeat
        self.connected = False
        self.idle = False
        self.last_error: str | None = None
        self.connects = 0
        self.dropped = 0
        self._backoff = backoff
        self._max_buffer = max_buffer
        self._on_state = on_state
        self._poll = poll_interval
        self._options = {"exclusive": True, **serial_options}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._rx = bytearray()
        self._rx_event: asyncio.Event | None = None
        self._up: asyncio.Event | None = None
        self._first: asyncio.Future | None = None
        self._last_rx = 0.0
        self._closed = False
        self._stop = threading.Event()
        self._io_lock = threading.Lock()      # held while writing and while closing the port
        self._cancel_lock = threading.Lock()  # held while closing and while cancelling a read/write
        self._ser: serial.Serial | None = None
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._tasks: set[asyncio.Task] = set()

    # ----------------------------------------------------------------- life cycle (event loop side)
    async def open(self, *, wait: bool = True) -> None:
        """Start. With wait=True the first open must succeed or TransportError is raised (and nothing
        is left running); with wait=False the port is opened in the background, retried until it
        appears, and `connected` / on_state tell when it is up."""
        if self._loop is not None:
            raise TransportError(f"{self.port}: open() called twice")
        self._loop = asyncio.get_running_loop()
        self._rx_event, self._up = asyncio.Event(), asyncio.Event()
        self._first = self._loop.create_future()
        self._threads = [
            threading.Thread(target=self._read_loop, args=(wait,), name=f"serial-read {self.port}", daemon=True),
            threading.Thread(target=self._write_loop, name=f"serial-write {self.port}", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if self.heartbeat is not None:
            self._spawn(self._watch_idle())
        if wait:
            try:
                await self._first
            except BaseException:
                await self.close()
                raise

    async def close(self) -> None:
        """Stop both threads, close the port, wake pending read() calls with TransportClosed."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        with self._cancel_lock:
            ser = self._ser
            if ser is not None and ser.is_open:
                ser.cancel_read()
                ser.cancel_write()
        self._jobs.put(None)
        for task in list(self._tasks):
            task.cancel()
        if self._rx_event is not None:
            self._rx_event.set()
        for thread in self._threads:
            while thread.is_alive():  # joined by polling so the loop never blocks on a thread
                await asyncio.sleep(0.01)
        if self._first is not None and not self._first.done():
            self._first.set_exception(TransportClosed(f"{self.port}: closed before it opened"))
            self._first.exception()  # retrieved: nobody may be awaiting it
        self.connected = False
        self._notify("closed", None)

    async def __aenter__(self) -> "SerialTransport":
        await self.open()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.close()

    async def wait_connected(self, timeout: float | None = None) -> None:
        """Return once the port is open (raises TimeoutError after `timeout` seconds)."""
        if self._up is None:
            raise TransportError(f"{self.port}: not opened")
        await asyncio.wait_for(self._up.wait(), timeout)

    # ----------------------------------------------------------------- bytes
    async def read(self) -> bytes:
        """Return the bytes received since the last read (at least one), waiting for them if needed.
        Waits through unplug/replug; raises TransportClosed once closed and drained."""
        if self._rx_event is None:
            raise TransportError(f"{self.port}: read() before open()")
        while not self._rx:
            if self._closed:
                raise TransportClosed(f"{self.port}: closed")
            self._rx_event.clear()
            await self._rx_event.wait()
        data = bytes(self._rx)
        self._rx.clear()
        return data

    async def write(self, data: bytes) -> None:
        """Send all of `data`, or raise: NotConnected (port down), WriteTimeout (device not reading;
        the unsent rest is discarded so stale commands do not go out later), TransportClosed."""
        if self._closed or self._loop is None:
            raise TransportClosed(f"{self.port}: write on a closed transport")
        if not self.connected:
            raise NotConnected(f"{self.port}: not connected ({self.last_error or 'opening'})")
        done = self._loop.create_future()
        self._jobs.put((bytes(data), done))
        await done

    # ----------------------------------------------------------------- threads
    def _read_loop(self, fail_fast: bool) -> None:
        delay = self._backoff[0]
        first = True
        while not self._stop.is_set():
            try:
                ser = serial.Serial(self.port, self.baudrate, timeout=self._poll,
                                    write_timeout=self.write_timeout, **self._options)
            except Exception as exc:  # SerialException, OSError, ValueError for bad settings
                self._post(self._opened, None, f"{self.port}: cannot open: {exc}", first and fail_fast)
                if first and fail_fast:
                    return
                first = False
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])
                continue
            first = False
            with self._io_lock, self._cancel_lock:
                self._ser = ser
            self._post(self._opened, ser, None, False)
            lost = None
            try:
                while not self._stop.is_set():
                    chunk = ser.read(ser.in_waiting or 1)
                    if chunk:
                        self._post(self._received, chunk)
                        delay = self._backoff[0]  # a link that carried data is healthy again
            except Exception as exc:  # unplug: SerialException from read, OSError from in_waiting
                lost = f"{self.port}: connection lost: {exc}"
            with self._io_lock, self._cancel_lock:
                self._ser = None
                ser.close()
            self._post(self._lost, lost)
            if lost is not None:
                self._stop.wait(delay)
                delay = min(delay * 2, self._backoff[1])

    def _write_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            data, done = job
            try:
                self._write_now(data)
            except TransportError as exc:
                self._post(self._settle, done, exc)
            else:
                self._post(self._settle, done, None)

    def _write_now(self, data: bytes) -> None:
        with self._io_lock:
            ser = self._ser
            if ser is None or self._stop.is_set():
                raise NotConnected(f"{self.port}: not connected ({self.last_error or 'closing'})")
            try:
                sent = ser.write(data)
            except serial.SerialTimeoutException:
                try:
                    ser.reset_output_buffer()
                except Exception:
                    pass
                raise WriteTimeout(
                    f"{self.port}: write of {len(data)} bytes timed out after {self.write_timeout} s: "
                    f"the device is not reading (hung, flow control, or wrong cable); unsent bytes "
                    f"discarded") from None
            except Exception as exc:  # SerialException on unplug
                raise TransportError(f"{self.port}: write failed: {exc}") from None
            if sent != len(data):
                raise TransportError(f"{self.port}: write interrupted after {sent} of {len(data)} bytes")

    def _post(self, callback: Callable, *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stop.set()

    # ----------------------------------------------------------------- event loop side of the threads
    def _opened(self, ser, error: str | None, fatal: bool) -> None:
        if self._closed:
            return
        if ser is None:
            self.last_error = error
            if fatal and not self._first.done():
                self._first.set_exception(TransportError(error))
            return
        self.connected = True
        self.connects += 1
        self._last_rx = self._loop.time()
        self._up.set()
        if not self._first.done():
            self._first.set_result(None)
        self._notify("connected", None)

    def _lost(self, error: str | None) -> None:
        self.connected = False
        self._up.clear()
        if error is not None:
            self.last_error = error
            self._notify("disconnected", error)

    def _received(self, chunk: bytes) -> None:
        self._rx += chunk
        if len(self._rx) > self._max_buffer:
            excess = len(self._rx) - self._max_buffer
            del self._rx[:excess]
            self.dropped += excess
        self._last_rx = self._loop.time()
        self.idle = False
        self._rx_event.set()

    @staticmethod
    def _settle(done: asyncio.Future, exc: Exception | None) -> None:
        if done.done():  # the writer was cancelled
            return
        if exc is None:
            done.set_result(None)
        else:
            done.set_exception(exc)

    def _notify(self, state: str, detail: str | None) -> None:
        if self._on_state is None:
            return
        try:
            result = self._on_state(state, detail)
            if inspect.isawaitable(result):
                self._spawn(result)
        except Exception:
            log.exception("%s: on_state callback failed", self.port)

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: callback failed", self.port, exc_info=task.exception())

    async def _watch_idle(self) -> None:
        limit = self.heartbeat.idle_after
        while not self._closed:
            if not self.connected:
                await self._up.wait()
                self._last_rx = self._loop.time()
                continue
            silent = self._loop.time() - self._last_rx
            if silent >= limit and not self.idle:
                self.idle = True
                try:
                    result = self.heartbeat.on_idle(silent)
                    if inspect.isawaitable(result):
                        self._spawn(result)
                except Exception:
                    log.exception("%s: heartbeat callback failed", self.port)
            await asyncio.sleep(limit / 4 if self.idle else max(limit - silent, 0.01))
