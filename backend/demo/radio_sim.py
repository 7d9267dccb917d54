"""A simulated radio gateway on the far end of a serial port (a socat PTY in the demo).

    python -m backend.demo.radio_sim /tmp/cc-radio-b [--radios 12] [--emergency-every 90] [--seed 1] [--console]

Demo radios walk around Yongkang and report +GPS every few seconds, change +STAT now and then, answer
calls (a private call to an off-duty radio is refused with ERROR:4) and raise an +EMRG now and then.
Protocol: devices/README.md, "Radio gateway protocol". With ``--console`` a trainer (or a test) sees every AT
command the gateway receives on stdout, one a line, and each line typed on stdin goes out to the backend as a
report (``+EMRG:3307007,1`` raises an emergency).
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import math
import random
import sys
import threading
from dataclasses import dataclass

from devices import radio_gw
from devices.transport import NotConnected, SerialTransport, TransportClosed, TransportError

log = logging.getLogger("radio_sim")

CENTRE = (28.8927, 120.0370)  # Yongkang city centre
FIRST_ID = 3307001            # demo radio ids 3307001, 3307002, …


@dataclass
class SimRadio:
    id: int
    lat: float
    lon: float
    course: float
    speed_kmh: float
    status: int = 1
    emergency: bool = False

    def walk(self, rng: random.Random, dt: float) -> None:
        self.course = (self.course + rng.gauss(0, 20)) % 360
        self.speed_kmh = min(max(self.speed_kmh + rng.gauss(0, 2), 0.0), 40.0)
        step = self.speed_kmh / 3.6 * dt
        self.lat += step * math.cos(math.radians(self.course)) / 111_000
        self.lon += step * math.sin(math.radians(self.course)) / (111_000 * math.cos(math.radians(self.lat)))
        # stay within ~8 km of the centre
        if math.hypot(self.lat - CENTRE[0], self.lon - CENTRE[1]) > 0.08:
            self.course = (self.course + 180) % 360


def make_radios(n: int, rng: random.Random) -> list[SimRadio]:
    return [SimRadio(FIRST_ID + i, CENTRE[0] + rng.uniform(-0.05, 0.05), CENTRE[1] + rng.uniform(-0.05, 0.05),
                     rng.uniform(0, 360), rng.uniform(0, 30)) for i in range(n)]


class RadioSim:
    """The gateway's behaviour; talks through any transport with read()/write().

    Attributes:
        radios: {id: SimRadio}.
        commands: every AT line received, in order (tests read it).
        call: (kind, target) of the call in progress, or None.
    """

    def __init__(self, transport, radios: int = 12, *, seed: int | None = None, gps_every: float = 3.0,
                 status_every: float = 20.0, emergency_every: float = 90.0) -> None:
        self.transport = transport
        self.rng = random.Random(seed)
        self.radios = {r.id: r for r in make_radios(radios, self.rng)}
        self.commands: list[str] = []
        self.call: tuple[str, int] | None = None
        self.channel = 1
        self.gps_every, self.status_every, self.emergency_every = gps_every, status_every, emergency_every
        self._decoder_buf = bytearray()

    async def send(self, data: bytes) -> None:
        try:
            await self.transport.write(data)
        except (NotConnected, TransportError) as exc:
            log.debug("not sent: %s", exc)

    async def run(self) -> None:
        await asyncio.gather(self._serve(), self._report())

    async def _serve(self) -> None:
        while True:
            try:
                chunk = await self.transport.read()
            except TransportClosed:
                return
            self._decoder_buf += chunk
            while True:
                cut = self._decoder_buf.find(b"\r")
                if cut < 0:
                    break
                raw = bytes(self._decoder_buf[:cut]).strip()
                del self._decoder_buf[:cut + 1]
                if raw:
                    for reply in self.handle(raw.decode("utf-8", "replace")):
                        await self.send(reply)

    def handle(self, line: str) -> list[bytes]:
        """One AT line → the bytes to send back (answer first, then any reports)."""
        self.commands.append(line)
        try:
            name, args = radio_gw.parse_command(line)
        except radio_gw.RadioCodecError:
            return [radio_gw.error(1)]
        try:
            if name == "CHAN":
                self.channel = int(args[0])
                return [radio_gw.ok(), f"+CHAN:{self.channel}\r\n".encode()]
            if name == "PTT":
                return [radio_gw.ok(), radio_gw.ptt_event(0, args[0] == "1")]
            if name == "CALL":
                kind, target = args[0], int(args[1])
                if kind == "P":
                    radio = self.radios.get(target)
                    if radio is None:
                        return [radio_gw.error(4)]
                    if radio.status in (0, 5):
                        return [radio_gw.error(3)]
                if self.call is not None:
                    return [radio_gw.error(2)]
                self.call = (kind, target)
                return [radio_gw.ok(), radio_gw.call_event(kind, target, 0, "START")]
            if name == "HANG":
                ended, self.call = self.call, None
                out = [radio_gw.ok()]
                if ended is not None:
                    out.append(radio_gw.call_event(ended[0], ended[1], 0, "END"))
                return out
            if name in ("DGNA", "PATCH", "TXT"):
                [int(a) for a in args[:1]]
                return [radio_gw.ok()]
            if name == "POLL":
                out = []
                for r in self.radios.values():
                    out += [radio_gw.gps_report(r.id, r.lat, r.lon, r.speed_kmh, r.course),
                            radio_gw.status_report(r.id, r.status)]
                return out + [radio_gw.ok()]
        except (ValueError, IndexError):
            return [radio_gw.error(1)]
        return [radio_gw.error(1)]

    async def _report(self) -> None:
        dt = 0.5
        since_status = since_emerg = 0.0
        since_gps = self.gps_every
        for r in self.radios.values():  # a gateway reports every radio's status once it is up
            await self.send(radio_gw.status_report(r.id, r.status))
        while True:
            await asyncio.sleep(dt)
            since_gps += dt
            since_status += dt
            since_emerg += dt
            for r in self.radios.values():
                r.walk(self.rng, dt)
            if since_gps >= self.gps_every:
                since_gps = 0.0
                for r in self.radios.values():
                    await self.send(radio_gw.gps_report(r.id, r.lat, r.lon, round(r.speed_kmh, 1), r.course))
            if since_status >= self.status_every:
                since_status = 0.0
                r = self.rng.choice(list(self.radios.values()))
                r.status = self.rng.choice([1, 1, 2, 2, 3, 4, 5])
                await self.send(radio_gw.status_report(r.id, r.status))
            if self.emergency_every and since_emerg >= self.emergency_every:
                since_emerg = 0.0
                for r in self.radios.values():  # the previous emergency is cleared
                    if r.emergency:
                        r.emergency = False
                        await self.send(radio_gw.emergency(r.id, False))
                r = self.rng.choice(list(self.radios.values()))
                r.emergency = True
                await self.send(radio_gw.emergency(r.id, True))


class _Console(RadioSim):
    """The simulator with its commands echoed on stdout."""

    def handle(self, line: str) -> list[bytes]:
        print(line, flush=True)
        return super().handle(line)


def _read_stdin(loop: asyncio.AbstractEventLoop, sim: RadioSim) -> None:
    """In a thread: each stdin line goes out as a report, CR LF terminated."""
    for raw in sys.stdin.buffer:
        report = raw.strip()
        if report:
            asyncio.run_coroutine_threadsafe(sim.send(report + b"\r\n"), loop)


async def _main(args: argparse.Namespace) -> int:
    transport = SerialTransport(args.port, 115200, exclusive=False)
    await transport.open(wait=False)
    sim = (_Console if args.console else RadioSim)(transport, args.radios, seed=args.seed,
                                                   gps_every=args.gps_every, emergency_every=args.emergency_every)
    log.info("radio gateway simulator on %s: %d radios", args.port, len(sim.radios))
    if args.console:
        threading.Thread(target=_read_stdin, args=(asyncio.get_running_loop(), sim), daemon=True).start()
    try:
        await sim.run()
    finally:
        await transport.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="radio_sim", description="Simulated radio gateway (demo).")
    p.add_argument("port", help="serial port, e.g. the far end of a socat PTY pair")
    p.add_argument("--radios", type=int, default=12)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--gps-every", type=float, default=3.0, help="seconds between position reports")
    p.add_argument("--emergency-every", type=float, default=90.0, help="seconds; 0: never")
    p.add_argument("--console", action="store_true",
                   help="print each AT command received; send each stdin line to the backend as a report")
    args = p.parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s radio_sim: %(message)s")
    try:
        return asyncio.run(_main(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
