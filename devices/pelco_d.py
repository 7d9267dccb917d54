"""Pelco-D PTZ protocol codec: builds and parses 7-byte frames (pure, no I/O).

Frame: FF addr cmd1 cmd2 data1 data2 checksum, checksum = (addr + cmd1 + cmd2 + data1 + data2) mod 256.
cmd1 bits: 7 sense, 4 auto scan, 3 camera on/off, 2 iris close, 1 iris open, 0 focus near.
cmd2 bits: 7 focus far, 6 zoom wide, 5 zoom tele, 4 tilt down, 3 tilt up, 2 pan left, 1 pan right;
bit 0 set marks an extended command (presets, auxiliaries) whose argument is in data1/data2.
"""
from __future__ import annotations

from dataclasses import dataclass

SYNC = 0xFF
FRAME_LEN = 7
MAX_SPEED = 0x3F
TURBO = 0xFF

# cmd1
SENSE, AUTO_SCAN, CAMERA = 0x80, 0x10, 0x08
IRIS_CLOSE, IRIS_OPEN, FOCUS_NEAR = 0x04, 0x02, 0x01
# cmd2
FOCUS_FAR, ZOOM_WIDE, ZOOM_TELE = 0x80, 0x40, 0x20
TILT_DOWN, TILT_UP, PAN_LEFT, PAN_RIGHT = 0x10, 0x08, 0x04, 0x02
# extended commands (cmd1 = 0, cmd2 = opcode)
SET_PRESET, CLEAR_PRESET, GOTO_PRESET = 0x03, 0x05, 0x07


@dataclass(frozen=True)
class PelcoFrame:
    """One valid frame.

    Attributes:
        addr: camera address 1-255; cmd1, cmd2, data1, data2: the command bytes.
    """

    addr: int
    cmd1: int
    cmd2: int
    data1: int
    data2: int

    @property
    def checksum(self) -> int:
        return (self.addr + self.cmd1 + self.cmd2 + self.data1 + self.data2) % 256

    def to_bytes(self) -> bytes:
        return bytes([SYNC, self.addr, self.cmd1, self.cmd2, self.data1, self.data2, self.checksum])

    def describe(self) -> str:
        """Readable summary for logs, e.g. 'addr 2: pan left 0x20'."""
        c1, c2 = self.cmd1, self.cmd2
        if c2 & 1:
            names = {SET_PRESET: "set preset", CLEAR_PRESET: "clear preset", GOTO_PRESET: "goto preset"}
            what = names.get(c2, f"extended 0x{c2:02X}")
            return f"addr {self.addr}: {what} {self.data2}" if c2 in names else \
                f"addr {self.addr}: {what} data 0x{self.data1:02X} 0x{self.data2:02X}"
        parts = []
        if c1 & CAMERA:
            parts.append("camera on" if c1 & SENSE else "camera off")
        if c1 & AUTO_SCAN:
            parts.append("auto scan" if c1 & SENSE else "manual scan")
        for bit, name in ((IRIS_CLOSE, "iris close"), (IRIS_OPEN, "iris open"), (FOCUS_NEAR, "focus near")):
            if c1 & bit:
                parts.append(name)
        for bit, name in ((FOCUS_FAR, "focus far"), (ZOOM_WIDE, "zoom wide"), (ZOOM_TELE, "zoom tele")):
            if c2 & bit:
                parts.append(name)
        for bit, name in ((PAN_LEFT, "pan left"), (PAN_RIGHT, "pan right")):
            if c2 & bit:
                parts.append(f"{name} 0x{self.data1:02X}")
        for bit, name in ((TILT_UP, "tilt up"), (TILT_DOWN, "tilt down")):
            if c2 & bit:
                parts.append(f"{name} 0x{self.data2:02X}")
        return f"addr {self.addr}: " + (", ".join(parts) or "stop")


@dataclass(frozen=True)
class Rejected:
    """Bytes that parse() skipped, and why.

    Attributes:
        offset: index of the first skipped byte in the parsed buffer.
        raw: the skipped bytes.
        reason: e.g. 'bad checksum 0x27, expected 0x26' or '3 bytes before a sync byte'.
    """

    offset: int
    raw: bytes
    reason: str


def _byte(name: str, value: int, low: int = 0, high: int = 0xFF) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"Pelco-D {name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"Pelco-D {name} must be {low}-{high} (0x{low:02X}-0x{high:02X}), got {value}")
    return value


def _addr(addr: int) -> int:
    return _byte("address", addr, 1, 255)


def _direction(name: str, value: int) -> int:
    if isinstance(value, bool) or value not in (-1, 0, 1):
        raise ValueError(f"Pelco-D {name} must be -1, 0 or +1, got {value!r}")
    return value


def frame(addr: int, cmd1: int, cmd2: int, data1: int, data2: int) -> bytes:
    """The 7 bytes of one frame, checksum included."""
    return PelcoFrame(_addr(addr), _byte("cmd1", cmd1), _byte("cmd2", cmd2),
                      _byte("data1", data1), _byte("data2", data2)).to_bytes()


