"""Federation over NATS JetStream: a hub and two leaf nodes on 127.0.0.1, each with its own backend Core
(SQLite), every leaf behind a TCP proxy of ours.

1. Replication lag (commit at the receiver − commit at the source) at 1,000 events/s from each leaf up
   and 1,000 events/s from the hub down to both leaves, for --seconds.
2. Catch-up after an outage: leaf a cut off for --outage s while both sides keep producing 1,000/s;
   time from the link's return until everything is applied on both sides (goal <= 10 s).
3. RSS of each nats-server process after that.
    python bench/bench_federation.py [--seconds 10] [--outage 60] [--trace] [--insecure]
Leaf links are TLS with passwords (as deployed) unless --insecure.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

from common import figure, percentile, write_result
from fed_trace import CatchUpTrace

from tests.federation.cluster import HUB, Cluster, produce, wait_for

RATE = 1_000.0


async def run(seconds: float, outage: float, trace: bool = False, secure: bool = True) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="cc-bench-fed-", dir="/var/tmp") as tmp:
        cluster = await Cluster(Path(tmp), secure=secure).start(keep_lags=1_000_000)
        try:
            n = int(RATE * seconds)
            await asyncio.gather(*[produce(l.core, "alerts", f"{c}-A", n, RATE, chunk=10)
                                   for c, l in cluster.leaves.items()],
                                 produce(cluster.hub.core, "tasks", f"{HUB}-T", n, RATE,
                                         {"share": list(cluster.leaves)}, chunk=10))
            # per-source order is kept (tests/federation), so the last record there means all are there;
            # a cheap check: counting 10^5 records every few ms would steal the loop from the engines
            await wait_for(lambda: all(_has(cluster.hub, "alerts", f"{c}-A", n) for c in cluster.leaves)
                           and all(_has(l, "tasks", f"{HUB}-T", n) for l in cluster.leaves.values()), 120, "lag run")
            up = list(cluster.hub.replicator.lags)
            down = [x for l in cluster.leaves.values() for x in l.replicator.lags]
            for centre in (cluster.hub, *cluster.leaves.values()):
                centre.replicator.lags.clear()

            a = cluster.leaves["a"]
            m = int(RATE * outage)
            await cluster.cut("a")
            t0 = time.monotonic()
            await asyncio.gather(produce(a.core, "alerts", "a-B", m, RATE, chunk=20),
                                 produce(cluster.hub.core, "tasks", f"{HUB}-U", m, RATE, {"share": ["a"]}, chunk=20))
            await asyncio.sleep(max(0.0, outage - (time.monotonic() - t0)))
            behind_up, behind_down = m - _count(cluster.hub, "alerts", "a-B"), m - _count(a, "tasks", f"{HUB}-U")
            assert behind_up == m and behind_down == m, "the link was not cut"
            back = time.monotonic()
            tracer = await CatchUpTrace(cluster, "a", m, m).start(back) if trace else None
            await cluster.restore("a")
            await wait_for(lambda: _has(cluster.hub, "alerts", "a-B", m) and _has(a, "tasks", f"{HUB}-U", m),
                           300, "catch-up", interval=0.05)
            catch_up = time.monotonic() - back
            if tracer is not None:
                print(await tracer.stop(catch_up), flush=True)
            assert _count(cluster.hub, "alerts", "a-B") == m and _count(a, "tasks", f"{HUB}-U") == m
            rss = {c.id: c.server.rss_kib() for c in (cluster.hub, *cluster.leaves.values())}
        finally:
            try:
                await cluster.stop()
            except AssertionError as exc:  # a slow shutdown is reported, the figures are kept
                print(f"shutdown: {exc}", file=sys.stderr)
    ms = lambda v: round(v * 1000, 1) if v is not None else None  # noqa: E731
    return [
        figure("lag up p50 (leaf → hub)", ms(percentile(up, 50)), "ms", count=len(up)),
        figure("lag up p99", ms(percentile(up, 99)), "ms"),
        figure("lag down p50 (hub → leaves)", ms(percentile(down, 50)), "ms", count=len(down)),
        figure("lag down p99", ms(percentile(down, 99)), "ms"),
        figure(f"events held during a {outage:.0f} s outage", behind_up + behind_down, "events",
               up=behind_up, down=behind_down),
        figure(f"catch-up after a {outage:.0f} s outage", round(catch_up, 2), "s", goal="<= 10",
               baseline=outage, ratio=round(catch_up / outage, 3)),
        *[figure(f"RSS nats-server {c}", round(kib / 1024, 1) if kib else None, "MiB") for c, kib in rss.items()],
    ]


def _has(centre, entity: str, prefix: str, n: int) -> bool:
    return centre.core.get(entity, f"{prefix}-{n:05d}") is not None


def _count(centre, entity: str, prefix: str) -> int:
    return sum(1 for r in centre.core.all(entity) if r["id"].startswith(prefix + "-"))


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--outage", type=float, default=60.0)
    ap.add_argument("--trace", action="store_true", help="print where the catch-up time goes")
    ap.add_argument("--insecure", action="store_true", help="leaf links without TLS and passwords")
    args = ap.parse_args(argv)
    figures = asyncio.run(run(args.seconds, args.outage, args.trace, not args.insecure))
    write_result("federation", figures, notes=(
        f"hub + 2 leaves on one {__import__('os').cpu_count()}-core machine shared with other work; "
        f"{RATE:.0f} events/s from each leaf up and from the hub down to both; lag = receiver commit − source "
        f"commit (same clock); leaf links {'plain' if args.insecure else 'TLS + passwords'}; all centres in one "
        "Python process"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
