"""Camera relay benchmark: 16 cameras 704x576@25 from the demo RTSP server, side by side in one run.

1. cost: relay process + its ffmpeg pulls (1 HTTP viewer per camera) ÷ the same 16 ffmpeg pulls run bare beside it
   (both at once, over the same window),
   at the default read batching (batch_ms=45) and at batch_ms=40 (a batch every frame period of a 25 frames/s
   camera)
2. latency added by the relay: the same frame's arrival through the relay vs. a bare ffmpeg pull of the
   same camera, under that 16-camera load (the pump batches), and with one camera only (it does not)
3. cold tile: request → first decoded frame in libvlc, camera already pulled, GOP 25 and GOP 50,
   with the GOP cache (gop), with the keyframe only (key) and without a cache (off); and a wall PC joining
   a running multicast group (no per-viewer burst possible there)
4. lost: a camera that stops sending (its RTSP server frozen; and killed) → the relay's health says "lost"
   (goal: within 2 s)
"""
from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import urllib.error
import urllib.request
import random
import signal
import socket
import subprocess
import sys
import threading
import os
import time
from pathlib import Path

from common import ROOT, figure, median, percentile, write_result
from netrx import NetRxTrace

import psutil

from backend.demo import clips as clipgen
from backend.relay import pump as pumps
from backend.relay.pull import ffmpeg_command
from backend.relay.ts import PACKET, TsScanner
from tests.helpers.libvlc import private_runtime_dir
from tests.helpers.rtsp import RelayProc, RtspServer, TsClient, free_port, have_rtsp_server

CAMERAS = 16
SAMPLE_S = 15.0
ROUNDS = 3  # relay runs, each measured beside bare pulls
BATCH = int(pumps.BATCH_MS)  # the relay's default
FRAME_BATCH = 40  # the other row: one frame period of a 25 frames/s camera
TRIALS = 10
VLC_ARGS = ["--vout=dummy", "--aout=dummy", "--no-audio", "--avcodec-threads=1", "--network-caching=200",
            "--quiet"]
WORK = ROOT / "var" / "bench-relay"


def make_clips() -> Path:
    out = WORK / "clips"
    specs = [clipgen.ClipSpec(f"b{i:02d}", width=704, height=576, gop=50, seconds=10, kbps=1000)
             for i in range(1, CAMERAS + 1)]
    specs.append(clipgen.ClipSpec("gop25", width=704, height=576, gop=25, seconds=10, kbps=1000))
    clipgen.make_clips(out, specs)
    return out


def tree(pid: int) -> list[psutil.Process]:
    p = psutil.Process(pid)
    return [p, *p.children(recursive=True)]


def cpu_seconds(proc: psutil.Process) -> float:
    """CPU time of a whole process (all its threads, also those that ended) in ns precision: its POSIX CPU
    clock (clock_getcpuclockid). psutil's cpu_times come in 10 ms ticks: up to ±10 ms per process per window,
    a third of what one ffmpeg pull uses in 15 s, ~3 % (one standard deviation) on the sum of 16 of them."""
    try:
        return time.clock_gettime_ns(((~proc.pid) << 3) | 2) / 1e9  # CPUCLOCK_SCHED of the thread group
    except OSError:
        return sum(proc.cpu_times()[:2])


def thread_cpu_ns(pid: int) -> dict[str, int]:
    """{thread id: CPU time in ns} of every thread of a process, from /proc/<pid>/task/*/schedstat."""
    out = {}
    for task in glob.glob(f"/proc/{pid}/task/*"):
        try:
            with open(task + "/schedstat") as f:
                out[task.rsplit("/", 1)[1]] = int(f.read().split()[0])
        except OSError:  # a thread that just ended
            pass
    return out


def main_thread_seconds(pid: int) -> float:
    """CPU time of a process's main thread (its event loop, in the relay: the tick, the control calls); the rest
    of the relay's CPU is the pump thread's."""
    return thread_cpu_ns(pid)[str(pid)] / 1e9


