"""Radio gateway line protocol (AT-style, modelled on DMR gateway modules): pure codec, no I/O.

Lines are ASCII/UTF-8 text ending in CR LF. The host sends ``AT`` commands; the gateway answers each
with ``OK`` or ``ERROR:<code>`` and reports events as unsolicited ``+`` lines. The full grammar is in
devices/README.md ("Radio gateway protocol").
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

MAX_RADIO_ID = 16776415  # DMR individual ids are 24 bit; above this the range is reserved
ALL_CALL_ID = 16777215   # 0xFFFFFF: the DMR all-call address
MAX_CHANNEL = 99
MAX_TEXT = 140           # bytes of UTF-8, like a DMR short data message
MAX_LINE = 512
CALL_KINDS = {"P": "private", "G": "group", "A": "all"}
STATUS_CODES = {0: "offline", 1: "available", 2: "busy", 3: "on_scene", 4: "returning", 5: "off_duty"}
STATUS_BY_NAME = {v: k for k, v in STATUS_CODES.items()}
ERROR_CODES = {1: "syntax", 2: "busy", 3: "no_answer", 4: "not_reachable", 5: "channel", 9: "internal"}


class RadioCodecError(ValueError):
    """A line or an argument that does not fit the protocol; the message names the field."""


# ---------------------------------------------------------------------------------------- messages
@dataclass(frozen=True)
class Ok:
    pass


@dataclass(frozen=True)
class Error:
    code: int

    @property
    def reason(self) -> str:
        return ERROR_CODES.get(self.code, f"error {self.code}")


@dataclass(frozen=True)
class GpsReport:
    radio: int
    lat: float
    lon: float
    speed_kmh: float = 0.0
    course: float = 0.0


@dataclass(frozen=True)
class StatusReport:
    radio: int
    code: int

    @property
    def status(self) -> str:
        return STATUS_CODES.get(self.code, f"status-{self.code}")


@dataclass(frozen=True)
class Emergency:
    radio: int
    on: bool


@dataclass(frozen=True)
class CallEvent:
    kind: str     # "P" | "G" | "A"
    target: int   # the called radio or group
    source: int   # who keyed (0: the console)
    state: str    # "START" | "END"


@dataclass(frozen=True)
class PttEvent:
    radio: int
    on: bool


@dataclass(frozen=True)
class TextMessage:
    radio: int
    text: str


@dataclass(frozen=True)
class ChannelReport:
    channel: int


@dataclass(frozen=True)
class Unknown:
    line: str
    reason: str


Message = Ok | Error | GpsReport | StatusReport | Emergency | CallEvent | PttEvent | TextMessage | ChannelReport \
    | Unknown


# ---------------------------------------------------------------------------------------- builders
def _int(name: str, value, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise RadioCodecError(f"{name}: expected an integer {low}..{high}, got {value!r}")
    return value


def _line(body: str) -> bytes:
    return (body + "\r\n").encode("utf-8")


def channel(ch: int) -> bytes:
    return _line(f"AT+CHAN={_int('channel', ch, 1, MAX_CHANNEL)}")


def ptt(on: bool) -> bytes:
    return _line(f"AT+PTT={1 if on else 0}")


def call(kind: str, target: int) -> bytes:
    if kind not in CALL_KINDS:
        raise RadioCodecError(f"kind: expected one of {', '.join(CALL_KINDS)}, got {kind!r}")
    if kind == "A":
        target = ALL_CALL_ID
    return _line(f"AT+CALL={kind},{_int('target', target, 1, ALL_CALL_ID)}")


def hangup() -> bytes:
    return _line("AT+HANG")


def group_assign(group: int, members: list[int]) -> bytes:
    """Dynamic group number assignment: the members' radios join talk group ``group``."""
    if not members or len(members) > 32:
        raise RadioCodecError(f"members: expected 1..32 radio ids, got {len(members) if members else 0}")
    ids = ",".join(str(_int("member", m, 1, MAX_RADIO_ID)) for m in members)
    return _line(f"AT+DGNA={_int('group', group, 1, MAX_RADIO_ID)},{ids}")


