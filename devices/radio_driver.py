"""Radio gateway driver: joins the radio_gw codec to a transport; one command in flight, reports as a stream."""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from devices import radio_gw
from devices.transport import TransportClosed

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The gateway answered ERROR:<code>, or did not answer in time; ``reason`` is a short word."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class RadioGateway:
    """Sends AT commands one at a time (each waits for OK / ERROR) and hands reports to ``on_report``.

    Reports (+GPS, +STAT, +EMRG, +CALL, +PTT, +MSG, +CHAN) may arrive between a command and its answer;
    they never complete a command. Transport errors (NotConnected, WriteTimeout, ...) propagate from
    the command methods for the backend to report as a failed command.

    Attributes:
        transport: anything with ``async read()`` / ``async write(bytes)``, e.g. SerialTransport.
        decoder: the LineDecoder (``rejected`` counts lines that were not protocol).
        reply_timeout: seconds to wait for OK / ERROR.
    """

    def __init__(self, transport, on_report: Callable[[Any], Any] | None = None, reply_timeout: float = 2.0):
        self.transport = transport
        self.decoder = radio_gw.LineDecoder()
        self.reply_timeout = reply_timeout
        self._on_report = on_report
        self._lock = asyncio.Lock()
        self._reply: asyncio.Future | None = None
        self._task: asyncio.Task | None = None
        self._connects = getattr(transport, "connects", None)  # the transport's connection the bytes came on

    def start(self) -> None:
        """Start reading (call once the transport is open)."""
        if self._task is None:
            self._task = asyncio.create_task(self._read_loop(), name=f"radio-gw {getattr(self.transport, 'port', '')}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _read_loop(self) -> None:
        while True:
            try:
                chunk = await self.transport.read()
            except TransportClosed:
                return
            connects = getattr(self.transport, "connects", None)
            if connects != self._connects:  # reopened since the last bytes: a line the unplug cut never ends
                self._connects = connects
                dropped = self.decoder.drop_partial()
                if dropped:
                    log.info("radio gateway: dropped %r, a line cut by the reconnection", dropped[:64])
            for msg in self.decoder.feed(chunk):
                if isinstance(msg, (radio_gw.Ok, radio_gw.Error)):
                    if self._reply is not None and not self._reply.done():
                        self._reply.set_result(msg)
                    continue
                if isinstance(msg, radio_gw.Unknown):
                    log.warning("radio gateway: ignored line %r (%s)", msg.line[:64], msg.reason)
                    continue
                if self._on_report is not None:
                    try:
                        result = self._on_report(msg)
                        if asyncio.iscoroutine(result):
                            await result
                    except Exception:
                        log.exception("radio gateway: report handler failed on %r", msg)

    async def command(self, line: bytes) -> None:
        """Send one AT line and wait for OK; GatewayError on ERROR or no answer."""
        async with self._lock:
            self._reply = asyncio.get_running_loop().create_future()
            try:
                await self.transport.write(line)
                try:
                    answer = await asyncio.wait_for(self._reply, self.reply_timeout)
                except asyncio.TimeoutError:
                    raise GatewayError("timeout", f"radio gateway did not answer {line.strip()!r} within "
                                                  f"{self.reply_timeout} s") from None
            finally:
                self._reply = None
        if isinstance(answer, radio_gw.Error):
            raise GatewayError(answer.reason, f"radio gateway refused {line.strip().decode('utf-8', 'replace')!r}: "
                                              f"{answer.reason}")

    async def channel(self, ch: int) -> None:
        await self.command(radio_gw.channel(ch))

    async def ptt(self, on: bool) -> None:
        await self.command(radio_gw.ptt(on))

    async def call(self, kind: str, target: int) -> None:
        await self.command(radio_gw.call(kind, target))

    async def hangup(self) -> None:
        await self.command(radio_gw.hangup())

    async def group_assign(self, group: int, members: list[int]) -> None:
        await self.command(radio_gw.group_assign(group, members))

    async def patch(self, ch_a: int, ch_b: int, on: bool = True) -> None:
        await self.command(radio_gw.patch(ch_a, ch_b, on))

    async def text(self, radio: int, message: str) -> None:
        await self.command(radio_gw.text(radio, message))

    async def poll(self) -> None:
        await self.command(radio_gw.poll())
