"""Radio coordinator: owns the radio gateway's serial port; reports → terminals, units, alerts; calls → gateway.

GPS reports move the radio's terminal and its unit (``units`` record "R-<radio id>", kind "radio");
status reports set both; an emergency sets the terminal's ``emergency`` flag and raises a red alert.
"""
from __future__ import annotations

import logging
import time

from backend.core import Change, Core
from backend.dispatch import directory
from backend.dispatch.calls import CallLog
from devices import radio_gw
from devices.radio_driver import RadioGateway
from devices.transport import SerialTransport

log = logging.getLogger(__name__)
ACTOR = "radio"
UNIT_STATUS = {"available": "available", "on_scene": "busy", "busy": "busy", "returning": "available",
               "off_duty": "offline", "offline": "offline"}


class RadioCoordinator:
    """One serial radio gateway.

    Attributes:
        transport: the SerialTransport (reopens by itself after an unplug).
        gateway: the RadioGateway driver.
        current_call: id of the `calls` record the gateway is carrying, or None.
        current_target: (kind, target) of that call as the gateway reports it in +CALL lines.
        reports: how many reports were applied.
    """

    def __init__(self, core: Core, calls: CallLog, port: str, baudrate: int = 115200, transport=None) -> None:
        self.core = core
        self.calls = calls
        self.transport = transport or SerialTransport(port, baudrate, on_state=self._on_transport)
        self.gateway = RadioGateway(self.transport, on_report=self._on_report)
        self.current_call: str | None = None
        self.current_target: tuple[str, int] | None = None  # (kind, target) of the console's call
        self.reports = 0

    @property
    def connected(self) -> bool:
        return bool(getattr(self.transport, "connected", False))

    async def start(self) -> None:
        await self.transport.open(wait=False)  # a gateway plugged in later still comes up
        self.gateway.start()

    async def stop(self) -> None:
        await self.gateway.stop()
        await self.transport.close()

    async def _on_transport(self, state: str, detail: str | None) -> None:
        log.info("radio gateway %s: %s %s", self.transport.port, state, detail or "")
        if state == "connected":
            try:
                await self.gateway.poll()
            except Exception as exc:
                log.warning("radio gateway: poll after connect failed: %s", exc)
        elif state == "disconnected" and self.current_call is not None:
            call, self.current_call = self.current_call, None
            await self.calls.set_state(call, "failed", f"radio gateway disconnected: {detail or ''}")

    # -- reports ---------------------------------------------------------------------------------
    def _terminal(self, radio: int) -> dict:
        tid = directory.radio_terminal_id(radio)
        return self.core.get(directory.ENTITY, tid) or {
            "id": tid, "name": f"对讲机 {radio}", "kind": "radio", "via": "radio", "address": str(radio),
            "department": "", "unit": f"R-{radio}", "township": "", "presence": "online", "status": "unknown",
            "lat": None, "lon": None, "emergency": False}

    def _unit(self, term: dict) -> dict | None:
        uid = term.get("unit")
        if not uid:
            return None
        return self.core.get("units", uid) or {"id": uid, "name": term["name"], "kind": "radio", "lat": 0.0,
                                                "lon": 0.0, "heading": 0.0, "speed": 0.0, "status": "available",
                                                "township": term.get("township", "")}

    async def _on_report(self, msg) -> None:
        self.reports += 1
        now = time.time()
        if isinstance(msg, radio_gw.GpsReport):
            term = {**self._terminal(msg.radio), "lat": msg.lat, "lon": msg.lon, "presence": "online", "updated": now}
            changes = [Change(directory.ENTITY, "upsert", term["id"], term)]
            unit = self._unit(term)
            if unit is not None and (unit.get("kind") == "radio"):
                unit = {**unit, "lat": msg.lat, "lon": msg.lon, "speed": round(msg.speed_kmh / 3.6, 1),
                        "heading": msg.course, "updated": now}
                changes.append(Change("units", "upsert", unit["id"], unit))
            await self.core.publish(changes, actor=ACTOR)
        elif isinstance(msg, radio_gw.StatusReport):
            term = {**self._terminal(msg.radio), "status": msg.status, "updated": now,
                    "presence": "offline" if msg.status == "offline" else "online"}
            changes = [Change(directory.ENTITY, "upsert", term["id"], term)]
            unit = self._unit(term)
            if unit is not None and unit.get("kind") == "radio":
                unit = {**unit, "status": UNIT_STATUS.get(msg.status, "available"), "updated": now}
                changes.append(Change("units", "upsert", unit["id"], unit))
            await self.core.publish(changes, actor=ACTOR)
        elif isinstance(msg, radio_gw.Emergency):
            term = {**self._terminal(msg.radio), "emergency": msg.on, "updated": now}
            changes = [Change(directory.ENTITY, "upsert", term["id"], term)]
            if msg.on:
                alert_id = f"RADIO-EMRG-{msg.radio}-{int(now)}"
                changes.append(Change("alerts", "upsert", alert_id, {
                    "id": alert_id, "colour": "red", "title": f"对讲机紧急呼叫：{term['name']}", "source": "radio",
                    "event": "紧急呼叫", "township": term.get("township", ""), "lat": term.get("lat"),
                    "lon": term.get("lon"), "created": now, "status": "active", "centre": self.core.centre,
                    "terminal": term["id"]}))
            await self.core.publish(changes, actor=ACTOR)
        elif isinstance(msg, radio_gw.CallEvent):
            await self._on_call_event(msg)
        elif isinstance(msg, radio_gw.TextMessage):
            term = {**self._terminal(msg.radio), "last_message": msg.text, "updated": now}
            await self.core.publish([Change(directory.ENTITY, "upsert", term["id"], term)], actor=ACTOR)

    async def _on_call_event(self, ev: radio_gw.CallEvent) -> None:
        if ev.source == 0:  # the console's own call; a late event of a call already replaced is ignored
            if self.current_call is None or (ev.kind, ev.target) != self.current_target:
                return
            if ev.state == "START":
                await self.calls.set_state(self.current_call, "active")
            else:
                call, self.current_call = self.current_call, None
                await self.calls.set_state(call, "ended")
            return
        if ev.source != 0 and ev.state == "START":  # a radio calls in: logged, shown on the pad
            kind = {"P": "individual", "G": "group", "A": "all"}[ev.kind]
            await self.calls.open(kind=kind, via="radio", terminals=[directory.radio_terminal_id(ev.source)],
                                  by=directory.radio_terminal_id(ev.source), label=f"{ev.source} → {ev.target}",
                                  state="active")
        elif ev.source != 0:
            for r in self.calls.open_calls("radio"):
                if r.get("by") == directory.radio_terminal_id(ev.source):
                    await self.calls.set_state(r["id"], "ended")