def measure(groups: list, seconds: float) -> list[tuple[float, float, float, float]]:
    """For each group (a function returning its processes, the first one its parent): (CPU % of one core, RSS
    MB) summed over the processes, then the same two for the first process alone, all averaged over one
    window of ``seconds``: the groups are measured side by side."""
    procs = [fn() for fn in groups]
    start = {p.pid: cpu_seconds(p) for group in procs for p in group}
    t0 = time.monotonic()
    rss = [[] for _ in procs]
    rss0 = [[] for _ in procs]
    while time.monotonic() - t0 < seconds:
        time.sleep(1.0)
        for k, group in enumerate(procs):
            total = 0
            for p in group:
                try:
                    total += p.memory_info().rss
                except psutil.NoSuchProcess:
                    pass
            rss[k].append(total / 1e6)
            try:
                rss0[k].append(group[0].memory_info().rss / 1e6)
            except psutil.NoSuchProcess:
                pass
    wall = time.monotonic() - t0
    out = []
    for k, group in enumerate(procs):
        cpu = {}
        for p in group:
            try:
                cpu[p.pid] = cpu_seconds(p) - start[p.pid]
            except psutil.NoSuchProcess:
                cpu[p.pid] = 0.0
        out.append((100 * sum(cpu.values()) / wall, median(rss[k]), 100 * cpu[group[0].pid] / wall,
                    median(rss0[k]) if rss0[k] else 0.0))
    return out


@contextlib.contextmanager
def bare_pulls(urls: list[str], settle_s: float = 4.0):
    """The relay's own ffmpeg command lines run bare, writing to /dev/null; yields a function returning their
    processes (for ``measure``)."""
    bare = [subprocess.Popen(ffmpeg_command(u), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             stdin=subprocess.DEVNULL) for u in urls]
    try:
        time.sleep(settle_s)
        yield lambda: [psutil.Process(p.pid) for p in bare]
    finally:
        for p in bare:
            p.terminate()
        for p in bare:
            p.wait()


def first_and_second(urls: list[str]) -> tuple[list[str], list[str]]:
    """(the cameras whose bare pull connects before the relay's, the others), half and half.

    Why: a pull that is a camera's second client of gst-rtsp-server costs ffmpeg 7–9 % more CPU than its first
    (2026-11-27: 16 pulls to /dev/null started camera by camera right after 16 others: +0.44..+0.60 % of a core
    in 3 rounds of 20 s; alternating which of the two connects first per camera: −0.35..−0.02). Bare pulls
    all started after the relay's would be measured dearer than the relay's own, in the relay's favour, so
    each side connects first to half of the cameras."""
    return urls[0::2], urls[1::2]


