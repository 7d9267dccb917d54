"""Conference engine: one-key consultation → every invited site connected and its video playing on the wall;
CPU of Janus, the backend, the relay and the wall app with 9 sites.

Sites are aiortc bots (tests/conference/bots.py: 160x120 at 10 fps, H.264 in the consultation room, and Opus
silence) in this process, each serving its terminal agent; the backend (a real process, with its relay) starts
Janus, creates the room and invites them. The wall is the real WallWindow (app.main's wall role: ClientStore
over the real hub, libvlc tiles) in a child process under an Xvfb of its own, 1920x1080; it prints the
``conf-…`` cameras whose tile is "playing" (libvlc has decoded and shown frames through the relay).
The flow timed: consultation.start, then at once conference.layout split 9 (the default split is 4, which puts
4 sites on the wall) → every site connected AND its conf- camera playing on the wall.
Per site, the time from the action to each stage is printed and kept (``breakdown``): joined, forwarded, the relay
pulling ("connecting") and live (both as the supervisor publishes them, polled every 0.5 s), the wall record
showing it, the wall app's tile having it and showing its picture.
Side by side in the same run: the same 9 bots joining a bare Janus room directly (no backend, no
invitation, no forwarding), for the join time and for Janus's CPU, so the ratios are what our orchestration
and the video-to-the-wall path add.

    xvfb-run is not needed (the bench starts its own Xvfb): .venv/bin/python bench/bench_conference.py
"""
from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from common import ROOT, figure, median, write_result

sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402

from backend.conference.janus_api import JanusClient  # noqa: E402
from backend.conference.janus_proc import JanusProcess  # noqa: E402
from backend.conference.media import source_id  # noqa: E402
from tests.backend.wsclient import RawClient  # noqa: E402
from tests.conference.bots import Bot  # noqa: E402
from tests.helpers.backend_proc import start_backend  # noqa: E402

N = 9
ROUNDS = int(os.environ.get("CC_BENCH_ROUNDS", "3"))
CPU_WINDOW = 10.0
WALL_TIMEOUT = 60.0
DEPTS = ("应急", "消防", "公安")  # only in the sites' names


def _bots(tag: str) -> list[Bot]:
    return [Bot(f"video-{tag}{i}", f"{DEPTS[i % 3]}视频终端{i + 1}", i + 1) for i in range(N)]


def _cpu(procs: list[psutil.Process]) -> float:
    total = 0.0
    for p in procs:
        try:
            t = p.cpu_times()
            total += t.user + t.system
        except psutil.NoSuchProcess:
            pass
    return total


async def _cpu_over(groups: dict[str, list[psutil.Process]], seconds: float) -> dict[str, float]:
    """% of one core per group of processes over ``seconds`` (psutil, per process)."""
    before, t0 = {k: _cpu(v) for k, v in groups.items()}, time.perf_counter()
    await asyncio.sleep(seconds)
    dt = time.perf_counter() - t0
    return {k: (_cpu(v) - before[k]) / dt * 100 for k, v in groups.items()}


async def bare_janus(tmp: Path, name: str, cpu: bool) -> tuple[float, float | None]:
    """(seconds for N bots to join and get media up on a bare Janus room, Janus's CPU with them publishing)."""
    async with JanusProcess(tmp / name, rtp_port_range="43000-43999") as janus:
        async with JanusClient(janus.ws_url) as client:
            session = await client.create_session()
            handle = await session.attach("janus.plugin.videoroom")
            await handle.request({"request": "create", "room": "B", "pin": "p", "admin_key": janus.room_admin_key,
                                  "publishers": 32, "videocodec": "h264,vp8"})  # as the backend's rooms
            bots = _bots("b")
            try:
                t0 = time.perf_counter()
                await asyncio.gather(*(b.join(janus.ws_url, "B", "p") for b in bots))
                await asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in bots)), 60)
                took = time.perf_counter() - t0
                load = None
                if cpu:
                    await asyncio.sleep(2.0)
                    got = await _cpu_over({"janus": [psutil.Process(janus.pid)], "me": [psutil.Process()]},
                                          CPU_WINDOW)
                    load = got
            finally:
                await asyncio.gather(*(b.close() for b in bots), return_exceptions=True)
            await session.destroy()
    return took, load


