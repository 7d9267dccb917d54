"""Escalation up and a task down, end to end: two real backend processes (city hub, township leaf), each
starting its own nats-server, and a websockets client (the duty officer's console protocol) on each."""
from __future__ import annotations

import pytest

from backend.federation.natsd import free_port
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend

T = 60.0


@pytest.fixture
def centres(tmp_path):
    leaf_port = free_port()
    (tmp_path / "city").mkdir()
    (tmp_path / "qx").mkdir()
    city = start_backend(tmp_path / "city", extra_args=[
        "--centre", "city", "--fed-role", "hub", "--fed-centres", "qx", "--fed-leaf-port", str(leaf_port)])
    town = start_backend(tmp_path / "qx", extra_args=[
        "--centre", "qx", "--fed-role", "leaf", "--fed-hub", f"nats-leaf://127.0.0.1:{leaf_port}",
        "--fed-tls-dir", str(tmp_path / "city" / "federation" / "pki" / "leaves" / "qx"),  # the issued bundle
        "--fed-parent", "city", "--fed-name", "象珠镇"])
    try:
        yield city, town
    finally:
        town.stop()
        city.stop()


def is_event(entity: str, key: str, pred=lambda d: True):
    return lambda m: (m["type"] == "event" and m["entity"] == entity and m["key"] == key
                      and m.get("data") is not None and pred(m["data"]))


async def link_up(client: RawClient, centre: str) -> None:
    """The centre's link is up in the snapshot, or becomes up in a later event."""
    snap = client.snapshot or await client.until(lambda m: m["type"] == "snapshot", T)
    rows = {r["id"]: r for r in snap["state"].get("centres", [])}
    if rows.get(centre, {}).get("link") != "up":
        await client.until(is_event("centres", centre, lambda d: d["link"] == "up"), T)


async def test_escalation_and_task_flow(centres):
    city_proc, town_proc = centres
    city = await RawClient.connect(city_proc.url, city_proc.token("duty_officer"))
    town = await RawClient.connect(town_proc.url, town_proc.token("duty_officer"))
    try:
        # link state: both consoles see the other centre's link up
        await link_up(city, "qx")
        await link_up(town, "city")

        # a township incident reaches the city as a read-only copy owned by qx
        res = await town.command("incident.create", {"title": "河道漂浮物", "category": "事故灾难", "grade": 4})
        assert res["ok"], res
        inc = res["result"]["id"]
        await city.until(is_event("incidents", inc, lambda d: d["owner"] == "qx"), T)
        res = await city.command("incident.advance", {"id": inc, "stage": "collect"})
        assert not res["ok"] and res["error"]["code"] == "forbidden" and "qx" in res["error"]["message"]

        # escalation: the city takes ownership; the township keeps a read-only copy
        res = await town.command("federation.escalate", {"id": inc, "note": "涉及多个部门"})
        assert res["ok"], res
        await city.until(is_event("incidents", inc, lambda d: d["owner"] == "city"), T)
        await town.until(is_event("incidents", inc, lambda d: d["owner"] == "city"), T)
        res = await town.command("incident.advance", {"id": inc, "stage": "collect"})
        assert not res["ok"] and res["error"]["code"] == "forbidden" and "city" in res["error"]["message"]
        res = await city.command("incident.advance", {"id": inc, "stage": "collect", "note": "市级指挥"})
        assert res["ok"], res
        await town.until(is_event("incidents", inc, lambda d: d["stage"] == "collect"), T)

        # a task down: offered, refused before acceptance, accepted, its status flows back up
        res = await city.command("federation.assign", {"centre": "qx", "title": "清理河道", "incident": inc})
        assert res["ok"], res
        task = res["result"]["id"]
        await town.until(is_event("tasks", task, lambda d: d.get("offer_to") == "qx"), T)
        res = await town.command("task.update", {"id": task, "status": "in_progress"})
        assert not res["ok"] and res["error"]["code"] == "forbidden"
        res = await town.command("federation.accept", {"id": task})
        assert res["ok"], res
        await city.until(is_event("tasks", task, lambda d: d["owner"] == "qx" and d["status"] == "accepted"), T)
        res = await city.command("task.update", {"id": task, "status": "rejected"})
        assert not res["ok"] and res["error"]["code"] == "forbidden" and "qx" in res["error"]["message"]
        res = await town.command("task.update", {"id": task, "status": "done", "note": "已清理"})
        assert res["ok"], res
        await city.until(is_event("tasks", task, lambda d: d["status"] == "done"), T)

        # bad input: clear errors, both backends stay up
        res = await city.command("federation.assign", {"centre": "nowhere", "title": "x"})
        assert not res["ok"] and res["error"]["code"] == "not_found"
        res = await town.command("federation.assign", {"centre": "qx", "title": "x"})
        assert not res["ok"] and res["error"]["code"] == "conflict"
        res = await town.command("federation.escalate", {"id": inc})
        assert not res["ok"] and res["error"]["code"] == "forbidden"
        assert city_proc.running and town_proc.running
        actions = [r["action"] for r in town_proc.audit_rows() if r["ok"]]
        assert "federation.escalate" in actions and "federation.accept" in actions
    finally:
        await city.close()
        await town.close()


