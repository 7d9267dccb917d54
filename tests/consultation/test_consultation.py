"""One-key consultation over a real backend: the record, invitees, the wall, the room scene, decisions, minutes."""
from __future__ import annotations

import asyncio
import json

import pytest

from backend.room_devices import load_room
from devices.sims.room_sims import DEMO_ROOM, start_room
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend
from tests.room.test_room_backend import _records, _wait

# cam-03 and cam-07 stand right by the incident, cam-05 a little further, the rest far away
CAMERAS = [{"id": f"cam-{i:02d}", "name": f"路口 {i}", "url": f"rtsp://127.0.0.1:9/{i}", "lat": 28.80 + i * 0.01,
            "lon": 120.00} for i in range(1, 11)]
CAMERAS[2].update(lat=28.9001, lon=120.0401)
CAMERAS[6].update(lat=28.9002, lon=120.0402)
CAMERAS[4].update(lat=28.9050, lon=120.0450)
CAMERAS[0].update(lat=28.9100, lon=120.0300)


@pytest.fixture
async def backend_room(tmp_path):
    sims, devices = await start_room(load_room(DEMO_ROOM), any_port=True)
    room = tmp_path / "room.json"
    room.write_text(json.dumps({"devices": devices}, ensure_ascii=False), "utf-8")
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps(CAMERAS, ensure_ascii=False), "utf-8")
    backend = await asyncio.to_thread(start_backend, tmp_path, cameras=cams,
                                      extra_args=("--room", str(room), "--room-poll", "5"))
    try:
        yield backend, sims
    finally:
        await asyncio.to_thread(backend.stop)
        for sim in sims.values():
            await sim.stop()


async def _incident(client: RawClient, **extra) -> str:
    args = {"title": "城南街道 化工仓库火灾", "category": "事故灾难", "grade": 2, "lat": 28.9, "lon": 120.04, **extra}
    res = await client.command("incident.create", args)
    assert res["ok"], res
    return res["result"]["id"]


async def test_one_key_consultation_sets_up_wall_and_room_and_records_decisions(backend_room):
    backend, sims = backend_room
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    try:
        incident = await _incident(officer)
        res = await leader.command("consultation.start", {"incident": incident})
        assert res["ok"], res
        out = res["result"]
        cid = out["consultation"]
        assert out["already"] is False and out["wall"]["ok"] and out["room"]["ok"], out
        # the wall: the consultation scene with the four nearest cameras in its camera cells
        await _wait(leader, lambda: _records(leader, "walls").get("main", {}).get("layout") == "consultation")
        wall = _records(leader, "walls")["main"]
        assert [c["camera"] for _k, c in sorted(wall["cells"].items())] == ["cam-03", "cam-07", "cam-05", "cam-01"]
        # the room: the consultation scene ran on the devices
        assert sims["display-1"].power == "1" and sims["led"].brightness == 80 and sims["matrix"].routes[3] == 3
        run = _records(leader, "room_runs")[out["room"]["run"]]
        assert run["scene"] == "consultation" and run["state"] == "done"
        await _wait(leader, lambda: _records(leader, "consultations").get(cid, {}).get("room_run"))
        record = _records(leader, "consultations")[cid]
        assert record["incident"] == incident and record["state"] == "open" and record["room"] == "会商室"
        assert record["invited"] == {"departments": ["应急管理局", "消防救援大队", "公安局", "卫生健康局"], "units": [],
                                     "source": "category"}
        # one key again: the open consultation, not a second one
        again = await officer.command("consultation.start", {"incident": incident})
        assert again["result"] == {**again["result"], "consultation": cid, "already": True}
        # decisions and minutes
        d1 = await leader.command("decision.record", {"consultation": cid, "text": "立即疏散周边 500 米居民",
                                                       "by": "王市长"})
        d2 = await officer.command("decision.record", {"consultation": cid, "text": "消防增派两个中队"})
        assert d1["ok"] and d2["ok"], (d1, d2)
        m = await officer.command("minutes.append", {"consultation": cid, "text": "应急局通报现场情况"})
        assert m["ok"] and m["result"]["entries"] == 1
        await _wait(leader, lambda: len([d for d in _records(leader, "decisions").values()
                                         if d["incident"] == incident]) == 2)
        decisions = sorted(_records(leader, "decisions").values(), key=lambda d: d["id"])
        assert [(d["text"], d["by"], d["incident"]) for d in decisions] == [
            ("立即疏散周边 500 米居民", "王市长", incident), ("消防增派两个中队", decisions[1]["recorded_by"], incident)]
        assert decisions[0]["recorded_by"].startswith("leader") and decisions[1]["by"].startswith("duty_officer")
        assert decisions[0]["at"] <= decisions[1]["at"]
        # bad input: clear errors, nothing recorded
        for action, args, code in (("decision.record", {"consultation": cid, "text": "  "}, "bad_args"),
                                   ("decision.record", {"consultation": "CS-9999", "text": "x"}, "not_found"),
                                   ("minutes.append", {"consultation": cid, "text": "x" * 2001}, "bad_args"),
                                   ("consultation.start", {"incident": "no-such"}, "not_found")):
            r = await officer.command(action, args)
            assert not r["ok"] and r["error"]["code"] == code, (action, r)
        wall_op = await RawClient.connect(backend.url, backend.token("wall_operator"))
        r = await wall_op.command("decision.record", {"consultation": cid, "text": "越权"})
        assert r["error"]["code"] == "forbidden"
        await wall_op.close()
        # end: no more decisions
        assert (await leader.command("consultation.end", {"consultation": cid}))["ok"]
        r = await leader.command("decision.record", {"consultation": cid, "text": "会后补记"})
        assert r["error"]["code"] == "conflict"
        actions = [(r["action"], r["ok"]) for r in backend.audit_rows()]
        for a in ("consultation.start", "decision.record", "minutes.append", "consultation.end"):
            assert (a, True) in actions
    finally:
        await officer.close()
        await leader.close()


async def test_invitees_come_from_the_incident_tasks(backend_room):
    backend, _sims = backend_room
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        incident = await _incident(officer, category="自然灾害", title="永康江水位超警")
        for dept, unit in (("水务局", "U-07"), ("应急管理局", "")):
            r = await officer.command("task.create", {"incident": incident, "department": dept, "title": "巡堤",
                                                      "unit": unit, "due": 4102444800})
            assert r["ok"], r
        res = await officer.command("consultation.start", {"incident": incident})
        cid = res["result"]["consultation"]
        await _wait(officer, lambda: cid in _records(officer, "consultations"))
        assert _records(officer, "consultations")[cid]["invited"] == {
            "departments": ["应急管理局", "水务局"], "units": ["U-07"], "source": "tasks"}
    finally:
        await officer.close()


async def test_room_devices_down_still_switches_the_wall_and_says_what_failed(backend_room):
    backend, sims = backend_room
    for sim in sims.values():
        sim.silent = True
    leader = await RawClient.connect(backend.url, backend.token("leader"))
    try:
        officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
        incident = await _incident(officer)
        await officer.close()
        res = await leader.command("consultation.start", {"incident": incident}, timeout=60)
        out = res["result"]
        assert out["wall"]["ok"] is True and out["room"]["ok"] is False
        assert "16 of 16 steps failed" in out["room"]["detail"]
    finally:
        await leader.close()
