"""incident.evaluate (综合评价: score 1-5) and evaluation.report: per department, incidents handled, mean
time to dispatch and to close, and overdue tasks."""
from __future__ import annotations

import math
import time
from collections import defaultdict

from backend.auth import User
from backend.core import CommandError, Core
from backend.incidents.loop import get_record, stage_entry, text_arg

CLOSED = ("close", "evaluate")


async def incident_evaluate(core: Core, user: User, args: dict) -> dict:
    incident_id = text_arg(args, "id", max_len=100)
    score = args.get("score")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise CommandError("bad_args", "score: expected an integer 1-5")
    comment = text_arg(args, "comment", required=False, max_len=2000)
    incident = get_record(core, "incidents", incident_id, "incident")
    if incident.get("stage") not in CLOSED:
        raise CommandError("conflict", f"incident {incident_id} is at {incident.get('stage')}: close it first")
    now = time.time()
    fields = {"score": score, "comment": comment, "evaluated_by": user.name, "evaluated_at": now}
    if incident.get("stage") != "evaluate":
        fields["stage"] = "evaluate"
        fields["stages"] = list(incident.get("stages") or []) + [stage_entry("evaluate", user.name, comment, now)]
    await core.update("incidents", incident_id, fields, actor=user.name)
    return {"id": incident_id, "score": score}


def _stage_at(incident: dict, stage: str) -> float | None:
    for entry in incident.get("stages") or []:
        if entry.get("stage") == stage and isinstance(entry.get("at"), (int, float)):
            return float(entry["at"])
    return None


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def report(incidents: list[dict], tasks: list[dict], since: float | None = None, until: float | None = None,
           now: float | None = None) -> list[dict]:
    """Rows per department (pure). An incident counts for its own department and for each department it
    tasked; dispatch time = its task's creation − the incident's creation; close time = 核查结案 − creation;
    overdue = tasks finished late or still open past their due time."""
    now = time.time() if now is None else now
    chosen = {i["id"]: i for i in incidents
              if (since is None or (i.get("created") or 0) >= since) and (until is None or (i.get("created") or 0) < until)}
    depts: dict[str, dict] = defaultdict(lambda: {"incidents": set(), "dispatch": [], "overdue": 0})
    for inc in chosen.values():
        if inc.get("department"):
            depts[inc["department"]]["incidents"].add(inc["id"])
    for task in tasks:
        inc = chosen.get(task.get("incident"))
        if inc is None or not task.get("department"):
            continue
        row = depts[task["department"]]
        row["incidents"].add(inc["id"])
        if isinstance(task.get("created"), (int, float)) and isinstance(inc.get("created"), (int, float)):
            row["dispatch"].append(max(0.0, task["created"] - inc["created"]))
        due, finished = task.get("due"), task.get("finished")
        if isinstance(due, (int, float)) and (task.get("supervised") or (finished or now) > due):
            row["overdue"] += 1
    rows = []
    for dept, row in sorted(depts.items()):
        closed = [chosen[i] for i in row["incidents"] if chosen[i].get("stage") in CLOSED]
        close_s = [at - float(i.get("created") or at) for i in closed if (at := _stage_at(i, "close")) is not None]
        rows.append({"department": dept, "handled": len(closed), "incidents": len(row["incidents"]),
                     "dispatch_s_avg": _mean(row["dispatch"]), "close_s_avg": _mean(close_s),
                     "overdue": row["overdue"]})
    return rows


def _time_arg(args: dict, name: str) -> float | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CommandError("bad_args", f"{name}: expected a unix time (seconds)")
    return float(value)


async def evaluation_report(core: Core, user: User, args: dict) -> dict:
    since, until = _time_arg(args, "since"), _time_arg(args, "until")
    return {"rows": report(core.all("incidents"), core.all("tasks"), since, until)}