async def test_a_subcentre_added_while_the_city_runs(centres, tmp_path):
    """An admin adds sub-centre gz on the running city (no restart: same nats-server process); gz starts with
    the bundle the command issued, links, and its incident reaches the city; the city's task reaches gz."""
    city_proc, _town = centres
    city = await RawClient.connect(city_proc.url, city_proc.token("admin"))
    duty = await RawClient.connect(city_proc.url, city_proc.token("duty_officer"))
    nats_pid = _nats_pid(tmp_path / "city")
    gz_proc = None
    try:
        await link_up(city, "qx")
        res = await duty.command("federation.add_centre", {"id": "gz"})
        assert not res["ok"] and res["error"]["code"] == "forbidden"  # admins only
        for bad, code in (({"id": "Bad Id"}, "bad_args"), ({"id": "qx"}, "conflict"),
                          ({"id": "gz", "level": "city"}, "bad_args")):
            res = await city.command("federation.add_centre", bad)
            assert not res["ok"] and res["error"]["code"] == code, (bad, res)
        res = await city.command("federation.add_centre", {"id": "gz", "name": "古山镇", "level": "township"})
        assert res["ok"], res
        bundle = res["result"]["bundle"]
        assert bundle and (tmp_path / "city" / "federation" / "pki" / "leaves" / "gz" / "password").is_file()
        (tmp_path / "gz").mkdir()
        gz_proc = start_backend(tmp_path / "gz", extra_args=[
            "--centre", "gz", "--fed-role", "leaf", "--fed-hub", f"nats-leaf://127.0.0.1:{_leaf_port(tmp_path / 'city')}",
            "--fed-parent", "city", "--fed-tls-dir", bundle])
        gz = await RawClient.connect(gz_proc.url, gz_proc.token("duty_officer"))
        try:
            await link_up(city, "gz")
            res = await gz.command("incident.create", {"title": "山体滑坡", "category": "自然灾害", "grade": 3})
            assert res["ok"], res
            await city.until(is_event("incidents", res["result"]["id"], lambda d: d["owner"] == "gz"), T)
            res = await duty.command("federation.assign", {"centre": "gz", "title": "巡查"})
            assert res["ok"], res
            await gz.until(is_event("tasks", res["result"]["id"], lambda d: d.get("offer_to") == "gz"), T)
            assert _nats_pid(tmp_path / "city") == nats_pid  # the hub was not restarted
            assert any(r["action"] == "federation.add_centre" and r["ok"] for r in city_proc.audit_rows())
            # a restarted city still knows gz (from its centres record): its link is accepted again
            await city.close()
            city_proc.restart()
            city = await RawClient.connect(city_proc.url, city_proc.token("admin"))
            res = await gz.command("incident.create", {"title": "重启后", "category": "自然灾害", "grade": 4})
            assert res["ok"], res
            await city.until(is_event("incidents", res["result"]["id"], lambda d: d["owner"] == "gz"), T)
        finally:
            await gz.close()
    finally:
        await city.close()
        await duty.close()
        if gz_proc is not None:
            gz_proc.stop()


def _nats_pid(workdir) -> int:
    import subprocess
    conf = str(workdir / "federation" / "nats-city.conf")
    out = subprocess.run(["pgrep", "-f", conf], capture_output=True, text=True).stdout.split()
    assert len(out) == 1, out
    return int(out[0])


def _leaf_port(workdir) -> int:
    import json
    return json.loads((workdir / "federation" / "nats-city.conf").read_text())["leafnodes"]["port"]
