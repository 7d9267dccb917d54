"""PTZ commands (ptz.move, ptz.stop, ptz.zoom, ptz.preset): the backend drives Pelco-D over the serial ports.

A camera's ``ptz`` config comes from the private camera sources (``--cameras FILE``)::

    {"protocol": "pelco-d", "port": "/dev/ttyUSB0", "address": 1, "baudrate": 9600}

One SerialTransport per port (an RS-485 bus carries many cameras), opened at the first command and
reopened by itself when the adapter comes back. Every failure is a command failure naming the camera
and the reason (audited like any command), never a crash.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from backend.auth import User
from backend.core import CommandError, Core
from devices.ptz_pelco import PelcoDPtz
from devices.transport.serial import SerialTransport, TransportError

log = logging.getLogger(__name__)

ROLES = {"wall_operator", "duty_officer", "admin"}
DEFAULT_SPEED = 0x20
OPEN_TIMEOUT = 3.0


class PtzService:
    """Owns the serial transports of the PTZ buses and turns commands into Pelco-D frames.

    Attributes:
        transports: port path -> SerialTransport (open or reopening).
    """

    def __init__(self, core: Core, write_timeout: float = 1.0):
        self.core = core
        self.write_timeout = write_timeout
        self.transports: dict[str, SerialTransport] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    # ---- helpers ---------------------------------------------------------------------------------
    def _config(self, camera: Any) -> dict:
        if not isinstance(camera, str) or not camera:
            raise CommandError("bad_args", "camera: expected a camera id")
        source = next((s for s in self.core.camera_sources() if s.get("id") == camera), None)
        if source is None:
            raise CommandError("not_found", f"camera {camera[:64]!r} does not exist")
        ptz = source.get("ptz")
        if not ptz:
            raise CommandError("unavailable", f"camera {camera!r} has no PTZ (no \"ptz\" in the camera list)")
        protocol = str(ptz.get("protocol", "pelco-d")).lower()
        if protocol != "pelco-d":
            raise CommandError("unavailable", f"camera {camera!r}: PTZ protocol {protocol!r} is not supported "
                                              f"(only pelco-d)")
        port, address = ptz.get("port"), ptz.get("address", 1)
        if not isinstance(port, str) or not port:
            raise CommandError("unavailable", f"camera {camera!r}: ptz.port is missing")
        if isinstance(address, bool) or not isinstance(address, int) or not 1 <= address <= 255:
            raise CommandError("unavailable", f"camera {camera!r}: ptz.address must be 1-255, got {address!r}")
        return {"port": port, "address": address, "baudrate": int(ptz.get("baudrate", ptz.get("baud", 9600)))}

    async def _driver(self, camera: Any) -> PelcoDPtz:
        cfg = self._config(camera)
        port = cfg["port"]
        lock = self._locks.setdefault(port, asyncio.Lock())
        async with lock:
            transport = self.transports.get(port)
            if transport is None:
                transport = SerialTransport(port, cfg["baudrate"], write_timeout=self.write_timeout)
                try:
                    await asyncio.wait_for(transport.open(wait=True), OPEN_TIMEOUT)
                except (TransportError, OSError, asyncio.TimeoutError) as exc:
                    await transport.close()
                    raise CommandError("unavailable", f"camera {camera!r}: PTZ port {port}: "
                                                      f"{exc or type(exc).__name__}") from None
                self.transports[port] = transport
        return PelcoDPtz(transport, cfg["address"])

    async def _send(self, camera: str, op: str, *args: Any) -> None:
        driver = await self._driver(camera)
        try:
            await getattr(driver, op)(*args)
        except ValueError as exc:
            raise CommandError("bad_args", str(exc)) from None
        except TransportError as exc:
            raise CommandError("unavailable", f"camera {camera!r}: {exc}") from None

    # ---- actions ---------------------------------------------------------------------------------
    async def move(self, core: Core, user: User, args: dict) -> dict:
        camera = args.get("camera")
        pan, tilt = _direction(args, "pan"), _direction(args, "tilt")
        speed = args.get("speed", DEFAULT_SPEED)
        if isinstance(speed, bool) or not isinstance(speed, int) or not 0 <= speed <= 0x3F:
            raise CommandError("bad_args", "speed: expected an integer 0-63")
        if pan == 0 and tilt == 0:
            await self._send(camera, "stop")
        else:
            await self._send(camera, "move", pan, tilt, speed, speed)
        return {"camera": camera, "pan": pan, "tilt": tilt, "speed": speed}

    async def stop(self, core: Core, user: User, args: dict) -> dict:
        await self._send(args.get("camera"), "stop")
        return {"camera": args.get("camera")}

    async def zoom(self, core: Core, user: User, args: dict) -> dict:
        direction = _direction(args, "direction")
        if direction == 0:
            await self._send(args.get("camera"), "stop")
        else:
            await self._send(args.get("camera"), "zoom", direction)
        return {"camera": args.get("camera"), "direction": direction}

    async def preset(self, core: Core, user: User, args: dict) -> dict:
        n, op = args.get("n"), args.get("op", "goto")
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 255:
            raise CommandError("bad_args", "n: expected a preset number 1-255")
        if op not in ("goto", "set"):
            raise CommandError("bad_args", "op: expected goto or set")
        await self._send(args.get("camera"), "goto_preset" if op == "goto" else "set_preset", n)
        return {"camera": args.get("camera"), "n": n, "op": op}

    async def close(self) -> None:
        transports, self.transports = list(self.transports.values()), {}
        for transport in transports:
            try:
                await transport.close()
            except Exception:  # noqa: BLE001 - shutting down anyway
                log.exception("ptz: closing %s failed", transport.port)


def _direction(args: dict, name: str) -> int:
    value = args.get(name, 0)
    if isinstance(value, bool) or value not in (-1, 0, 1):
        raise CommandError("bad_args", f"{name}: expected -1, 0 or 1")
    return int(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--ptz-write-timeout", type=float, default=1.0, metavar="S",
                        help="seconds a PTZ serial write may take before the command fails (default 1)")


async def start(core: Core, args: argparse.Namespace):
    service = PtzService(core, getattr(args, "ptz_write_timeout", 1.0) or 1.0)
    core.register_action("ptz.move", ROLES, service.move)
    core.register_action("ptz.stop", ROLES, service.stop)
    core.register_action("ptz.zoom", ROLES, service.zoom)
    core.register_action("ptz.preset", ROLES, service.preset)
    return service.close
