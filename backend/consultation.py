"""One-key consultation (一键会商): from an incident, a consultation with its invitees, the wall and the room set up
in one action; then minutes and decisions (who decided what, when) recorded against the incident.

Actions (roles in ROLES):
- ``consultation.start {incident}`` -> a ``consultations`` record (room, incident, invited departments and
  units from the incident's tasks, else from its category), the main wall on the ``consultation`` scene
  with the cameras nearest the incident in its camera cells, and the room scene ``consultation`` run
  (backend/room.py). Both run side by side; the result says how each went. Starting again while one is
  open for the incident returns the open one.
- ``decision.record {consultation, text, by?}`` -> a ``decisions`` record {consultation, incident, text,
  by (who decided; default the user), recorded_by, at} — the incident id puts it on the incident's timeline.
- ``minutes.append {consultation, text}`` -> appended to the consultation's ``minutes``.
- ``consultation.end {consultation}``.
"""
from __future__ import annotations

import argparse
import asyncio
import math
import time
from typing import Any

from backend import commands, room
from backend.auth import User
from backend.core import Change, CommandError, Core

ROLES = {"duty_officer", "admin", "leader"}
WALL_LAYOUT = "consultation"
ROOM_SCENE = "consultation"
ROOM_NAME = "会商室"
MAX_TEXT = 2000
MAX_MINUTES = 500
# who is called to a consultation about an incident of this category, when its tasks name nobody yet
DEPARTMENTS = {
    "自然灾害": ["应急管理局", "水务局", "气象局", "自然资源和规划局"],
    "事故灾难": ["应急管理局", "消防救援大队", "公安局", "卫生健康局"],
    "公共卫生事件": ["卫生健康局", "疾控中心", "市场监管局"],
    "社会安全事件": ["公安局", "信访局", "宣传部"],
}
DEFAULT_DEPARTMENTS = ["应急管理局"]


def _text(args: dict, name: str, max_len: int = MAX_TEXT, required: bool = True) -> str:
    value = args.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise CommandError("bad_args", f"{name}: expected a non-empty text")
    value = value.strip()
    if len(value) > max_len:
        raise CommandError("bad_args", f"{name}: at most {max_len} characters, got {len(value)}")
    return value


def invitees(core: Core, incident: dict) -> dict:
    """{"departments": [...], "units": [...]} from the incident's tasks, else its category."""
    tasks = [t for t in core.all("tasks") if t.get("incident") == incident["id"]]
    departments = sorted({str(t["department"]) for t in tasks if t.get("department")})
    units = sorted({str(t["unit"]) for t in tasks if t.get("unit")})
    if incident.get("department"):
        departments = sorted(set(departments) | {str(incident["department"])})
    if not departments:
        departments = list(DEPARTMENTS.get(str(incident.get("category", "")), DEFAULT_DEPARTMENTS))
    return {"departments": departments, "units": units, "source": "tasks" if tasks else "category"}


def nearest_cameras(core: Core, incident: dict, n: int) -> list[str]:
    """The ``n`` cameras closest to the incident (same township first when it has no position)."""
    cams = [c for c in core.all("cameras") if c.get("id")]
    lat, lon = incident.get("lat"), incident.get("lon")
    if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
        def dist(c: dict) -> float:
            if not isinstance(c.get("lat"), (int, float)) or not isinstance(c.get("lon"), (int, float)):
                return math.inf
            return math.hypot(c["lat"] - lat, (c["lon"] - lon) * math.cos(math.radians(lat)))
        cams.sort(key=lambda c: (dist(c), c["id"]))
    else:
        cams.sort(key=lambda c: (c.get("township") != incident.get("township"), c["id"]))
    return [c["id"] for c in cams[:n]]


def _get_consultation(core: Core, args: dict) -> dict:
    cid = _text(args, "consultation", 64)
    record = core.get("consultations", cid)
    if record is None:
        raise CommandError("not_found", f"consultation {cid!r} does not exist")
    return record


async def _wall(core: Core, user: User, incident: dict) -> dict:
    layout = commands._load(core, WALL_LAYOUT)
    slots = [i for i, c in enumerate(layout.cells) if c.kind == "camera"]
    cameras = nearest_cameras(core, incident, len(slots))
    cells = {str(i): cam for i, cam in zip(slots, cameras)}
    try:
        await commands.wall_take(core, user, {"layout": WALL_LAYOUT, "cells": cells})
    except CommandError as exc:
        return {"ok": False, "detail": f"{exc.code}: {exc.message}", "layout": WALL_LAYOUT, "cells": cells}
    return {"ok": True, "detail": "", "layout": WALL_LAYOUT, "cells": cells}


