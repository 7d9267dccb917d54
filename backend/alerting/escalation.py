"""Alert handling commands (alert.assign, alert.escalate) and the automatic escalation of red alerts
nobody acknowledged within ``--escalate-after`` seconds (actor "system", audited)."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from backend.auth import User
from backend.core import CommandError, Core
from backend.periodic import every

log = logging.getLogger(__name__)

ESCALATE_AFTER_S = 120.0
SYSTEM = "system"


def _text(args: dict, name: str, *, required: bool = True, max_len: int = 200) -> str:
    value = args.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > max_len:
        raise CommandError("bad_args", f"{name}: expected a string of 1-{max_len} characters")
    return value.strip()


def _alert(core: Core, args: dict) -> tuple[str, dict]:
    alert_id = _text(args, "id", max_len=100)
    alert = core.get("alerts", alert_id)
    if alert is None:
        raise CommandError("not_found", f"alert {alert_id!r} does not exist")
    return alert_id, alert


async def alert_assign(core: Core, user: User, args: dict) -> dict:
    alert_id, _alert_rec = _alert(core, args)
    to = _text(args, "to", max_len=64)
    await core.update("alerts", alert_id, {"assigned_to": to, "assigned_by": user.name, "assigned_at": time.time()},
                      actor=user.name)
    return {"id": alert_id, "assigned_to": to}


def escalated_fields(alert: dict, by: str, reason: str, now: float) -> dict:
    return {"escalated": True, "escalation_level": int(alert.get("escalation_level") or 0) + 1,
            "escalated_at": now, "escalated_by": by, "escalation_reason": reason}


async def alert_escalate(core: Core, user: User, args: dict) -> dict:
    alert_id, alert = _alert(core, args)
    reason = _text(args, "reason", required=False, max_len=500)
    if alert.get("status", "active") != "active":
        raise CommandError("conflict", f"alert {alert_id!r} is {alert.get('status')}: nothing to escalate")
    fields = escalated_fields(alert, user.name, reason, time.time())
    await core.update("alerts", alert_id, fields, actor=user.name)
    return {"id": alert_id, "escalation_level": fields["escalation_level"]}


def overdue_red(alerts: list[dict], first_seen: dict[str, float], now: float, after: float) -> list[dict]:
    """Active, unacknowledged, never escalated red alerts seen at least ``after`` seconds ago."""
    out = []
    for a in alerts:
        if a.get("colour") != "red" or a.get("status", "active") != "active" or a.get("acked") \
                or a.get("escalated") or int(a.get("escalation_level") or 0) > 0:
            continue
        seen = first_seen.get(a["id"])
        if seen is not None and now - seen >= after:
            out.append(a)
    return out


class Escalator:
    """Watches alerts; escalates unacknowledged red ones after ``after`` seconds.

    Attributes:
        after: seconds an unacknowledged red alert waits before the system escalates it.
        escalated: how many it escalated since start.
    """

    def __init__(self, core: Core, after: float = ESCALATE_AFTER_S, interval: float = 5.0,
                 clock: Callable[[], float] = time.time):
        self.core, self.after, self.interval, self.clock = core, after, interval, clock
        self.escalated = 0
        self._first_seen: dict[str, float] = {}
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        now = self.clock()
        for a in self.core.all("alerts"):  # alerts from before a restart: the clock starts now
            self._first_seen[a["id"]] = now
        self.core.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="alert-escalation")

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _on_event(self, event: dict) -> None:
        if event["entity"] != "alerts":
            return
        if event["op"] == "delete":
            self._first_seen.pop(event["key"], None)
        else:
            self._first_seen.setdefault(event["key"], self.clock())

    async def _run(self) -> None:
        await every(self.interval, self.check, "automatic escalation")

    async def check(self) -> int:
        """Escalate what is due now; returns how many."""
        now = self.clock()
        count = 0
        for alert in overdue_red(self.core.all("alerts"), self._first_seen, now, self.after):
            current = self.core.get("alerts", alert["id"])
            if current is None or current.get("acked") or current.get("escalated"):
                continue
            reason = f"红色预警 {int(self.after)} 秒未确认，系统自动升级"
            # update() merges into any change still being committed (an ack a moment ago is kept)
            await self.core.update("alerts", alert["id"], escalated_fields(current, SYSTEM, reason, now), actor=SYSTEM)
            await self.core.audit(SYSTEM, SYSTEM, "alert.escalate", {"id": alert["id"], "reason": reason}, True,
                                  "automatic")
            self.escalated += 1
            count += 1
            log.warning("alert %s escalated: unacknowledged red for %.0f s", alert["id"], self.after)
        return count
