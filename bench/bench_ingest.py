"""CAP ingest benchmark, side by side in one run:

1. baseline: bare store publish rate — one alert record per ``Core.publish``, one after the other (the way
   CapIngest writes), on the same kind of temp SQLite file;
2. CAP ingest throughput: the same number of CAP 1.2 documents through ``CapIngest.ingest`` (parse, XSD
   validation, duplicate/chain index, publish) — ratio to the baseline;
3. alert-to-console latency at 500 alerts/s: documents POSTed to the CAP HTTP endpoint of a backend process
   (Core + hub + CapIngest + the alerting rules) at a steady 500/s; a real websocket client on the hub
   times each alert from the moment its POST started to the arrival of its change event: p50 / p99.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, figure, percentile, write_result

from backend.cap.parse import base_alert_id

N_THROUGHPUT = 2000
RATE = 500.0
SECONDS = 10.0


def documents(n: int, tag: str) -> list[tuple[str, bytes]]:
    """(alert id, CAP document) × n, distinct identifiers, Chinese, GB/T 35965 form."""
    from backend.demo.cap_feed import HAZARDS, cap_document, identifier
    from backend.demo.city import townships
    import random
    rng = random.Random(tag)
    places = townships()
    out = []
    now = time.time()
    for i in range(n):
        hazard = HAZARDS[i % len(HAZARDS)]
        ident = identifier(hazard.issuer, i, now) + ""  # serial i, same second: distinct by serial
        ident = ident[:14] + ident[14:]
        doc = cap_document(hazard, ("blue", "yellow", "orange", "red")[i % 4], places[i % len(places)],
                           f"{ident[:9]}{(i % 100000):05d}_{ident[-14:]}", now, rng)
        doc = doc.replace(b"<sender>", f"<sender>{tag}".encode(), 1)
        sender = doc.split(b"<sender>")[1].split(b"</sender>")[0].decode()
        identifier_text = doc.split(b"<identifier>")[1].split(b"</identifier>")[0].decode()
        out.append((base_alert_id(sender, identifier_text), doc))
    return out


# -- the backend process --------------------------------------------------------------------------------
async def serve(db: Path, ready_file: Path) -> None:
    from backend import commands
    from backend.alerting.service import AlertingService
    from backend.cap.inbox import CapIngest, serve_http
    from backend.core import Change, Core
    from backend.hub import Hub

    figures = {}
    # 1 + 2 on their own store files, before anything else runs
    async with Core(db.with_name("baseline.db"), centre="yk") as core:
        docs = documents(N_THROUGHPUT, "base")
        t0 = time.perf_counter()
        for i in range(N_THROUGHPUT):
            await core.publish([Change("alerts", "upsert", f"B-{i}", {"id": f"B-{i}", "colour": "red", "title": "x",
                                                                       "source": "bench", "status": "active"})])
        figures["publish_per_s"] = N_THROUGHPUT / (time.perf_counter() - t0)
    async with Core(db.with_name("ingest.db"), centre="yk") as core:
        ingest = CapIngest(core)
        t0 = time.perf_counter()
        outcomes = {}
        for _key, doc in docs:
            r = await ingest.ingest(doc, "bench")
            outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        figures["ingest_per_s"] = N_THROUGHPUT / (time.perf_counter() - t0)
        figures["outcomes"] = outcomes
    # 3: the serving backend
    core = await Core(db, centre="yk").start()
    commands.install(core)
    alerting = AlertingService(core)
    alerting.start()
    hub = Hub(core, "127.0.0.1", 0)
    await hub.start()
    http = await serve_http(CapIngest(core), "127.0.0.1", 0)
    figures["hub_port"] = hub.port
    figures["http_port"] = http.sockets[0].getsockname()[1]
    ready_file.write_text(json.dumps(figures))
    await asyncio.Event().wait()


# -- the client side ------------------------------------------------------------------------------------
async def post(port: int, doc: bytes) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"POST /cap HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/cap+xml\r\n"
                 + f"Content-Length: {len(doc)}\r\n\r\n".encode() + doc)
    await writer.drain()
    head = await reader.readline()
    await reader.read()
    writer.close()
    return int(head.split()[1])


async def measure_latency(hub_port: int, http_port: int, token: str) -> dict:
    from tests.backend.wsclient import RawClient

    docs = documents(int(RATE * SECONDS), "paced")
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    client = await RawClient.connect(f"ws://127.0.0.1:{hub_port}", token)

    async def listen():
        while True:
            msg = protocol_decode(await client.ws.recv())
            if msg.get("type") == "event" and msg.get("entity") == "alerts" and msg["key"] in sent \
                    and msg["key"] not in arrived:
                arrived[msg["key"]] = time.perf_counter()

    listener = asyncio.create_task(listen())
    statuses: list[int] = []
    pending = set()
    t0 = time.perf_counter()
    for i, (key, doc) in enumerate(docs):
        due = t0 + i / RATE
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[key] = time.perf_counter()
        task = asyncio.create_task(post(http_port, doc))
        task.add_done_callback(lambda t: statuses.append(t.result() if not t.exception() else 0))
        pending.add(task)
        task.add_done_callback(pending.discard)
    send_s = time.perf_counter() - t0
    deadline = time.perf_counter() + 60
    while len(arrived) < len(sent) and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    all_s = max(arrived.values(), default=t0) - t0
    listener.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    await client.close()
    lat = [(arrived[k] - sent[k]) * 1000 for k in sent if k in arrived]
    return {"n": len(sent), "received": len(arrived), "offered_per_s": len(sent) / send_s,
            "delivered_per_s": len(arrived) / all_s if all_s else 0, "p50": percentile(lat, 50),
            "p99": percentile(lat, 99), "max": max(lat, default=None),
            "accepted": sum(1 for s in statuses if s == 202)}


def protocol_decode(text):
    from backend_client import protocol
    return protocol.decode_server(text)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", nargs=2, metavar=("DB", "READY"))
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(Path(args.serve[0]), Path(args.serve[1])))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    db, ready = work / "cc.db", work / "ready.json"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    token = subprocess.run([sys.executable, "-m", "backend", "--db", str(db), "user", "add", "bench", "duty_officer"],
                           cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout.strip()
    server = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--serve", str(db), str(ready)],
                              cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 300
        while not ready.exists() and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.1)
        time.sleep(0.2)
        info = json.loads(ready.read_text())
        lat = asyncio.run(measure_latency(info["hub_port"], info["http_port"], token))
    finally:
        server.terminate()
        server.wait(timeout=30)
    ratio = info["ingest_per_s"] / info["publish_per_s"]
    figures = [
        figure("store publish, 1 alert per commit (baseline)", round(info["publish_per_s"]), "alerts/s"),
        figure("CAP ingest throughput (parse + XSD + index + publish)", round(info["ingest_per_s"]), "docs/s",
               goal=">= 500", baseline=round(info["publish_per_s"]), ratio=round(ratio, 3)),
        figure("offered rate over HTTP", round(lat["offered_per_s"]), "docs/s", goal="500"),
        figure("delivered to the console", round(lat["delivered_per_s"]), "alerts/s",
               received=lat["received"], sent=lat["n"], accepted=lat["accepted"]),
        figure("alert-to-console latency p50 at 500/s", round(lat["p50"], 1) if lat["p50"] else None, "ms"),
        figure("alert-to-console latency p99 at 500/s", round(lat["p99"], 1) if lat["p99"] else None, "ms",
               goal="<= 1000"),
    ]
    write_result("ingest", figures, notes=f"throughput phase outcomes {info['outcomes']}; "
                 f"{lat['received']}/{lat['n']} alerts reached the websocket client; max {lat['max']} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
