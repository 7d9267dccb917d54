"""Byte transports for the consultation room's devices: a TCP link and a UDP link, both asyncio, both bounded.

Room devices (matrix switchers, LED controllers, light gateways, VISCA cameras) answer a request with a
reply; a device that stops answering must never hang a room scene. So every exchange here has a
timeout, a failed exchange drops the connection (the next one reconnects: no half-read reply is left in
a buffer to be mistaken for the next answer), and the link counts what happened for the health panel.
Framing is the codec's business: ``request(data, complete)`` reads until ``complete(buffer)`` returns
the length of a whole reply (or None for "need more").
"""
from __future__ import annotations

import asyncio
import time
from typing import Callable

Complete = Callable[[bytes], "int | None"]


class LinkError(Exception):
    """The device could not be reached or did not answer in time; the message names host:port."""


class TcpLink:
    """One TCP connection to a device, opened on demand and reopened after any failure.

    Attributes:
        host, port, timeout: where, and seconds for connect and for each reply.
        connected: True while a connection is open.  failures: exchanges that failed.
        last_error: the last failure's text ("" after a success).  last_ok: time of the last reply.
    """

    def __init__(self, host: str, port: int, *, timeout: float = 1.5, max_reply: int = 65536):
        self.host, self.port, self.timeout, self.max_reply = host, int(port), float(timeout), max_reply
        self.connected = False
        self.failures = 0
        self.last_error = ""
        self.last_ok = 0.0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"{self.host}:{self.port}"

    async def _open(self) -> None:
        if self._writer is not None:
            return
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout)
        except (OSError, asyncio.TimeoutError) as exc:
            raise LinkError(f"{self.name}: cannot connect: {exc or 'timeout'}") from None
        self.connected = True

    async def _drop(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        self.connected = False
        if writer is not None:
            writer.close()
            try:
                await asyncio.wait_for(writer.wait_closed(), 0.5)
            except (OSError, asyncio.TimeoutError):
                pass

    async def request(self, data: bytes, complete: Complete, *, greeting: Complete | None = None) -> bytes:
        """Send ``data`` and return one whole reply; raise LinkError (and drop the connection) on failure.

        ``greeting``: a device that talks first on connect (e.g. a banner) — read and discard it once.
        """
        async with self._lock:
            try:
                fresh = self._writer is None
                await self._open()
                if fresh and greeting is not None:
                    await self._read(greeting)
                assert self._writer is not None
                self._writer.write(data)
                await asyncio.wait_for(self._writer.drain(), self.timeout)
                reply = await self._read(complete)
            except LinkError as exc:
                await self._fail(str(exc))
                raise
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError) as exc:
                reason = "no reply in time" if isinstance(exc, asyncio.TimeoutError) else str(exc) or type(exc).__name__
                await self._fail(f"{self.name}: {reason}")
                raise LinkError(f"{self.name}: {reason}") from None
            self.last_error, self.last_ok = "", time.time()
            return reply

    async def _read(self, complete: Complete) -> bytes:
        assert self._reader is not None
        buf = b""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while True:
            n = complete(buf)
            if n is not None:
                return buf[:n]
            if len(buf) > self.max_reply:
                raise LinkError(f"{self.name}: reply longer than {self.max_reply} bytes without an end")
            left = deadline - loop.time()
            if left <= 0:
                raise asyncio.TimeoutError
            chunk = await asyncio.wait_for(self._reader.read(4096), left)
            if not chunk:
                raise LinkError(f"{self.name}: the device closed the connection")
            buf += chunk

    async def _fail(self, reason: str) -> None:
        self.failures += 1
        self.last_error = reason
        await self._drop()

    async def close(self) -> None:
        async with self._lock:
            await self._drop()


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001 - asyncio API
        self.queue.put_nowait(data)


class UdpLink:
    """A UDP 'connection' to a device (VISCA over IP): send a datagram, collect replies until one completes.

    Attributes: host, port, timeout, failures, last_error, last_ok (as TcpLink).
    """

    def __init__(self, host: str, port: int, *, timeout: float = 1.0):
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self.failures = 0
        self.last_error = ""
        self.last_ok = 0.0
        self._transport: asyncio.DatagramTransport | None = None
        self._proto: _Datagrams | None = None
        self._lock = asyncio.Lock()

    @property
    def name(self) -> str:
        return f"udp:{self.host}:{self.port}"

    async def request(self, data: bytes, done: Callable[[list[bytes]], bool]) -> list[bytes]:
        """Send one datagram; return the replies received until ``done(replies)``; LinkError on timeout."""
        async with self._lock:
            if self._transport is None:
                loop = asyncio.get_running_loop()
                try:
                    self._transport, self._proto = await loop.create_datagram_endpoint(
                        _Datagrams, remote_addr=(self.host, self.port))
                except OSError as exc:
                    self.failures += 1
                    self.last_error = f"{self.name}: {exc}"
                    raise LinkError(self.last_error) from None
            assert self._proto is not None
            while not self._proto.queue.empty():  # late replies to an earlier, timed-out request
                self._proto.queue.get_nowait()
            self._transport.sendto(data)
            replies: list[bytes] = []
            try:
                async with asyncio.timeout(self.timeout):
                    while not done(replies):
                        replies.append(await self._proto.queue.get())
            except asyncio.TimeoutError:
                self.failures += 1
                self.last_error = f"{self.name}: no reply in time"
                raise LinkError(self.last_error) from None
            self.last_error, self.last_ok = "", time.time()
            return replies

    async def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
        self._transport, self._proto = None, None
