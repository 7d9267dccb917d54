"""Plans (预案): JSON files in resources/plans/, one per incident type and grade range, published as the
``plans`` entity; ``plan.activate`` creates the plan's tasks, notifies its units and departments
(``notices``) and switches the wall to the plan's scene — one action, one transaction.

A plan file::

    {"schema": 1, "id": "flood-major", "name": "城市内涝重大（Ⅰ/Ⅱ级）应急预案", "category": "自然灾害",
     "events": ["城市内涝", "暴雨"], "grades": [1, 2], "scene": "emergency-command",
     "tasks": [{"department": "市应急管理局", "title": "启动应急响应", "due_min": 15, "unit": ""}],
     "notify": ["市气象局", "U-15"]}
"""
from __future__ import annotations

import json
import logging
import re
import time
from pathlib import Path

from backend.auth import User
from backend.commands import CATEGORIES, DEFAULT_WALL, LAYOUT_NAME, scene_record
from backend.core import Change, CommandError, Core
from backend.incidents.loop import TaskIds, get_record, new_task, text_arg
from backend_client.layouts import Layout, LayoutError, load_layout

log = logging.getLogger(__name__)

DEFAULT_PLANS_DIR = Path(__file__).resolve().parents[2] / "resources" / "plans"
PLAN_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class PlanError(ValueError):
    """A plan file that cannot be used; the message names the file and the field."""


def validate_plan(data: object, where: str) -> dict:
    def fail(field: str, why: str) -> PlanError:
        return PlanError(f"{where}: {field}: {why}")

    if not isinstance(data, dict):
        raise fail("(root)", "expected an object")
    if data.get("schema") != 1:
        raise fail("schema", "expected 1")
    if not isinstance(data.get("id"), str) or not PLAN_ID.match(data["id"]):
        raise fail("id", "expected a lower-case id (a-z, 0-9, -, _)")
    for name in ("name", "scene"):
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise fail(name, "expected a non-empty string")
    if data.get("category") not in CATEGORIES:
        raise fail("category", f"expected one of {', '.join(CATEGORIES)}")
    grades = data.get("grades")
    if not isinstance(grades, list) or not grades or not all(isinstance(g, int) and 1 <= g <= 4 for g in grades):
        raise fail("grades", "expected a list of grades 1-4")
    events = data.get("events", [])
    if not isinstance(events, list) or not all(isinstance(e, str) for e in events):
        raise fail("events", "expected a list of event names")
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise fail("tasks", "expected a non-empty list")
    for i, t in enumerate(tasks):
        if not isinstance(t, dict):
            raise fail(f"tasks[{i}]", "expected an object")
        for name in ("department", "title"):
            if not isinstance(t.get(name), str) or not t[name].strip():
                raise fail(f"tasks[{i}].{name}", "expected a non-empty string")
        due = t.get("due_min")
        if isinstance(due, bool) or not isinstance(due, (int, float)) or due <= 0:
            raise fail(f"tasks[{i}].due_min", "expected minutes > 0")
        if not isinstance(t.get("unit", ""), str):
            raise fail(f"tasks[{i}].unit", "expected a unit id or name")
    notify = data.get("notify", [])
    if not isinstance(notify, list) or not all(isinstance(n, str) and n for n in notify):
        raise fail("notify", "expected a list of departments or unit ids")
    return {"id": data["id"], "name": data["name"], "category": data["category"], "events": list(events),
            "grades": sorted(set(grades)), "scene": data["scene"], "tasks": [dict(t) for t in tasks],
            "notify": list(notify), "description": str(data.get("description", ""))}


def load_plans(directory: Path) -> tuple[list[dict], list[str]]:
    """(valid plans by id, errors of the files skipped)."""
    plans, errors, seen = [], [], set()
    for path in sorted(Path(directory).glob("*.json")):
        try:
            plan = validate_plan(json.loads(path.read_text(encoding="utf-8")), f"plans/{path.name}")
        except (OSError, ValueError) as exc:
            errors.append(str(exc) if isinstance(exc, PlanError) else f"plans/{path.name}: {exc}")
            continue
        if plan["id"] in seen:
            errors.append(f"plans/{path.name}: id: {plan['id']!r} used by another file")
            continue
        seen.add(plan["id"])
        plans.append(plan)
    return plans, errors