def bench_cost(rtsp: RtspServer) -> list[dict]:
    """The relay (batch_ms BATCH, the default; one viewer per camera) and the same 16 pulls run bare, side by
    side: started together and measured over the same window, so that whatever else loads the shared machine
    loads both. ROUNDS times with fresh processes; the figure is the median ratio, all of them shown.
    Interleaved with those, the same at batch_ms 40 (one frame period: a viewer gets every frame on its own,
    the other side of the trade); then the floors (a minimal Python forwarder, the relay's C lane alone, a GStreamer
    fan-out), each beside bare pulls too."""
    urls = [rtsp.url(f"b{i:02d}") for i in range(1, CAMERAS + 1)]
    cams = [{"id": f"b{i:02d}", "url": u} for i, u in enumerate(urls, 1)]
    runs, runs40 = [], []
    for r in range(ROUNDS):
        runs.append(relay_under_load(rtsp, cams, BATCH, latency=r == 0))
        runs40.append(relay_under_load(rtsp, cams, FRAME_BATCH, latency=r == 0))
    floors = {engine: fanout_floor(urls, engine) for engine in ("python", "lane", "gst")}
    ratios = [run["cpu"] / run["bare_cpu"] for run in runs]
    base_cpu = median([run["bare_cpu"] for run in runs])
    rows = [figure("relay CPU (16 cams, 16 viewers) / bare ffmpeg pulls", round(median(ratios), 3), "ratio",
                   "<= 1.2", round(base_cpu, 2), round(median(ratios), 3), batch_ms=BATCH,
                   round_ratios=[round(x, 3) for x in ratios], relay_cpu_pct=[round(r["cpu"], 2) for r in runs],
                   relay_python_cpu_pct=[round(r["py_cpu"], 2) for r in runs],
                   relay_main_thread_cpu_pct=[round(r["main_cpu"], 3) for r in runs],
                   bare_cpu_pct=[round(r["bare_cpu"], 2) for r in runs])]
    rows.extend(lan_rows(runs, BATCH))
    rss_ratios = [run["rss"] / run["bare_rss"] for run in runs]
    rows.append(figure("relay RSS / bare ffmpeg pulls", round(median(rss_ratios), 3), "ratio", "<= 1.2",
                       round(median([r["bare_rss"] for r in runs]), 1), round(median(rss_ratios), 3),
                       relay_rss_mb=round(median([r["rss"] for r in runs]), 1),
                       relay_python_rss_mb=round(median([r["py_rss"] for r in runs]), 1)))
    for tag, lat in (("", runs[0]["latency"]), (f", batch_ms={FRAME_BATCH}", runs40[0]["latency"])):
        rows.append(figure(f"latency added by the relay: p50{tag}", _r(median(lat)), "ms", "<= 50",
                           frames=len(lat), load="16 cameras, 16 viewers"))
        rows.append(figure(f"latency added by the relay: p95{tag}", _r(percentile(lat, 95)), "ms", "<= 50"))
        rows.append(figure(f"latency added by the relay: max{tag}", _r(max(lat) if lat else None), "ms"))
    ratios40 = [run["cpu"] / run["bare_cpu"] for run in runs40]
    rows.append(figure(f"relay CPU (16 cams, 16 viewers) / bare ffmpeg pulls, batch_ms={FRAME_BATCH}",
                       round(median(ratios40), 3), "ratio", None, round(median([r["bare_cpu"] for r in runs40]), 2),
                       round(median(ratios40), 3), batch_ms=FRAME_BATCH, round_ratios=[round(x, 3) for x in ratios40],
                       relay_python_cpu_pct=[round(r["py_cpu"], 2) for r in runs40],
                       relay_main_thread_cpu_pct=[round(r["main_cpu"], 3) for r in runs40]))
    rows.extend(lan_rows(runs40, FRAME_BATCH))
    names = {"python": f"minimal Python forwarder (read + send only, batch {BATCH} ms) + its pulls",
             "lane": f"the relay's C lane alone (backend/relay/_fanout.c, batch {BATCH} ms) + its pulls",
             "gst": "GStreamer fan-out (fdsrc ! multifdsink, C) + its pulls"}
    missing = {"lane": "the C lane is not built (make setup)", "gst": "python3-gi with GStreamer not available"}
    for engine, measured in floors.items():
        if measured is None:
            rows.append(figure(f"floor: {names[engine]} / bare ffmpeg pulls", None, "ratio", note=missing[engine]))
            continue
        cpu, own, bare_cpu, rx = measured
        lan = {} if rx is None else dict(
            lan_ratio=round(on_viewers(cpu, rx) / bare_cpu, 3), forwarder_netrx_pct=round(rx["relay"], 3),
            viewers_netrx_pct=round(rx["viewers"], 3))
        rows.append(figure(f"floor: {names[engine]} / bare ffmpeg pulls", round(cpu / bare_cpu, 3), "ratio",
                           None, round(bare_cpu, 2), round(cpu / bare_cpu, 3), forwarder_cpu_pct=round(own, 2),
                           pulls_cpu_pct=round(cpu - own, 2), **lan))
    return rows


def on_viewers(cpu: float, rx: dict) -> float:
    """A fan-out's CPU (% of a core) with the viewers' share of the TCP work where a LAN puts it: the NET_RX
    its own process ran (``rx["relay"]``: its viewers' receive) off, its viewers' (their ACKs to it) on."""
    return cpu - rx["relay"] + rx["viewers"]


def lan_rows(runs: list[dict], batch_ms: int) -> list[dict]:
    """The same rounds with the relay's CPU ``on_viewers`` (bench/netrx.py; its viewers' receive path includes
    waking them). Not modelled: the NIC's transmit, which a LAN adds to the relay's machine instead of
    loopback's; the pulls' own receive from the cameras, which loopback charges to the RTSP server for the
    relay's pulls and the bare ones alike."""
    name = f"relay CPU / bare ffmpeg pulls, viewers' TCP receive on the viewers, batch_ms={batch_ms}"
    if any(r["rx"] is None for r in runs):
        return [figure(name, None, "ratio", note=NetRxTrace.available())]
    lan = [on_viewers(r["cpu"], r["rx"]) / r["bare_cpu"] for r in runs]
    return [figure(name, round(median(lan), 3), "ratio", None, round(median([r["bare_cpu"] for r in runs]), 2),
                   round(median(lan), 3), round_ratios=[round(x, 3) for x in lan],
                   relay_python_netrx_pct=[round(r["rx"]["relay"], 3) for r in runs],
                   relay_pulls_netrx_pct=[round(r["rx"]["pulls"], 3) for r in runs],
                   viewers_netrx_pct=[round(r["rx"]["viewers"], 3) for r in runs],
                   bare_netrx_pct=[round(r["rx"]["bare"], 3) for r in runs],
                   trace_overruns=sum(r["rx"]["lost"] for r in runs))]


