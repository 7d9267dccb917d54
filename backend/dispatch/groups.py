"""Talk groups (`talkgroups` entity): standing department groups and temporary groups made on the pad.

    {"id": "TG-9001", "name": "临时组 1", "members": ["radio-3307001", "phone-110"], "temporary": true,
     "radio_gid": 9001, "created_by": "wang", "created": t}

A group call reaches the radio members through the gateway's talk group ``radio_gid`` (temporary groups
are pushed to the radios with a dynamic group assignment first); phone members are not conferenced in
(the SIP bridge carries one call) and are listed in the call record as not reached.
"""
from __future__ import annotations

import time

from backend.core import Change, CommandError, Core
from backend.dispatch import directory

ENTITY = "talkgroups"
FIRST_TEMP_GID = 9001
MAX_MEMBERS = 32


def require(core: Core, group_id) -> dict:
    if not isinstance(group_id, str) or not group_id:
        raise CommandError("bad_args", "group: expected a group id")
    record = core.get(ENTITY, group_id)
    if record is None:
        raise CommandError("not_found", f"group {group_id!r} does not exist")
    return record


def radio_ids(core: Core, members: list[str]) -> list[int]:
    out = []
    for tid in members:
        t = core.get(directory.ENTITY, tid)
        if t is not None and t.get("via") == "radio" and str(t.get("address", "")).isdigit():
            out.append(int(t["address"]))
    return out


def check_members(core: Core, members) -> list[str]:
    if not isinstance(members, list) or not 2 <= len(members) <= MAX_MEMBERS \
            or not all(isinstance(m, str) for m in members):
        raise CommandError("bad_args", f"members: expected a list of 2..{MAX_MEMBERS} terminal ids")
    members = list(dict.fromkeys(members))
    for m in members:
        directory.require(core, m)
    return members


async def create_temporary(core: Core, members: list[str], name: str, by: str) -> dict:
    gids = [g.get("radio_gid", 0) for g in core.all(ENTITY) if g.get("temporary")]
    gid = max([FIRST_TEMP_GID - 1, *gids]) + 1
    n = gid - FIRST_TEMP_GID + 1
    record = {"id": f"TG-{gid}", "name": name or f"临时组 {n}", "members": members, "temporary": True,
              "radio_gid": gid, "created_by": by, "created": time.time()}
    await core.publish([Change(ENTITY, "upsert", record["id"], record)], actor=by)
    return record


async def seed_department_groups(core: Core) -> int:
    """One standing group per department that has radios (talk group 100, 101, …)."""
    by_dept: dict[str, list[str]] = {}
    for t in directory.search(core.all(directory.ENTITY), kind="radio"):
        if t.get("department"):
            by_dept.setdefault(t["department"], []).append(t["id"])
    changes = []
    for i, (dept, members) in enumerate(sorted(by_dept.items())):
        gid = f"TG-{100 + i}"
        if core.get(ENTITY, gid) is None:
            changes.append(Change(ENTITY, "upsert", gid, {"id": gid, "name": f"{dept}全体", "members": members,
                                                          "temporary": False, "radio_gid": 100 + i,
                                                          "created_by": "system", "created": time.time()}))
    if changes:
        await core.publish(changes, actor="dispatch")
    return len(changes)
