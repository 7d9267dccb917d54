"""room.scene over a real backend process: simulators on 127.0.0.x, per-step results, health, a silent device."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from backend.room_devices import load_room
from devices.sims.room_sims import DEMO_ROOM, start_room
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend


async def _room(tmp_path):
    sims, devices = await start_room(load_room(DEMO_ROOM), any_port=True)
    path = tmp_path / "room.json"
    path.write_text(json.dumps({"devices": devices}, ensure_ascii=False), "utf-8")
    return sims, path


async def _wait(client: RawClient, pred, timeout=30.0):
    """Receive frames until ``pred()`` holds (it reads what the client has received)."""
    try:
        async with asyncio.timeout(timeout):
            while not pred():
                await client.recv(timeout)
    except TimeoutError:
        state = {e: _records(client, e) for e in ("room_devices", "room_runs")}
        raise AssertionError(f"condition not met in {timeout} s; room state: {state}") from None


def _records(client: RawClient, entity: str) -> dict[str, dict]:
    out = {r["id"]: r for r in (client.snapshot or {}).get("state", {}).get(entity, [])}
    for m in client.received:
        if m["type"] == "event" and m["entity"] == entity:
            if m["op"] == "upsert":
                out[m["key"]] = m["data"]
            else:
                out.pop(m["key"], None)
    return out


@pytest.fixture
async def room_backend(tmp_path):
    sims, path = await _room(tmp_path)
    backend = await asyncio.to_thread(start_backend, tmp_path,
                                      extra_args=("--room", str(path), "--room-poll", "0.5"))
    try:
        yield backend, sims
    finally:
        await asyncio.to_thread(backend.stop)
        for sim in sims.values():
            await sim.stop()


async def test_consultation_scene_drives_every_device_and_reports_each_step(room_backend):
    backend, sims = room_backend
    client = await RawClient.connect(backend.url, backend.token("leader"))
    try:
        result = await client.command("room.scene", {"name": "consultation"})
        assert result["ok"], result
        assert result["result"]["ok"] is True and result["result"]["failed"] == 0
        run = _records(client, "room_runs")[result["result"]["run"]]
        assert run["state"] == "done" and len(run["steps"]) == 16 and all(s["ok"] for s in run["steps"])
        assert sims["display-1"].power == "1" and sims["display-1"].input == "31"
        assert sims["display-2"].input == "32"
        assert sims["matrix"].routes == {1: 1, 2: 2, 3: 3} and sims["matrix-aux"].routes == {1: 4}
        assert sims["cam-room-1"].preset == 1 and sims["cam-room-2"].preset == 2
        assert (sims["led"].power, sims["led"].input, sims["led"].brightness) == (True, 1, 80)
        assert sims["lights"].levels[1:4] == [230, 180, 60]
        # health: every device online, the projector's lamp hours on the change stream
        await _wait(client, lambda: all(d.get("online") for d in _records(client, "room_devices").values())
                    and len(_records(client, "room_devices")) == 8)
        assert _records(client, "room_devices")["display-1"]["lamp_hours"] == 1200
        sims["display-1"].erst = "020000"
        await _wait(client, lambda: _records(client, "room_devices")["display-1"].get("errors") == ["lamp: error"])
        audit = [r for r in backend.audit_rows() if r["action"] == "room.scene"]
        assert audit and audit[-1]["ok"] and audit[-1]["user"]
    finally:
        await client.close()


async def test_a_silent_device_fails_its_steps_fast_and_the_rest_of_the_scene_runs(room_backend):
    backend, sims = room_backend
    client = await RawClient.connect(backend.url, backend.token("duty_officer"))
    try:
        sims["matrix"].silent = True
        sims["led"].silent = True
        t0 = time.monotonic()
        result = await client.command("room.scene", {"name": "briefing"})
        elapsed = time.monotonic() - t0
        assert result["ok"], result
        assert result["result"]["ok"] is False and result["result"]["failed"] == 4
        run = _records(client, "room_runs")[result["result"]["run"]]
        assert run["state"] == "partial"
        by_dev = {}
        for s in run["steps"]:
            by_dev.setdefault(s["device"], []).append(s)
        assert "no answer" in by_dev["matrix"][0]["detail"] and "retried" in by_dev["matrix"][0]["detail"]
        assert by_dev["led"][0]["attempts"] == 2 and by_dev["led"][1]["detail"] == "skipped: device did not answer"
        assert all(s["ok"] for d in ("display-1", "display-2", "cam-room-1", "lights") for s in by_dev[d])
        assert sims["lights"].levels[2] == 255 and sims["display-2"].power == "0"
        assert elapsed < 60  # bounded: no hang (the real bound is STEP_TIMEOUT per step)
        await _wait(client, lambda: _records(client, "room_devices")["matrix"].get("online") is False)
        assert "no answer" in _records(client, "room_devices")["matrix"]["last_error"]
        # the device comes back: health says so, and the next scene works
        sims["matrix"].silent = False
        sims["led"].silent = False
        await _wait(client, lambda: _records(client, "room_devices")["matrix"].get("online") is True)
        result = await client.command("room.scene", {"name": "briefing"})
        assert result["result"]["ok"] is True
        assert sims["matrix"].routes[1] == 4
    finally:
        await client.close()


async def test_bad_scene_names_and_roles(room_backend):
    backend, _sims = room_backend
    officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
    wall_op = await RawClient.connect(backend.url, backend.token("wall_operator"))
    try:
        for name, code in (("../etc/passwd", "bad_args"), ("nope", "not_found"), (7, "bad_args")):
            res = await officer.command("room.scene", {"name": name})
            assert not res["ok"] and res["error"]["code"] == code, res
        res = await wall_op.command("room.scene", {"name": "off"})
        assert res["error"]["code"] == "forbidden"
        res = await officer.command("room.scene", {"name": "off"})
        assert res["ok"] and res["result"]["ok"], res
    finally:
        await officer.close()
        await wall_op.close()
