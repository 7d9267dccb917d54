"""incident.review: an incident's timeline replayed from the events table — its own changes, its alerts,
its tasks, notices, calls and decisions, the wall changes and the positions of its units during its life,
in seq order."""
from __future__ import annotations

import asyncio
import json
import sqlite3

from backend import store
from backend.auth import User
from backend.core import Core
from backend.incidents.loop import get_record, text_arg

MAX_EVENTS = 5000
# Records of these entities belong to an incident when their ``incident`` field names it.
LINKED = ("tasks", "notices", "calls", "decisions", "recordings")
UNIT_EVERY_S = 5.0  # positions: at most one per unit per this many seconds of the replay


def _related(core: Core, incident: dict) -> dict[str, set[str]]:
    """The keys, per entity, of the records that belong to the incident (its alerts, tasks, notices,
    calls, decisions and the units named by its tasks and unit notices)."""
    incident_id = incident["id"]
    wanted: dict[str, set[str]] = {"incidents": {incident_id},
                                   "alerts": {a for a in [incident.get("alert_id")] if a}}
    linked = {entity: [r for r in core.all(entity) if r.get("incident") == incident_id] for entity in LINKED}
    for entity, records in linked.items():
        wanted[entity] = {r["id"] for r in records}
    units = {t["unit"] for t in linked["tasks"] if t.get("unit") and core.get("units", t["unit"]) is not None}
    units |= {n["to"] for n in linked["notices"] if n.get("kind") == "unit"}
    wanted["units"] = units
    return wanted


def read_timeline(db_path, incident: dict, wanted: dict[str, set[str]], head: int) -> tuple[list[dict], bool]:
    """Worker thread: the matching events, in seq order; (events, truncated)."""
    conn = store.open_store(db_path).connect()  # a SQLite path or the Core's store (SQLite or PostgreSQL)
    try:
        def first_seq(entity: str, keys: list[str]) -> int | None:
            if not keys:
                return None
            marks = ",".join("?" * len(keys))
            return conn.execute(f"SELECT MIN(seq) FROM events WHERE entity=? AND key IN ({marks})",
                                (entity, *keys)).fetchone()[0]

        starts = [s for s in (first_seq("incidents", [incident["id"]]), first_seq("alerts", sorted(wanted["alerts"])))
                  if s]
        if not starts:
            return [], False
        start = min(starts)
        end = head
        for entry in incident.get("stages") or []:  # its life ends when it is closed
            if entry.get("stage") == "close":
                row = conn.execute("SELECT MAX(seq) FROM events WHERE entity='incidents' AND key=? AND ts <= ?",
                                   (incident["id"], float(entry.get("at") or 0) + 1)).fetchone()
                end = max(row[0] or start, start)
        entities = sorted({*wanted, "walls"})
        cur = conn.execute("SELECT seq, eid, ts, actor, entity, op, key, data FROM events WHERE seq >= ? AND seq <= ?"
                           f" AND entity IN ({','.join('?' * len(entities))}) ORDER BY seq",
                           (start, end, *entities))
        out: list[dict] = []
        last_unit: dict[str, float] = {}
        for seq, eid, ts, actor, entity, op, key, data in cur:
            if entity != "walls" and key not in wanted.get(entity, ()):
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
    events, truncated = await asyncio.to_thread(read_timeline, core.store, incident, _related(core, incident),
                                                core.head_seq)
    return {"id": incident["id"], "events": events, "truncated": truncated}
