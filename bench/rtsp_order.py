"""Do two groups of the same 16 pulls cost the same? (not part of ``make bench``)

    python bench/rtsp_order.py null null                      # both to /dev/null, group after group
    python bench/rtsp_order.py null pipe --start camera       # camera by camera, the first group always first
    python bench/rtsp_order.py null null --start alternate    # camera by camera, who is first alternating

Each group pulls bench_relay's 16 cameras from one gst-rtsp-server with the relay's ffmpeg command line, writing
to /dev/null ("null") or to a pipe drained by the relay's own pump, batching every 40 ms, what it reads dropped
("pipe"; the pump is a thread of this process, not counted). Both groups are measured over the same window (CPU of their ffmpeg processes, % of
one core), 3 rounds of 20 s with fresh processes.

Why it exists: on 2026-11-27 the group whose pulls were each camera's second client cost 7–9 % more than the
first, whatever it wrote to, and bench_relay.py had always started the relay's pulls first (now fixed there by
``first_and_second``). See backend/relay/README.md, eleventh pass.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import time

import psutil

import bench_relay as B
from backend.relay.pull import ffmpeg_command
from backend.relay.pump import Pump, make_pipe
from tests.helpers.rtsp import RtspServer

ROUNDS, SECONDS = 3, 20.0


def one_round(urls: list[str], kinds: list[str], start: str) -> list[float]:
    pump = Pump(interval_s=0.04)
    outs = [[] for _ in kinds]  # per group: per camera, the stdout to give ffmpeg
    for g, kind in enumerate(kinds):
        for _ in urls:
            if kind == "pipe":
                r, w = make_pipe()
                pump.add(r, lambda _data: None, lambda: None)
                outs[g].append(w)
            else:
                outs[g].append(subprocess.DEVNULL)
    procs: list[list[subprocess.Popen | None]] = [[None] * len(urls) for _ in kinds]

    def launch(g: int, i: int) -> None:
        procs[g][i] = subprocess.Popen(ffmpeg_command(urls[i]), stdout=outs[g][i], stderr=subprocess.DEVNULL,
                                       stdin=subprocess.DEVNULL)
        if outs[g][i] is not subprocess.DEVNULL:
            os.close(outs[g][i])
        time.sleep(0.05)

    try:
        if start == "group":
            for g in range(len(kinds)):
                for i in range(len(urls)):
                    launch(g, i)
                time.sleep(2)
        else:
            for i in range(len(urls)):
                order = range(len(kinds))
                for g in (order if start == "camera" or i % 2 == 0 else reversed(order)):
                    launch(g, i)
        time.sleep(5)
        measured = B.measure([lambda ps=ps: [psutil.Process(p.pid) for p in ps] for ps in procs], SECONDS)
        return [m[0] for m in measured]
    finally:
        for group in procs:
            for p in group:
                if p is not None:
                    p.terminate()
            for p in group:
                if p is not None:
                    p.wait()
        pump.close()  # closes the read ends


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("kinds", nargs=2, choices=["null", "pipe"], help="what each group writes to")
    ap.add_argument("--start", choices=["group", "camera", "alternate"], default="group")
    args = ap.parse_args()
    clips = B.make_clips()
    with RtspServer(clips, log=B.WORK / "rtsp-order.log") as rtsp:
        urls = [rtsp.url(f"b{i:02d}") for i in range(1, B.CAMERAS + 1)]
        for r in range(ROUNDS):
            cpu = one_round(urls, args.kinds, args.start)
            print(f"round {r + 1}: " + "   ".join(f"{k} {c:.2f} %" for k, c in zip(args.kinds, cpu))
                  + f"   second group - first {cpu[1] - cpu[0]:+.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
