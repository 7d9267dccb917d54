"""Alarm linkage with a real backend: a red CAP alert near a demo camera puts the nearest cameras into the
wall scene's alarm cells, framed in red, until the alert is acknowledged."""
from __future__ import annotations

import asyncio
import json
import math

from backend.demo.cameras import demo_cameras
from backend_client.layouts import load_layout
from tests.backend.wsclient import RawClient
from tests.cap.conftest import cap_doc, info_xml
from tests.helpers.backend_proc import ROOT, start_backend


def _flat_distance(lat1, lon1, lat2, lon2):  # an independent check: equirectangular, fine at city scale
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    return math.hypot(x, math.radians(lat2 - lat1))


def _alarm_cells(wall: dict) -> dict:
    return {k: v for k, v in (wall.get("cells") or {}).items() if v.get("alarm")}


def test_red_alert_puts_nearest_cameras_in_alarm_cells_until_acknowledged(tmp_path):
    cams = demo_cameras("rtsp://127.0.0.1:9")
    (tmp_path / "cameras.json").write_text(json.dumps(cams), "utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    target = next(c for c in cams if c["id"] == "cam-14")
    lat, lon = target["lat"] + 0.0004, target["lon"] - 0.0003
    ranked = sorted(cams, key=lambda c: _flat_distance(lat, lon, c["lat"], c["lon"]))
    expected = [c["id"] for c in ranked[:2]]
    assert expected[0] == "cam-14"
    region = load_layout(ROOT / "layouts" / "daily-duty.json").alarm_cells()
    assert len(region) == 2

    backend = start_backend(tmp_path, cameras=tmp_path / "cameras.json", extra_args=["--cap-inbox", str(inbox)])
    try:
        async def scenario():
            client = await RawClient.connect(backend.url, backend.token("duty_officer"))
            snap = await client.until(lambda m: m["type"] == "snapshot")
            wall = next(w for w in snap["state"]["walls"] if w["id"] == "main")
            assert wall["layout"] == "daily-duty" and not _alarm_cells(wall)
            # an orange (Severe) alert far away, then a red (Extreme) one next to cam-14: red wins
            far = (f"<area><areaDesc>far</areaDesc><circle>{ranked[-1]['lat']},{ranked[-1]['lon']} 0.5</circle></area>")
            near = f"<area><areaDesc>near</areaDesc><circle>{lat},{lon} 0.3</circle></area>"
            (inbox / "a.xml").write_bytes(cap_doc(identifier="orange-1", infos=[info_xml("Severe", area=far)]))
            (inbox / "b.xml").write_bytes(cap_doc(identifier="red-1", infos=[info_xml("Extreme", headline="红色预警", area=near)]))

            def red_on_wall(m):
                return (m["type"] == "event" and m["entity"] == "walls"
                        and any(v.get("alarm") == "red" for v in _alarm_cells(m["data"]).values()))
            event = await client.until(red_on_wall, timeout=60)
            cells = _alarm_cells(event["data"])
            red_id = next(iter(cells.values()))["alert"]
            got = {int(k): v["camera"] for k, v in cells.items()}
            assert got == dict(zip(region, expected)), (got, expected)
            assert all(v["alarm"] == "red" for v in cells.values())

            # acknowledging the red alert hands the region to the orange one (far away)
            result = await client.command("alert.ack", {"id": red_id})
            assert result["ok"], result
            event = await client.until(lambda m: m["type"] == "event" and m["entity"] == "walls"
                                       and all(v["alert"] != red_id for v in _alarm_cells(m["data"]).values()))
            cells = _alarm_cells(event["data"])
            assert cells and all(v["alarm"] == "orange" for v in cells.values())
            assert cells[str(region[0])]["camera"] == ranked[-1]["id"]
            orange_id = next(iter(cells.values()))["alert"]
            # ... and when that one is acknowledged too, the scene's own cells come back
            await client.command("alert.ack", {"id": orange_id})
            await client.until(lambda m: m["type"] == "event" and m["entity"] == "walls"
                               and not _alarm_cells(m["data"]))
            # a take keeps no stale alarm; an operator's take is untouched with no active alert
            result = await client.command("wall.take", {"layout": "city-safety"})
            assert result["ok"], result
            await client.ws.close()

        asyncio.run(scenario())
        rows = [r for r in backend.audit_rows() if r["action"] == "wall.linkage"]
        assert len(rows) >= 3 and rows[0]["args"]["alerts"] and rows[-1]["detail"] == "alarm region cleared"
    finally:
        backend.stop()
