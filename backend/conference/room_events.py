"""Janus videoroom events applied to a room's record: who publishes (and with which streams), who left or was kicked,
moderation, and who is talking (speaker-following). Pure: the caller saves the record when this returns True.

``room`` is rooms._Room (record, mids, codecs); ``observer`` the control handle's own publisher id (ignored).
"""
from __future__ import annotations

import time


def apply_event(room, data: dict, observer: str) -> bool:
    """One plugin event into the record; True when the record changed. A "talking" event makes that site the
    speaker (the first tile of a speaker-following layout) unless its audio is muted by the moderator."""
    rec, now = room.record, time.time()
    changed = False
    for pub in data.get("publishers") or []:
        pid = str(pub.get("id"))
        if pid == observer:
            continue
        mids: dict[str, list[str]] = {}
        for s in pub.get("streams") or []:
            if s.get("type") in ("audio", "video") and not s.get("disabled"):
                mids.setdefault(s["type"], []).append(str(s.get("mid")))
                if s["type"] == "video" and pid not in room.codecs and s.get("codec"):
                    room.codecs[pid] = str(s["codec"]).lower()
        room.mids[pid] = mids
        if pid not in rec["participants"]:
            rec["participants"][pid] = {"name": pub.get("display") or pid, "joined": now,
                                        "audio_muted": False, "video_muted": False}
            rec["order"].append(pid)
        if pid in rec["invited"]:
            rec["invited"][pid].update(state="joined", detail="", at=now)
        changed = True
    gone = data.get("leaving") or data.get("unpublished") or data.get("kicked")
    if isinstance(gone, str) and gone not in ("ok", observer):
        state = "kicked" if data.get("kicked") or data.get("reason") == "kicked" else "left"
        changed = remove(room, gone, state) or changed
    if data.get("moderation") in ("muted", "unmuted") and data.get("id") in rec["participants"]:
        pid, muted = data["id"], data["moderation"] == "muted"
        kind = "video" if str(data.get("mid")) in room.mids.get(pid, {}).get("video", []) else "audio"
        rec["participants"][pid][f"{kind}_muted"] = muted
        changed = True
    if data.get("videoroom") == "talking" and data.get("id") in rec["participants"]:
        if rec["speaker"] != data["id"] and not rec["participants"][data["id"]]["audio_muted"]:
            rec["speaker"] = data["id"]
            changed = True
    return changed


def remove(room, pid: str, state: str) -> bool:
    """The participant gone (``state``: "left" or "kicked"); True when it was there."""
    rec = room.record
    if pid not in rec["participants"]:
        return False
    del rec["participants"][pid]
    rec["order"] = [p for p in rec["order"] if p != pid]
    rec["hands"] = [p for p in rec["hands"] if p != pid]
    room.mids.pop(pid, None)
    room.codecs.pop(pid, None)
    if rec["speaker"] == pid:
        rec["speaker"] = ""
    if pid in rec["invited"]:
        rec["invited"][pid].update(state=state, at=time.time())
    return True
