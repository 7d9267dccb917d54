"""The city-operations loop: incident stages (信息采集 … 综合评价), tasks to departments and units, and
supervision (督办) of overdue tasks — by a person (task.supervise) or by the system when a task is late."""
from __future__ import annotations

import asyncio
import logging
import math
import time
from typing import Callable

from backend.auth import User
from backend.core import Change, CommandError, Core
from backend.periodic import every

log = logging.getLogger(__name__)

STAGES = ("collect", "register", "dispatch", "handle", "feedback", "close", "evaluate")
STAGE_NAMES = {"intake": "接报", "collect": "信息采集", "register": "案件建立", "dispatch": "任务派遣",
               "handle": "任务处理", "feedback": "处理反馈", "close": "核查结案", "evaluate": "综合评价"}
TASK_STATES = ("assigned", "accepted", "in_progress", "done", "rejected")
TASK_FINAL = ("done", "rejected")
SYSTEM = "system"


def stage_rank(stage: str) -> int:
    """-1 for "intake" (before collection) or unknown, 0 collect … 6 evaluate."""
    return STAGES.index(stage) if stage in STAGES else -1


def text_arg(args: dict, name: str, *, required: bool = True, max_len: int = 200) -> str:
    value = args.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
        raise CommandError("bad_args", f"{name}: expected a string of {1 if required else 0}-{max_len} characters")
    return value.strip()


def get_record(core: Core, entity: str, key: str, what: str) -> dict:
    record = core.get(entity, key)
    if record is None:
        raise CommandError("not_found", f"{what} {key!r} does not exist")
    return record


def stage_entry(stage: str, by: str, note: str = "", at: float | None = None) -> dict:
    return {"stage": stage, "at": time.time() if at is None else at, "by": by, "note": note}


async def incident_advance(core: Core, user: User, args: dict) -> dict:
    incident_id = text_arg(args, "id", max_len=100)
    stage = text_arg(args, "stage", max_len=20)
    note = text_arg(args, "note", required=False, max_len=1000)
    if stage not in STAGES:
        raise CommandError("bad_args", f"stage: expected one of {', '.join(STAGES)}")
    incident = get_record(core, "incidents", incident_id, "incident")
    current = str(incident.get("stage") or "intake")
    if stage_rank(stage) <= stage_rank(current):
        raise CommandError("conflict", f"incident {incident_id} is at {current}: cannot go to {stage} "
                                       "(stages only move forward)")
    if stage == "evaluate" and incident.get("score") is None:
        raise CommandError("conflict", "evaluate: give the score with incident.evaluate")
    stages = list(incident.get("stages") or []) + [stage_entry(stage, user.name, note)]
    await core.update("incidents", incident_id, {"stage": stage, "stages": stages}, actor=user.name)
    return {"id": incident_id, "stage": stage}


class TaskIds:
    """Task ids "<centre>-TSK-<n>", numbered on from the highest one already stored."""

    def __init__(self) -> None:
        self.last: int | None = None

    def next(self, core: Core) -> str:
        prefix = f"{core.centre}-TSK-"
        if self.last is None:
            numbers = [int(r["id"][len(prefix):]) for r in core.all("tasks")
                       if r["id"].startswith(prefix) and r["id"][len(prefix):].isdigit()]
            self.last = max(numbers, default=0)
        self.last += 1
        return f"{prefix}{self.last:05d}"


def new_task(task_id: str, incident: str, department: str, title: str, due: float, unit: str, by: str,
             now: float, plan: str = "") -> dict:
    return {"id": task_id, "incident": incident, "department": department, "unit": unit, "title": title,
            "due": due, "status": "assigned", "created": now, "created_by": by, "supervised": False,
            "supervised_at": None, "supervisions": 0, "plan": plan,
            "history": [{"status": "assigned", "at": now, "by": by, "note": ""}]}