# ---- the wall: the real WallWindow in a child process under its own Xvfb --------------------------------
def wall_child(url: str, token: str) -> int:
    """app.main's wall role on the hub; prints ``PLAYING <monotonic> <json list>`` whenever the set of conf-
    cameras whose tile is "playing" changes (CLOCK_MONOTONIC is the same for every process of the machine)."""
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.main import open_windows, parse_args
    from app.session import connect_session
    from backend_client.store import ClientStore

    args = parse_args(["--role", "wall", "--backend", url, "--screens", "0", "--lang", "zh_CN"],
                      environ={"CC_TOKEN": token})
    app = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    store = ClientStore()
    windows = open_windows(args, store)
    session = connect_session(args, store, windows)  # noqa: F841  (kept alive)
    last: list = [None]
    assigned: set[str] = set()

    def poll() -> None:
        now = time.monotonic()
        tiles = [t for w in windows for t in w.grid.tiles().values() if t.camera_id.startswith("conf-")]
        for t in tiles:  # when each conf- camera reached a tile (the tile's play() follows at once)
            if t.camera_id not in assigned:
                assigned.add(t.camera_id)
                print(f"ASSIGNED {now:.4f} {t.camera_id}", flush=True)
        playing = sorted(t.camera_id for t in tiles if t.state == "playing")
        if playing != last[0]:
            last[0] = playing
            print(f"PLAYING {now:.4f} {json.dumps(playing)}", flush=True)

    def dump() -> None:  # for the log: what each tile shows
        print(time.monotonic(), [(t.camera_id, t.state) for w in windows for t in w.grid.tiles().values()],
              file=sys.stderr, flush=True)

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(10)
    dumper = QTimer()
    dumper.timeout.connect(dump)
    dumper.start(2000)
    print("READY", flush=True)
    with loop:
        loop.run_forever()
    return 0


class Wall:
    """The wall child, its latest playing set and when it changed."""

    def __init__(self, proc: asyncio.subprocess.Process):
        self.proc = proc
        self.playing: tuple[float, set[str]] = (0.0, set())
        self.assigned: dict[str, float] = {}      # camera -> monotonic time it first reached a tile
        self.first_playing: dict[str, float] = {}  # camera -> monotonic time its tile first said "playing"
        self.changed = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while line := await self.proc.stdout.readline():
            text = line.decode(errors="replace").strip()
            if text.startswith("PLAYING "):
                _, t, cams = text.split(" ", 2)
                self.playing = (float(t), set(json.loads(cams)))
                for cam in self.playing[1]:
                    self.first_playing.setdefault(cam, float(t))
                self.changed.set()
            elif text.startswith("ASSIGNED "):
                _, t, cam = text.split(" ", 2)
                self.assigned.setdefault(cam, float(t))

    async def until_playing(self, cameras: set[str], timeout: float = WALL_TIMEOUT) -> float:
        """The monotonic time at which every one of ``cameras`` was playing."""
        deadline = time.monotonic() + timeout
        while not cameras <= self.playing[1]:
            if time.monotonic() > deadline or self.proc.returncode is not None:
                raise TimeoutError(f"on the wall: {sorted(cameras & self.playing[1])}")
            await asyncio.sleep(0.02)  # the time taken is the child's, stamped when it saw the change
        return self.playing[0]

    async def stop(self) -> None:
        if self.proc.returncode is None:
            self.proc.terminate()
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self._task.cancel()


EVENTS: list[tuple[float, dict]] = []  # (monotonic arrival time, event): every event the bench's client read


class TimedClient(RawClient):
    """RawClient that keeps each event with its arrival time (also those read while awaiting a result)."""

    async def recv(self, timeout: float = 30.0) -> dict:
        msg = await super().recv(timeout)
        if msg.get("type") == "event":
            EVENTS.append((time.monotonic(), msg))
        return msg


async def _draining(client: RawClient, coro):
    """Await ``coro`` while reading the hub's events, so its keepalive pings are answered. The reader stops at
    a flag, not only on cancel: Python 3.11's wait_for can swallow a cancel that races a message."""
    stop = asyncio.Event()

    async def drain():
        while not stop.is_set():
            try:
                await client.recv(1.0)
            except TimeoutError:
                pass
    task = asyncio.create_task(drain())
    try:
        return await coro
    finally:
        stop.set()
        await asyncio.wait({task}, timeout=5)
        task.cancel()


STAGES = ("joined", "forwarded", "relay_connecting", "relay_live", "wall_cell", "tile_assigned", "tile_playing")