_VIEWERS = """
import selectors, socket, sys
sel = selectors.DefaultSelector()
for target in sys.argv[2:]:
    s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
    s.sendall(f"GET {target} HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n".encode())
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if not key.fileobj.recv(1 << 16):
            sel.unregister(key.fileobj)
"""


# The floor of any fan-out, for comparison with the relay: the same 16 pulls, each written into a pipe that a
# minimal forwarder reads and sends to its viewer and does nothing else (no TS parsing, GOP cache, health, tokens).
_FORWARDER_PY = """
import json, os, select, socket, subprocess, sys, time
cmds, interval = json.loads(sys.argv[1]), float(sys.argv[2])
srv = socket.create_server(("127.0.0.1", 0)); print(srv.getsockname()[1], flush=True)
conns = {}
while len(conns) < len(cmds):
    c, _ = srv.accept(); req = c.recv(4096).decode(); conns[int(req.split()[1].strip("/"))] = c
ep, out, procs = select.epoll(), {}, []
for i, cmd in enumerate(cmds):
    r, w = os.pipe(); os.set_blocking(r, False)
    procs.append(subprocess.Popen(cmd, stdout=w, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)); os.close(w)
    ep.register(r, select.EPOLLIN); out[r] = conns[i]
buf = bytearray(1 << 20); mv = memoryview(buf)
print("running", flush=True)
while True:
    events = ep.poll()
    last = time.monotonic()  # before the reads, like the relay's pump: a batch every interval, not the interval + the reads
    for fd, _ in events:
        n = os.readv(fd, [buf])
        if n:
            out[fd].send(mv[:n])
    if len(events) >= 2:  # batch like the relay's pump under load
        time.sleep(max(0.0, last + interval - time.monotonic()))
"""
# The relay's own C lane (backend/relay/_fanout.c) as the forwarder: its loop, reads and writes, and the once-a-second
# take() of what it read, with nothing of the relay around it (no channel, scan, GOP cache, health, HTTP).
_FORWARDER_LANE = _FORWARDER_PY.split("buf = bytearray")[0] + """
sys.path.insert(0, sys.argv[3])
from backend.relay import pump as pumps
pump = pumps.Pump(interval_s=interval, native=True)
for fd, sock in out.items():
    sock.setblocking(False)
    pump.add(fd, lambda data: None, lambda: None, None, lambda: None)
    with pumps.LOCK:
        pump.lane.set(fd, (sock.fileno(),))
print("running", flush=True)
while True:
    time.sleep(1)
    with pumps.LOCK:
        for fd in out:
            pump.lane.take(fd)
"""
_FORWARDER_GST = """
import json, os, socket, subprocess, sys
import gi; gi.require_version("Gst", "1.0"); from gi.repository import Gst, GLib
Gst.init(None)
cmds = json.loads(sys.argv[1])
srv = socket.create_server(("127.0.0.1", 0)); print(srv.getsockname()[1], flush=True)
conns, pipelines = {}, []
while len(conns) < len(cmds):
    c, _ = srv.accept(); req = c.recv(4096).decode(); conns[int(req.split()[1].strip("/"))] = c
for i, cmd in enumerate(cmds):
    r, w = os.pipe()
    subprocess.Popen(cmd, stdout=w, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL); os.close(w)
    pl = Gst.parse_launch(f"fdsrc fd={r} blocksize=1048576 ! multifdsink name=out sync-method=latest-keyframe")
    pl.set_state(Gst.State.PLAYING); pl.get_by_name("out").emit("add", conns[i].fileno()); pipelines.append(pl)
print("running", flush=True)
GLib.MainLoop().run()
"""


