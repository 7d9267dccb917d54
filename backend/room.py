"""The consultation room in the backend: room scenes (resources/room_scenes/*.json) run in one action, device health.

``room.scene {name}`` (duty_officer, admin, leader) runs every step of the scene file: steps of one device in
file order, devices side by side; a step that gets no answer is retried once, then fails, and the scene goes
on (one silent projector does not keep the lights off). Each run is a ``room_runs`` record (its steps with
ok/detail/ms) published when it starts and when it ends; each device is a ``room_devices`` record (online,
lamp hours, errors, last error) refreshed by a poller every ``--room-poll`` seconds and after each step.

Scene file::

    {"schema": 1, "title": "会商模式", "title_en": "Consultation",
     "steps": [{"device": "display-1", "op": "power", "value": true},
               {"device": "matrix", "op": "route", "input": 1, "output": 2}, …]}
"""
from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import logging
import re
import time
import weakref
from pathlib import Path
from typing import Any

from backend.auth import User
from backend.core import Change, CommandError, Core
from backend.room_devices import Adapter, DeviceFault, RoomConfigError, load_room
from devices.room_transport import LinkError

log = logging.getLogger(__name__)

ROLES = {"duty_officer", "admin", "leader"}
SCENES_DIR = Path(__file__).resolve().parent.parent / "resources" / "room_scenes"
SCENE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
STEP_TIMEOUT = 5.0  # hard bound on one step with its retry, whatever the driver does
KEEP_RUNS = 50
_services: "weakref.WeakKeyDictionary[Core, RoomService]" = weakref.WeakKeyDictionary()


class SceneError(ValueError):
    """``SceneError: room_scenes/off.json: steps[3].device: expected a device id``."""


def load_scene(path: Path) -> dict:
    where = f"room_scenes/{path.name}"
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise SceneError(f"{where}: {exc}") from None
    if not isinstance(data, dict) or data.get("schema") != 1:
        raise SceneError(f"{where}: schema: expected 1")
    if not isinstance(data.get("title"), str) or not data["title"]:
        raise SceneError(f"{where}: title: expected a non-empty string")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        raise SceneError(f"{where}: steps: expected a non-empty list")
    for i, step in enumerate(steps):
        if not isinstance(step, dict):
            raise SceneError(f"{where}: steps[{i}]: expected an object")
        if not isinstance(step.get("device"), str) or not step["device"]:
            raise SceneError(f"{where}: steps[{i}].device: expected a device id")
        if not isinstance(step.get("op"), str) or not step["op"]:
            raise SceneError(f"{where}: steps[{i}].op: expected an operation name")
    return {"name": path.stem, "title": data["title"], "title_en": str(data.get("title_en", "")), "steps": steps}


def service_for(core: Core) -> "RoomService | None":
    """The room service running on ``core`` (for the consultation feature), or None."""
    return _services.get(core)