def pan_tilt(addr: int, pan: int, tilt: int, pan_speed: int = 0x20, tilt_speed: int = 0x20) -> bytes:
    """Move: pan -1 left / +1 right, tilt -1 down / +1 up, 0 holds that axis (its speed byte is sent
    as 0). pan_speed 0-0x3F or 0xFF (turbo); tilt_speed 0-0x3F. pan_tilt(a, 0, 0) is stop(a)."""
    pan, tilt = _direction("pan", pan), _direction("tilt", tilt)
    if pan_speed != TURBO or isinstance(pan_speed, bool):
        try:
            _byte("pan_speed", pan_speed, 0, MAX_SPEED)
        except ValueError as exc:
            raise ValueError(f"{exc} (or 0xFF for turbo)") from None
    _byte("tilt_speed", tilt_speed, 0, MAX_SPEED)
    cmd2 = {-1: PAN_LEFT, 0: 0, 1: PAN_RIGHT}[pan] | {-1: TILT_DOWN, 0: 0, 1: TILT_UP}[tilt]
    return frame(addr, 0, cmd2, pan_speed if pan else 0, tilt_speed if tilt else 0)


def zoom(addr: int, direction: int) -> bytes:
    """+1 zoom in (tele), -1 zoom out (wide), 0 stop."""
    cmd2 = {1: ZOOM_TELE, -1: ZOOM_WIDE, 0: 0}[_direction("zoom", direction)]
    return frame(addr, 0, cmd2, 0, 0)


def focus(addr: int, direction: int) -> bytes:
    """+1 focus far, -1 focus near, 0 stop."""
    direction = _direction("focus", direction)
    return frame(addr, FOCUS_NEAR if direction < 0 else 0, FOCUS_FAR if direction > 0 else 0, 0, 0)


def iris(addr: int, direction: int) -> bytes:
    """+1 open, -1 close, 0 stop."""
    cmd1 = {1: IRIS_OPEN, -1: IRIS_CLOSE, 0: 0}[_direction("iris", direction)]
    return frame(addr, cmd1, 0, 0, 0)


def stop(addr: int) -> bytes:
    """Stop every motion (pan, tilt, zoom, focus, iris)."""
    return frame(addr, 0, 0, 0, 0)


def camera_on(addr: int) -> bytes:
    return frame(addr, SENSE | CAMERA, 0, 0, 0)


def camera_off(addr: int) -> bytes:
    return frame(addr, CAMERA, 0, 0, 0)


def _preset(addr: int, opcode: int, n: int) -> bytes:
    return frame(addr, 0, opcode, 0, _byte("preset", n, 1, 255))


def set_preset(addr: int, n: int) -> bytes:
    """Store the current position as preset n (1-255; cameras differ in how many they keep)."""
    return _preset(addr, SET_PRESET, n)


def clear_preset(addr: int, n: int) -> bytes:
    return _preset(addr, CLEAR_PRESET, n)


def goto_preset(addr: int, n: int) -> bytes:
    return _preset(addr, GOTO_PRESET, n)


def _scan(data: bytes, rejects: list[Rejected] | None, final: bool) -> tuple[list[PelcoFrame], int]:
    """Frames in data, and how many leading bytes were consumed (the rest may be a partial frame)."""
    frames: list[PelcoFrame] = []
    i, n = 0, len(data)
    reported = 0  # bytes before this index were already named in a rejection
    while i < n:
        sync = data.find(SYNC, i)
        if sync < 0:
            sync = n
        if sync > i:
            start = max(i, reported)
            if rejects is not None and sync > start:
                rejects.append(Rejected(start, bytes(data[start:sync]), f"{sync - start} byte{'s' * (sync - start != 1)} before a sync byte"))
            i = sync
            continue
        if n - i < FRAME_LEN:
            if not final:
                break
            if rejects is not None:
                rejects.append(Rejected(i, bytes(data[i:]), f"truncated frame: {n - i} of {FRAME_LEN} bytes"))
            i = n
            break
        addr, cmd1, cmd2, d1, d2, got = data[i + 1:i + FRAME_LEN]
        want = (addr + cmd1 + cmd2 + d1 + d2) % 256
        if got != want or addr == 0:
            # Resync one byte on: the real frame may start at a later 0xFF inside these seven.
            if rejects is not None:
                reason = "address 0" if got == want else f"bad checksum 0x{got:02X}, expected 0x{want:02X}"
                rejects.append(Rejected(i, bytes(data[i:i + FRAME_LEN]), reason))
            reported = i + FRAME_LEN
            i += 1
            continue
        frames.append(PelcoFrame(addr, cmd1, cmd2, d1, d2))
        i += FRAME_LEN
    return frames, i


def parse(data: bytes, rejects: list[Rejected] | None = None) -> list[PelcoFrame]:
    """All valid frames in a complete buffer. Garbage, bad checksums and a truncated tail are skipped
    (appended to `rejects` with their reason if a list is given); never raises on any bytes."""
    frames, _ = _scan(bytes(data), rejects, final=True)
    return frames


class PelcoDecoder:
    """Streaming parse for bytes read from a port: keeps a partial frame until the rest arrives.

    Attributes:
        rejected: count of skipped byte runs; last_reject: the latest Rejected, or None.
    """

    def __init__(self) -> None:
        self._buf = b""
        self.rejected = 0
        self.last_reject: Rejected | None = None

    def feed(self, data: bytes) -> list[PelcoFrame]:
        rejects: list[Rejected] = []
        frames, used = _scan(self._buf + bytes(data), rejects, final=False)
        self._buf = (self._buf + bytes(data))[used:]
        if rejects:
            self.rejected += len(rejects)
            self.last_reject = rejects[-1]
        return frames
