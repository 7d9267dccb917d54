"""The store's write path on SQLite vs PostgreSQL, side by side in one run, through the real Core.

Both durable: SQLite WAL with synchronous=FULL; PostgreSQL 15 (a throwaway cluster on the same disk,
unix socket, fsync=on, synchronous_commit=on). Figures:
  - burst: N single-change publishes submitted at once (group commit fills batches) → events/s
  - commit latency of one idle submitter (one publish at a time) → p50 / p99 ms
  - commit latency under load: C submitters publishing in a loop → p50 / p99 ms, events/s
    python bench/bench_store.py [--burst 20000] [--idle 300] [--load-seconds 5] [--submitters 50]
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from common import figure, percentile, write_result

from backend.core import Change, Core
from tests.helpers.pg import PgCluster


async def _burst(core: Core, n: int) -> float:
    t0 = time.perf_counter()
    await asyncio.gather(*(core.publish([Change("units", "upsert", f"B-{i}", {"n": i, "lat": 28.9})])
                           for i in range(n)))
    return n / (time.perf_counter() - t0)


async def _idle(core: Core, n: int) -> list[float]:
    out = []
    for i in range(n):
        t0 = time.perf_counter()
        await core.publish([Change("alerts", "upsert", f"I-{i % 50}", {"n": i, "title": "暴雨预警"})])
        out.append((time.perf_counter() - t0) * 1000)
    return out


async def _load(core: Core, seconds: float, submitters: int) -> tuple[list[float], float]:
    lat: list[float] = []
    stop = time.perf_counter() + seconds

    async def one(w: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await core.publish([Change("units", "upsert", f"L-{w}-{i % 20}", {"n": i})])
            lat.append((time.perf_counter() - t0) * 1000)
            i += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(w) for w in range(submitters)))
    return lat, len(lat) / (time.perf_counter() - t0)


async def run_engine(target, state_dir: Path, args) -> dict:
    core = Core(target, state_dir=state_dir) if isinstance(target, str) else Core(target)
    async with core:
        burst = await _burst(core, args.burst)
        idle = await _idle(core, args.idle)
        load, load_rate = await _load(core, args.load_seconds, args.submitters)
        batches = core._writer.batches
    return {"burst": burst, "idle": idle, "load": load, "load_rate": load_rate, "batches": batches}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--burst", type=int, default=20000)
    ap.add_argument("--idle", type=int, default=300)
    ap.add_argument("--load-seconds", type=float, default=5.0)
    ap.add_argument("--submitters", type=int, default=50)
    args = ap.parse_args(argv)
    reason = PgCluster.available()
    if reason:
        print(f"bench_store: {reason}", file=sys.stderr)
        return 1
    cluster = PgCluster.start(fsync=True)
    try:
        with tempfile.TemporaryDirectory(prefix="cc-bench-store-", dir="/var/tmp") as tmp:
            tmp = Path(tmp)
            sq = asyncio.run(run_engine(tmp / "sqlite" / "cc.db", tmp, args))
            (tmp / "pg").mkdir()
            pg = asyncio.run(run_engine(cluster.new_database("bench"), tmp / "pg", args))
    finally:
        cluster.stop()

    def r(a, b):
        return round(a / b, 2) if a and b else None

    figures = []
    for name, key, unit, fn in (
        ("burst throughput", "burst", "events/s", lambda d: round(d["burst"])),
        ("idle commit latency p50", "idle", "ms", lambda d: round(percentile(d["idle"], 50), 2)),
        ("idle commit latency p99", "idle", "ms", lambda d: round(percentile(d["idle"], 99), 2)),
        (f"commit latency p50, {args.submitters} submitters", "load", "ms", lambda d: round(percentile(d["load"], 50), 2)),
        (f"commit latency p99, {args.submitters} submitters", "load", "ms", lambda d: round(percentile(d["load"], 99), 2)),
        (f"throughput, {args.submitters} submitters", "load_rate", "events/s", lambda d: round(d["load_rate"])),
    ):
        figures.append(figure(f"PostgreSQL {name}", fn(pg), unit, baseline=fn(sq), ratio=r(fn(pg), fn(sq)),
                              baseline_is="SQLite, same run"))
    figures.append(figure("transactions (SQLite / PostgreSQL)", f"{sq['batches']} / {pg['batches']}", "commits"))
    write_result("bench_store", figures,
                 notes="ratio = PostgreSQL / SQLite, measured one after the other in one run on the same disk "
                       "(ext4, 2 shared cores, other engineers' tests running). Both fsync every commit.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