async def _room(core: Core, user: User) -> dict:
    service = room.service_for(core)
    if service is None:
        return {"ok": False, "detail": "no room devices (room feature not running)", "run": ""}
    try:
        res = await service.run_scene(ROOM_SCENE, user.name)
    except CommandError as exc:
        return {"ok": False, "detail": f"{exc.code}: {exc.message}", "run": ""}
    return {"ok": res["ok"], "detail": f"{res['failed']} of {res['steps']} steps failed" if res["failed"] else "",
            "run": res["run"]}


async def _conference(core: Core, user: User, record: dict, incident: dict) -> dict:
    """The conference room for it, invitees called (backend/conference); {"ok", "detail", "room"}."""
    try:
        from backend.conference.feature import for_consultation
    except ImportError as exc:
        return {"ok": False, "detail": f"no conference engine ({exc})", "room": ""}
    return await for_consultation(core, user, record, incident)


async def start_consultation(core: Core, user: User, args: dict) -> dict:
    incident_id = _text(args, "incident", 100)
    incident = core.get("incidents", incident_id)
    if incident is None:
        raise CommandError("not_found", f"incident {incident_id!r} does not exist")
    for c in core.all("consultations"):
        if c.get("incident") == incident_id and c.get("state") == "open":
            return {"consultation": c["id"], "already": True, "wall": c.get("wall"), "room": c.get("room_run")}
    cid = f"CS-{len(core.all('consultations')) + 1:04d}"
    while core.get("consultations", cid) is not None:
        cid = f"CS-{int(time.time() * 1000) % 10**8}"
    now = time.time()
    record = {"id": cid, "incident": incident_id, "title": f"{incident.get('title', '')} 会商", "room": ROOM_NAME,
              "state": "open", "started": now, "started_by": user.name, "ended": None, "ended_by": "",
              "invited": invitees(core, incident), "minutes": [], "decisions": 0,
              "grade": incident.get("grade"), "category": incident.get("category", "")}
    await core.publish([Change("consultations", "upsert", cid, record)], actor=user.name)
    wall, room_res, conf = await asyncio.gather(_wall(core, user, incident), _room(core, user),
                                                _conference(core, user, record, incident))
    await core.update("consultations", cid, {"wall": wall, "room_run": room_res, "conference": conf},
                      actor=user.name)
    return {"consultation": cid, "already": False, "wall": wall, "room": room_res, "conference": conf}


async def record_decision(core: Core, user: User, args: dict) -> dict:
    consultation = _get_consultation(core, args)
    if consultation.get("state") != "open":
        raise CommandError("conflict", f"consultation {consultation['id']!r} has ended")
    text = _text(args, "text")
    by = _text(args, "by", 100, required=False) or user.name
    n = int(consultation.get("decisions") or 0) + 1
    did = f"{consultation['id']}-D{n:02d}"
    decision = {"id": did, "consultation": consultation["id"], "incident": consultation["incident"], "text": text,
                "by": by, "recorded_by": user.name, "at": time.time()}
    await core.publish([Change("decisions", "upsert", did, decision),
                        Change("consultations", "upsert", consultation["id"], {**consultation, "decisions": n})],
                       actor=user.name)
    return {"decision": did}


async def append_minutes(core: Core, user: User, args: dict) -> dict:
    consultation = _get_consultation(core, args)
    if consultation.get("state") != "open":
        raise CommandError("conflict", f"consultation {consultation['id']!r} has ended")
    minutes = list(consultation.get("minutes") or [])
    if len(minutes) >= MAX_MINUTES:
        raise CommandError("bad_args", f"minutes: at most {MAX_MINUTES} entries")
    minutes.append({"at": time.time(), "by": user.name, "text": _text(args, "text")})
    await core.update("consultations", consultation["id"], {"minutes": minutes}, actor=user.name)
    return {"consultation": consultation["id"], "entries": len(minutes)}


async def end_consultation(core: Core, user: User, args: dict) -> dict:
    consultation = _get_consultation(core, args)
    if consultation.get("state") != "open":
        raise CommandError("conflict", f"consultation {consultation['id']!r} has already ended")
    await core.update("consultations", consultation["id"], {"state": "ended", "ended": time.time(),
                                                            "ended_by": user.name}, actor=user.name)
    return {"consultation": consultation["id"], "state": "ended"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    return None


async def start(core: Core, args: argparse.Namespace) -> Any:
    core.register_action("consultation.start", ROLES, start_consultation)
    core.register_action("consultation.end", ROLES, end_consultation)
    core.register_action("decision.record", ROLES, record_decision)
    core.register_action("minutes.append", ROLES, append_minutes)
    return None