def fanout_floor(urls: list[str], engine: str) -> tuple[float, float, float, dict | None] | None:
    """(CPU % of one core of a minimal forwarder and its ffmpeg pulls, of the forwarder alone, of the bare
    pulls beside it, NET_RX shares as ``netrx_shares``), 1 viewer a camera: measured like the relay (its pulls
    write into pipes, not to /dev/null)."""
    if engine == "gst":
        python = "/usr/bin/python3"
        probe = subprocess.run([python, "-c", "import gi; gi.require_version('Gst', '1.0')"],
                               capture_output=True)
        if probe.returncode:
            return None
        script = _FORWARDER_GST
    elif engine == "lane":
        if not pumps.native_available():
            return None
        python, script = sys.executable, _FORWARDER_LANE
    else:
        python, script = sys.executable, _FORWARDER_PY
    cmds = json.dumps([ffmpeg_command(u) for u in urls])
    bare_first, bare_second = first_and_second(urls)
    with contextlib.ExitStack() as stack:
        bare1 = stack.enter_context(bare_pulls(bare_first, settle_s=2))
        fwd = subprocess.Popen([python, "-c", script, cmds, str(BATCH / 1000), str(ROOT)], stdout=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL)
        stack.callback(_stop_forwarder, fwd)
        port = int(fwd.stdout.readline())
        viewers = subprocess.Popen([sys.executable, "-c", _VIEWERS, str(port), *[f"/{i}" for i in range(len(urls))]],
                                   stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
        stack.callback(viewers.wait)
        stack.callback(viewers.kill)
        viewers.stdout.readline()
        fwd.stdout.readline()
        with bare_pulls(bare_second) as bare2:
            bare = lambda: bare1() + bare2()  # noqa: E731
            time.sleep(1)
            with netrx_trace() as trace:
                (cpu, _rss, own, _own_rss), (bare_cpu, *_) = measure([lambda: tree(fwd.pid), bare], SAMPLE_S)
            rx = netrx_shares(trace, relay=[fwd.pid], viewers=[viewers.pid])
        return cpu, own, bare_cpu, rx


def _stop_forwarder(fwd: subprocess.Popen) -> None:
    for p in psutil.Process(fwd.pid).children(recursive=True) if fwd.poll() is None else []:
        p.kill()
    fwd.kill()
    fwd.wait()


@contextlib.contextmanager
def backend_calls(relay: RelayProc):
    """What the backend asks of its relay while it runs (backend/relay/supervisor.py ``_monitor``): the health
    long poll, the view records when there are new ones (and their ack), in a thread of this process."""
    import asyncio

    from backend.relay.control import ControlError, RelayControl
    from backend.relay.supervisor import RelaySupervisor

    stop = threading.Event()

    async def run():
        ctl = RelayControl("127.0.0.1", relay.port, relay.secret)
        version, seen = -1, 0
        while not stop.is_set():
            await asyncio.sleep(RelaySupervisor.MIN_GAP_S)
            try:
                answer = await ctl.wait_health(version, RelaySupervisor.HEALTH_WAIT_S)
                version = answer["version"]
                if answer["views"] != seen:
                    seen = max([seen] + [v["seq"] for v in await ctl.views(seen)])
                    await ctl.ack_views(seen)
            except ControlError:
                await asyncio.sleep(RelaySupervisor.POLL_S)

    thread = threading.Thread(target=lambda: asyncio.run(run()), name="backend-calls", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(RelaySupervisor.HEALTH_WAIT_S + 5)


def viewer_process(relay: RelayProc, cam_ids: list[str]) -> subprocess.Popen:
    """HTTP viewers in their own process (one thread, selectors), so that reading them does not compete with
    the latency probe for this process's GIL."""
    targets = [relay.play_url(c)[len(relay.base_url):] for c in cam_ids]
    proc = subprocess.Popen([sys.executable, "-c", _VIEWERS, str(relay.port), *targets], stdout=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, text=True)
    proc.stdout.readline()
    return proc


def relay_under_load(rtsp: RtspServer, cams: list[dict], batch_ms: int, latency: bool = True) -> dict:
    """The relay with one viewer per camera: the latency it adds to b02 (when asked), then CPU/RSS of it and
    its pulls, of the relay process alone, and of the same pulls run bare beside it, from the same window. Half
    of the bare pulls connect to their cameras before the relay's pulls, half after (``first_and_second``)."""
    bare_first, bare_second = first_and_second([c["url"] for c in cams])
    with RelayProc(WORK / f"relay-cost-{batch_ms}", cams, token="bench", settings={"batch_ms": batch_ms}) as relay, \
            backend_calls(relay), bare_pulls(bare_first, settle_s=2) as bare1:
        viewers = viewer_process(relay, [c["id"] for c in cams if c["id"] != "b02"])
        try:
            for c in cams:
                if c["id"] != "b02":
                    relay.wait_state(c["id"], "live", timeout=60)
            # b02's viewer: the latency probe (16th viewer; half of the bare pulls already run beside it)
            lat = added_latency(relay, rtsp.url("b02")) if latency else []
            # b02's viewer for the cost: like the 15 others (a reader in this process would compete with the
            # bench's own threads for the GIL, read late, and fill the relay's socket)
            b02 = viewer_process(relay, ["b02"])
            try:
                relay.wait_state("b02", "live", timeout=60)
                with bare_pulls(bare_second) as bare2:
                    bare = lambda: bare1() + bare2()  # noqa: E731
                    time.sleep(1)
                    main0, t0 = main_thread_seconds(relay.proc.pid), time.monotonic()
                    with netrx_trace() as trace:
                        (cpu, rss, py_cpu, py_rss), (bare_cpu, bare_rss, *_) = measure(
                            [lambda: tree(relay.proc.pid), bare], SAMPLE_S)
                    main_cpu = 100 * (main_thread_seconds(relay.proc.pid) - main0) / (time.monotonic() - t0)
                    rx = netrx_shares(trace, relay=[relay.proc.pid],
                                      pulls=[p.pid for p in tree(relay.proc.pid)[1:]],
                                      viewers=[viewers.pid, b02.pid], bare=[p.pid for p in bare()])
            finally:
                b02.kill()
                b02.wait()
        finally:
            viewers.kill()
            viewers.wait()
    return dict(cpu=cpu, rss=rss, py_cpu=py_cpu, py_rss=py_rss, latency=lat, bare_cpu=bare_cpu, bare_rss=bare_rss,
                rx=rx, main_cpu=main_cpu)


def netrx_trace():
    """A NET_RX softirq trace around a measurement (bench/netrx.py), or nothing where tracing is not
    available (not root, no tracefs)."""
    off = os.environ.get("CC_BENCH_NETRX") == "0"  # to compare: the same rounds untraced
    return NetRxTrace() if not off and NetRxTrace.available() is None else contextlib.nullcontext()


def netrx_shares(trace, **groups) -> dict | None:
    """For each group of processes: % of one core they spent in NET_RX softirq over the trace, or None
    without a trace."""
    if trace is None:
        return None
    return {name: 100 * trace.seconds(pids) / trace.wall for name, pids in groups.items()} | {"lost": trace.lost}


def first_frame(inst, vlc, url: str, timeout: float = 10.0) -> float | None:
    media = inst.media_new(url)
    player = inst.media_player_new()
    player.set_media(media)
    stats = vlc.MediaStats()
    t0 = time.monotonic()
    player.play()
    try:
        while time.monotonic() - t0 < timeout:
            if media.get_stats(stats) and stats.decoded_video > 0:
                return time.monotonic() - t0
            time.sleep(0.005)
        return None
    finally:
        player.stop()
        player.release()
        media.release()


def bench_cold_tile(rtsp: RtspServer) -> list[dict]:
    try:
        import vlc
    except (ImportError, OSError) as exc:
        return [figure("cold tile", None, "s", note=f"libvlc not available: {exc}")]
    private_runtime_dir()
    inst = vlc.Instance(VLC_ARGS)
    cams = [{"id": "g25", "url": rtsp.url("gop25")}, {"id": "g50", "url": rtsp.url("b01")}]
    rows = []
    with RelayProc(WORK / "relay-cold", cams, token="bench", settings={"linger_s": 60}) as relay:
        keep = [TsClient(relay.play_url(c["id"]), keep=0).start() for c in cams]  # the camera is already pulled
        try:
            for c in cams:
                relay.wait_state(c["id"], "live", timeout=60)
            cold_pull = []
            for mode in ("gop", "key", "off"):
                relay.control("POST", "/control/config", {"settings": {"gop_mode": mode}})
                for cam, gop in (("g25", 25), ("g50", 50)):
                    times = []
                    for _ in range(TRIALS):
                        time.sleep(random.uniform(0.2, 2.2))  # land anywhere in the GOP
                        times.append(first_frame(inst, vlc, relay.play_url(cam)))
                    ok = [t for t in times if t is not None]
                    rows.append(figure(f"cold tile GOP {gop}, cache={mode}: p50", _r(median(ok)), "s",
                                       "p95 <= 0.5 with the cache" if mode == "gop" else None))
                    rows.append(figure(f"cold tile GOP {gop}, cache={mode}: p95", _r(percentile(ok, 95)), "s",
                                       "<= 0.5" if mode == "gop" else None, failures=len(times) - len(ok)))
            # for reference: the camera not pulled yet (relay connects to the camera first)
            relay.control("POST", "/control/config", {"settings": {"gop_mode": "gop", "linger_s": 0.5}})
            for v in keep:
                v.stop()
            for _ in range(4):
                relay.wait_state("g50", "idle", timeout=30)
                cold_pull.append(first_frame(inst, vlc, relay.play_url("g50")))
            rows.append(figure("cold tile, camera not yet pulled: median", _r(median(cold_pull)), "s"))
        finally:
            for v in keep:
                v.stop()
    return rows


def bench_multicast_cold(rtsp: RtspServer) -> list[dict]:
    """A wall PC joining a running multicast group (GOP 25 and 50): play() → first decoded frame."""
    try:
        import vlc
    except (ImportError, OSError) as exc:
        return [figure("cold tile over multicast", None, "s", note=f"libvlc not available: {exc}")]
    private_runtime_dir()
    inst = vlc.Instance(VLC_ARGS + ["--miface=lo"])  # join on lo: the relay sends on 127.0.0.1 here
    port = 41000 + os.getpid() % 2000
    cams = [{"id": "g25", "url": rtsp.url("gop25"), "multicast": f"239.255.77.25:{port}"},
            {"id": "g50", "url": rtsp.url("b01"), "multicast": f"239.255.77.50:{port}"}]
    rows = []
    with RelayProc(WORK / "relay-mcast", cams, token="bench",
                   settings={"multicast_iface": "127.0.0.1", "multicast_lease_s": 600}) as relay:
        urls = {}
        for c in cams:
            try:
                urllib.request.urlopen(relay.play_url(c["id"]) + "&transport=udp", timeout=10)
            except urllib.error.HTTPError as exc:  # urllib does not follow a 307 to udp://
                urls[c["id"]] = json.loads(exc.read())["url"]
        for c in cams:
            relay.wait_state(c["id"], "live", timeout=60)
        for cam, gop in (("g25", 25), ("g50", 50)):
            times = []
            for _ in range(TRIALS):
                time.sleep(random.uniform(0.2, 2.2))
                times.append(first_frame(inst, vlc, urls[cam]))
            ok = [t for t in times if t is not None]
            rows.append(figure(f"cold tile over multicast GOP {gop}: p50", _r(median(ok)), "s"))
            rows.append(figure(f"cold tile over multicast GOP {gop}: p95", _r(percentile(ok, 95)), "s",
                               failures=len(times) - len(ok)))
    return rows


def bench_lost(rtsp: RtspServer) -> list[dict]:
    """Seconds from a camera's RTSP server stopping to the relay's health saying "lost" (polled every 20 ms),
    TRIALS times each way: frozen (SIGSTOP: the connection stays open and nothing comes, found by the pump's
    quiet check) and killed (the connection ends, and so does the pull). The camera is live again before
    each trial."""
    server = RtspServer(rtsp.clips, port=free_port(), log=WORK / "rtsp-lost.log").start()
    took: dict[str, list[float]] = {"frozen": [], "killed": []}
    try:
        with RelayProc(WORK / "relay-lost", [{"id": "b03", "url": server.url("b03")}], token="bench",
                       settings={"linger_s": 600}) as relay, TsClient(relay.play_url("b03"), keep=0):
            for way in ("frozen", "killed") * TRIALS:
                relay.wait_state("b03", "live", timeout=60)
                time.sleep(1.0)
                t0 = time.monotonic()
                if way == "frozen":
                    server.proc.send_signal(signal.SIGSTOP)
                else:
                    server.kill()
                try:
                    while relay.health("b03")["state"] != "lost" and time.monotonic() - t0 < 30:
                        time.sleep(0.02)
                    took[way].append(time.monotonic() - t0)
                finally:
                    if way == "frozen":
                        server.proc.send_signal(signal.SIGCONT)
                    else:
                        server.start()
    finally:
        server.stop()
    rows = []
    for way, values in took.items():
        rows.append(figure(f"camera {way} -> lost: p50", _r(median(values)), "s", "<= 2", trials=len(values)))
        rows.append(figure(f"camera {way} -> lost: max", _r(max(values)), "s", "<= 2"))
    return rows


def _r(v):
    return round(v, 3) if v is not None else None


class FrameClock:
    """Reads MPEG-TS from a stream and notes when each video frame arrived, by a hash of its first 128 ES
    bytes (a fixed length: two muxers put the frame's first bytes into packets with adaptation fields of
    different sizes, so the rest of the packet differs; 128 bytes reach past the headers every keyframe
    repeats into the slice)."""

    def __init__(self):
        self.scanner = TsScanner()
        self.seen: dict[str, float] = {}

    def feed(self, data: bytes) -> None:
        now = time.monotonic()
        chunk, frames = self.scanner.feed(data)
        for f in frames:
            pkt = chunk[f.index * PACKET:(f.index + 1) * PACKET]
            afc = (pkt[3] >> 4) & 3
            off = 4 + (1 + pkt[4] if afc & 2 else 0)
            es = pkt[off + 9 + pkt[off + 8]:] if off + 9 < PACKET else b""
            if len(es) >= 128:
                self.seen.setdefault(hashlib.sha1(es[:128]).hexdigest(), now)


def bench_latency(rtsp: RtspServer) -> list[dict]:
    """One camera alone: the pump reads as soon as data comes (no batching without load)."""
    with RelayProc(WORK / "relay-latency", [{"id": "b02", "url": rtsp.url("b02")}], token="bench") as relay:
        deltas = added_latency(relay, rtsp.url("b02"))
    return [
        figure("latency added by the relay, 1 camera: p50", _r(median(deltas)), "ms", "<= 50", frames=len(deltas)),
        figure("latency added by the relay, 1 camera: p95", _r(percentile(deltas, 95)), "ms", "<= 50"),
    ]


def added_latency(relay: RelayProc, url: str, cam: str = "b02", seconds: float = 12.0) -> list[float]:
    """ms between a frame's arrival from a bare ffmpeg pull of ``url`` and through the relay."""
    direct, relayed = FrameClock(), FrameClock()
    stop = threading.Event()
    proc = subprocess.Popen(ffmpeg_command(url), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, bufsize=0)

    def pump():
        while not stop.is_set():
            data = proc.stdout.read(65536)
            if not data:
                return
            direct.feed(data)

    t = threading.Thread(target=pump, daemon=True)
    t.start()
    sock = socket.create_connection(("127.0.0.1", relay.port))
    joined = time.monotonic()
    sock.sendall(f"GET /cam/{cam}.ts?token=bench HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(4096)
    relayed.feed(buf.split(b"\r\n\r\n", 1)[1])
    t0 = time.monotonic()
    sock.settimeout(1.0)
    while time.monotonic() - t0 < seconds:
        try:
            data = sock.recv(65536)
        except TimeoutError:
            continue
        if not data:
            break
        relayed.feed(data)
    sock.close()
    stop.set()
    proc.terminate()
    proc.wait()
    # only frames the bare pull got after the viewer joined: the relay's GOP burst at the start (frames up to
    # 2 s old, sent at once) is instant start, not latency
    common = [h for h in relayed.seen if direct.seen.get(h, 0.0) > joined + 0.5]
    deltas = [1000 * (relayed.seen[h] - direct.seen[h]) for h in common]
    # the clips loop every 10 s: a frame the relay first shows in the next loop (its pull started a moment after
    # the bare one) matches the bare pull's first loop; such ±10 s "deltas" are that, not latency
    return [d for d in deltas if abs(d) < 5000]


def main() -> int:
    why = have_rtsp_server()
    if why:
        print(f"bench_relay: skipped: {why}", file=sys.stderr)
        write_result("relay", [], notes=f"skipped: {why}")
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    clips = make_clips()
    figures = []
    parts = {"latency": bench_latency, "cold": bench_cold_tile, "multicast": bench_multicast_cold,
             "cost": bench_cost, "lost": bench_lost}
    only = sys.argv[1:] or list(parts)  # e.g. `bench_relay.py cost multicast` while working on one part
    with RtspServer(clips, log=WORK / "rtsp.log") as rtsp:
        for name in only:
            figures += parts[name](rtsp)
    notes = ("16 cameras 704x576@25 H.264 ~1 Mbit/s from gst-rtsp-server on the same 2-core machine; cost ratio = "
             "(relay python + its ffmpeg pulls) / (16 bare ffmpeg -c copy pulls writing to /dev/null), both running "
             "at once and measured over the same window, each side the first client of half of the cameras (a "
             f"camera's second client costs ffmpeg more), median of {ROUNDS} runs; one HTTP "
             "viewer per camera on 127.0.0.1 (the "
             "kernel's loopback TCP delivery to each viewer is charged to the relay; the rows 'viewers' TCP receive on the "
             "viewers' move that NET_RX softirq time, traced per process, to where a LAN runs it). Latency added: the same frame "
             "through the relay vs. a bare pull, under the 16-camera load (batched reads) and for 1 camera alone. "
             "Cold tile: libvlc --vout=dummy --network-caching=200, time from play() to the first decoded frame, "
             "camera already pulled by another viewer; multicast: a libvlc joining the running group on lo.")
    if sys.argv[1:]:
        for row in figures:
            print(row)
        return 0
    write_result("relay", figures, notes)
    return 0


if __name__ == "__main__":
    sys.exit(main())
