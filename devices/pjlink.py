"""PJLink class 1 for the room's projectors and displays: a pure codec, and a driver over aiopjlink2.

Codec (no I/O; the simulator and the tests use it): ``command("POWR", "1") -> b"%1POWR 1\\r"``,
``parse_command``, ``response``, ``parse_response``, ``auth_digest(random, password)`` (md5 hex of the
projector's random number followed by the password, sent before the first command), ``parse_lamps``
("12345 1 200 0" -> [(12345, True), (200, False)]) and ``parse_errors`` ("000120" -> {"lamp": "warning",
"temperature": "error"}). The driver ``PjlinkDisplay`` uses the PyPI package aiopjlink2 (one short TCP
connection per command, md5 authentication, a timeout on every step), wrapped so that every failure is a
``DeviceError`` naming the display.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import aiopjlink

from devices.room_transport import LinkError

PORT = 4352
COMMANDS = ("POWR", "INPT", "AVMT", "ERST", "LAMP", "NAME", "INF1", "INF2", "INFO", "INST", "CLSS")
ERRORS = ("ERR1", "ERR2", "ERR3", "ERR4", "ERRA")
ERST_FIELDS = ("fan", "lamp", "temperature", "cover", "filter", "other")
ERST_LEVELS = {"0": "ok", "1": "warning", "2": "error"}
POWER_STATES = {"0": "off", "1": "on", "2": "cooling", "3": "warming"}
INPUT_TYPES = {"1": "RGB", "2": "VIDEO", "3": "DIGITAL", "4": "STORAGE", "5": "NETWORK"}


class PjlinkError(ValueError):
    """A malformed PJLink line or argument; the message says what is wrong."""


class DeviceError(Exception):
    """A display did not do what was asked (unreachable, silent, refused); the message names it."""


def command(cmd: str, param: str = "?") -> bytes:
    """``%1CMND param\\r`` for class 1."""
    if cmd not in COMMANDS:
        raise PjlinkError(f"command {cmd!r}: not a PJLink class 1 command")
    if len(param) > 128 or "\r" in param:
        raise PjlinkError("param: at most 128 characters, no CR")
    return f"%1{cmd} {param}\r".encode("ascii")


def parse_command(line: bytes) -> tuple[str, str]:
    """``b"%1POWR 1\\r"`` -> ("POWR", "1")."""
    text = line.decode("ascii", "replace").rstrip("\r")
    if len(text) < 7 or text[:2] != "%1" or text[6] != " ":
        raise PjlinkError(f"{text[:40]!r}: not a class 1 command line")
    return text[2:6].upper(), text[7:]


def response(cmd: str, param: str) -> bytes:
    """``%1CMND=param\\r`` (param "OK", a value, or ERR1-4)."""
    return f"%1{cmd}={param}\r".encode("ascii")


def parse_response(line: bytes) -> tuple[str, str]:
    text = line.decode("ascii", "replace").rstrip("\r")
    if len(text) < 7 or text[:2] != "%1" or text[6] != "=":
        raise PjlinkError(f"{text[:40]!r}: not a class 1 response")
    return text[2:6].upper(), text[7:]


def greeting(random: str | None) -> bytes:
    """What a projector sends on connect: ``PJLINK 0`` (no auth) or ``PJLINK 1 <random>``."""
    return b"PJLINK 0\r" if random is None else f"PJLINK 1 {random}\r".encode("ascii")


def auth_digest(random: str, password: str) -> str:
    return hashlib.md5((random + password).encode("utf-8")).hexdigest()


def parse_lamps(param: str) -> list[tuple[int, bool]]:
    parts = param.split()
    if not parts or len(parts) % 2:
        raise PjlinkError(f"LAMP {param!r}: expected pairs of hours and on/off")
    try:
        return [(int(parts[i]), parts[i + 1] == "1") for i in range(0, len(parts), 2)]
    except ValueError:
        raise PjlinkError(f"LAMP {param!r}: hours must be numbers") from None


def parse_errors(param: str) -> dict[str, str]:
    """The non-ok ERST fields by name."""
    if len(param) != 6 or any(c not in ERST_LEVELS for c in param):
        raise PjlinkError(f"ERST {param!r}: expected 6 digits 0-2")
    return {name: ERST_LEVELS[c] for name, c in zip(ERST_FIELDS, param) if c != "0"}


def parse_input(value: str | int) -> tuple[str, str]:
    """"31" -> ("3", "1"): input type 1-5 and number 1-9."""
    text = str(value)
    if len(text) != 2 or text[0] not in INPUT_TYPES or not text[1].isdigit() or text[1] == "0":
        raise PjlinkError(f"input {text!r}: expected two digits, type 1-5 then number 1-9 (e.g. 31 = DIGITAL 1)")
    return text[0], text[1]


@dataclass
class DisplayStatus:
    power: str  # off | on | cooling | warming
    input: str  # "31"
    lamp_hours: int | None
    errors: dict


class PjlinkDisplay:
    """A PJLink projector or display at ``host:port`` (password optional).

    Attributes: name (for messages), link (the aiopjlink2 PJLink).
    """

    def __init__(self, host: str, port: int = PORT, password: str | None = None, timeout: float = 1.5):
        self.name = f"pjlink {host}:{port}"
        self.link = aiopjlink.PJLink(host, port=port, password=password, timeout=timeout)

    async def _call(self, cmd: str, param: str) -> str:
        try:
            return await self.link.transmit(cmd, param, aiopjlink.PJClass.ONE)
        except (aiopjlink.PJLinkNoConnection, aiopjlink.PJLinkConnectionClosed) as exc:
            raise LinkError(f"{self.name}: {exc}") from None
        except aiopjlink.PJLinkProtocolError as exc:
            if "welcome" in str(exc):  # connected, then silence: the projector's controller hangs
                raise LinkError(f"{self.name}: {exc}") from None
            raise DeviceError(f"{self.name}: {cmd}: {exc}") from None
        except aiopjlink.PJLinkPassword as exc:
            raise DeviceError(f"{self.name}: authentication failed ({exc})") from None
        except aiopjlink.PJLinkERR3:
            raise DeviceError(f"{self.name}: {cmd} {param}: unavailable in the current state (ERR3)") from None
        except aiopjlink.PJLinkERR2:
            raise DeviceError(f"{self.name}: {cmd} {param}: out of range (ERR2)") from None
        except aiopjlink.PJLinkException as exc:
            raise DeviceError(f"{self.name}: {cmd}: {exc}") from None

    async def power(self, on: bool) -> None:
        await self._call("POWR", "1" if on else "0")

    async def set_input(self, value: str | int) -> None:
        kind, number = parse_input(value)
        await self._call("INPT", kind + number)

    async def mute(self, video: bool, audio: bool) -> None:
        await self._call("AVMT", "31" if video and audio else "11" if video else "21" if audio else "30")

    async def status(self) -> DisplayStatus:
        power = POWER_STATES.get(await self._call("POWR", "?"), "unknown")
        try:
            source = await self._call("INPT", "?")
        except DeviceError:  # ERR3 while off on many projectors
            source = ""
        try:
            lamps = parse_lamps(await self._call("LAMP", "?"))
            hours = max(h for h, _on in lamps)
        except (DeviceError, PjlinkError):  # a flat panel has no lamp (ERR1)
            hours = None
        try:
            errors = parse_errors(await self._call("ERST", "?"))
        except PjlinkError as exc:
            errors = {"other": str(exc)}
        return DisplayStatus(power, source, hours, errors)
