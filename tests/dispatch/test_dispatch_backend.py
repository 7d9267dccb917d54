"""Dispatch through the real backend process: radio gateway on a real PTY (simulator in this process),
calls from an incident logged as `calls` with the incident id, groups, all-call, patch, PTT, emergency,
notices through the demo gateway, role checks."""
import asyncio

import pytest

from backend.demo.radio_sim import RadioSim
from devices import radio_gw as rg
from devices.transport import SerialTransport
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend
from tests.helpers.pty import PtyPair

pytestmark = pytest.mark.timeout(180)


def record(client, entity, key):
    """The latest state of one record seen by this client (snapshot, then events)."""
    rec = None
    if client.snapshot:
        rec = next((r for r in client.snapshot["state"].get(entity, []) if r["id"] == key), None)
    for m in client.received:
        if m["type"] == "event" and m["entity"] == entity and m["key"] == key:
            rec = m["data"]
    return rec


async def wait_record(client, entity, key, pred=lambda r: True, timeout=30):
    rec = record(client, entity, key)
    if rec is not None and pred(rec):
        return rec
    msg = await client.until(lambda m: m["type"] == "event" and m["entity"] == entity and m["key"] == key
                             and m["data"] is not None and pred(m["data"]), timeout)
    return msg["data"]


@pytest.fixture
async def rig(tmp_path):
    pair = PtyPair(tmp_path / "pty").start()
    far = SerialTransport(pair.b, 115200, exclusive=False)
    await far.open()
    sim = RadioSim(far, radios=12, seed=3, gps_every=0.5, status_every=1000, emergency_every=0)
    task = asyncio.ensure_future(sim.run())
    proc = await asyncio.to_thread(start_backend, tmp_path, extra_args=[
        "--radio", pair.a, "--dispatch-demo-directory", "--demo-notice-gateway"])
    try:
        yield proc, sim
    finally:
        await asyncio.to_thread(proc.stop)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await far.close()
        pair.stop()


async def test_radio_positions_status_and_emergency_reach_terminals_units_alerts(rig):
    proc, sim = rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    term = await wait_record(c, "terminals", "radio-3307001", lambda r: r.get("lat") is not None)
    assert term["presence"] == "online" and term["kind"] == "radio" and term["department"]
    unit = await wait_record(c, "units", "R-3307001")
    assert unit["kind"] == "radio" and abs(unit["lat"] - term["lat"]) < 0.01
    await sim.send(rg.status_report(3307002, 3))
    assert (await wait_record(c, "terminals", "radio-3307002", lambda r: r["status"] == "on_scene"))
    assert (await wait_record(c, "units", "R-3307002", lambda r: r["status"] == "busy"))
    await sim.send(rg.emergency(3307003))
    assert (await wait_record(c, "terminals", "radio-3307003", lambda r: r["emergency"]))
    alert = (await c.until(lambda m: m["type"] == "event" and m["entity"] == "alerts"))["data"]
    assert alert["colour"] == "red" and alert["terminal"] == "radio-3307003" and "紧急" in alert["title"]
    await c.close()


async def test_dispatch_from_an_incident_is_a_logged_call_in_its_timeline(rig):
    proc, sim = rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    await wait_record(c, "units", "R-3307004")  # the "resources nearby" list offers this unit
    inc = (await c.command("incident.create", {"title": "江南街道 道路积水", "category": "自然灾害", "grade": 3}))
    inc_id = inc["result"]["id"]
    res = await c.command("dispatch.call", {"unit": "R-3307004", "incident": inc_id})
    assert res["ok"], res
    call_id = res["result"]["call"]
    call = await wait_record(c, "calls", call_id, lambda r: r["state"] == "active")
    assert call["incident"] == inc_id and call["terminals"] == ["radio-3307004"] and call["by"]
    assert "AT+CALL=P,3307004" in sim.commands
    res = await c.command("dispatch.hangup", {"call": call_id})
    assert res["ok"] and res["result"]["ended"] == [call_id]
    call = await wait_record(c, "calls", call_id, lambda r: r["state"] == "ended")
    assert call["duration"] is not None and sim.commands[-1] == "AT+HANG"
    # the incident timeline: every call event with this incident id, in seq order, with its actor
    timeline = [m for m in c.received if m["type"] == "event" and m["entity"] == "calls"
                and m["data"]["incident"] == inc_id]
    assert [m["data"]["state"] for m in timeline][0] == "dialing" and timeline[-1]["data"]["state"] == "ended"
    assert proc.audit_last()["action"] == "dispatch.hangup"
    # a radio that is off duty does not answer: the call fails, is logged, and the command says why
    await sim.send(rg.status_report(3307005, 5))
    sim.radios[3307005].status = 5
    res = await c.command("dispatch.call", {"terminal": "radio-3307005", "incident": inc_id})
    assert not res["ok"] and res["error"]["code"] == "unavailable" and "no_answer" in res["error"]["message"]
    failed = [m["data"] for m in c.received if m["type"] == "event" and m["entity"] == "calls"
              and m["data"]["terminals"] == ["radio-3307005"]]
    assert failed and failed[-1]["state"] == "failed"
    # …and the incident's review (the timeline the console replays) holds both calls, in seq order
    review = await c.command("incident.review", {"id": inc_id})
    assert review["ok"], review
    reviewed = [e for e in review["result"]["events"] if e["entity"] == "calls"]
    assert {e["key"] for e in reviewed} >= {call_id, failed[-1]["id"]}
    assert [e["seq"] for e in reviewed] == sorted(e["seq"] for e in reviewed)
    assert reviewed[-1]["data"]["state"] == "failed"
    await c.close()


