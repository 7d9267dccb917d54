"""Soak: a backend (Core + hub, real websockets) publishing 500 changes/s to 50 clients for N minutes.

Figures: RSS growth of the backend process (from 10 % into the run to the end; goal < 10 %), end-to-end
latency commit → client (p50, p99; goal p99 < 100 ms), events lost or out of order (goal 0). Clients run in
several processes (10 each) so they are not the bottleneck; latency = arrival time − the event's commit
``ts`` (one machine, one clock).

    python bench/bench_soak.py                 # 2 minutes (what `make bench` and the test suite run)
    python bench/bench_soak.py --minutes 30    # `make soak`
Exit status 1 when an event was lost or arrived out of order (goals are reported, not enforced).
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

PER_PROC = 10
SAMPLE_EVERY = 10  # keep one latency in ten (the 30-minute run would otherwise keep 45 M numbers)


# -- the backend process ----------------------------------------------------------------------------------
async def serve(db: Path, ready: Path, go: Path, rate: float, seconds: float, clients: int) -> None:
    from backend import auth, store
    from backend.core import Core
    from backend.hub import Hub

    store.create_schema(db)
    conn = store.connect(db)
    tokens = [auth.add_user(conn, f"soak-{i}", "leader") for i in range(clients)]
    conn.close()
    core = await Core(db, centre="yk").start()
    hub = Hub(core, "127.0.0.1", 0)
    await hub.start()
    ready.write_text(json.dumps({"port": hub.port, "tokens": tokens, "pid": os.getpid()}))
    while not go.exists():
        await asyncio.sleep(0.05)
    t0 = time.perf_counter()
    n = 0
    while True:  # paced publisher: one unit position per change, like a GNSS feed
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            break
        due = int(elapsed * rate) + 1
        batch = []
        while n < due:
            batch.append(core.update("units", f"U-{n % 50:02d}", {"lat": 28.9 + (n % 1000) * 1e-5, "lon": 120.0,
                                                                   "n": n}, actor="soak"))
            n += 1
        if batch:
            await asyncio.gather(*batch)
        await asyncio.sleep(0.002)
    (ready.parent / "published").write_text(str(n))
    await asyncio.Event().wait()


# -- a client process -------------------------------------------------------------------------------------
async def clients(port: int, tokens: list[str], out: Path, connected: Path, seconds: float) -> None:
    from websockets.asyncio.client import connect

    from backend_client import protocol

    results = []

    async def one(token: str, idx: int) -> None:
        r = {"latencies": [], "bad": 0, "events": 0}
        results.append(r)  # filled as frames arrive; the task is cancelled at the end
        last, ready = None, False
        async with connect(f"ws://127.0.0.1:{port}", max_size=None, open_timeout=60, ping_interval=None) as ws:
            await ws.send(protocol.encode(protocol.auth(token, None, f"soak-{idx}")))
            async for raw in ws:
                now = time.time()
                msg = json.loads(raw)
                kind = msg.get("type")
                if kind == "snapshot":
                    last, ready = msg["seq"], True
                    connected.with_name(f"{connected.name}.{idx}").write_text("1")
                elif kind == "event" and ready:
                    if msg["seq"] != last + 1:
                        r["bad"] += 1
                    last = msg["seq"]
                    r["events"] += 1
                    if r["events"] % SAMPLE_EVERY == 0:
                        r["latencies"].append(now - msg["ts"])

    tasks = [asyncio.create_task(one(t, i)) for i, t in enumerate(tokens)]
    done_file = connected.parent / "done"
    while not done_file.exists():
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)  # the last events are in flight
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(json.dumps(results))


def _one_client_result(out: Path) -> list[dict]:
    return json.loads(out.read_text()) if out.exists() else []


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--name", default=None, help="result name (default soak or soak_<minutes>min)")
    ap.add_argument("--serve", nargs=2, metavar=("DB", "DIR"), help=argparse.SUPPRESS)
    ap.add_argument("--client-proc", nargs=3, metavar=("PORT", "DIR", "INDEX"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    seconds = args.minutes * 60
    if args.serve:
        d = Path(args.serve[1])
        asyncio.run(serve(Path(args.serve[0]), d / "ready", d / "go", args.rate, seconds, args.clients))
        return 0
    if args.client_proc:
        port, d, idx = int(args.client_proc[0]), Path(args.client_proc[1]), int(args.client_proc[2])
        tokens = json.loads((d / "ready").read_text())["tokens"][idx * PER_PROC:(idx + 1) * PER_PROC]
        asyncio.run(clients(port, tokens, d / f"result-{idx}.json", d / f"connected-{idx}", seconds))
        return 0

    import psutil

    name = args.name or ("soak" if args.minutes <= 2 else f"soak_{args.minutes:g}min")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--minutes", str(args.minutes), "--rate", str(args.rate), "--clients", str(args.clients)]
    with tempfile.TemporaryDirectory(prefix="cc-soak-") as tmp:
        d = Path(tmp)
        server = subprocess.Popen(me + common + ["--serve", str(d / "soak.db"), str(d)], env=env, cwd=ROOT,
                                  stderr=open(d / "server.log", "wb"))
        procs = []
        try:
            while not (d / "ready").exists():
                if server.poll() is not None:
                    print((d / "server.log").read_text(), file=sys.stderr)
                    return 2
                time.sleep(0.1)
            info = json.loads((d / "ready").read_text())
            n_procs = (args.clients + PER_PROC - 1) // PER_PROC
            procs = [subprocess.Popen(me + common + ["--client-proc", str(info["port"]), str(d), str(i)], env=env,
                                      cwd=ROOT) for i in range(n_procs)]
            deadline = time.monotonic() + 120
            while len(list(d.glob("connected-*"))) < args.clients and time.monotonic() < deadline:
                time.sleep(0.1)
            ps = psutil.Process(server.pid)
            (d / "go").write_text("1")
            t0 = time.monotonic()
            rss = []
            while time.monotonic() - t0 < seconds:
                time.sleep(min(5.0, max(0.5, seconds / 60)))
                rss.append((time.monotonic() - t0, ps.memory_info().rss))
            deadline = time.monotonic() + 60
            while not (d / "published").exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            published = int((d / "published").read_text()) if (d / "published").exists() else 0
            time.sleep(2.0)
            (d / "done").write_text("1")
            for p in procs:
                p.wait(timeout=120)
            results = [r for i in range(n_procs) for r in _one_client_result(d / f"result-{i}.json")]
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
            server.kill()
            server.wait()
    lat = [x * 1000 for r in results for x in r["latencies"]]
    early = next((v for t, v in rss if t >= seconds * 0.1), rss[0][1] if rss else 0)
    growth = (rss[-1][1] - early) / early * 100 if rss and early else None
    bad = sum(r["bad"] for r in results)
    received = [r["events"] for r in results]
    lost = sum(max(0, published - n) for n in received) + (args.clients - len(results)) * published
    figures = [
        figure("duration", round(seconds / 60, 1), "min"),
        figure("publish rate", round(published / seconds, 1), "changes/s", goal=f">= {args.rate:g}"),
        figure("clients", len(results), "", goal=f"{args.clients}"),
        figure("backend RSS growth (10% → end)", round(growth, 1) if growth is not None else None, "%", goal="< 10",
               baseline=round(early / 2 ** 20, 1), baseline_unit="MiB at 10%"),
        figure("backend RSS at end", round(rss[-1][1] / 2 ** 20, 1) if rss else None, "MiB"),
        figure("latency p50", round(percentile(lat, 50), 2) if lat else None, "ms"),
        figure("latency p99", round(percentile(lat, 99), 2) if lat else None, "ms", goal="< 100"),
        figure("latency max", round(max(lat), 1) if lat else None, "ms"),
        figure("events lost", lost, "", goal="0"),
        figure("events out of order", bad, "", goal="0"),
    ]
    write_result(name, figures, notes=f"{published} changes published; every client got "
                 f"{min(received, default=0)}..{max(received, default=0)} events; latency sampled 1 in {SAMPLE_EVERY}")
    return 1 if lost or bad or len(results) < args.clients else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