async def task_create(core: Core, user: User, args: dict, ids: TaskIds) -> dict:
    incident_id = text_arg(args, "incident", max_len=100)
    department = text_arg(args, "department", max_len=64)
    title = text_arg(args, "title", max_len=200)
    unit = text_arg(args, "unit", required=False, max_len=64)
    due = args.get("due")
    if isinstance(due, bool) or not isinstance(due, (int, float)) or not math.isfinite(due) or due <= 0:
        raise CommandError("bad_args", "due: expected a unix time (seconds)")
    incident = get_record(core, "incidents", incident_id, "incident")
    if incident.get("stage") in ("close", "evaluate"):
        raise CommandError("conflict", f"incident {incident_id} is closed")
    task = new_task(ids.next(core), incident_id, department, title, float(due), unit, user.name, time.time())
    await core.publish([Change("tasks", "upsert", task["id"], task)], actor=user.name)
    return {"id": task["id"]}


async def task_update(core: Core, user: User, args: dict) -> dict:
    task_id = text_arg(args, "id", max_len=100)
    status = text_arg(args, "status", max_len=20)
    note = text_arg(args, "note", required=False, max_len=1000)
    if status not in TASK_STATES[1:]:
        raise CommandError("bad_args", f"status: expected one of {', '.join(TASK_STATES[1:])}")
    task = get_record(core, "tasks", task_id, "task")
    if task.get("status") in TASK_FINAL:
        raise CommandError("conflict", f"task {task_id} is already {task['status']}")
    now = time.time()
    fields = {"status": status, "history": list(task.get("history") or []) +
              [{"status": status, "at": now, "by": user.name, "note": note}]}
    if status in TASK_FINAL:
        fields["finished"] = now
    await core.update("tasks", task_id, fields, actor=user.name)
    return {"id": task_id, "status": status}


def supervised_fields(task: dict, by: str, note: str, now: float) -> dict:
    return {"supervised": True, "supervised_at": now, "supervised_by": by,
            "supervisions": int(task.get("supervisions") or 0) + 1,
            "history": list(task.get("history") or []) + [{"status": "supervise", "at": now, "by": by, "note": note}]}


async def task_supervise(core: Core, user: User, args: dict) -> dict:
    task_id = text_arg(args, "id", max_len=100)
    note = text_arg(args, "note", required=False, max_len=1000)
    task = get_record(core, "tasks", task_id, "task")
    if task.get("status") in TASK_FINAL:
        raise CommandError("conflict", f"task {task_id} is already {task['status']}")
    fields = supervised_fields(task, user.name, note, time.time())
    await core.update("tasks", task_id, fields, actor=user.name)
    return {"id": task_id, "supervisions": fields["supervisions"]}


def overdue(tasks: list[dict], now: float, centre: str | None = None) -> list[dict]:
    """Open tasks past their due time that nobody has supervised yet; with ``centre``, only the tasks this
    centre owns (federation: another centre's task is its own to supervise, and read-only here)."""
    return [t for t in tasks if t.get("status") not in TASK_FINAL and not t.get("supervised")
            and isinstance(t.get("due"), (int, float)) and t["due"] < now
            and (centre is None or t.get("owner") in (None, "", centre))]


class Supervisor:
    """Every ``interval`` seconds, supervises (督办) overdue tasks as actor "system", audited.

    Attributes: supervised — how many tasks it supervised since start.
    """

    def __init__(self, core: Core, interval: float = 5.0, clock: Callable[[], float] = time.time):
        self.core, self.interval, self.clock = core, interval, clock
        self.supervised = 0
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="task-supervision")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        await every(self.interval, self.check, "task supervision")

    async def check(self) -> int:
        now = self.clock()
        count = 0
        for task in overdue(self.core.all("tasks"), now, self.core.centre):
            late = int(now - task["due"])
            note = f"任务超期 {late} 秒，系统自动督办"
            await self.core.update("tasks", task["id"], supervised_fields(task, SYSTEM, note, now), actor=SYSTEM)
            await self.core.audit(SYSTEM, SYSTEM, "task.supervise", {"id": task["id"], "note": note}, True,
                                  "automatic: overdue")
            self.supervised += 1
            count += 1
        return count
