"""The built-in commands (alert.ack, incident.create, wall.take, wall.set_cell) and the initial wall."""
from __future__ import annotations

import logging
import math
import re
import time
from typing import Any

from backend.auth import User
from backend.cameras import CAMERA_ID
from backend.core import Change, CommandError, Core
from backend_client.layouts import Layout, LayoutError, load_layout, load_layouts

log = logging.getLogger(__name__)

CATEGORIES = ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
LAYOUT_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
DUTY = {"duty_officer", "admin"}
WALL = {"wall_operator", "duty_officer", "admin"}
DEFAULT_WALL = "main"
DEFAULT_LAYOUT = "daily-duty"
SOURCES = ("alert", "phone", "manual")
CYCLES = ("micro", "small", "big")  # a department's own event / cross-department / major, handled by the centre
CYCLE_BY_GRADE = {1: "big", 2: "big", 3: "small", 4: "micro"}


def _str(args: dict, name: str, *, required: bool = True, max_len: int = 200) -> str:
    value = args.get(name, None if required else "")
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise CommandError("bad_args", f"{name}: expected a non-empty string")
    if len(value) > max_len:
        raise CommandError("bad_args", f"{name}: longer than {max_len} characters")
    return value.strip()


def _coord(args: dict, name: str, low: float, high: float) -> float | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not low <= value <= high:
        raise CommandError("bad_args", f"{name}: expected a number between {low} and {high}")
    return float(value)


async def alert_ack(core: Core, user: User, args: dict) -> dict:
    alert_id = _str(args, "id")
    alert = core.get("alerts", alert_id)
    if alert is None:
        raise CommandError("not_found", f"alert {alert_id!r} does not exist")
    if alert.get("acked"):
        return {"id": alert_id, "acked": True, "already": True}
    await core.update("alerts", alert_id, {"acked": True, "acked_by": user.name, "acked_at": time.time()},
                      actor=user.name)
    return {"id": alert_id, "acked": True}


class _IncidentIds:
    """Incident ids "<centre>-INC-<n>", numbered on from the highest one already stored."""

    def __init__(self) -> None:
        self.last: int | None = None

    def next(self, core: Core) -> str:
        prefix = f"{core.centre}-INC-"
        if self.last is None:
            numbers = [int(r["id"][len(prefix):]) for r in core.all("incidents")
                       if r["id"].startswith(prefix) and r["id"][len(prefix):].isdigit()]
            self.last = max(numbers, default=0)
        self.last += 1
        return f"{prefix}{self.last:05d}"


async def incident_create(core: Core, user: User, args: dict, ids: _IncidentIds | None = None) -> dict:
    title = _str(args, "title")
    category = _str(args, "category")
    if category not in CATEGORIES:
        raise CommandError("bad_args", f"category: expected one of {', '.join(CATEGORIES)}")
    grade = args.get("grade")
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 4:
        raise CommandError("bad_args", "grade: expected an integer 1 (Ⅰ, most serious) to 4 (Ⅳ)")
    township = _str(args, "township", required=False, max_len=32)
    lat, lon = _coord(args, "lat", -90, 90), _coord(args, "lon", -180, 180)
    alert_id = _str(args, "alert_id", required=False, max_len=100)
    if alert_id and core.get("alerts", alert_id) is None:
        raise CommandError("not_found", f"alert {alert_id!r} does not exist")
    source = _str(args, "source", required=False, max_len=16) or ("alert" if alert_id else "manual")
    if source not in SOURCES:
        raise CommandError("bad_args", f"source: expected one of {', '.join(SOURCES)}")
    cycle = _str(args, "cycle", required=False, max_len=16) or CYCLE_BY_GRADE[grade]
    if cycle not in CYCLES:
        raise CommandError("bad_args", f"cycle: expected one of {', '.join(CYCLES)}")
    incident_id = (ids or _IncidentIds()).next(core)
    now = time.time()
    record = {"id": incident_id, "title": title, "category": category, "grade": grade, "stage": "intake",
              "township": township, "lat": lat, "lon": lon, "created": now, "created_by": user.name,
              "alert_id": alert_id, "centre": core.centre,
              # the incident loop (issue 4): intake source, micro/small/big cycle, who reported, stage history
              "source": source, "cycle": cycle, "department": _str(args, "department", required=False, max_len=64),
              "reporter": _str(args, "reporter", required=False, max_len=64),
              "phone": _str(args, "phone", required=False, max_len=32),
              "stages": [{"stage": "intake", "at": now, "by": user.name, "note": source}]}
    await core.publish([Change("incidents", "upsert", incident_id, record)], actor=user.name)
    return {"id": incident_id}


def _load(core: Core, name: str) -> Layout:
    if not isinstance(name, str) or not LAYOUT_NAME.match(name):
        raise CommandError("bad_args", f"layout: {str(name)[:64]!r} is not a layout name")
    path = core.layouts_dir / f"{name}.json"
    if not path.is_file():
        raise CommandError("not_found", f"layout {name!r} does not exist")
    try:
        return load_layout(path)
    except LayoutError as exc:
        raise CommandError("bad_args", str(exc)) from None


def _wall(core: Core, args: dict) -> tuple[str, dict]:
    wall_id = _str(args, "wall", required=False, max_len=64) or DEFAULT_WALL
    wall = core.get("walls", wall_id)
    if wall is None:
        raise CommandError("not_found", f"wall {wall_id!r} does not exist")
    return wall_id, wall