def breakdown(room: str, sites: list[str], t0: float, wall: Wall) -> dict[str, dict[str, float | None]]:
    """Per site, seconds from the action to each stage: joined (in the conference record), forwarded (its
    ``media.out`` entry), relay_connecting / relay_live (the camera's relay state), wall_cell (the wall record
    shows it), tile_assigned / tile_playing (the wall app's tile has it / shows its picture)."""
    out: dict[str, dict[str, float | None]] = {}
    for pid in sites:
        cam = source_id(room, pid)
        seen: dict[str, float | None] = dict.fromkeys(STAGES)

        def mark(stage: str, t: float) -> None:
            if seen[stage] is None and t >= t0:
                seen[stage] = round(t - t0, 3)
        for t, ev in EVENTS:
            data, entity = ev.get("data") or {}, ev.get("entity")
            if entity == "conferences" and ev.get("key") == room:
                if pid in (data.get("participants") or {}):
                    mark("joined", t)
                if pid in ((data.get("media") or {}).get("out") or {}):
                    mark("forwarded", t)
            elif entity == "cameras" and ev.get("key") == cam:
                if data.get("state") == "connecting":
                    mark("relay_connecting", t)
                elif data.get("state") == "live":
                    mark("relay_live", t)
            elif entity == "walls" and any((c or {}).get("camera") == cam for c in (data.get("cells") or {}).values()):
                mark("wall_cell", t)
        if cam in wall.assigned:
            mark("tile_assigned", wall.assigned[cam])
        if cam in wall.first_playing:
            mark("tile_playing", wall.first_playing[cam])
        out[pid] = seen
    return out


def summarize(rows: dict[str, dict[str, float | None]]) -> dict[str, list]:
    """stage -> [median, max] over the sites (None where a stage was not seen for every site)."""
    res = {}
    for stage in STAGES:
        vals = [r[stage] for r in rows.values()]
        res[stage] = [median(vals), max(vals)] if all(v is not None for v in vals) else [None, None]
    return res


async def start_wall(display: str, url: str, token: str, log: Path) -> Wall:
    env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
    proc = await asyncio.create_subprocess_exec(sys.executable, __file__, "--wall-child", url, token, env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=log.open("wb"), cwd=ROOT)
    return Wall(proc)