class RoomService:
    """Owns the room's device adapters, runs scenes, polls health.

    Attributes: core, adapters {device id: Adapter}, scenes_dir, poll (seconds), sims (simulators it started).
    """

    def __init__(self, core: Core, devices: list[dict], scenes_dir: Path, poll: float):
        self.core, self.scenes_dir, self.poll = core, scenes_dir, poll
        self.adapters = {d["id"]: Adapter(d) for d in devices}
        self.sims: dict = {}
        self._locks = {dev: asyncio.Lock() for dev in self.adapters}
        self._ids = itertools.count(1)
        self._poller: asyncio.Task | None = None

    def scene_names(self) -> list[str]:
        return sorted(p.stem for p in self.scenes_dir.glob("*.json"))

    # ---- health --------------------------------------------------------------------------------------
    async def publish_device(self, dev: str, **fields: Any) -> None:
        cfg = self.adapters[dev].config
        old = self.core.get("room_devices", dev) or {}
        base = {"id": dev, "name": cfg["name"], "kind": cfg["kind"], "protocol": cfg["protocol"],
                "address": f"{cfg['host']}:{cfg['port']}"}
        new = {**old, **base, **fields}
        if {k: v for k, v in new.items() if k != "checked"} != {k: v for k, v in old.items() if k != "checked"}:
            await self.core.publish([Change("room_devices", "upsert", dev, new)], actor="room")

    async def check(self, dev: str) -> None:
        adapter = self.adapters[dev]
        async with self._locks[dev]:
            try:
                state = await asyncio.wait_for(adapter.health(), STEP_TIMEOUT)
            except (LinkError, asyncio.TimeoutError) as exc:
                await self.publish_device(dev, online=False, last_error=str(exc) or "no answer", checked=time.time())
                return
        await self.publish_device(dev, online=True, last_error="", checked=time.time(), **state)

    async def _poll(self) -> None:
        while True:
            await asyncio.gather(*(self.check(dev) for dev in self.adapters), return_exceptions=True)
            await asyncio.sleep(self.poll)

    def start_polling(self) -> None:
        self._poller = asyncio.create_task(self._poll(), name="room-poll")

    # ---- scenes --------------------------------------------------------------------------------------
    async def _step(self, index: int, step: dict) -> dict:
        dev = step["device"]
        args = {k: v for k, v in step.items() if k not in ("device", "op")}
        result = {"index": index, "device": dev, "op": step["op"], "args": args, "ok": False, "detail": "", "ms": 0}
        adapter = self.adapters.get(dev)
        if adapter is None:
            result["detail"] = "skipped: device not in the room file"
            return result
        t0 = time.monotonic()
        for attempt in (1, 2):
            try:
                async with self._locks[dev]:
                    result["detail"] = await asyncio.wait_for(adapter.run(step), STEP_TIMEOUT / 2)
                result["ok"] = True
                break
            except DeviceFault as exc:
                result["detail"] = str(exc)
                break
            except (LinkError, asyncio.TimeoutError) as exc:
                result["detail"] = f"no answer ({exc or 'timeout'})" + (", retried" if attempt == 2 else "")
        result["ms"] = round((time.monotonic() - t0) * 1000, 1)
        result["attempts"] = attempt
        return result

    async def _device_steps(self, dev: str, steps: list[tuple[int, dict]]) -> list[dict]:
        out = []
        for i, step in steps:
            res = await self._step(i, step)
            out.append(res)
            if not res["ok"] and res["detail"].startswith("no answer"):
                # the device is gone: say so at once, and do not wait on it for each remaining step
                await self.publish_device(dev, online=False, last_error=res["detail"], checked=time.time())
                out += [{"index": j, "device": dev, "op": s["op"], "ok": False, "ms": 0,
                         "args": {k: v for k, v in s.items() if k not in ("device", "op")},
                         "detail": "skipped: device did not answer"} for j, s in steps[len(out):]]
                break
        return out

    async def run_scene(self, name: Any, user: str) -> dict:
        if not isinstance(name, str) or not SCENE_NAME.match(name):
            raise CommandError("bad_args", f"name: {str(name)[:64]!r} is not a room scene name")
        path = self.scenes_dir / f"{name}.json"
        if not path.is_file():
            raise CommandError("not_found", f"room scene {name!r} does not exist "
                                            f"(have: {', '.join(self.scene_names())})")
        try:
            scene = load_scene(path)
        except SceneError as exc:
            raise CommandError("bad_args", str(exc)) from None
        run_id = f"R-{int(time.time() * 1000)}-{next(self._ids)}"
        started = time.time()
        pending = [{"index": i, "device": s["device"], "op": s["op"], "ok": None, "detail": "", "ms": 0,
                    "args": {k: v for k, v in s.items() if k not in ("device", "op")}}
                   for i, s in enumerate(scene["steps"])]
        record = {"id": run_id, "scene": name, "title": scene["title"], "by": user, "started": started,
                  "finished": None, "state": "running", "steps": pending}
        await self.core.publish([Change("room_runs", "upsert", run_id, record)], actor=user)
        by_device: dict[str, list[tuple[int, dict]]] = {}
        for i, s in enumerate(scene["steps"]):
            by_device.setdefault(s["device"], []).append((i, s))
        groups = await asyncio.gather(*(self._device_steps(dev, steps) for dev, steps in by_device.items()))
        steps = sorted((r for g in groups for r in g), key=lambda r: r["index"])
        ok = all(r["ok"] for r in steps)
        record = {**record, "finished": time.time(), "state": "done" if ok else "partial", "steps": steps,
                  "ok": ok, "failed": sum(not r["ok"] for r in steps)}
        changes = [Change("room_runs", "upsert", run_id, record)]
        runs = sorted(self.core.all("room_runs"), key=lambda r: r.get("started") or 0)
        changes += [Change("room_runs", "delete", r["id"]) for r in runs[:max(0, len(runs) + 1 - KEEP_RUNS)]
                    if r["id"] != run_id]
        await self.core.publish(changes, actor=user)
        for dev in by_device:
            if dev in self.adapters:
                asyncio.create_task(self.check(dev))  # health after the scene, without holding the command up
        return {"run": run_id, "scene": name, "ok": ok, "failed": record["failed"], "steps": len(steps)}

    async def scene_action(self, core: Core, user: User, args: dict) -> dict:
        return await self.run_scene(args.get("name"), user.name)

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
        for adapter in self.adapters.values():
            try:
                await adapter.close()
            except Exception:  # noqa: BLE001 - shutting down
                log.exception("room: closing %s failed", adapter.config["id"])
        for sim in self.sims.values():
            await sim.stop()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--room", metavar="FILE", help="the consultation room's devices (JSON, see backend/room.py)")
    parser.add_argument("--room-sim", action="store_true",
                        help="run the room device simulators on 127.0.0.x and use them (demo, benchmark)")
    parser.add_argument("--room-poll", type=float, default=10.0, metavar="S",
                        help="seconds between room device health checks (default 10)")
    parser.add_argument("--room-scenes", metavar="DIR", help="room scene folder (default resources/room_scenes)")


async def start(core: Core, args: argparse.Namespace):
    devices: list[dict] = []
    sims: dict = {}
    if getattr(args, "room_sim", False):
        from devices.sims.room_sims import DEMO_ROOM, start_room
        sims, devices = await start_room(load_room(DEMO_ROOM))
    elif getattr(args, "room", None):
        try:
            devices = load_room(args.room)
        except RoomConfigError as exc:
            log.error("room: %s; the room has no devices", exc)
    service = RoomService(core, devices, Path(getattr(args, "room_scenes", None) or SCENES_DIR),
                          max(0.2, float(getattr(args, "room_poll", 10.0) or 10.0)))
    service.sims = sims
    _services[core] = service
    core.register_action("room.scene", ROLES, service.scene_action)
    for dev in service.adapters:
        await service.publish_device(dev, online=None, last_error="", errors=[])
    service.start_polling()
    log.info("room: %d devices, scenes %s", len(service.adapters), ", ".join(service.scene_names()))
    return service.close
