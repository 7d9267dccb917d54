"""Terminal directory: the `terminals` entity (radios, phones, video terminals, body cams, drones, vehicles).

A terminal record::

    {"id": "radio-3307001", "name": "江南街道 巡查1组 对讲机", "kind": "radio", "via": "radio",
     "address": "3307001", "department": "城管", "unit": "R-3307001", "township": "330784001",
     "presence": "online", "status": "available", "lat": 28.9, "lon": 120.0, "emergency": false,
     "updated": 1764079200.0}

``via`` says which bridge carries a call: "radio" (the serial radio gateway; address = DMR id),
"sip" (the telephony bridge; address = phone number or SIP user) or "" (no voice path: a call is refused).
"""
from __future__ import annotations

import math
import time

from backend.core import Change, Core, CommandError

ENTITY = "terminals"
KINDS = ("radio", "phone", "video", "bodycam", "drone", "vehicle")
PRESENCE = ("online", "offline")


def radio_terminal_id(radio: int) -> str:
    return f"radio-{radio}"


def search(records: list[dict], query: str = "", *, kind: str = "", township: str = "",
           department: str = "") -> list[dict]:
    """Terminals matching every given filter; ``query`` matches name, id, address, owner (case-insensitive)."""
    q = query.strip().lower()
    out = []
    for r in records:
        if kind and r.get("kind") != kind or township and r.get("township") != township \
                or department and r.get("department") != department:
            continue
        hay = " ".join(str(r.get(k, "")) for k in ("name", "id", "address", "department", "unit")).lower()
        if q and q not in hay:
            continue
        out.append(r)
    return sorted(out, key=lambda r: (r.get("department", ""), r.get("township", ""), r.get("name", "")))


def tree(records: list[dict]) -> dict[str, dict[str, list[str]]]:
    """{department: {township: [terminal ids]}} — how the pad and the directory list organise them."""
    out: dict[str, dict[str, list[str]]] = {}
    for r in search(records):
        out.setdefault(r.get("department") or "", {}).setdefault(r.get("township") or "", []).append(r["id"])
    return out


def nearest(records: list[dict], lat: float, lon: float, n: int = 5) -> list[dict]:
    """The n online terminals with a position nearest to (lat, lon), nearest first."""
    def dist(r: dict) -> float:
        dlat = (r["lat"] - lat) * 111_000
        dlon = (r["lon"] - lon) * 111_000 * math.cos(math.radians(lat))
        return math.hypot(dlat, dlon)
    located = [r for r in records if r.get("lat") is not None and r.get("lon") is not None
               and r.get("presence") == "online"]
    return sorted(located, key=dist)[:n]


def require(core: Core, terminal_id) -> dict:
    if not isinstance(terminal_id, str) or not terminal_id:
        raise CommandError("bad_args", "terminal: expected a terminal id")
    record = core.get(ENTITY, terminal_id)
    if record is None:
        raise CommandError("not_found", f"terminal {terminal_id!r} does not exist")
    return record


def terminals_of_unit(core: Core, unit_id: str) -> list[dict]:
    """A unit's terminals, the best to call first: online radios, then other online, then the rest."""
    rank = {"radio": 0, "vehicle": 1, "phone": 2, "bodycam": 3, "video": 4, "drone": 5}
    mine = [t for t in core.all(ENTITY) if t.get("unit") == unit_id and t.get("via")]
    return sorted(mine, key=lambda t: (t.get("presence") != "online", rank.get(t.get("kind"), 9), t["id"]))


# --------------------------------------------------------------------------------------- demo directory
DEMO_PHONES = (
    ("phone-110", "市公安局指挥中心", "phone", "公安", "110", ""),
    ("phone-119", "市消防救援大队值班室", "phone", "消防", "119", ""),
    ("phone-120", "市急救站调度台", "phone", "卫健", "120", ""),
    ("phone-yjj", "市应急管理局值班室", "phone", "应急", "057987100000", ""),
    ("phone-slj", "市水务局防汛值班", "phone", "水务", "057987100001", ""),
    ("video-hys", "市政府会商室视频终端", "video", "市府办", "8001", ""),
    ("video-jnjd", "江南街道视频会议终端", "video", "乡镇街道", "8002", "330784001"),
    ("bodycam-01", "城管执法记录仪 01", "bodycam", "城管", "9101", "330784001"),
    ("bodycam-02", "交警执法记录仪 02", "bodycam", "公安", "9102", "330784002"),
    ("drone-01", "应急无人机 01", "drone", "应急", "", ""),
    ("vehicle-cmd", "应急指挥车", "vehicle", "应急", "3307900", ""),
)
DEMO_RADIO_DEPARTMENTS = ("城管", "公安", "消防", "应急", "卫健", "水务")


def demo_records(radio_ids: list[int], townships: list[tuple[str, str]], now: float | None = None) -> list[dict]:
    """The demo directory: one handheld radio per id (spread over departments/townships) and fixed phones."""
    now = time.time() if now is None else now
    out = []
    for i, rid in enumerate(radio_ids):
        code, tname = townships[i % len(townships)] if townships else ("", "")
        dept = DEMO_RADIO_DEPARTMENTS[i % len(DEMO_RADIO_DEPARTMENTS)]
        out.append({"id": radio_terminal_id(rid), "name": f"{tname} {dept} 对讲机{i + 1:02d}", "kind": "radio",
                    "via": "radio", "address": str(rid), "department": dept, "unit": f"R-{rid}",
                    "township": code, "presence": "offline", "status": "unknown", "lat": None, "lon": None,
                    "emergency": False, "updated": now})
    for tid, name, kind, dept, address, township in DEMO_PHONES:
        via = "radio" if kind == "vehicle" else ("sip" if address else "")
        out.append({"id": tid, "name": name, "kind": kind, "via": via, "address": address, "department": dept,
                    "unit": "", "township": township, "presence": "online" if via else "offline",
                    "status": "available" if via else "unknown", "lat": None, "lon": None, "emergency": False,
                    "updated": now})
    return out


async def seed_demo(core: Core, radio_ids: list[int]) -> int:
    """Create the demo directory entries that do not exist yet; returns how many were created."""
    try:
        from backend.demo.city import townships
        towns = [(t.code, t.name) for t in townships()]
    except Exception:
        towns = []
    changes = [Change(ENTITY, "upsert", r["id"], r) for r in demo_records(radio_ids, towns)
               if core.get(ENTITY, r["id"]) is None]
    if changes:
        await core.publish(changes, actor="dispatch")
    return len(changes)
