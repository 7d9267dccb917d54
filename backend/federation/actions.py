"""Federation commands: escalate an incident up (small → big cycle), assign a task down, accept it.

federation.escalate {id, note?}              sub-centre: offer its incident to the city (the city accepts
                                             it on receipt and becomes the owner; we keep a read-only copy)
federation.assign {centre, title, incident?, due?, department?, note?}
                                             city: a task for a sub-centre, offered to it
federation.accept {id, note?}                sub-centre: take over a task offered to it; its status then
                                             flows back up with every task.update
"""
from __future__ import annotations

import math
import time

from backend.auth import User
from backend.core import Change, CommandError, Core
from backend.federation.ownership import federation_write, owner_of
from backend.incidents.loop import get_record, new_task, text_arg

DAY_S = 86400.0


class FederationActions:
    """Attributes: me (centre id), parent (the city's id; "" on the city), centres (known sub-centre ids)."""

    def __init__(self, me: str, parent: str, centres: set[str]):
        self.me, self.parent, self.centres = me, parent, centres
        self._last_task: int | None = None

    async def escalate(self, core: Core, user: User, args: dict) -> dict:
        if not self.parent:
            raise CommandError("conflict", "this centre is the city centre: there is no centre above it")
        incident_id = text_arg(args, "id", max_len=100)
        note = text_arg(args, "note", required=False, max_len=1000)
        incident = get_record(core, "incidents", incident_id, "incident")
        owner = owner_of(incident, self.me)
        if owner != self.me:
            raise CommandError("forbidden", f"incident {incident_id} is owned by centre {owner}: only the owner "
                                            "escalates it")
        if incident.get("offer_to"):
            raise CommandError("conflict", f"incident {incident_id} is already handed over to {incident['offer_to']}")
        now = time.time()
        await core.update("incidents", incident_id, {
            "offer_to": self.parent, "escalated_at": now, "escalated_by": user.name, "escalation_note": note,
            "cycle": "big"}, actor=user.name)
        return {"id": incident_id, "offer_to": self.parent}

    def _task_id(self, core: Core) -> str:
        prefix = f"{self.me}-FTK-"
        if self._last_task is None:
            numbers = [int(r["id"][len(prefix):]) for r in core.all("tasks")
                       if r["id"].startswith(prefix) and r["id"][len(prefix):].isdigit()]
            self._last_task = max(numbers, default=0)
        self._last_task += 1
        return f"{prefix}{self._last_task:05d}"

    async def assign(self, core: Core, user: User, args: dict) -> dict:
        if self.parent:
            raise CommandError("conflict", "only the city centre assigns tasks to sub-centres")
        centre = text_arg(args, "centre", max_len=32)
        if centre not in self.centres:
            known = ", ".join(sorted(self.centres)) or "none configured"
            raise CommandError("not_found", f"centre {centre!r} is not a sub-centre of this city ({known})")
        title = text_arg(args, "title", max_len=200)
        incident = text_arg(args, "incident", required=False, max_len=100)
        if incident:
            get_record(core, "incidents", incident, "incident")
        department = text_arg(args, "department", required=False, max_len=64)
        note = text_arg(args, "note", required=False, max_len=1000)
        now = time.time()
        due = args.get("due", now + DAY_S)
        if isinstance(due, bool) or not isinstance(due, (int, float)) or not math.isfinite(due) or due <= 0:
            raise CommandError("bad_args", "due: expected a unix time (seconds)")
        task = new_task(self._task_id(core), incident, department or centre, title, float(due), "", user.name, now)
        task.update({"offer_to": centre, "share": [centre], "assigned_centre": centre, "note": note})
        await core.publish([Change("tasks", "upsert", task["id"], task)], actor=user.name)
        return {"id": task["id"], "centre": centre}

    async def accept(self, core: Core, user: User, args: dict) -> dict:
        task_id = text_arg(args, "id", max_len=100)
        note = text_arg(args, "note", required=False, max_len=1000)
        task = get_record(core, "tasks", task_id, "task")
        if task.get("offer_to") != self.me:
            owner = owner_of(task, self.me)
            raise CommandError("conflict", f"task {task_id} is not offered to this centre (owner {owner})")
        now = time.time()
        giver = owner_of(task, self.me)
        record = {k: v for k, v in task.items() if k != "offer_to"}
        record.update({"owner": self.me, "status": "accepted", "accepted_at": now, "accepted_by": user.name,
                       "handovers": list(task.get("handovers") or []) + [{"from": giver, "to": self.me, "at": now}],
                       "history": list(task.get("history") or []) + [
                           {"status": "accepted", "at": now, "by": user.name, "note": note}]})
        with federation_write():
            await core.publish([Change("tasks", "upsert", task_id, record)], actor=user.name)
        return {"id": task_id, "owner": self.me}


async def federation_off(core: Core, user: User, args: dict) -> dict:
    raise CommandError("unavailable", "federation is off on this centre (start the backend with --fed-role)")
