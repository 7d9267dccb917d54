"""The consultation room's devices behind one interface: the room file, and an adapter per device kind.

Room file (``--room FILE``, JSON)::

    {"devices": [{"id": "display-1", "kind": "display", "protocol": "pjlink", "host": "10.1.1.11",
                  "port": 4352, "password": "…", "name": "主屏投影"},
                 {"id": "cam-room-1", "kind": "camera", "protocol": "visca", "host": "10.1.1.21"},
                 {"id": "matrix", "kind": "matrix", "protocol": "kramer", "host": "10.1.1.31", "port": 5000},
                 {"id": "led", "kind": "led", "protocol": "novastar", "host": "10.1.1.41", "port": 5200},
                 {"id": "lights", "kind": "lights", "protocol": "ccl", "host": "10.1.1.51", "port": 6000}]}

An adapter runs one scene step (``await run(step) -> detail``) and reads health (``await health() -> dict``).
``LinkError`` means the device did not answer (it is offline); any other ``DeviceFault`` means it answered
but refused (it is online, the step failed).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from devices import lights, matrix, novastar, pjlink, visca
from devices.room_transport import LinkError

KINDS = {"display": ("pjlink",), "camera": ("visca",), "matrix": ("kramer", "extron"), "led": ("novastar",),
         "lights": ("ccl",)}
DEFAULT_PORTS = {"pjlink": pjlink.PORT, "visca": visca.PORT, "kramer": 5000, "extron": 23, "novastar": 5200,
                 "ccl": 6000}
OPS = {"display": ("power", "input", "mute"), "camera": ("preset", "store", "power"), "matrix": ("route",),
       "led": ("power", "brightness", "input"), "lights": ("level", "all")}
DEVICE_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class RoomConfigError(ValueError):
    """``RoomConfigError: room.json: devices[2].port: expected 1-65535, got 0``."""


class DeviceFault(Exception):
    """The device answered but refused or reported a fault (it is online)."""


def load_room(path: str | Path) -> list[dict]:
    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise RoomConfigError(f"{p}: {exc}") from None
    return parse_room(data, str(p))


def parse_room(data: Any, where: str = "room") -> list[dict]:
    devices = data.get("devices") if isinstance(data, dict) else None
    if not isinstance(devices, list):
        raise RoomConfigError(f"{where}: devices: expected a list")
    out, seen = [], set()
    for i, d in enumerate(devices):
        at = f"{where}: devices[{i}]"
        if not isinstance(d, dict):
            raise RoomConfigError(f"{at}: expected an object")
        dev_id, kind = d.get("id"), d.get("kind")
        if not isinstance(dev_id, str) or not DEVICE_ID.match(dev_id):
            raise RoomConfigError(f"{at}.id: expected 1-64 letters, digits, _ . -")
        if dev_id in seen:
            raise RoomConfigError(f"{at}.id: {dev_id!r} appears twice")
        seen.add(dev_id)
        if kind not in KINDS:
            raise RoomConfigError(f"{at}.kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        protocol = d.get("protocol", KINDS[kind][0])
        if protocol not in KINDS[kind]:
            raise RoomConfigError(f"{at}.protocol: a {kind} speaks {' or '.join(KINDS[kind])}, got {protocol!r}")
        host, port = d.get("host"), d.get("port", DEFAULT_PORTS[protocol])
        if not isinstance(host, str) or not host:
            raise RoomConfigError(f"{at}.host: expected a host name or address")
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise RoomConfigError(f"{at}.port: expected 1-65535, got {port!r}")
        out.append({**d, "id": dev_id, "kind": kind, "protocol": protocol, "host": host, "port": port,
                    "name": str(d.get("name") or dev_id)})
    return out


def _int(step: dict, name: str) -> int:
    value = step.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise DeviceFault(f"{name}: expected an integer, got {value!r}")
    return value


class Adapter:
    """One room device. Attributes: config (the room file entry), driver."""

    def __init__(self, config: dict, timeout: float = 1.5):
        self.config = config
        kind, proto, host, port = config["kind"], config["protocol"], config["host"], config["port"]
        if kind == "display":
            self.driver: Any = pjlink.PjlinkDisplay(host, port, config.get("password"), timeout)
        elif kind == "camera":
            self.driver = visca.ViscaCamera(host, port, timeout=timeout / 2, retries=1)
        elif kind == "matrix":
            self.driver = matrix.MatrixSwitcher(proto, host, port, timeout=timeout)
        elif kind == "led":
            self.driver = novastar.LedController(host, port, timeout=timeout)
        else:
            self.driver = lights.LightGateway(host, port, timeout=timeout)

    async def run(self, step: dict) -> str:
        """Do one step; return what was done. LinkError: no answer. DeviceFault: refused or bad step."""
        kind, op, value = self.config["kind"], step.get("op"), step.get("value")
        if op not in OPS[kind]:
            raise DeviceFault(f"op {op!r}: a {kind} does {', '.join(OPS[kind])}")
        try:
            return await self._run(kind, op, value, step)
        except (pjlink.DeviceError, pjlink.PjlinkError, visca.ViscaError, matrix.MatrixError, novastar.NovaError,
                lights.LightsError) as exc:
            raise DeviceFault(str(exc)) from None

    async def _run(self, kind: str, op: str, value: Any, step: dict) -> str:
        d = self.driver
        if op == "power":
            if not isinstance(value, bool):
                raise DeviceFault("power: expected true or false")
            await d.power(value)
            return "on" if value else "off"
        if kind == "display" and op == "input":
            await d.set_input(str(value))
            return f"input {value}"
        if kind == "display" and op == "mute":
            await d.mute(bool(value), bool(value))
            return "muted" if value else "unmuted"
        if kind == "camera":
            n = _int(step, "value")
            await (d.recall(n) if op == "preset" else d.store(n))
            return f"preset {n}"
        if kind == "matrix":
            inp, out = _int(step, "input"), _int(step, "output")
            await d.route(inp, out)
            return f"in {inp} → out {out}"
        if kind == "led":
            n = _int(step, "value")
            await (d.brightness(n) if op == "brightness" else d.select_input(n))
            return f"{op} {novastar.INPUTS.get(n, n) if op == 'input' else f'{n}%'}"
        if op == "level":
            ch, n = _int(step, "channel"), _int(step, "value")
            await d.set_level(ch, n)
            return f"channel {ch} = {n}"
        n = _int(step, "value")
        await d.set_all(n)
        return f"all = {n}"

    async def health(self) -> dict:
        """{"online": True, ...state} or raises LinkError."""
        kind, d = self.config["kind"], self.driver
        try:
            if kind == "display":
                s = await d.status()
                return {"power": s.power, "input": s.input, "lamp_hours": s.lamp_hours,
                        "errors": [f"{k}: {v}" for k, v in s.errors.items()]}
            if kind == "camera":
                return {"power": "on" if await d.is_on() else "off", "errors": []}
            if kind == "matrix":
                return {"firmware": await d.ping(), "errors": [],
                        "routes": {str(k): v for k, v in sorted(d.routes.items())}}
            if kind == "led":
                s = await d.status()
                return {"power": "on" if s.power else "off", "brightness": s.brightness, "input": s.input,
                        "temperature": s.temperature, "errors": list(s.faults)}
            return {"channels": await d.ping(), "errors": []}
        except (pjlink.DeviceError, visca.ViscaError, matrix.MatrixError, novastar.NovaError, lights.LightsError) as exc:
            return {"errors": [str(exc)]}

    async def close(self) -> None:
        close = getattr(self.driver, "close", None)
        if close is not None:
            await close()
        elif hasattr(self.driver, "link"):
            link_close = getattr(self.driver.link, "close", None)
            if link_close is not None:
                await link_close()
