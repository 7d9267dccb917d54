"""The demo city: pure parts (tracks, sensors, alerts, cameras), DemoCity on a real Core, and in a real backend."""
from __future__ import annotations

import asyncio
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from backend.demo import city
from backend.demo.cameras import CAMERA_IDS, demo_cameras
from backend.demo.city import (
    HAZARDS, SENSOR_KINDS, SensorSim, Track, distance_m, inside_county, make_alert, make_incident, make_track,
    townships,
)
from backend_client.models import Alert, Colour, Incident, Sensor, Unit

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
ASCII_LETTER = re.compile(r"[A-Za-z]")
T0 = 1_764_000_000.0


class FakeClock:
    def __init__(self, t: float = T0):
        self.t = t

    def __call__(self) -> float:
        return self.t


# -- geography and tracks -----------------------------------------------------------------------------

def test_townships_come_from_the_division_file():
    data = json.loads(city.DATA_FILE.read_text(encoding="utf-8"))
    assert [(t.code, t.name) for t in townships()] == [(s["code"], s["name"]) for s in data["streets"]]
    assert len(townships()) == 14  # 3 streets + 11 towns in the 2023 codes
    assert all(inside_county(t.lat, t.lon) for t in townships())
    assert len({(t.lat, t.lon) for t in townships()}) == len(townships())
    for t in townships():
        d = distance_m(city.CITY_CENTRE, (t.lat, t.lon))
        assert d < 5000 if t.is_street else 4000 < d < 25000, (t.name, d)
    assert (city.DATA_FILE.parent / "LICENCE").read_text(encoding="utf-8").count("WTFPL") >= 1


def test_track_heading_follows_the_segment():
    a = (28.88, 120.04)
    north, east = city.offset_m(a, 0, 1000), city.offset_m(a, 1000, 0)
    track = Track.through([a, north, city.offset_m(north, 1000, 0)])
    assert track.length == pytest.approx(1000 + 1000 + 1000 * 2 ** 0.5, rel=1e-3)
    lat, lon, heading = track.at(500)
    assert heading == pytest.approx(0.0, abs=0.1) and distance_m(a, (lat, lon)) == pytest.approx(500, rel=1e-3)
    assert track.at(1500)[2] == pytest.approx(90.0, abs=0.1)
    assert track.at(2500)[2] == pytest.approx(225.0, abs=0.5)  # the closing leg runs back south-west
    assert track.at(track.length + 500)[:2] == pytest.approx(track.at(500)[:2])  # loops round
    assert city.bearing_deg(a, east) == pytest.approx(90.0, abs=0.1)
    with pytest.raises(ValueError):
        Track.through([a, a])


@pytest.mark.parametrize("seed", range(5))
def test_tracks_stay_inside_the_county(seed):
    rng = random.Random(seed)
    for home in townships():
        start = city.jitter(rng, (home.lat, home.lon), 2000)
        track = make_track(rng, start, home)
        assert 2000 < track.length < 80_000, (home.name, track.length)
        for d in range(0, int(track.length), 100):
            lat, lon, heading = track.at(d)
            assert inside_county(lat, lon), (home.name, d, lat, lon)
            assert 0 <= heading < 360
        assert track.points[0] == track.points[-1]  # a closed loop


