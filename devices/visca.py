"""VISCA over IP for the room's cameras: a pure codec (Sony's 8-byte header + VISCA messages) and a UDP driver.

Our own codec, not the PyPI package visca-over-ip: that package does blocking socket I/O (it would stall
the backend's event loop while a camera is silent); the bytes are small enough to own.

Packet: ``payload type (2) | payload length (2) | sequence number (4) | payload``; types 0x0100 command,
0x0110 inquiry, 0x0111 reply, 0x0200 control command, 0x0201 control reply. Payload (camera 1):
``81 01 04 3F 02 pp FF`` preset recall, ``... 01 pp FF`` preset set, ``81 01 06 01 VV WW 0X 0Y FF`` pan/tilt
drive, ``81 01 04 07 2p/3p/00 FF`` zoom tele/wide/stop, ``81 01 04 00 02/03 FF`` power, inquiry
``81 09 04 00 FF``. Replies: ``90 4z FF`` ACK, ``90 5z FF`` completion (or ``90 50 .. FF`` inquiry
answer), ``90 6z ee FF`` error.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from devices.room_transport import LinkError, UdpLink

PORT = 52381
COMMAND, INQUIRY, REPLY, CONTROL, CONTROL_REPLY = 0x0100, 0x0110, 0x0111, 0x0200, 0x0201
ERRORS = {0x01: "message length error", 0x02: "syntax error", 0x03: "command buffer full",
          0x04: "command cancelled", 0x05: "no socket", 0x41: "command not executable"}


class ViscaError(ValueError):
    """A bad argument or a malformed packet; the message names it."""


@dataclass(frozen=True)
class Packet:
    kind: int
    seq: int
    payload: bytes


def pack(kind: int, seq: int, payload: bytes) -> bytes:
    if not 0 <= seq <= 0xFFFFFFFF:
        raise ViscaError(f"seq {seq}: out of range")
    return struct.pack(">HHI", kind, len(payload), seq) + payload


def unpack(data: bytes) -> Packet:
    if len(data) < 8:
        raise ViscaError(f"packet of {len(data)} bytes: shorter than the 8-byte header")
    kind, length, seq = struct.unpack(">HHI", data[:8])
    if len(data) != 8 + length:
        raise ViscaError(f"header says {length} payload bytes, got {len(data) - 8}")
    return Packet(kind, seq, data[8:])


def _check(name: str, value: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ViscaError(f"{name}: expected an integer {low}-{high}, got {value!r}")
    return value


def preset_recall(n: int, addr: int = 1) -> bytes:
    return bytes([0x80 | addr, 0x01, 0x04, 0x3F, 0x02, _check("preset", n, 0, 127), 0xFF])


def preset_set(n: int, addr: int = 1) -> bytes:
    return bytes([0x80 | addr, 0x01, 0x04, 0x3F, 0x01, _check("preset", n, 0, 127), 0xFF])


def pan_tilt(pan: int, tilt: int, pan_speed: int = 8, tilt_speed: int = 8, addr: int = 1) -> bytes:
    """pan -1 left / 0 / 1 right, tilt -1 down / 0 / 1 up; speeds 1-24 and 1-20."""
    _check("pan", pan, -1, 1)
    _check("tilt", tilt, -1, 1)
    x = {-1: 0x01, 0: 0x03, 1: 0x02}[pan]
    y = {-1: 0x02, 0: 0x03, 1: 0x01}[tilt]
    return bytes([0x80 | addr, 0x01, 0x06, 0x01, _check("pan_speed", pan_speed, 1, 0x18),
                  _check("tilt_speed", tilt_speed, 1, 0x14), x, y, 0xFF])


def zoom(direction: int, speed: int = 3, addr: int = 1) -> bytes:
    _check("direction", direction, -1, 1)
    _check("speed", speed, 0, 7)
    code = 0x00 if direction == 0 else (0x20 if direction > 0 else 0x30) | speed
    return bytes([0x80 | addr, 0x01, 0x04, 0x07, code, 0xFF])


def power(on: bool, addr: int = 1) -> bytes:
    return bytes([0x80 | addr, 0x01, 0x04, 0x00, 0x02 if on else 0x03, 0xFF])


def power_inquiry(addr: int = 1) -> bytes:
    return bytes([0x80 | addr, 0x09, 0x04, 0x00, 0xFF])


RESET_SEQ = b"\x01"  # control command payload: reset the camera's expected sequence number


def reply_kind(payload: bytes) -> tuple[str, int | None]:
    """("ack"|"done"|"error"|"answer", error code or None) of a reply payload ``90 .. FF``."""
    if len(payload) < 3 or payload[-1] != 0xFF or payload[0] & 0xF0 != 0x90:
        raise ViscaError(f"reply {payload.hex(' ')}: not a VISCA reply")
    top = payload[1] & 0xF0
    if top == 0x40:
        return "ack", None
    if top == 0x50:
        return ("done" if len(payload) == 3 else "answer"), None
    if top == 0x60 and len(payload) == 4:
        return "error", payload[2]
    raise ViscaError(f"reply {payload.hex(' ')}: unknown reply")


class ViscaCamera:
    """A VISCA-over-IP camera; each command waits for its completion (or error), ``retries`` times.

    Attributes: name, link (UdpLink), seq (the next sequence number).
    """

    def __init__(self, host: str, port: int = PORT, *, timeout: float = 1.0, retries: int = 2, addr: int = 1):
        self.link = UdpLink(host, port, timeout=timeout)
        self.name = f"visca {host}:{port}"
        self.addr, self.retries, self.seq = addr, retries, 1

    async def _exchange(self, kind: int, payload: bytes) -> bytes:
        last: Exception | None = None
        for _attempt in range(self.retries + 1):
            seq, self.seq = self.seq, (self.seq + 1) & 0xFFFFFFFF
            packet = pack(kind, seq, payload)

            def done(replies: list[bytes]) -> bool:
                for raw in replies:
                    try:
                        p = unpack(raw)
                        if p.seq == seq and reply_kind(p.payload)[0] in ("done", "answer", "error"):
                            return True
                    except ViscaError:
                        continue
                return False

            try:
                replies = await self.link.request(packet, done)
            except LinkError as exc:
                last = exc
                continue
            final = [p for p in (unpack(r) for r in replies if len(r) >= 8) if p.seq == seq][-1]
            state, code = reply_kind(final.payload)
            if state == "error":
                raise ViscaError(f"{self.name}: {ERRORS.get(code or 0, f'error 0x{code:02x}')}")
            return final.payload
        raise LinkError(f"{self.name}: no answer after {self.retries + 1} tries ({last})")

    async def recall(self, n: int) -> None:
        await self._exchange(COMMAND, preset_recall(n, self.addr))

    async def store(self, n: int) -> None:
        await self._exchange(COMMAND, preset_set(n, self.addr))

    async def move(self, pan: int, tilt: int, speed: int = 8) -> None:
        await self._exchange(COMMAND, pan_tilt(pan, tilt, speed, min(speed, 0x14), self.addr))

    async def zoom(self, direction: int) -> None:
        await self._exchange(COMMAND, zoom(direction, 3, self.addr))

    async def power(self, on: bool) -> None:
        await self._exchange(COMMAND, power(on, self.addr))

    async def is_on(self) -> bool:
        answer = await self._exchange(INQUIRY, power_inquiry(self.addr))
        return len(answer) == 4 and answer[2] == 0x02
