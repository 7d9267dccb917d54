"""The alerting service on a running Core: sensor values → threshold rules → sensor levels and alerts;
every new alert → the correlation rule → combined alerts. Its own writes carry actor "alerting"."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Callable

from backend.alerting.correlation import Correlator
from backend.alerting.thresholds import ThresholdMonitor, sensor_alert_record
from backend.core import Change, Core

log = logging.getLogger(__name__)

ACTOR = "alerting"


def _township_names() -> dict[str, str]:
    try:
        from backend.demo.city import townships
        return {t.code: t.name for t in townships()}
    except Exception:  # the names only decorate titles
        return {}


class AlertingService:
    """Attributes: monitor (ThresholdMonitor), correlator (Correlator), raised (alerts it wrote)."""

    def __init__(self, core: Core, monitor: ThresholdMonitor | None = None, correlator: Correlator | None = None,
                 clock: Callable[[], float] = time.time):
        self.core, self.clock = core, clock
        self.names = _township_names()
        self.monitor = monitor or ThresholdMonitor()
        self.correlator = correlator or Correlator(centre=core.centre)
        self.correlator.names = self.correlator.names or self.names
        self.raised = 0
        self._queue: asyncio.Queue[dict] = asyncio.Queue()
        self._known_alerts: set[str] = set()
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._known_alerts = {a["id"] for a in self.core.all("alerts")}
        for sensor in self.core.all("sensors"):  # bring stored levels in line with the rules at once
            self._queue.put_nowait({"entity": "sensors", "op": "upsert", "key": sensor["id"], "data": sensor,
                                    "actor": "startup"})
        self.core.subscribe(self._on_event)
        self._task = asyncio.create_task(self._run(), name="alerting")

    async def stop(self) -> None:
        self.core.unsubscribe(self._on_event)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    def _on_event(self, event: dict) -> None:
        if event["op"] != "upsert" or event.get("actor") == ACTOR and event["entity"] == "sensors":
            return
        if event["entity"] == "sensors":
            self._queue.put_nowait(event)
        elif event["entity"] == "alerts" and event["key"] not in self._known_alerts:
            self._known_alerts.add(event["key"])
            self._queue.put_nowait(event)

    async def _run(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                if event["entity"] == "sensors":
                    await self._on_sensor(event["data"])
                else:
                    await self._on_alert(event["data"])
            except Exception:
                log.exception("alerting: %s/%s not handled", event["entity"], event["key"])

    async def drain(self) -> None:
        """Wait until every queued event was handled (for tests)."""
        while not self._queue.empty():
            await asyncio.sleep(0.01)

    async def _on_sensor(self, sensor: dict) -> None:
        obs = self.monitor.observe(sensor, self.clock())
        if obs is None:
            return
        if obs.changed and (self.core.get("sensors", sensor["id"]) or {}).get("level") != obs.level:
            # update() merges into a value update still being committed, so no reading is lost
            await self.core.update("sensors", sensor["id"], {"level": obs.level}, actor=ACTOR)
        changes = []
        if obs.alert:
            rule = self.monitor.rules[sensor["kind"]]
            place = self.names.get(str(sensor.get("township") or ""), "")
            record = sensor_alert_record(sensor, rule, obs.alert, self.clock(), self.core.centre, place)
            if self.core.get("alerts", record["id"]) is None:
                changes.append(Change("alerts", "upsert", record["id"], record))
                self.raised += 1
        if changes:
            await self.core.publish(changes, actor=ACTOR)

    async def _on_alert(self, alert: dict) -> None:
        out = self.correlator.observe(alert, self.clock())
        if out is None:
            return
        key, record, is_new = out
        if is_new or self.core.get("alerts", key) is None:
            if not is_new:
                return  # the combined alert was deleted meanwhile
            self._known_alerts.add(key)
            await self.core.publish([Change("alerts", "upsert", key, record)], actor=ACTOR)
            self.raised += 1
            log.info("correlation: %s %s", key, record["title"])
        else:
            await self.core.update("alerts", key, record, actor=ACTOR)