def test_units_move_at_plausible_speeds():
    from backend.demo.simulator import seed_units

    rng = random.Random(3)
    units = seed_units(rng, T0)
    assert len(units) == 30 and len({u.record["id"] for u in units}) == 30
    assert all(CJK.search(u.record["name"]) for u in units)
    assert {u.record["kind"] for u in units} == {"vehicle", "team"}
    travelled = {u.record["id"]: 0.0 for u in units}
    speeds = {u.record["id"]: 0.0 for u in units}
    for tick in range(1, 601):
        for u in units:
            before = (u.record["lat"], u.record["lon"])
            rec = Unit.from_dict(u.step(rng, T0 + tick, 1.0)).to_dict()
            step = distance_m(before, (rec["lat"], rec["lon"]))
            assert 8.0 <= rec["speed"] <= 20.0
            assert step <= rec["speed"] * 1.0 + 1.0, (rec["id"], tick, step)  # no jumps
            assert inside_county(rec["lat"], rec["lon"]) and 0 <= rec["heading"] < 360
            travelled[rec["id"]] += step
            speeds[rec["id"]] += rec["speed"]
    for uid, dist in travelled.items():  # over 10 minutes each unit really drove, about as fast as it said
        assert 0.8 * speeds[uid] < dist <= speeds[uid] + 30, uid


# -- sensors ------------------------------------------------------------------------------------------

def test_sensor_levels_with_hysteresis():
    wl = SENSOR_KINDS["water_level"]  # thresholds 3.0 3.4 3.8 4.3
    assert [wl.level(v) for v in (2.2, 3.0, 3.5, 3.9, 4.4)] == ["", "blue", "yellow", "orange", "red"]
    assert wl.level(3.35, "yellow") == "yellow"  # just below its threshold: held
    assert wl.level(2.5, "yellow") == ""
    assert wl.level(4.5, "blue") == "red"  # rising is never held back


def test_sensor_values_drift_plausibly_and_sometimes_cross_thresholds():
    rng = random.Random(11)
    for spec in SENSOR_KINDS.values():
        sims = [SensorSim.start(spec, rng) for _ in range(5)]
        levels: Counter[str] = Counter()
        values = set()
        for t in range(0, 6 * 3600, 2):
            for sim in sims:
                levels[sim.step(rng, T0 + t, 2.0)] += 1
                assert spec.low <= sim.value <= spec.high
                values.add(sim.rounded())
        total = sum(levels.values())
        assert levels[""] / total > 0.7, (spec.kind, levels)  # mostly normal …
        assert total - levels[""] > 0, (spec.kind, levels)  # … but it does cross thresholds
        assert len(values) > 50, spec.kind  # and it drifts


# -- alerts and incidents -----------------------------------------------------------------------------

def test_random_alerts_cover_all_colours_and_read_chinese():
    rng = random.Random(5)
    alerts = [make_alert(rng, T0 + i, f"DA-x-{i}", "yk") for i in range(2000)]
    colours = Counter(a["colour"] for a in alerts)
    assert set(colours) == {c.value for c in Colour}
    assert colours["blue"] + colours["yellow"] > 3 * (colours["orange"] + colours["red"])
    assert colours["red"] == min(colours.values())
    names = {t.code: t for t in townships()}
    for a in alerts:
        assert Alert.from_dict(a).to_dict() == a
        assert a["status"] == "active" and a["source"] == "demo" and a["centre"] == "yk"
        assert a["event"] and not ASCII_LETTER.search(a["event"]), a["event"]
        place = names[a["township"]]
        assert a["title"].startswith(f"{place.name} {a['event']} ")
        assert inside_county(a["lat"], a["lon"])
        assert distance_m((place.lat, place.lon), (a["lat"], a["lon"])) < 5000
    assert len({a["township"] for a in alerts}) == len(townships())


def test_incidents_only_from_red_and_orange_alerts():
    rng = random.Random(8)
    made = []
    for i in range(400):
        alert = make_alert(rng, T0, f"DA-x-{i}")
        inc = make_incident(rng, T0, f"DI-x-{i}", alert, "yk")
        if alert["colour"] in ("blue", "yellow") or alert["event"] in ("交通拥堵", "噪声扰民"):
            assert inc is None
        else:
            assert inc is not None
            made.append(inc)
    assert made
    for inc in made:
        assert Incident.from_dict(inc).to_dict() == inc
        assert inc["stage"] == "intake" and 1 <= inc["grade"] <= 4 and inc["alert_id"].startswith("DA-")
        assert inc["category"] in ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
    assert {h.category for h in HAZARDS} - {None} == {inc["category"] for inc in made}


