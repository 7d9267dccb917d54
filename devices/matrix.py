"""Matrix switchers: Kramer Protocol 3000 and Extron SIS ties — pure codecs and one TCP driver for both.

Kramer Protocol 3000 (ASCII, CR-terminated commands, CRLF replies)::

    #ROUTE 1,<out>,<in>\\r  ->  ~01@ROUTE 1,<out>,<in> OK\\r\\n      (layer 1 = video)
    #VID <in>><out>\\r      ->  ~01@VID <in>><out> OK\\r\\n
    #\\r                    ->  ~01@ OK\\r\\n                        (handshake, our health probe)
    errors                 ->  ~01@VID ERR 003\\r\\n  /  ~01@ERR 002\\r\\n

Extron SIS::

    1*2!  ->  Out2 In1 All\\r\\n   (tie input 1 to output 2, audio and video)
    1*2%  ->  Out2 In1 Vid\\r\\n   (video only)
    Q     ->  1.23\\r\\n          (firmware version, our health probe)
    errors ->  E01 (invalid input) E10 (invalid command) E13 (invalid value) …
    on connect the switcher sends a copyright banner line, which the driver reads and drops.
"""
from __future__ import annotations

import re

from devices.room_transport import LinkError, TcpLink

KRAMER_ERRORS = {"001": "syntax", "002": "command not available", "003": "parameter out of range",
                 "004": "unauthorised access", "005": "internal firmware error"}
EXTRON_ERRORS = {"E01": "invalid input number", "E10": "invalid command", "E11": "invalid preset",
                 "E12": "invalid output number", "E13": "invalid value", "E14": "not valid for this configuration",
                 "E17": "timeout", "E22": "busy", "E24": "privilege violation", "E25": "device not present"}
_KRAMER_REPLY = re.compile(r"^~(\d\d)@(\S*)\s*(.*?)\s*$")
_EXTRON_TIE = re.compile(r"^Out(\d+) In(\d+) (All|Vid|Aud)$")


class MatrixError(ValueError):
    """A refused route or a malformed reply; the message names the switcher and the reason."""


def _port(name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise MatrixError(f"{name}: expected 1-999, got {value!r}")
    return value


# ---- Kramer Protocol 3000 --------------------------------------------------------------------------
def kramer_route(inp: int, out: int) -> bytes:
    return f"#ROUTE 1,{_port('output', out)},{_port('input', inp)}\r".encode("ascii")


def kramer_vid(inp: int, out: int) -> bytes:
    return f"#VID {_port('input', inp)}>{_port('output', out)}\r".encode("ascii")


def kramer_parse(line: bytes) -> tuple[str, str]:
    """``~01@ROUTE 1,2,3 OK`` -> ("ROUTE", "1,2,3 OK"); raises MatrixError for an ERR reply."""
    text = line.decode("ascii", "replace").strip()
    m = _KRAMER_REPLY.match(text)
    if m is None:
        raise MatrixError(f"{text[:60]!r}: not a Protocol 3000 reply")
    cmd, rest = m.group(2).upper(), m.group(3)
    err = re.search(r"ERR\s*(\d{3})", f"{cmd} {rest}")
    if err:
        code = err.group(1)
        raise MatrixError(f"{cmd or 'command'}: error {code} ({KRAMER_ERRORS.get(code, 'unknown')})")
    return cmd, rest


def kramer_command(line: bytes) -> tuple[str, str]:
    """Simulator side: ``#VID 1>2\\r`` -> ("VID", "1>2")."""
    text = line.decode("ascii", "replace").strip()
    if not text.startswith("#"):
        raise MatrixError(f"{text[:40]!r}: a Protocol 3000 command starts with #")
    head, _, params = text[1:].partition(" ")
    return head.upper(), params.strip()


# ---- Extron SIS -----------------------------------------------------------------------------------
def extron_tie(inp: int, out: int, video_only: bool = False) -> bytes:
    return f"{_port('input', inp)}*{_port('output', out)}{'%' if video_only else '!'}".encode("ascii")


def extron_parse(line: bytes) -> tuple[int, int, str]:
    """``Out2 In1 All`` -> (input 1, output 2, "All"); raises MatrixError for an E-code."""
    text = line.decode("ascii", "replace").strip()
    if re.fullmatch(r"E\d\d", text):
        raise MatrixError(f"{text} ({EXTRON_ERRORS.get(text, 'error')})")
    m = _EXTRON_TIE.match(text)
    if m is None:
        raise MatrixError(f"{text[:60]!r}: not an SIS tie reply")
    return int(m.group(2)), int(m.group(1)), m.group(3)


def extron_command(data: bytes) -> tuple[int, int, str] | str:
    """Simulator side: ``1*2!`` -> (1, 2, "All"); ``Q`` -> "Q"."""
    text = data.decode("ascii", "replace").strip()
    m = re.fullmatch(r"(\d+)\*(\d+)([!%$&])", text)
    if m:
        return int(m.group(1)), int(m.group(2)), {"!": "All", "%": "Vid", "&": "Vid", "$": "Aud"}[m.group(3)]
    return text


def line_end(buf: bytes) -> int | None:
    i = buf.find(b"\n")
    return None if i < 0 else i + 1


class MatrixSwitcher:
    """A Kramer (``protocol="kramer"``) or Extron (``"extron"``) switcher on TCP.

    Attributes: protocol, name, link (TcpLink), routes {output: input} as last confirmed.
    """

    def __init__(self, protocol: str, host: str, port: int, *, timeout: float = 1.5):
        if protocol not in ("kramer", "extron"):
            raise MatrixError(f"protocol {protocol!r}: expected kramer or extron")
        self.protocol = protocol
        self.link = TcpLink(host, port, timeout=timeout)
        self.name = f"{protocol} {host}:{port}"
        self.routes: dict[int, int] = {}

    async def _ask(self, data: bytes) -> bytes:
        greeting = line_end if self.protocol == "extron" else None
        return await self.link.request(data, line_end, greeting=greeting)

    async def route(self, inp: int, out: int) -> None:
        try:
            if self.protocol == "kramer":
                cmd, rest = kramer_parse(await self._ask(kramer_route(inp, out)))
                if cmd != "ROUTE" or not rest.endswith("OK"):
                    raise MatrixError(f"unexpected reply {cmd} {rest}")
            else:
                got_in, got_out, _kind = extron_parse(await self._ask(extron_tie(inp, out)))
                if (got_in, got_out) != (inp, out):
                    raise MatrixError(f"tied In{got_in} to Out{got_out}, asked In{inp} to Out{out}")
        except MatrixError as exc:
            raise MatrixError(f"{self.name}: route {inp}->{out}: {exc}") from None
        self.routes[out] = inp

    async def ping(self) -> str:
        """A health probe: "ok" (Kramer) or the firmware version (Extron); LinkError when silent."""
        if self.protocol == "kramer":
            kramer_parse(await self._ask(b"#\r"))
            return "ok"
        return (await self._ask(b"Q")).decode("ascii", "replace").strip()

    async def close(self) -> None:
        await self.link.close()


__all__ = ["MatrixSwitcher", "MatrixError", "LinkError"]
