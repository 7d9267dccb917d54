"""Two relays side by side: is a change to the relay cheaper? (not part of ``make bench``)

    python bench/relay_ab.py --b /path/to/other/checkout            # A = this checkout, B = that one
    python bench/relay_ab.py --b-settings '{"batch_ms": 50}'         # same code, other settings
    python bench/relay_ab.py --swap ...                             # B started first (see below)

Each relay pulls the same 16 demo cameras (704x576@25, bench_relay's clips) from one RTSP server and has its
own 16 HTTP viewers (one process each, like bench_relay's); with ``--calls`` the backend's health long poll
runs beside each relay too. Every round measures both relays over the same window: the CPU of each relay
process (all its threads, ns from /proc/<pid>/task/*/schedstat; its ffmpeg pulls are not counted: they are
the same command lines) and of its busiest thread (the pump), in % of one core.

The two relays are not started at the same moment, and the order can matter: in earlier A/B scripts, two
identical relays differed by +0.01..+0.04 % of a core, the one started second higher. This script's A/A
run (``--b`` this checkout, 6 rounds, 2026-11-26) gave rounds from −0.06 to +0.01, mean −0.013. So a change
worth keeping shows up in both orders: run it once as is and once with ``--swap``, and compare with an A/A
run of the same length. Differences under ~0.03 % of a core are noise on this machine. A checkout used as A or
B needs its C lane built (``backend/relay/_fanout*.so``, e.g. copied from this one when the C file is the same),
or its relay runs the Python path; the script prints which.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import time
from pathlib import Path

from common import ROOT

import bench_relay as B
from tests.helpers.rtsp import RelayProc, RtspServer


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--a", type=Path, default=ROOT, help="checkout of relay A (default: this one)")
    ap.add_argument("--b", type=Path, default=ROOT, help="checkout of relay B (default: this one)")
    ap.add_argument("--a-settings", default="{}", help='relay settings of A as JSON, e.g. \'{"batch_ms": 50}\'')
    ap.add_argument("--b-settings", default="{}")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--seconds", type=float, default=15.0, help="length of one round")
    ap.add_argument("--calls", action="store_true", help="the backend's health long poll beside each relay")
    ap.add_argument("--swap", action="store_true", help="start B first")
    args = ap.parse_args()

    clips = B.make_clips()
    order = ["B", "A"] if args.swap else ["A", "B"]
    roots = {"A": args.a.resolve(), "B": args.b.resolve()}
    batch = {"batch_ms": B.pumps.BATCH_MS}  # this checkout's default for both, whatever the other's is
    settings = {"A": {**batch, **json.loads(args.a_settings)}, "B": {**batch, **json.loads(args.b_settings)}}
    with RtspServer(clips, log=B.WORK / "rtsp-ab.log") as rtsp, contextlib.ExitStack() as stack:
        cams = [{"id": f"b{i:02d}", "url": rtsp.url(f"b{i:02d}")} for i in range(1, B.CAMERAS + 1)]
        relays, viewers = {}, []
        for name in order:
            relays[name] = stack.enter_context(RelayProc(B.WORK / f"relay-ab-{name}", cams, token="bench",
                                                         settings=settings[name], root=roots[name]))
        for name in order:
            viewers.append(B.viewer_process(relays[name], [c["id"] for c in cams]))
            stack.callback(viewers[-1].kill)
        for relay in relays.values():
            for c in cams:
                relay.wait_state(c["id"], "live", timeout=60)
        if args.calls:
            for name in order:
                stack.enter_context(B.backend_calls(relays[name]))
        time.sleep(3)
        for name in ("A", "B"):  # a checkout without the built C lane runs the Python path: say so
            lane = "native" if any((roots[name] / "backend" / "relay").glob("_fanout*.so")) else "no C lane built"
            native = [c["native"] for c in relays[name].health() if "native" in c]
            print(f"{name}: {roots[name]} {settings[name]} ({lane}; streams in the lane: {sum(native)}/{len(native)})")
        print(f"started first: {order[0]}")
        total, pump = [], []
        for rnd in range(args.rounds):
            before = {n: B.thread_cpu_ns(r.proc.pid) for n, r in relays.items()}
            t0 = time.monotonic()
            time.sleep(args.seconds)
            after = {n: B.thread_cpu_ns(r.proc.pid) for n, r in relays.items()}
            wall = time.monotonic() - t0
            pct = {}
            for n in relays:
                per_thread = [(ns - before[n].get(tid, 0)) / wall / 1e7 for tid, ns in after[n].items()]
                pct[n] = (sum(per_thread), max(per_thread))
            total.append(pct["B"][0] - pct["A"][0])
            pump.append(pct["B"][1] - pct["A"][1])
            print(f"round {rnd + 1}: A {pct['A'][0]:.3f} % (pump {pct['A'][1]:.3f})   "
                  f"B {pct['B'][0]:.3f} % (pump {pct['B'][1]:.3f})   B-A {total[-1]:+.3f} (pump {pump[-1]:+.3f})",
                  flush=True)
        print(f"B-A, % of one core: mean {statistics.mean(total):+.3f} (pump {statistics.mean(pump):+.3f}), "
              f"rounds {min(total):+.3f}..{max(total):+.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
