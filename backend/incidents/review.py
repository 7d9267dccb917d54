"""incident.review: an incident's timeline replayed from the events table — its own changes, its alerts,
its tasks and notices, the wall changes and the positions of its units during its life, in seq order."""
from __future__ import annotations

import asyncio
import json
import sqlite3

from backend import store
from backend.auth import User
from backend.core import Core
from backend.incidents.loop import get_record, text_arg

MAX_EVENTS = 5000
UNIT_EVERY_S = 5.0  # positions: at most one per unit per this many seconds of the replay


def _related(core: Core, incident: dict) -> tuple[list[str], list[str], list[str], list[str]]:
    """(alert keys, task keys, notice keys, unit keys) that belong to the incident."""
    incident_id = incident["id"]
    alerts = [a for a in [incident.get("alert_id")] if a]
    tasks = [t for t in core.all("tasks") if t.get("incident") == incident_id]
    notices = [n["id"] for n in core.all("notices") if n.get("incident") == incident_id]
    units = {t["unit"] for t in tasks if t.get("unit") and core.get("units", t["unit"]) is not None}
    units |= {n["to"] for n in core.all("notices") if n.get("incident") == incident_id and n.get("kind") == "unit"}
    return alerts, [t["id"] for t in tasks], notices, sorted(units)


def read_timeline(db_path, incident: dict, alerts: list[str], tasks: list[str], notices: list[str],
                  units: list[str], head: int) -> tuple[list[dict], bool]:
    """Worker thread: the matching events, in seq order; (events, truncated)."""
    conn = store.connect(db_path)
    try:
        def first_seq(entity: str, keys: list[str]) -> int | None:
            if not keys:
                return None
            marks = ",".join("?" * len(keys))
            return conn.execute(f"SELECT MIN(seq) FROM events WHERE entity=? AND key IN ({marks})",
                                (entity, *keys)).fetchone()[0]

        starts = [s for s in (first_seq("incidents", [incident["id"]]), first_seq("alerts", alerts)) if s]
        if not starts:
            return [], False
        start = min(starts)
        end = head
        for entry in incident.get("stages") or []:  # its life ends when it is closed
            if entry.get("stage") == "close":
                row = conn.execute("SELECT MAX(seq) FROM events WHERE entity='incidents' AND key=? AND ts <= ?",
                                   (incident["id"], float(entry.get("at") or 0) + 1)).fetchone()
                end = max(row[0] or start, start)
        wanted = {"incidents": {incident["id"]}, "alerts": set(alerts), "tasks": set(tasks),
                  "notices": set(notices), "units": set(units)}
        cur = conn.execute("SELECT seq, eid, ts, actor, entity, op, key, data FROM events WHERE seq >= ? AND seq <= ?"
                           " AND entity IN ('incidents','alerts','tasks','notices','units','walls') ORDER BY seq",
                           (start, end))
        out: list[dict] = []
        last_unit: dict[str, float] = {}
        for seq, eid, ts, actor, entity, op, key, data in cur:
            if entity != "walls" and key not in wanted[entity]:
                continue
            if entity == "units":
                if ts - last_unit.get(key, -1e18) < UNIT_EVERY_S:
                    continue
                last_unit[key] = ts
            if len(out) >= MAX_EVENTS:
                return out, True
            out.append({"seq": seq, "eid": eid, "ts": ts, "actor": actor, "entity": entity, "op": op, "key": key,
                        "data": json.loads(data) if data is not None else None})
        return out, False
    except sqlite3.Error as exc:
        raise RuntimeError(f"events table not readable: {exc}") from exc
    finally:
        conn.close()


async def incident_review(core: Core, user: User, args: dict) -> dict:
    incident = get_record(core, "incidents", text_arg(args, "id", max_len=100), "incident")
    alerts, tasks, notices, units = _related(core, incident)
    events, truncated = await asyncio.to_thread(read_timeline, core.db_path, incident, alerts, tasks, notices, units,
                                                core.head_seq)
    return {"id": incident["id"], "events": events, "truncated": truncated}
