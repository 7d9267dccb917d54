"""One-key consultation on loopback: consultation.start -> room scene done (16 steps on 8 simulated devices) and the
wall switched; p50/p95 over repeated runs, side by side with the room scene alone (room.scene) in the same run."""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from common import figure, percentile, write_result

from backend.room_devices import load_room
from devices.sims.room_sims import DEMO_ROOM, start_room
from tests.backend.wsclient import RawClient
from tests.helpers.backend_proc import start_backend

RUNS = 20


async def _until_wall(client: RawClient, layout: str, timeout: float = 30.0) -> None:
    def seen(m: dict) -> bool:
        return m["type"] == "event" and m["entity"] == "walls" and (m.get("data") or {}).get("layout") == layout
    if any(seen(m) for m in client.received[-50:]):
        return
    await client.until(seen, timeout)


async def main() -> int:
    sims, devices = await start_room(load_room(DEMO_ROOM), any_port=True)
    work = Path(tempfile.mkdtemp(prefix="bench-room-"))
    (work / "room.json").write_text(json.dumps({"devices": devices}), "utf-8")
    backend = await asyncio.to_thread(start_backend, work, extra_args=("--room", str(work / "room.json")))
    consult, scene_only, failures = [], [], 0
    try:
        officer = await RawClient.connect(backend.url, backend.token("duty_officer"))
        leader = await RawClient.connect(backend.url, backend.token("leader"))
        for n in range(RUNS):
            res = await officer.command("incident.create", {"title": f"基准事件 {n}", "category": "事故灾难",
                                                            "grade": 2, "lat": 28.9, "lon": 120.04})
            incident = res["result"]["id"]
            await officer.command("wall.take", {"layout": "daily-duty"})
            await officer.command("room.scene", {"name": "off"})
            leader.received.clear()
            t0 = time.perf_counter()
            res = await leader.command("consultation.start", {"incident": incident}, timeout=60)
            await _until_wall(leader, "consultation")
            consult.append(time.perf_counter() - t0)
            out = res.get("result") or {}
            failures += not (res["ok"] and out.get("room", {}).get("ok") and out.get("wall", {}).get("ok"))
            await leader.command("consultation.end", {"consultation": out.get("consultation", "")})
            await officer.command("room.scene", {"name": "off"})
            t0 = time.perf_counter()
            res = await leader.command("room.scene", {"name": "consultation"}, timeout=60)
            scene_only.append(time.perf_counter() - t0)
            failures += not (res["ok"] and res["result"]["ok"])
        await officer.close()
        await leader.close()
    finally:
        await asyncio.to_thread(backend.stop)
        for sim in sims.values():
            await sim.stop()
    p50, p95 = percentile(consult, 50), percentile(consult, 95)
    s50, s95 = percentile(scene_only, 50), percentile(scene_only, 95)
    figures = [
        figure("one-key consultation: room scene done + wall switched, p50", round(p50 * 1000, 1), "ms", "<= 3000",
               baseline=round(s50 * 1000, 1), ratio=round(p50 / s50, 2) if s50 else None),
        figure("one-key consultation p95", round(p95 * 1000, 1), "ms", "<= 3000",
               baseline=round(s95 * 1000, 1), ratio=round(p95 / s95, 2) if s95 else None),
        figure("room scene alone (16 steps, 8 devices), p50", round(s50 * 1000, 1), "ms"),
        figure("runs with a failed step or wall", failures, "runs", "0"),
    ]
    write_result("bench_room", figures, notes=f"{RUNS} runs on loopback; devices are our simulators on 127.0.0.x; "
                 "baseline = room.scene consultation alone, measured in the same run. Janus part not built.")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
