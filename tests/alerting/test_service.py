"""The alerting service, escalation and supervision on a real Core (temp SQLite), driven by fake clocks."""
from __future__ import annotations

import asyncio

import pytest

from backend.alerting.correlation import Correlator
from backend.alerting.escalation import Escalator
from backend.alerting.service import AlertingService
from backend.core import Change, Core
from backend.incidents.loop import Supervisor, new_task


class FakeClock:
    def __init__(self, t=1_700_000_000.0):
        self.t = t

    def __call__(self):
        return self.t


@pytest.fixture
async def core(tmp_path):
    c = await Core(tmp_path / "cc.db", centre="yk").start()
    try:
        yield c
    finally:
        await c.close()


async def wait_for(predicate, timeout=20.0):
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def sensor(value, sid="S-1", kind="water_level", township="330784003"):
    return {"id": sid, "name": "江南街道 永康江水位站", "kind": kind, "unit": "m", "value": value, "level": "",
            "township": township, "lat": 28.87, "lon": 120.04, "updated": 0}


async def test_sensor_values_become_levels_and_alerts_and_correlate(core):
    clock = FakeClock()
    svc = AlertingService(core, correlator=Correlator(window_s=600, min_sources=2, centre="yk"), clock=clock)
    svc.start()
    try:
        await core.publish([Change("sensors", "upsert", "S-1", sensor(3.5))], actor="demo")
        # the service commits the level, then the alert: wait for both (the full suite once looked in between)
        await wait_for(lambda: core.get("sensors", "S-1")["level"] == "yellow"
                       and any(a["source"] == "sensor" for a in core.all("alerts")))
        alerts = [a for a in core.all("alerts") if a["source"] == "sensor"]
        assert len(alerts) == 1 and alerts[0]["colour"] == "yellow" and alerts[0]["sensor"] == "S-1"
        assert "江南街道" in alerts[0]["title"] and alerts[0]["category"] == "自然灾害"
        # a wobble inside the hysteresis changes nothing; the demo re-publishes the level the core holds
        await core.publish([Change("sensors", "upsert", "S-1", {**sensor(3.3), "level": "yellow"})], actor="demo")
        await svc.drain()
        await asyncio.sleep(0.05)
        assert core.get("sensors", "S-1")["level"] == "yellow"
        assert len([a for a in core.all("alerts") if a["source"] == "sensor"]) == 1
        # a warning of another source in the same township within the window: one combined alert, higher
        clock.t += 60
        cap = {"id": "cap-1", "colour": "orange", "title": "暴雨橙色预警", "source": "cap", "event": "暴雨",
               "status": "active", "area": {"geocodes": [["GB/T 10114", "330784003"]]}}
        await core.publish([Change("alerts", "upsert", "cap-1", cap)], actor="cap")
        await wait_for(lambda: any(a["source"] == "correlation" for a in core.all("alerts")))
        combined = next(a for a in core.all("alerts") if a["source"] == "correlation")
        assert combined["colour"] == "red" and set(combined["members"]) == {alerts[0]["id"], "cap-1"}
        assert combined["township"] == "330784003"
    finally:
        await svc.stop()


async def test_unacknowledged_red_alert_is_escalated_once_by_the_system(core):
    clock = FakeClock()
    esc = Escalator(core, after=120, interval=3600, clock=clock)
    esc.start()
    try:
        red = {"id": "R-1", "colour": "red", "title": "红色", "status": "active"}
        await core.publish([Change("alerts", "upsert", "R-1", red),
                            Change("alerts", "upsert", "R-2", {**red, "id": "R-2"}),
                            Change("alerts", "upsert", "O-1", {**red, "id": "O-1", "colour": "orange"})])
        await core.update("alerts", "R-2", {"acked": True})
        clock.t += 119
        assert await esc.check() == 0
        clock.t += 1
        assert await esc.check() == 1
        r1 = core.get("alerts", "R-1")
        assert r1["escalated"] and r1["escalation_level"] == 1 and r1["escalated_by"] == "system"
        assert not core.get("alerts", "R-2").get("escalated") and not core.get("alerts", "O-1").get("escalated")
        clock.t += 1000
        assert await esc.check() == 0  # once
    finally:
        await esc.stop()


async def test_overdue_tasks_are_supervised_once(core):
    clock = FakeClock()
    sup = Supervisor(core, interval=3600, clock=clock)
    await core.publish([Change("tasks", "upsert", "T-1", new_task("T-1", "I-1", "市水利局", "排涝", clock.t + 60,
                                                                   "", "wang", clock.t)),
                        Change("tasks", "upsert", "T-2", {**new_task("T-2", "I-1", "市公安局", "管制",
                                                                     clock.t + 60, "", "wang", clock.t),
                                                          "status": "done"}),
                        # another centre's task (federation): read-only here, supervised by its owner
                        Change("tasks", "upsert", "T-3", {**new_task("T-3", "I-1", "石柱镇", "转移群众",
                                                                     clock.t + 60, "", "li", clock.t),
                                                          "owner": "shizhu"})])
    assert await sup.check() == 0
    clock.t += 61
    assert await sup.check() == 1
    assert not core.get("tasks", "T-3").get("supervised")
    t1 = core.get("tasks", "T-1")
    assert t1["supervised"] and t1["supervisions"] == 1 and t1["history"][-1]["by"] == "system"
    assert not core.get("tasks", "T-2")["supervised"]
    assert await sup.check() == 0
