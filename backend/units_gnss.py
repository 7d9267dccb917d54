"""Backend feature: unit positions from GNSS radios on serial ports (``--gnss PORT=UNIT_ID``, repeatable).

One coordinator per port (CONVENTIONS §5): SerialTransport → GnssReceiver (NMEA GGA/RMC, GPS and BeiDou
talkers) → ``core.update("units", UNIT_ID, {lat, lon, heading, speed, updated, gnss})``. Fixes arriving while
a write is in flight are coalesced (the newest wins), so a fast receiver cannot queue up stale positions.
A port that is missing or unplugged is retried by the transport; the unit gets ``gnss: "lost"`` meanwhile.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import time
from typing import Any

from devices.gnss import GnssReceiver
from devices.transport import SerialTransport

log = logging.getLogger(__name__)
ACTOR = "gnss"


def parse_spec(spec: str) -> tuple[str, str]:
    """'PORT=UNIT_ID' → (port, unit id); raises ValueError naming what is wrong."""
    port, sep, unit = spec.rpartition("=")
    if not sep or not port or not unit.strip():
        raise ValueError(f"--gnss {spec!r}: expected PORT=UNIT_ID, e.g. /dev/ttyUSB0=U-07")
    return port, unit.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--gnss", action="append", default=[], metavar="PORT=UNIT_ID",
                        help="read NMEA positions of unit UNIT_ID from serial port PORT (repeatable)")
    parser.add_argument("--gnss-baud", type=int, default=9600, help="baud rate of the --gnss ports")


class GnssCoordinator:
    """Reads one port and keeps one unit's position in the store.

    Attributes: port, unit_id, updates (positions written), fixes (fixes with a position seen), receiver.
    """

    def __init__(self, core: Any, port: str, unit_id: str, baud: int):
        self.core, self.port, self.unit_id = core, port, unit_id
        self.transport = SerialTransport(port, baud, on_state=self._on_state)
        self.receiver = GnssReceiver(self.transport)
        self.updates = self.fixes = 0
        self._latest: dict | None = None
        self._writer: asyncio.Task | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        if self.core.get("units", self.unit_id) is None:
            await self.core.update("units", self.unit_id, {"name": self.unit_id, "kind": "radio",
                                                           "status": "available", "gnss": "waiting"}, actor=ACTOR)
        await self.transport.open(wait=False)  # a radio plugged in later is picked up
        self._task = asyncio.create_task(self._run(), name=f"gnss {self.port}")

    async def stop(self) -> None:
        await self.transport.close()
        for task in (self._task, self._writer):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        async for fix in self.receiver.fixes():
            if not fix.has_position:
                continue
            self.fixes += 1
            fields: dict = {"lat": round(fix.lat, 7), "lon": round(fix.lon, 7), "updated": time.time(),
                            "gnss": "fix", "talker": fix.talker}
            if fix.course is not None:
                fields["heading"] = round(fix.course, 1)
            if fix.speed_mps is not None:
                fields["speed"] = round(fix.speed_mps, 2)
            if fix.alt is not None:
                fields["alt"] = fix.alt
            if fix.time is not None:
                fields["fix_time"] = fix.time.isoformat()
            self._latest = {**(self._latest or {}), **fields}
            if self._writer is None or self._writer.done():
                self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while self._latest is not None:
            fields, self._latest = self._latest, None
            try:
                await self.core.update("units", self.unit_id, fields, actor=ACTOR)
                self.updates += 1
            except Exception:
                log.exception("gnss %s: cannot store the position of %s", self.port, self.unit_id)

    def _on_state(self, state: str, detail: str | None):
        log.info("gnss %s (%s): %s %s", self.port, self.unit_id, state, detail or "")
        if state == "disconnected":
            return self.core.update("units", self.unit_id, {"gnss": "lost"}, actor=ACTOR)
        return None


async def start(core: Any, args: argparse.Namespace):
    specs = getattr(args, "gnss", None) or []
    if not specs:
        return None
    coordinators = []
    for spec in specs:
        try:
            port, unit = parse_spec(spec)
        except ValueError as exc:
            log.error("%s", exc)
            continue
        coord = GnssCoordinator(core, port, unit, args.gnss_baud)
        try:
            await coord.start()
        except Exception:
            log.exception("gnss %s: did not start", port)
            continue
        log.info("gnss: %s → unit %s at %d baud", port, unit, args.gnss_baud)
        coordinators.append(coord)

    async def stop() -> None:
        for coord in coordinators:
            await coord.stop()

    return stop
