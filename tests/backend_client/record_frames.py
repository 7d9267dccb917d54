"""Record real hub frames for the store's offline tests: ``.venv/bin/python -m tests.backend_client.record_frames``.

Starts a demo backend, lets a duty officer connect, creates an incident, takes a scene, acks an alert,
and writes every decoded frame (snapshot trimmed to a few records per entity) to data/frames.jsonl.
"""
from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path

from websockets.asyncio.client import connect

from backend_client import protocol
from tests.helpers.backend_proc import start_backend

OUT = Path(__file__).parent / "data" / "frames.jsonl"
KEEP = 4  # records per entity kept in the snapshot
KEEP_UNIT_EVENTS = 40


async def record(url: str, token: str, seconds: float) -> list[dict]:
    frames: list[dict] = []
    async with connect(url, max_size=None) as ws:
        await ws.send(protocol.encode(protocol.auth(token, None, "recorder")))

        async def reader():
            async for raw in ws:
                frames.append(protocol.decode_server(raw))

        task = asyncio.create_task(reader())
        await asyncio.sleep(seconds / 2)
        for n, (action, args) in enumerate([
            ("incident.create", {"title": "录制测试 道路积水", "category": "自然灾害", "grade": 3}),
            ("wall.take", {"layout": "daily-duty"}),
            ("wall.set_cell", {"index": 1, "camera": "cam-01"}),
        ]):
            await ws.send(protocol.encode(protocol.command(f"r-{n}", action, args)))
        await asyncio.sleep(seconds / 2)
        alert = next((f for f in frames if f["type"] == "event" and f["entity"] == "alerts"
                      and f["op"] == "upsert" and not f["data"]["acked"]), None)
        if alert is not None:
            await ws.send(protocol.encode(protocol.command("r-ack", "alert.ack", {"id": alert["key"]})))
            await asyncio.sleep(2)
        task.cancel()
    return frames


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_backend(tmp, demo=True)
        try:
            frames = asyncio.run(record(proc.url, proc.token("duty_officer"), 12.0))
        finally:
            proc.stop()
    for f in frames:
        if f["type"] == "snapshot":
            f["state"] = {k: v[:KEEP] for k, v in f["state"].items()}
    # units move every second: keep the first few position events, every other frame
    units = [i for i, f in enumerate(frames) if f.get("entity") == "units"]
    frames = [f for i, f in enumerate(frames) if f.get("entity") != "units" or i in units[:KEEP_UNIT_EVENTS]]
    OUT.write_text("".join(json.dumps(f, ensure_ascii=False) + "\n" for f in frames), "utf-8")
    kinds = {}
    for f in frames:
        kinds[f["type"] + "/" + f.get("entity", "")] = kinds.get(f["type"] + "/" + f.get("entity", ""), 0) + 1
    print(f"{len(frames)} frames -> {OUT}: {kinds}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