async def test_groups_all_call_patch_ptt_and_notices(rig):
    proc, sim = rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "duty_officer"))
    res = await c.command("dispatch.group.create", {"members": ["radio-3307001", "radio-3307002", "phone-110"]})
    assert res["ok"], res
    gid = res["result"]["group"]
    assert "AT+DGNA=9001,3307001,3307002" in sim.commands
    res = await c.command("dispatch.call", {"group": gid})
    assert res["ok"] and sim.commands[-1] == "AT+CALL=G,9001"
    await wait_record(c, "calls", res["result"]["call"], lambda r: r["state"] == "active" and r["kind"] == "group")
    res = await c.command("dispatch.ptt", {"on": True})
    assert res["ok"] and sim.commands[-1] == "AT+PTT=1"
    assert (await c.command("dispatch.ptt", {"on": False}))["ok"] and sim.commands[-1] == "AT+PTT=0"
    res = await c.command("dispatch.broadcast", {})
    assert res["ok"] and sim.commands[-2:] == ["AT+HANG", "AT+CALL=A,16777215"]
    # the replaced group call's late +CALL END must not end the new all-call
    await wait_record(c, "calls", res["result"]["call"], lambda r: r["state"] == "active")
    await c.command("dispatch.ptt", {"on": False})  # a round trip: later events have been applied
    assert record(c, "calls", res["result"]["call"])["state"] == "active"
    await c.command("dispatch.hangup", {})
    res = await c.command("dispatch.patch", {"a": 1, "b": 3})
    assert res["ok"] and sim.commands[-1] == "AT+PATCH=1,3,1"
    await c.command("dispatch.hangup", {"call": res["result"]["call"]})
    assert sim.commands[-1] == "AT+PATCH=1,3,0"
    res = await c.command("dispatch.patch", {"a": 2, "b": 2})
    assert not res["ok"]
    # a notice to a standing group: delivery state per recipient from the (remote) gateway
    res = await c.command("notice.send", {"group": "TG-100", "text": "请各单位加强巡查"})
    assert res["ok"], res
    nid = res["result"]["notice"]
    notice = await wait_record(c, "notices", nid, lambda r: all(v["state"] in ("delivered", "read", "failed")
                                                               for v in r["recipients"].values()))
    assert len(notice["recipients"]) == res["result"]["recipients"] >= 1
    assert notice["to"] == "TG-100" and notice["kind"] == "group" and notice["to_name"] == "公安全体"
    bad = await c.command("notice.send", {"group": "TG-100", "text": ""})
    assert not bad["ok"] and bad["error"]["code"] == "bad_args"
    await c.close()


async def test_leaders_may_not_key_radios_by_default(rig):
    proc, sim = rig
    c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "leader"))
    for action, args in (("dispatch.call", {"terminal": "radio-3307001"}), ("dispatch.ptt", {"on": True}),
                         ("dispatch.broadcast", {}), ("notice.send", {"group": "TG-100", "text": "x"})):
        res = await c.command(action, args)
        assert not res["ok"] and res["error"]["code"] == "forbidden", (action, res)
    assert not any(cmd.startswith(("AT+CALL", "AT+PTT")) for cmd in sim.commands)
    rows = proc.audit_rows()
    assert rows[-1]["action"] == "notice.send" and not rows[-1]["ok"]
    await c.close()


async def test_leaders_may_when_the_setting_allows(tmp_path):
    pair = PtyPair(tmp_path / "pty").start()
    far = SerialTransport(pair.b, 115200, exclusive=False)
    await far.open()
    sim = RadioSim(far, radios=3, seed=1, emergency_every=0)
    task = asyncio.ensure_future(sim.run())
    proc = await asyncio.to_thread(start_backend, tmp_path, extra_args=[
        "--radio", pair.a, "--dispatch-demo-directory", "--dispatch-allow-leaders"])
    try:
        c = await RawClient.connect(proc.url, await asyncio.to_thread(proc.token, "leader"))
        res = await c.command("dispatch.ptt", {"on": True})
        assert res["ok"], res
        assert "AT+PTT=1" in sim.commands
        await c.close()
    finally:
        await asyncio.to_thread(proc.stop)
        task.cancel()
        await far.close()
        pair.stop()
