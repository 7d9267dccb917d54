"""Device simulators on 127.0.0.x: PJLink display, VISCA-over-IP camera, Kramer / Extron matrix, NovaStar-style
LED controller, CCL/1 light gateway. Each speaks its protocol through the same codecs the drivers use.

Every simulator has ``silent`` (accept connections and requests, answer nothing: a device that stopped
answering), ``requests`` (what it received, decoded) and ``await start()`` / ``await stop()``.
"""
from __future__ import annotations

import asyncio
import secrets

from devices import lights, matrix, novastar, pjlink, visca


class _TcpSim:
    kind = "tcp"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self.silent = False
        self.requests: list = []
        self.connections = 0
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> "_TcpSim":
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for w in list(self._writers):
                w.close()
            await self._server.wait_closed()
            self._server = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        try:
            await self.serve(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    def send(self, writer: asyncio.StreamWriter, data: bytes) -> None:
        if not self.silent:
            writer.write(data)

    async def serve(self, reader, writer) -> None:  # noqa: ANN001
        raise NotImplementedError


class PjlinkSim(_TcpSim):
    """A projector: power (with warm-up skipped), input, lamp hours, ERST, optional password."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, password: str | None = None, lamp_hours: int = 1200):
        super().__init__(host, port)
        self.password = password
        self.power, self.input, self.mute = "0", "31", "30"
        self.lamp_hours, self.erst = lamp_hours, "000000"
        self.inputs = {"11", "12", "31", "32", "33", "51"}

    async def serve(self, reader, writer) -> None:  # noqa: ANN001
        rand = secrets.token_hex(4) if self.password else None
        self.send(writer, pjlink.greeting(rand))
        line = await reader.readuntil(b"\r")
        if rand is not None:
            digest, line = line[:32].decode("ascii", "replace"), line[32:]
            if digest != pjlink.auth_digest(rand, self.password or ""):
                self.send(writer, b"PJLINK ERRA\r")
                return
        while True:
            try:
                cmd, param = pjlink.parse_command(line)
            except pjlink.PjlinkError:
                self.send(writer, b"%1XXXX=ERR1\r")
            else:
                self.requests.append((cmd, param))
                self.send(writer, pjlink.response(cmd, self._answer(cmd, param)))
            await writer.drain()
            line = await reader.readuntil(b"\r")

    def _answer(self, cmd: str, param: str) -> str:
        if cmd == "POWR":
            if param == "?":
                return self.power
            if param not in ("0", "1"):
                return "ERR2"
            self.power = param
            return "OK"
        if cmd == "INPT":
            if param == "?":
                return self.input if self.power == "1" else "ERR3"
            if param not in self.inputs:
                return "ERR2"
            if self.power != "1":
                return "ERR3"
            self.input = param
            return "OK"
        if cmd == "AVMT":
            if param == "?":
                return self.mute
            self.mute = param
            return "OK"
        if cmd == "LAMP":
            return f"{self.lamp_hours} {1 if self.power == '1' else 0}"
        if cmd == "ERST":
            return self.erst
        if cmd == "NAME":
            return "会商室投影"
        return "ERR1"


class _LineSim(_TcpSim):
    end = b"\n"
    banner = b""

    async def serve(self, reader, writer) -> None:  # noqa: ANN001
        if self.banner:
            self.send(writer, self.banner)
        while True:
            data = await reader.readuntil(self.end) if self.end else await self._sis(reader)
            self.send(writer, self.answer(data))
            await writer.drain()

    def answer(self, data: bytes) -> bytes:
        raise NotImplementedError


class KramerSim(_LineSim):
    end = b"\r"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, size: int = 8):
        super().__init__(host, port)
        self.size = size
        self.routes: dict[int, int] = {}

    def answer(self, data: bytes) -> bytes:
        try:
            cmd, params = matrix.kramer_command(data)
        except matrix.MatrixError:
            return b"~01@ERR 001\r\n"
        self.requests.append((cmd, params))
        if cmd == "":
            return b"~01@ OK\r\n"
        try:
            if cmd == "ROUTE":
                layer, out, inp = (int(x) for x in params.split(","))
            elif cmd == "VID":
                inp, out = (int(x) for x in params.split(">"))
            else:
                return f"~01@{cmd} ERR 002\r\n".encode()
        except ValueError:
            return f"~01@{cmd} ERR 001\r\n".encode()
        if not (1 <= inp <= self.size and 1 <= out <= self.size):
            return f"~01@{cmd} ERR 003\r\n".encode()
        self.routes[out] = inp
        return f"~01@{cmd} {params} OK\r\n".encode()


class ExtronSim(_LineSim):
    end = b""  # SIS commands have no terminator: the command character ends them
    banner = b"(c) Copyright 2024, Extron Electronics, DXP 88 HD 4K PLUS, V1.23, 60-1496-01\r\n"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, size: int = 8):
        super().__init__(host, port)
        self.size = size
        self.routes: dict[int, int] = {}

    async def _sis(self, reader: asyncio.StreamReader) -> bytes:
        buf = b""
        while True:
            c = await reader.readexactly(1)
            buf += c
            if c in b"!%$&Qq" or len(buf) > 32:
                return buf

    def answer(self, data: bytes) -> bytes:
        cmd = matrix.extron_command(data)
        self.requests.append(cmd)
        if cmd in ("Q", "q"):
            return b"1.23\r\n"
        if not isinstance(cmd, tuple):
            return b"E10\r\n"
        inp, out, kind = cmd
        if not 1 <= inp <= self.size:
            return b"E01\r\n"
        if not 1 <= out <= self.size:
            return b"E12\r\n"
        self.routes[out] = inp
        return f"Out{out} In{inp} {kind}\r\n".encode()


class NovaSim(_TcpSim):
    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.power, self.brightness, self.input, self.temperature, self.faults = False, 50, 1, 38, 0

    async def serve(self, reader, writer) -> None:  # noqa: ANN001
        decoder = novastar.Decoder(novastar.REQ_HEAD)
        while True:
            data = await reader.read(1024)
            if not data:
                return
            for f in decoder.feed(data):
                self.requests.append(f)
                self.send(writer, novastar.reply(f.seq, f.cmd, *self._do(f)))
            await writer.drain()

    def _do(self, f: novastar.Frame) -> tuple[int, bytes]:
        if f.cmd == novastar.POWER and len(f.payload) == 1 and f.payload[0] in (0, 1):
            self.power = bool(f.payload[0])
        elif f.cmd == novastar.BRIGHTNESS and len(f.payload) == 1 and f.payload[0] <= 100:
            self.brightness = f.payload[0]
        elif f.cmd == novastar.INPUT and len(f.payload) == 1 and f.payload[0] in novastar.INPUTS:
            self.input = f.payload[0]
        elif f.cmd == novastar.STATUS:
            return 0, bytes([int(self.power), self.brightness, self.input, self.temperature & 0xFF, self.faults])
        elif f.cmd in (novastar.POWER, novastar.BRIGHTNESS, novastar.INPUT):
            return 3, b""
        else:
            return 2, b""
        return 0, b""


class LightsSim(_LineSim):
    end = b"\n"

    def __init__(self, host: str = "127.0.0.1", port: int = 0, channels: int = 16):
        super().__init__(host, port)
        self.channels = channels
        self.levels = [0] * (channels + 1)

    def answer(self, data: bytes) -> bytes:
        try:
            op, nums = lights.parse_request(data)
        except lights.LightsError as exc:
            return f"ERR 1 {exc}\n".encode()
        self.requests.append((op, nums))
        if op in ("SET", "GET") and nums[0] > self.channels:
            return f"ERR 2 channel {nums[0]} not on this gateway\n".encode()
        if op == "SET":
            self.levels[nums[0]] = nums[1]
            return f"OK SET {nums[0]} {nums[1]}\n".encode()
        if op == "GET":
            return f"OK GET {nums[0]} {self.levels[nums[0]]}\n".encode()
        if op == "ALL":
            self.levels = [nums[0]] * (self.channels + 1)
            return f"OK ALL {nums[0]}\n".encode()
        return f"OK PONG {self.channels}\n".encode()


class _Visca(asyncio.DatagramProtocol):
    def __init__(self, sim: "ViscaSim"):
        self.sim = sim
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport) -> None:  # noqa: ANN001
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:  # noqa: ANN001
        for reply in self.sim.handle(data):
            if not self.sim.silent and self.transport is not None:
                self.transport.sendto(reply, addr)


class ViscaSim:
    """A VISCA-over-IP camera on UDP: presets (recall/set), pan/tilt drive, zoom, power, power inquiry."""

    kind = "udp"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self.silent = False
        self.requests: list[bytes] = []
        self.power, self.preset, self.presets, self.moving, self.zooming = True, 0, set(range(0, 8)), (0, 0), 0
        self._transport: asyncio.DatagramTransport | None = None

    async def start(self) -> "ViscaSim":
        loop = asyncio.get_running_loop()
        self._transport, _ = await loop.create_datagram_endpoint(lambda: _Visca(self), local_addr=(self.host, self.port))
        self.port = self._transport.get_extra_info("sockname")[1]
        return self

    async def stop(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def handle(self, data: bytes) -> list[bytes]:
        try:
            p = visca.unpack(data)
        except visca.ViscaError:
            return []
        if p.kind == visca.CONTROL:
            return [visca.pack(visca.CONTROL_REPLY, p.seq, b"\x01")]
        self.requests.append(p.payload)
        pl = p.payload

        def rep(b: bytes) -> bytes:
            return visca.pack(visca.REPLY, p.seq, b)
        if p.kind == visca.INQUIRY and pl[1:4] == b"\x09\x04\x00":
            return [rep(bytes([0x90, 0x50, 0x02 if self.power else 0x03, 0xFF]))]
        ack, done = rep(b"\x90\x41\xFF"), rep(b"\x90\x51\xFF")
        if pl[1:4] == b"\x01\x04\x3F" and len(pl) == 7:
            if pl[4] == 0x02 and pl[5] not in self.presets:
                return [ack, rep(b"\x90\x61\x41\xFF")]
            if pl[4] == 0x01:
                self.presets.add(pl[5])
            self.preset = pl[5]
            return [ack, done]
        if pl[1:4] == b"\x01\x06\x01" and len(pl) == 9:
            self.moving = ({1: -1, 2: 1, 3: 0}.get(pl[6], 0), {1: 1, 2: -1, 3: 0}.get(pl[7], 0))
            return [ack, done]
        if pl[1:4] == b"\x01\x04\x07" and len(pl) == 6:
            self.zooming = 0 if pl[4] == 0 else (1 if pl[4] & 0xF0 == 0x20 else -1)
            return [ack, done]
        if pl[1:4] == b"\x01\x04\x00" and len(pl) == 6:
            self.power = pl[4] == 0x02
            return [ack, done]
        return [rep(b"\x90\x60\x02\xFF")]


SIMS = {"pjlink": PjlinkSim, "visca": ViscaSim, "kramer": KramerSim, "extron": ExtronSim, "novastar": NovaSim,
        "ccl": LightsSim}
DEMO_ROOM = __import__("pathlib").Path(__file__).with_name("room-demo.json")


async def start_room(devices: list[dict], *, any_port: bool = False) -> tuple[dict, list[dict]]:
    """Start a simulator for each room-file entry; return ({id: sim}, the entries with the ports in use).

    ``any_port``: let the OS choose free ports (tests running side by side), instead of the entries' ports.
    """
    sims: dict = {}
    out = []
    try:
        for d in devices:
            cls = SIMS[d["protocol"]]
            kwargs = {"password": d["password"]} if d.get("password") and cls is PjlinkSim else {}
            sim = await cls(d["host"], 0 if any_port else d["port"], **kwargs).start()
            sims[d["id"]] = sim
            out.append({**d, "port": sim.port})
    except BaseException:
        for sim in sims.values():
            await sim.stop()
        raise
    return sims, out