async def main() -> None:
    from bench_wall import start_xvfb

    tmp = Path(tempfile.mkdtemp(prefix="bench-conference-"))
    bare_join, bare_cpu = [], None
    for i in range(2):
        took, load = await bare_janus(tmp, f"bare{i}", cpu=i == 0)
        bare_join.append(took)
        bare_cpu = bare_cpu or load
    rounds: list[dict] = []
    backend = wall = None
    all_bots: list[Bot] = []
    xvfb, display = start_xvfb()
    try:
        terminals = []
        per_round = []
        for r in range(ROUNDS):
            bots = _bots(f"r{r}-")
            for b in bots:
                # one township per round: a round's incident calls its own nine sites
                terminals.append({"id": b.terminal, "name": b.name, "township": f"33078400{r}",
                                  "agent": await b.serve_agent()})
            per_round.append(bots)
            all_bots += bots
        (tmp / "be").mkdir()
        path = tmp / "terminals.json"
        path.write_text(json.dumps(terminals, ensure_ascii=False), "utf-8")
        backend = await asyncio.to_thread(start_backend, tmp / "be", relay=True, extra_args=(
            "--conference-terminals", str(path), "--janus-rtp-ports", "44000-45999"))
        client = await TimedClient.connect(backend.url, backend.token("duty_officer"))
        wall = await start_wall(display, backend.url, backend.token("wall_operator"), tmp / "wall.log")
        await asyncio.sleep(3.0)  # the wall's session up and the relay knowing its token
        for r, bots in enumerate(per_round):
            inc = await client.command("incident.create", {"title": f"城区 化工厂火灾 {r}", "category": "事故灾难",
                                                           "grade": 2, "township": f"33078400{r}"})
            t0m, t0 = time.monotonic(), time.perf_counter()
            res = await client.command("consultation.start", {"incident": inc["result"]["id"]}, timeout=60)
            t_cmd = time.perf_counter() - t0
            conf = res["result"]["conference"]
            lay = await client.command("conference.layout", {"room": conf["room"], "split": 9, "mode": "speaker"})
            assert lay["ok"], lay
            await _draining(client, asyncio.wait_for(asyncio.gather(*(b.connected.wait() for b in bots)), 60))
            t_all = time.perf_counter() - t0
            assert len(conf.get("invited", [])) == N, conf
            cams = {source_id(conf["room"], b.terminal) for b in bots}
            try:
                t_wall = await _draining(client, wall.until_playing(cams)) - t0m
            except TimeoutError:
                t_wall = None
                print(f"round {r}: on the wall after {WALL_TIMEOUT:g} s: {sorted(wall.playing[1] & cams)}",
                      file=sys.stderr)
            stages = summarize(breakdown(conf["room"], [b.terminal for b in bots], t0m, wall))
            print(f"round {r}: wall {t_wall}; stages (median, max s): {json.dumps(stages)}", file=sys.stderr)
            rounds.append({"cold": r == 0, "command": t_cmd, "connected": t_all, "wall": t_wall,
                           "room": conf["room"], "on_wall": len(wall.playing[1] & cams), "stages": stages})
            if r < ROUNDS - 1:
                await client.command("conference.end", {"room": conf["room"]})
                await asyncio.gather(*(b.close() for b in bots))
        # CPU with 9 sites in the last room, forwarded, relayed and playing on the wall
        be = psutil.Process(backend.proc.pid)
        kids = be.children(recursive=True)
        janus = [c for c in kids if c.name() == "janus"]
        relay = [c for c in kids if c.name() != "janus" and any("relay" in a for a in c.cmdline()[:4])]
        relay_all = [c for c in kids if c not in janus]  # the relay and its ffmpeg pulls (and the feature's)
        await _draining(client, asyncio.sleep(2.0))
        cpu = await _draining(client, _cpu_over({"janus": janus, "backend": [be], "relay": relay_all,
                               "wall": [psutil.Process(wall.proc.pid)], "me": [psutil.Process()]}, CPU_WINDOW))
        await client.close()
    finally:
        if wall is not None:
            await wall.stop()
        await asyncio.gather(*(b.close() for b in all_bots), return_exceptions=True)
        if backend is not None:
            await asyncio.to_thread(backend.stop)
        xvfb.terminate()
        xvfb.wait(timeout=10)
    warm = [r for r in rounds if not r["cold"]]
    base = median(bare_join)
    w_conn = median([r["connected"] for r in warm])
    w_wall = median([r["wall"] for r in warm])
    cold = rounds[0]
    figures = [
        figure("one-key consultation → 9 sites connected (warm Janus)", round(w_conn, 3), "s", goal="<= 3",
               baseline=round(base, 3), ratio=round(w_conn / base, 2), rounds=[round(r["connected"], 3) for r in warm],
               baseline_is="the same 9 bots joining a bare Janus room directly"),
        figure("one-key consultation → 9 sites connected (cold: Janus started by it)", round(cold["connected"], 3),
               "s", goal="<= 3"),
        figure("one-key consultation → 9 sites connected AND all 9 playing on the wall (warm)",
               round(w_wall, 3) if w_wall is not None else None, "s", goal="<= 3", baseline=round(base, 3),
               ratio=round(w_wall / base, 2) if w_wall is not None else None,
               rounds=[round(r["wall"], 3) if r["wall"] is not None else None for r in warm],
               on_wall=[r["on_wall"] for r in warm],
               how="real WallWindow (libvlc tiles, state playing) under Xvfb, via the relay"),
        figure("one-key consultation → all 9 playing on the wall (cold)",
               round(cold["wall"], 3) if cold["wall"] is not None else None, "s", goal="<= 3",
               on_wall=cold["on_wall"]),
        figure("per-site stages, s after consultation.start (median, max over the 9 sites), each round",
               None, "s", rounds=[r["stages"] for r in rounds], stages=list(STAGES)),
        figure("consultation.start answered (room made, 9 invited)",
               round(median([r["command"] for r in warm]), 3), "s"),
        figure("Janus CPU, 9 sites, forwarded to the relay / bare room", round(cpu["janus"], 1), "% of one core",
               baseline=round(bare_cpu["janus"], 1), ratio=round(cpu["janus"] / max(bare_cpu["janus"], 0.1), 2)),
        figure("backend CPU, 9 sites in a consultation", round(cpu["backend"], 1), "% of one core"),
        figure("relay CPU (relay + its ffmpeg pulls), 9 conference cameras", round(cpu["relay"], 1),
               "% of one core", processes=len(relay_all), relay_main=len(relay)),
        figure("wall app CPU, 9 conference cells playing", round(cpu["wall"], 1), "% of one core"),
        figure("all of ours (Janus + backend + relay + wall) / bare Janus room",
               round(sum(cpu[k] for k in ("janus", "backend", "relay", "wall")), 1), "% of one core",
               baseline=round(bare_cpu["janus"], 1),
               ratio=round(sum(cpu[k] for k in ("janus", "backend", "relay", "wall")) / max(bare_cpu["janus"], 0.1), 2)),
        figure("the 9 aiortc sites (this process), for scale", round(cpu["me"], 1), "% of one core",
               baseline=round(bare_cpu["me"], 1)),
    ]
    write_result("conference", figures, notes=f"{N} sites 160x120 10 fps (H.264 in the rooms) + Opus; loopback/"
                 f"host interface; wall: real WallWindow 1920x1080 under Xvfb, split 9 pushed right after "
                 f"consultation.start; 2 shared cores, other engineers' tests running; CPU over {CPU_WINDOW:g} s "
                 f"(psutil per process)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--wall-child":
        sys.exit(wall_child(sys.argv[2], sys.argv[3]))
    asyncio.run(main())