def patch(ch_a: int, ch_b: int, on: bool = True) -> bytes:
    a, b = _int("channel a", ch_a, 1, MAX_CHANNEL), _int("channel b", ch_b, 1, MAX_CHANNEL)
    if a == b:
        raise RadioCodecError("patch: the two channels must differ")
    return _line(f"AT+PATCH={a},{b},{1 if on else 0}")


def text(radio: int, message: str) -> bytes:
    _int("radio", radio, 1, ALL_CALL_ID)
    if not isinstance(message, str) or not message or any(c in message for c in "\r\n\0"):
        raise RadioCodecError("text: expected a non-empty single line")
    if len(message.encode("utf-8")) > MAX_TEXT:
        raise RadioCodecError(f"text: longer than {MAX_TEXT} bytes of UTF-8")
    return _line(f"AT+TXT={radio},{message}")


def poll() -> bytes:
    """Ask for every radio's last GPS and status (answered by +GPS/+STAT lines, then OK)."""
    return _line("AT+POLL")


# gateway side (the simulator and tests build reports with these)
def ok() -> bytes:
    return _line("OK")


def error(code: int) -> bytes:
    return _line(f"ERROR:{_int('code', code, 1, 99)}")


def gps_report(radio: int, lat: float, lon: float, speed_kmh: float = 0.0, course: float = 0.0) -> bytes:
    _int("radio", radio, 1, MAX_RADIO_ID)
    for name, v, lo, hi in (("lat", lat, -90, 90), ("lon", lon, -180, 180), ("speed", speed_kmh, 0, 999),
                            ("course", course, 0, 360)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
            raise RadioCodecError(f"{name}: expected {lo}..{hi}, got {v!r}")
    return _line(f"+GPS:{radio},{lat:.6f},{lon:.6f},{speed_kmh:.1f},{course:.0f}")


def status_report(radio: int, code: int) -> bytes:
    return _line(f"+STAT:{_int('radio', radio, 1, MAX_RADIO_ID)},{_int('code', code, 0, 99)}")


def emergency(radio: int, on: bool = True) -> bytes:
    return _line(f"+EMRG:{_int('radio', radio, 1, MAX_RADIO_ID)},{1 if on else 0}")


def call_event(kind: str, target: int, source: int, state: str) -> bytes:
    if kind not in CALL_KINDS or state not in ("START", "END"):
        raise RadioCodecError(f"call event: bad kind {kind!r} or state {state!r}")
    return _line(f"+CALL:{kind},{_int('target', target, 1, ALL_CALL_ID)},{_int('source', source, 0, MAX_RADIO_ID)},"
                 f"{state}")


def ptt_event(radio: int, on: bool) -> bytes:
    return _line(f"+PTT:{_int('radio', radio, 0, MAX_RADIO_ID)},{1 if on else 0}")


def text_message(radio: int, message: str) -> bytes:
    return text(radio, message).replace(b"AT+TXT=", b"+MSG:", 1)


# ---------------------------------------------------------------------------------------- parsing
def _ints(parts: list[str], n: int, what: str) -> list[int]:
    if len(parts) != n:
        raise RadioCodecError(f"{what}: expected {n} fields, got {len(parts)}")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise RadioCodecError(f"{what}: fields must be integers") from None


def _flag(v: int, what: str) -> bool:
    if v not in (0, 1):
        raise RadioCodecError(f"{what}: flag must be 0 or 1, got {v}")
    return bool(v)


def parse_line(line: str) -> Message:
    """One gateway line (without CR LF) → a message; never raises (bad lines give Unknown)."""
    try:
        return _parse(line)
    except RadioCodecError as exc:
        return Unknown(line, str(exc))


def _parse(line: str) -> Message:
    if line == "OK":
        return Ok()
    if line.startswith("ERROR:"):
        return Error(_ints([line[6:]], 1, "ERROR")[0])
    head, sep, rest = line.partition(":")
    if not sep or not head.startswith("+"):
        raise RadioCodecError("not a response or a + report")
    if head == "+MSG":
        radio, comma, msg = rest.partition(",")
        if not comma or not msg:
            raise RadioCodecError("+MSG: expected radio,text")
        return TextMessage(_ints([radio], 1, "+MSG")[0], msg)
    parts = rest.split(",")
    if head == "+GPS":
        if len(parts) != 5:
            raise RadioCodecError(f"+GPS: expected 5 fields, got {len(parts)}")
        radio = _ints(parts[:1], 1, "+GPS")[0]
        try:
            lat, lon, spd, crs = (float(p) for p in parts[1:])
        except ValueError:
            raise RadioCodecError("+GPS: lat,lon,speed,course must be numbers") from None
        if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
            raise RadioCodecError(f"+GPS: position {lat},{lon} out of range")
        return GpsReport(radio, lat, lon, spd, crs)
    if head == "+STAT":
        radio, code = _ints(parts, 2, "+STAT")
        return StatusReport(radio, code)
    if head == "+EMRG":
        radio, on = _ints(parts, 2, "+EMRG")
        return Emergency(radio, _flag(on, "+EMRG"))
    if head == "+PTT":
        radio, on = _ints(parts, 2, "+PTT")
        return PttEvent(radio, _flag(on, "+PTT"))
    if head == "+CHAN":
        return ChannelReport(_ints(parts, 1, "+CHAN")[0])
    if head == "+CALL":
        if len(parts) != 4 or parts[0] not in CALL_KINDS or parts[3] not in ("START", "END"):
            raise RadioCodecError("+CALL: expected kind(P|G|A),target,source,START|END")
        target, source = _ints(parts[1:3], 2, "+CALL")
        return CallEvent(parts[0], target, source, parts[3])
    raise RadioCodecError(f"unknown report {head}")


@dataclass
class LineDecoder:
    """Splits a byte stream into lines (CR LF, LF or CR) and parses them; keeps a partial line.

    Attributes:
        rejected: lines that were not valid protocol (too long, not UTF-8, unknown), counted.
    """

    rejected: int = 0
    _buf: bytearray = field(default_factory=bytearray)

    def drop_partial(self) -> bytes:
        """Forget the partial line (e.g. one an unplug cut short: its end will never come, and the next
        connection's first line must not be glued to it); returns what was dropped."""
        dropped = bytes(self._buf)
        self._buf.clear()
        return dropped

    def feed(self, data: bytes) -> list[Message]:
        self._buf += data
        out: list[Message] = []
        while True:
            cut = min((i for i in (self._buf.find(b"\r"), self._buf.find(b"\n")) if i >= 0), default=-1)
            if cut < 0:
                if len(self._buf) > MAX_LINE:
                    self.rejected += 1
                    self._buf.clear()
                return out
            raw = bytes(self._buf[:cut])
            del self._buf[:cut + 1]
            if not raw:
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.rejected += 1
                out.append(Unknown(raw.decode("utf-8", "replace"), "not UTF-8"))
                continue
            if len(raw) > MAX_LINE:
                self.rejected += 1
                out.append(Unknown(line[:64], f"line longer than {MAX_LINE} bytes"))
                continue
            msg = parse_line(line)
            if isinstance(msg, Unknown):
                self.rejected += 1
            out.append(msg)


def parse_command(line: str) -> tuple[str, list[str]]:
    """Gateway side: ``AT+CALL=G,9`` → ("CALL", ["G", "9"]); ``AT+HANG`` → ("HANG", [])."""
    if not line.startswith("AT+"):
        raise RadioCodecError(f"not an AT command: {line[:32]!r}")
    name, _eq, rest = line[3:].partition("=")
    if name == "TXT":
        radio, _c, msg = rest.partition(",")
        return name, [radio, msg]
    return name, rest.split(",") if rest else []
