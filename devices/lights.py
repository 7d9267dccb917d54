"""Room lights: a generic dimmer/relay gateway line protocol of ours ("CCL/1") — codec and TCP driver.

Lines are ASCII, LF-terminated; a request gets exactly one reply line::

    SET <channel 1-512> <level 0-255>  ->  OK SET <channel> <level>
    GET <channel>                      ->  OK GET <channel> <level>
    ALL <level>                        ->  OK ALL <level>
    PING                               ->  OK PONG <channels>
    anything wrong                     ->  ERR <code> <text>    (1 syntax, 2 channel, 3 level, 4 busy)

It maps one to one onto a DMX512 universe (channel = DMX slot, level = slot value) or a relay board
(level 0 = open, anything else = closed), so a real gateway needs only a small adapter on its side.
"""
from __future__ import annotations

from devices.matrix import line_end
from devices.room_transport import TcpLink

CHANNELS = 512


class LightsError(ValueError):
    """A bad argument, a malformed line or an ERR reply; the message says which."""


def _channel(ch: int) -> int:
    if isinstance(ch, bool) or not isinstance(ch, int) or not 1 <= ch <= CHANNELS:
        raise LightsError(f"channel: expected 1-{CHANNELS}, got {ch!r}")
    return ch


def _level(level: int) -> int:
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 255:
        raise LightsError(f"level: expected 0-255, got {level!r}")
    return level


def set_level(ch: int, level: int) -> bytes:
    return f"SET {_channel(ch)} {_level(level)}\n".encode("ascii")


def get_level(ch: int) -> bytes:
    return f"GET {_channel(ch)}\n".encode("ascii")


def set_all(level: int) -> bytes:
    return f"ALL {_level(level)}\n".encode("ascii")


PING = b"PING\n"


def parse_reply(line: bytes) -> list[str]:
    """``OK SET 3 200`` -> ["SET", "3", "200"]; raises LightsError for ERR or garbage."""
    parts = line.decode("ascii", "replace").split()
    if len(parts) >= 2 and parts[0] == "ERR":
        raise LightsError(f"gateway error {parts[1]}: {' '.join(parts[2:])}")
    if not parts or parts[0] != "OK" or len(parts) < 2:
        raise LightsError(f"{line[:60]!r}: not a CCL/1 reply")
    return parts[1:]


def parse_request(line: bytes) -> tuple[str, list[int]]:
    """Gateway side: ``SET 3 200`` -> ("SET", [3, 200]); raises LightsError."""
    parts = line.decode("ascii", "replace").split()
    if not parts:
        raise LightsError("empty line")
    op, rest = parts[0].upper(), parts[1:]
    arity = {"SET": 2, "GET": 1, "ALL": 1, "PING": 0}
    if op not in arity or len(rest) != arity[op]:
        raise LightsError(f"{op[:10]}: unknown command or wrong number of arguments")
    try:
        nums = [int(x) for x in rest]
    except ValueError:
        raise LightsError(f"{op}: arguments must be integers") from None
    if op in ("SET", "GET"):
        _channel(nums[0])
    if op == "SET":
        _level(nums[1])
    if op == "ALL":
        _level(nums[0])
    return op, nums


class LightGateway:
    """A CCL/1 light gateway on TCP. Attributes: name, link (TcpLink)."""

    def __init__(self, host: str, port: int, *, timeout: float = 1.5):
        self.link = TcpLink(host, port, timeout=timeout)
        self.name = f"lights {host}:{port}"

    async def _ask(self, data: bytes) -> list[str]:
        try:
            return parse_reply(await self.link.request(data, line_end))
        except LightsError as exc:
            raise LightsError(f"{self.name}: {exc}") from None

    async def set_level(self, ch: int, level: int) -> None:
        await self._ask(set_level(ch, level))

    async def set_all(self, level: int) -> None:
        await self._ask(set_all(level))

    async def level(self, ch: int) -> int:
        return int((await self._ask(get_level(ch)))[-1])

    async def ping(self) -> int:
        return int((await self._ask(PING))[-1])

    async def close(self) -> None:
        await self.link.close()