async def publish_plans(core: Core, directory: Path = DEFAULT_PLANS_DIR) -> int:
    """Publish the plans that changed; delete those whose file is gone. Returns the changes made."""
    plans, errors = load_plans(directory)
    for err in errors:
        log.warning("plan skipped: %s", err)
    changes = [Change("plans", "upsert", p["id"], p) for p in plans if core.get("plans", p["id"]) != p]
    ids = {p["id"] for p in plans}
    changes += [Change("plans", "delete", r["id"]) for r in core.all("plans") if r["id"] not in ids]
    if changes:
        await core.publish(changes, actor="system")
    return len(changes)


def _scene(core: Core, name: str) -> Layout:
    path = core.layouts_dir / f"{name}.json"
    if not LAYOUT_NAME.match(name) or not path.is_file():
        raise CommandError("not_found", f"scene {name!r} of the plan does not exist in layouts/")
    try:
        return load_layout(path)
    except LayoutError as exc:
        raise CommandError("unavailable", str(exc)) from None


def matching_plans(core: Core, incident: dict) -> list[dict]:
    """Plans for the incident's category and grade (an event match first)."""
    out = [p for p in core.all("plans") if p.get("category") == incident.get("category")
           and incident.get("grade") in p.get("grades", [])]
    event = str(incident.get("event") or incident.get("title") or "")
    return sorted(out, key=lambda p: (not any(e and e in event for e in p.get("events", [])), p["id"]))


async def plan_activate(core: Core, user: User, args: dict, ids: TaskIds) -> dict:
    incident_id = text_arg(args, "incident", max_len=100)
    plan_id = text_arg(args, "plan", max_len=64)
    incident = get_record(core, "incidents", incident_id, "incident")
    plan = get_record(core, "plans", plan_id, "plan")
    if incident.get("plan") == plan_id:
        raise CommandError("conflict", f"plan {plan_id} is already active for {incident_id}")
    if incident.get("stage") in ("close", "evaluate"):
        raise CommandError("conflict", f"incident {incident_id} is closed")
    layout = _scene(core, plan["scene"])
    if core.get("walls", DEFAULT_WALL) is None:
        raise CommandError("unavailable", f"wall {DEFAULT_WALL!r} does not exist")
    now = time.time()
    changes, task_ids, notified = [], [], []
    for t in plan["tasks"]:
        task = new_task(ids.next(core), incident_id, t["department"], t["title"], now + float(t["due_min"]) * 60,
                        t.get("unit", ""), user.name, now, plan=plan_id)
        task_ids.append(task["id"])
        changes.append(Change("tasks", "upsert", task["id"], task))
    targets = list(dict.fromkeys([t["department"] for t in plan["tasks"]] + [t["unit"] for t in plan["tasks"]
                                                                          if t.get("unit")] + plan["notify"]))
    for n, to in enumerate(targets, 1):
        unit = core.get("units", to)
        notice = {"id": f"{incident_id}-N-{int(now)}-{n}", "incident": incident_id, "plan": plan_id,
                  "to": to, "kind": "unit" if unit is not None else "department",
                  "to_name": unit.get("name", to) if unit else to,
                  "text": f"【{plan['name']}】已启动：{incident.get('title', incident_id)}，请按预案执行。",
                  "created": now, "by": user.name, "read": False}
        notified.append(to)
        changes.append(Change("notices", "upsert", notice["id"], notice))
    wall = scene_record(DEFAULT_WALL, core.get("walls", DEFAULT_WALL) or {}, layout.name, {}, user.name, now)
    changes.append(Change("walls", "upsert", DEFAULT_WALL, wall))
    changes.append(Change("incidents", "upsert", incident_id,
                          {**incident, "plan": plan_id, "plan_activated_at": now, "plan_activated_by": user.name}))
    await core.publish(changes, actor=user.name)
    return {"incident": incident_id, "plan": plan_id, "tasks": task_ids, "notified": notified,
            "wall": DEFAULT_WALL, "layout": layout.name}