def scene_record(wall_id: str, wall: dict, layout: str, cells: dict, by: str, at: float) -> dict:
    """The record of wall ``wall_id`` (now ``wall``) switched to scene ``layout`` with ``cells`` (wall.take,
    plan.activate): paused tours stay paused, and the wall's screen size stays."""
    record = {"id": wall_id, "layout": layout, "cells": cells, "updated_by": by, "updated": at,
              "tours_paused": bool(wall.get("tours_paused", False))}
    if wall.get("screen"):
        record["screen"] = wall["screen"]
    return record


async def wall_take(core: Core, user: User, args: dict) -> dict:
    """Put a scene on the wall; optional ``cells`` {"<index>": "<camera id>"} are taken with it in one
    change (a scene prepared on a console: preview, then take)."""
    wall_id, wall_record = _wall(core, args)
    layout = _load(core, args.get("layout"))
    raw_cells = args.get("cells") or {}
    if not isinstance(raw_cells, dict):
        raise CommandError("bad_args", "cells: expected an object {\"<index>\": \"<camera id>\"}")
    cells = {}
    for key, camera in raw_cells.items():
        if not str(key).isdigit() or int(key) >= len(layout.cells):
            raise CommandError("bad_args", f"cells.{str(key)[:16]}: layout {layout.name!r} has {len(layout.cells)} cells")
        if not isinstance(camera, str) or not CAMERA_ID.match(camera):
            raise CommandError("bad_args", f"cells.{key}: {str(camera)[:64]!r} is not a camera id")
        cells[str(int(key))] = {"kind": "camera", "camera": camera}
    record = scene_record(wall_id, wall_record, layout.name, cells, user.name, time.time())
    await core.publish([Change("walls", "upsert", wall_id, record)], actor=user.name)
    return {"wall": wall_id, "layout": layout.name}


async def wall_pause_tours(core: Core, user: User, args: dict) -> dict:
    """Pause (``paused: true``) or resume the wall's tours; they hold on the camera they show."""
    wall_id, _wall_record = _wall(core, args)
    paused = args.get("paused")
    if not isinstance(paused, bool):
        raise CommandError("bad_args", "paused: expected true or false")
    await core.update("walls", wall_id, {"tours_paused": paused, "updated_by": user.name, "updated": time.time()},
                      actor=user.name)
    return {"wall": wall_id, "paused": paused}


async def wall_set_cell(core: Core, user: User, args: dict) -> dict:
    wall_id, wall = _wall(core, args)
    index = args.get("index")
    if isinstance(index, bool) or not isinstance(index, int) or index < 0:
        raise CommandError("bad_args", "index: expected a cell index >= 0")
    try:
        layout = _load(core, wall.get("layout", ""))
    except CommandError as exc:
        raise CommandError("unavailable", f"wall {wall_id!r}: current layout cannot be loaded: {exc.message}")
    if index >= len(layout.cells):
        raise CommandError("bad_args", f"index: layout {layout.name!r} has {len(layout.cells)} cells")
    camera = args.get("camera")
    cells = dict(wall.get("cells") or {})
    if camera in (None, ""):
        cells.pop(str(index), None)
    else:
        # Like a layout file, an override may name a camera not (yet) in the list: the tile shows
        # "no signal". Only a malformed id is refused.
        if not isinstance(camera, str) or not CAMERA_ID.match(camera):
            raise CommandError("bad_args", f"camera: {str(camera)[:64]!r} is not a camera id")
        cells[str(index)] = {"kind": "camera", "camera": camera}
    await core.update("walls", wall_id, {"cells": cells, "updated_by": user.name, "updated": time.time()},
                      actor=user.name)
    return {"wall": wall_id, "index": index, "camera": camera or "",
            "known": bool(camera) and core.get("cameras", camera) is not None}


async def wall_screen(core: Core, user: User, args: dict) -> dict:
    """A wall client says what size its screen is (pixels): the consoles draw the wall's miniature in that
    shape. Sent again only when it changes (a new output, another resolution)."""
    wall_id, wall = _wall(core, args)
    size = []
    for key in ("width", "height"):
        value = args.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 100_000:
            raise CommandError("bad_args", f"{key}: expected whole pixels, 1 to 100000")
        size.append(value)
    if list(wall.get("screen") or []) != size:
        await core.update("walls", wall_id, {"screen": size}, actor=user.name)
    return {"wall": wall_id, "screen": size}


def install(core: Core) -> None:
    """Register the built-in actions with their roles."""
    core.register_action("alert.ack", DUTY, alert_ack)
    ids = _IncidentIds()

    async def create(core: Core, user: User, args: dict) -> dict:
        return await incident_create(core, user, args, ids)

    core.register_action("incident.create", DUTY, create)
    core.register_action("wall.take", WALL, wall_take)
    core.register_action("wall.set_cell", WALL, wall_set_cell)
    core.register_action("wall.pause_tours", WALL, wall_pause_tours)
    core.register_action("wall.screen", WALL, wall_screen)


async def ensure_main_wall(core: Core) -> dict[str, Any] | None:
    """On first start create wall "main" showing daily-duty, else the first layout by order."""
    if core.get("walls", DEFAULT_WALL) is not None:
        return None
    layouts, errors = load_layouts(core.layouts_dir)
    for err in errors:
        log.warning("layout skipped: %s", err)
    if not layouts:
        log.warning("no valid layout in %s: wall %r not created", core.layouts_dir, DEFAULT_WALL)
        return None
    chosen = next((lay for lay in layouts if lay.name == DEFAULT_LAYOUT), layouts[0])
    record = {"id": DEFAULT_WALL, "layout": chosen.name, "cells": {}, "updated_by": "system",
              "updated": time.time()}
    await core.publish([Change("walls", "upsert", DEFAULT_WALL, record)])
    return record
