"""The LED wall controller: NovaStar-style binary frames (our framing, devices/README.md) — codec and TCP driver.

Request  ``55 AA | seq | addr | cmd | len (2, LE) | payload | sum (2, LE)``
Reply    ``AA 55 | seq | addr | cmd | status | len (2, LE) | payload | sum (2, LE)``
``sum`` = (sum of every byte after the 2-byte head, up to the checksum) + 0x5555, mod 0x10000.
Commands: 0x01 power [0|1], 0x02 brightness [0-100 %], 0x03 input [1-5], 0x10 status (reply payload
[power, brightness, input, temperature °C (signed), fault bits]). Status 0 ok, 1 bad checksum,
2 unknown command, 3 value out of range, 4 busy.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from devices.room_transport import TcpLink

REQ_HEAD, REP_HEAD = b"\x55\xAA", b"\xAA\x55"
POWER, BRIGHTNESS, INPUT, STATUS = 0x01, 0x02, 0x03, 0x10
INPUTS = {1: "HDMI1", 2: "HDMI2", 3: "DVI", 4: "DP", 5: "SDI"}
STATUSES = {0: "ok", 1: "bad checksum", 2: "unknown command", 3: "value out of range", 4: "busy"}
FAULTS = {0x01: "receiving card offline", 0x02: "power supply", 0x04: "over temperature", 0x08: "no signal"}
MAX_PAYLOAD = 256


class NovaError(ValueError):
    """A bad argument, a malformed frame, or a refused command; the message says which."""


@dataclass(frozen=True)
class Frame:
    seq: int
    addr: int
    cmd: int
    payload: bytes
    status: int | None = None  # replies only


def checksum(body: bytes) -> int:
    return (sum(body) + 0x5555) & 0xFFFF


def request(seq: int, cmd: int, payload: bytes = b"", addr: int = 0) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise NovaError(f"payload of {len(payload)} bytes: at most {MAX_PAYLOAD}")
    body = bytes([seq & 0xFF, addr & 0xFF, cmd & 0xFF]) + struct.pack("<H", len(payload)) + payload
    return REQ_HEAD + body + struct.pack("<H", checksum(body))


def reply(seq: int, cmd: int, status: int = 0, payload: bytes = b"", addr: int = 0) -> bytes:
    body = bytes([seq & 0xFF, addr & 0xFF, cmd & 0xFF, status & 0xFF]) + struct.pack("<H", len(payload)) + payload
    return REP_HEAD + body + struct.pack("<H", checksum(body))


def power(seq: int, on: bool) -> bytes:
    return request(seq, POWER, bytes([1 if on else 0]))


def brightness(seq: int, percent: int) -> bytes:
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise NovaError(f"brightness: expected 0-100 %, got {percent!r}")
    return request(seq, BRIGHTNESS, bytes([percent]))


def select_input(seq: int, source: int) -> bytes:
    if source not in INPUTS:
        raise NovaError(f"input: expected one of {sorted(INPUTS)} ({', '.join(INPUTS.values())}), got {source!r}")
    return request(seq, INPUT, bytes([source]))


def status_query(seq: int) -> bytes:
    return request(seq, STATUS)


class Decoder:
    """Frames out of a byte stream (either direction), resyncing on garbage; ``rejected`` counts skipped bytes.

    Attributes: head (REQ_HEAD or REP_HEAD), buffer, rejected, reasons (last few).
    """

    def __init__(self, head: bytes = REP_HEAD):
        self.head = head
        self.buffer = b""
        self.rejected = 0
        self.reasons: list[str] = []
        self._fixed = 8 if head == REP_HEAD else 7  # head + seq addr cmd [status] len

    def feed(self, data: bytes) -> list[Frame]:
        self.buffer += data
        frames: list[Frame] = []
        while True:
            i = self.buffer.find(self.head)
            if i < 0:
                keep = 1 if self.buffer.endswith(self.head[:1]) else 0
                self._skip(len(self.buffer) - keep, "no frame head")
                return frames
            if i:
                self._skip(i, "garbage before frame head")
            if len(self.buffer) < self._fixed + 2:
                return frames
            length = struct.unpack("<H", self.buffer[self._fixed - 2:self._fixed])[0]
            if length > MAX_PAYLOAD:
                self._skip(1, f"length {length} too long")
                continue
            total = self._fixed + length + 2
            if len(self.buffer) < total:
                return frames
            body = self.buffer[2:total - 2]
            want = struct.unpack("<H", self.buffer[total - 2:total])[0]
            if checksum(body) != want:
                self._skip(1, f"bad checksum 0x{want:04x}, expected 0x{checksum(body):04x}")
                continue
            if self.head == REP_HEAD:
                frames.append(Frame(body[0], body[1], body[2], bytes(body[6:]), body[3]))
            else:
                frames.append(Frame(body[0], body[1], body[2], bytes(body[5:])))
            self.buffer = self.buffer[total:]

    def _skip(self, n: int, reason: str) -> None:
        if n <= 0:
            return
        self.buffer = self.buffer[n:]
        self.rejected += n
        self.reasons = (self.reasons + [reason])[-8:]


@dataclass
class LedStatus:
    power: bool
    brightness: int
    input: str
    temperature: int
    faults: list = field(default_factory=list)


def parse_status(payload: bytes) -> LedStatus:
    if len(payload) != 5:
        raise NovaError(f"status payload of {len(payload)} bytes, expected 5")
    temp = payload[3] - 256 if payload[3] > 127 else payload[3]
    faults = [name for bit, name in FAULTS.items() if payload[4] & bit]
    return LedStatus(bool(payload[0]), payload[1], INPUTS.get(payload[2], str(payload[2])), temp, faults)


class LedController:
    """The LED wall controller on TCP. Attributes: name, link (TcpLink), seq."""

    def __init__(self, host: str, port: int, *, timeout: float = 1.5):
        self.link = TcpLink(host, port, timeout=timeout)
        self.name = f"novastar {host}:{port}"
        self.seq = 0

    async def _ask(self, build, *args) -> Frame:  # noqa: ANN001
        self.seq = (self.seq + 1) & 0xFF
        seq = self.seq
        data = build(seq, *args)
        decoder = Decoder(REP_HEAD)
        found: list[Frame] = []

        def complete(buf: bytes) -> int | None:
            decoder.buffer, decoder.rejected = b"", 0
            found[:] = [f for f in decoder.feed(buf) if f.seq == seq]
            return len(buf) if found else None

        await self.link.request(data, complete)
        frame = found[0]
        if frame.status:
            raise NovaError(f"{self.name}: command 0x{frame.cmd:02x}: {STATUSES.get(frame.status, frame.status)}")
        return frame

    async def power(self, on: bool) -> None:
        await self._ask(power, on)

    async def brightness(self, percent: int) -> None:
        await self._ask(brightness, percent)

    async def select_input(self, source: int) -> None:
        await self._ask(select_input, source)

    async def status(self) -> LedStatus:
        return parse_status((await self._ask(status_query)).payload)

    async def close(self) -> None:
        await self.link.close()
