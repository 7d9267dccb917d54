"""Call log: the `calls` entity, one record per call with its incident and recording.

    {"id": "yk-CALL-20261125-0007", "kind": "individual" | "group" | "all" | "patch" | "ptt",
     "via": "radio" | "sip", "terminals": ["radio-3307001"], "group": "", "unit": "", "label": "…",
     "incident": "yk-INC-00003" | "", "by": "wang", "state": "dialing" | "ringing" | "active" | "ended"
     | "busy" | "no_answer" | "failed", "detail": "", "started": t, "answered": t | None,
     "ended": t | None, "duration": s | None,
     "recording": {"audio": ["/…/dump-…-enc.wav", "/…-dec.wav"], "format": "wav", "note": ""}}

The incident timeline reads calls by ``incident`` (each change is an event with seq and actor).
"""
from __future__ import annotations

import time

from backend.core import Change, Core

ENTITY = "calls"
FINAL = ("ended", "busy", "no_answer", "failed")


class CallLog:
    """Numbers calls "<centre>-CALL-<yyyymmdd>-<n>" and publishes their records as they change."""

    def __init__(self, core: Core) -> None:
        self.core = core
        self._n = 0

    def _next_id(self) -> str:
        day = time.strftime("%Y%m%d")
        prefix = f"{self.core.centre}-CALL-{day}-"
        if self._n == 0:
            nums = [int(r["id"][len(prefix):]) for r in self.core.all(ENTITY)
                    if r["id"].startswith(prefix) and r["id"][len(prefix):].isdigit()]
            self._n = max(nums, default=0)
        self._n += 1
        return f"{prefix}{self._n:04d}"

    async def open(self, *, kind: str, via: str, terminals: list[str], by: str, label: str, incident_id: str = "",
                   group: str = "", unit: str = "", state: str = "dialing") -> dict:
        now = time.time()
        note = "" if via == "sip" else "audio stays on the radio network; metadata only"
        record = {"id": self._next_id(), "kind": kind, "via": via, "terminals": list(terminals), "group": group,
                  "unit": unit, "label": label, "incident": incident_id, "by": by, "state": state, "detail": "",
                  "started": now, "answered": now if state == "active" else None, "ended": None, "duration": None,
                  "recording": {"audio": [], "format": "wav" if via == "sip" else "", "note": note}}
        await self.core.publish([Change(ENTITY, "upsert", record["id"], record)], actor=by)
        return record

    async def set_state(self, call_id: str, state: str, detail: str = "", audio: list[str] | None = None,
                        actor: str = "dispatch") -> dict | None:
        record = self.core.get(ENTITY, call_id)
        if record is None or record.get("state") in FINAL:
            return None
        now = time.time()
        fields: dict = {"state": state}
        if detail:
            fields["detail"] = detail
        if state == "active" and not record.get("answered"):
            fields["answered"] = now
        if state in FINAL:
            fields["ended"] = now
            fields["duration"] = round(now - record["answered"], 1) if record.get("answered") else 0.0
        if audio:
            fields["recording"] = {**(record.get("recording") or {}), "audio": list(audio), "format": "wav"}
        return await self.core.update(ENTITY, call_id, fields, actor=actor)

    def open_calls(self, via: str | None = None) -> list[dict]:
        return [r for r in self.core.all(ENTITY) if r.get("state") not in FINAL and (via is None or r.get("via") == via)]

    async def close_all(self, state: str, detail: str, via: str | None = None) -> None:
        for r in self.open_calls(via):
            await self.set_state(r["id"], state, detail)