# -- the camera list ----------------------------------------------------------------------------------

def test_demo_camera_list_command(tmp_path):
    out = subprocess.run([sys.executable, "-m", "backend.demo.cameras", "--rtsp", "rtsp://127.0.0.1:8554/"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60, check=True).stdout
    cams = json.loads(out)
    assert cams == demo_cameras("rtsp://127.0.0.1:8554")
    assert [c["id"] for c in cams] == list(CAMERA_IDS) == [f"cam-{i:02d}" for i in range(1, 21)]
    names = {t.code: t.name for t in townships()}
    for c in cams:
        assert c["url"] == c["sub_url"] == f"rtsp://127.0.0.1:8554/{c['id']}"
        assert c["name"].startswith(names[c["township"]] + " ") and CJK.search(c["name"].split(" ", 1)[1])
        assert inside_county(c["lat"], c["lon"])
    assert len({c["name"] for c in cams}) == 20
    assert cams[0]["name"] == "江南街道 丽州路口"
    from backend.cameras import parse_cameras  # the backend's own validator accepts the file

    public, private = parse_cameras(cams, "cameras.json")
    assert [p["id"] for p in public] == list(CAMERA_IDS) and all("url" not in p for p in public)
    bad = subprocess.run([sys.executable, "-m", "backend.demo.cameras", "--rtsp", "127.0.0.1:8554"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--rtsp" in bad.stderr and bad.stdout == ""


# -- DemoCity on a real Core (temp SQLite) -----------------------------------------------------------

async def _core(path: Path):
    from backend.core import Core

    return await Core(path, centre="yk").start()


def _demo_alerts(core, status: str | None = None) -> list[dict]:
    return [a for a in core.all("alerts") if a["id"].startswith("DA-") and (status is None or a["status"] == status)]


async def test_demo_city_publishes_through_a_real_core(tmp_path):
    from backend.demo.simulator import DemoCity

    core = await _core(tmp_path / "cc.db")
    events: list[dict] = []
    core.subscribe(events.append)
    clock = FakeClock()
    demo = DemoCity(core, seed=7, rate=5.0, clock=clock)
    try:
        await demo.start()
        assert len(core.all("units")) == 30 and len(core.all("sensors")) == 50
        assert sorted(c["id"] for c in core.all("cameras")) == list(CAMERA_IDS)  # no camera list: seeded
        max_active = 0
        for _ in range(300):
            clock.t += 1.0
            before = len(events)
            await demo.step()
            tick = events[before:]
            unit_seqs = [e["seq"] for e in tick if e["entity"] == "units"]
            assert len(unit_seqs) == 30 and unit_seqs == list(range(unit_seqs[0], unit_seqs[0] + 30))
            max_active = max(max_active, len(_demo_alerts(core, "active")))
            assert max_active <= 150
        assert max_active == 150  # the cap was reached, and held
        assert {e["actor"] for e in events} == {"demo"}
        raised = [e["data"] for e in events if e["entity"] == "alerts" and e["op"] == "upsert"
                  and e["data"]["status"] == "active"]
        assert {a["colour"] for a in raised} == {"red", "orange", "yellow", "blue"}
        assert {a["source"] for a in raised} == {"demo"}  # sensor alerts come from backend/alerting's rules
        assert len(raised) > 300 and len({a["id"] for a in raised}) == len(raised)
        assert len(core.all("alerts")) <= 150 + 100 + 25  # closed ones are deleted: the snapshot stays small
        assert any(e["op"] == "delete" for e in events if e["entity"] == "alerts")
        incidents = core.all("incidents")
        assert 1 <= len(incidents) <= 30 and all(i["stage"] == "intake" for i in incidents)
        assert all(core.get("alerts", i["alert_id"]) is None or core.get("alerts", i["alert_id"])["colour"]
                   in ("red", "orange") for i in incidents)
        for u in core.all("units"):
            assert inside_county(u["lat"], u["lon"]) and 8 <= u["speed"] <= 20 and u["updated"] == clock.t
        for s in core.all("sensors"):
            Sensor.from_dict(s)
            assert s["level"] in ("", "blue", "yellow", "orange", "red")  # the level the core holds, not set here
        assert Counter(s["kind"] for s in core.all("sensors"))["water_level"] == 10
    finally:
        await core.close()

    # a restart continues the same city: same units from where they stood, same sensors, fresh alert ids
    core = await _core(tmp_path / "cc.db")
    try:
        last = {u["id"]: u for u in core.all("units")}
        sensors = {s["id"]: s for s in core.all("sensors")}
        demo2 = DemoCity(core, seed=99, rate=1.0, clock=clock)
        clock.t += 1.0
        await demo2.step()
        now = {u["id"]: u for u in core.all("units")}
        assert now.keys() == last.keys()
        for uid, u in now.items():
            assert u["name"] == last[uid]["name"]
            assert distance_m((u["lat"], u["lon"]), (last[uid]["lat"], last[uid]["lon"])) <= 20 * 1.0 + 1
        assert {s["id"]: s["name"] for s in core.all("sensors")} == {k: v["name"] for k, v in sensors.items()}
        assert sorted(c["id"] for c in core.all("cameras")) == list(CAMERA_IDS)
    finally:
        await core.close()


async def test_camera_list_wins_over_demo_cameras(tmp_path):
    from backend.demo.simulator import DemoCity

    core = await _core(tmp_path / "cc.db")
    try:
        await core.set_camera_sources([{"id": "gate-1", "url": "rtsp://10.0.0.9/1", "sub_url": "", "ptz": None}])
        await DemoCity(core, seed=1, clock=FakeClock()).start()
        assert core.all("cameras") == [] and len(core.all("units")) == 30
    finally:
        await core.close()


async def test_run_until_stop(tmp_path):
    from backend.demo.simulator import DemoCity

    core = await _core(tmp_path / "cc.db")
    try:
        demo = DemoCity(core, seed=2, rate=30.0, tick_s=0.05)
        task = asyncio.create_task(demo.run())
        async with asyncio.timeout(60):
            while demo.ticks < 5 or not _demo_alerts(core):
                assert not task.done(), task
                await asyncio.sleep(0.05)
        demo.stop()
        await asyncio.wait_for(task, 30)  # returns on its own, no cancel needed
        assert task.exception() is None
    finally:
        await core.close()


# -- the demo city inside a real backend process -------------------------------------------------------

async def test_backend_runs_the_demo_city(tmp_path):
    from tests.backend.wsclient import RawClient
    from tests.helpers.backend_proc import start_backend

    proc = start_backend(tmp_path, demo=True, extra_args=["--demo-seed", "4"])
    try:
        client = await RawClient.connect(proc.url, proc.token("duty_officer"))
        snap = await client.until(lambda m: m["type"] == "snapshot", 30)
        state = snap["state"]
        if len(state.get("units", [])) < 30:  # the demo may seed just after the hub is up
            await client.until(lambda m: m["type"] == "event" and m["entity"] == "units", 30)
        alert = await client.until(lambda m: m["type"] == "event" and m["entity"] == "alerts"
                                   and m["actor"] == "demo", 90)  # the demo CAP feed and the rules write too
        assert alert["actor"] == "demo" and alert["data"]["id"].startswith("DA-")
        Alert.from_dict(alert["data"])
        moves = [m for m in client.received if m["type"] == "event" and m["entity"] == "units"]
        assert moves, "units move"
        await client.close()
    finally:
        assert proc.stop() == 0, proc.log_tail()
    assert "Traceback" not in proc.log.read_text("utf-8", "replace")
