"""DemoCity: drives the demo city's units, sensors, alerts and incidents into the backend Core.

It writes only through the Core API (``publish``, ``update``, ``get``, ``all``); one tick's changes
go out in one ``publish`` call so the store commits them as one group.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, deque
from dataclasses import dataclass
from typing import Callable

from backend.core import Change
from backend.demo.cameras import camera_records
from backend.demo.city import (
    SENSOR_KINDS, SensorSim, Township, Track, distance_m, inside_county, jitter, make_alert,
    make_incident, make_track, next_alert_gap, township, townships,
)
from backend_client.models import Sensor, Unit

log = logging.getLogger(__name__)

ACTOR = "demo"
ALERT_PREFIX, INCIDENT_PREFIX = "DA-", "DI-"

# kind, Chinese name pattern ({t}: township short name, {n}: number), how many, speed range m/s
FLEET: tuple[tuple[str, str, int, tuple[float, float]], ...] = (
    ("vehicle", "{t}消防中队 消防车{n}号", 7, (11.0, 20.0)),
    ("vehicle", "{t}派出所 巡逻警车{n}号", 7, (9.0, 18.0)),
    ("team", "永康市应急救援队 {t}分队", 5, (8.0, 14.0)),
    ("team", "{t}城管中队 巡查{n}组", 6, (8.0, 12.0)),
    ("vehicle", "市急救站 {t}救护车{n}号", 5, (10.0, 20.0)),
)
# kind, sites (the name is "<township> <site>"), how many
SENSORS: tuple[tuple[str, tuple[str, ...], int], ...] = (
    ("water_level", ("永康江水位站", "华溪水位站", "南溪水位站", "下穿通道积水监测"), 10),
    ("rainfall", ("雨量站",), 4),
    ("pm25", ("空气质量监测站",), 10),
    ("gas", ("燃气调压站", "餐饮街燃气监测", "地下管廊燃气监测"), 8),
    ("traffic_flow", ("路口车流检测",), 12),
    ("noise", ("噪声监测点",), 6),
)
ALERT_MEAN_GAP_S = 4.0
MAX_ACTIVE_ALERTS = 150  # demo alerts beyond this are closed, oldest first
MAX_CLOSED_ALERTS = 100  # closed demo alerts beyond this are deleted, so the snapshot stays small
MAX_INTAKE_INCIDENTS = 30
INCIDENT_MIN_GAP_S = 120.0


def _short(t: Township) -> str:
    return t.name.removesuffix("街道").removesuffix("镇")


def nearest_township(lat: float, lon: float) -> Township:
    return min(townships(), key=lambda t: distance_m((lat, lon), (t.lat, t.lon)))


@dataclass
class UnitSim:
    """A unit driving round its patrol track."""

    record: dict  # models.Unit fields
    track: Track
    distance: float
    speed_range: tuple[float, float]

    def step(self, rng: random.Random, now: float, dt: float) -> dict:
        lo, hi = self.speed_range
        speed = min(max(float(self.record.get("speed") or lo) + rng.gauss(0, 0.6), lo), hi)
        self.distance += speed * dt
        lat, lon, heading = self.track.at(self.distance)
        status = self.record.get("status") or "available"
        if status != "offline" and rng.random() < dt / 600:
            status = "busy" if status == "available" else "available"
        self.record = {**self.record, "lat": round(lat, 6), "lon": round(lon, 6), "heading": round(heading, 1),
                       "speed": round(speed, 1), "status": status, "township": nearest_township(lat, lon).code,
                       "updated": now}
        return self.record


def seed_units(rng: random.Random, now: float) -> list[UnitSim]:
    """The fleet of 30 units, spread over the townships (the streets get the most)."""
    places = sorted(townships(), key=lambda t: not t.is_street)
    homes = [t for t in places if t.is_street] * 2 + places
    units, i = [], 0
    for kind, pattern, count, speeds in FLEET:
        for n in range(1, count + 1):
            home = homes[i % len(homes)]
            i += 1
            track = make_track(rng, jitter(rng, (home.lat, home.lon), 500), home)
            distance = rng.uniform(0, track.length)
            lat, lon, heading = track.at(distance)
            rec = Unit(f"U-{i:02d}", pattern.format(t=_short(home), n=n), kind, round(lat, 6), round(lon, 6),
                       round(heading, 1), round(rng.uniform(*speeds), 1),
                       "busy" if rng.random() < 0.2 else "available", nearest_township(lat, lon).code, now).to_dict()
            units.append(UnitSim(rec, track, distance, speeds))
    return units


def resume_unit(rng: random.Random, record: dict, speed_range: tuple[float, float]) -> UnitSim:
    """Continue a unit from where a previous run left it: a fresh track starting at its position."""
    lat, lon = record.get("lat", 0.0), record.get("lon", 0.0)
    if not inside_county(lat, lon):
        lat, lon = jitter(rng, (townships()[0].lat, townships()[0].lon))
    try:
        home = township(record.get("township", ""))
    except KeyError:
        home = nearest_township(lat, lon)
    speed = min(max(float(record.get("speed") or 0.0), speed_range[0]), speed_range[1])
    rec = {**record, "lat": lat, "lon": lon, "speed": speed}
    return UnitSim(rec, make_track(rng, (lat, lon), home), 0.0, speed_range)


def _speed_range(unit_id: str) -> tuple[float, float]:
    try:
        number = int(unit_id.removeprefix("U-"))
    except ValueError:
        return (8.0, 20.0)
    i = 0
    for _, _, count, speeds in FLEET:
        i += count
        if number <= i:
            return speeds
    return (8.0, 20.0)


def seed_sensors(rng: random.Random, now: float) -> list[tuple[dict, SensorSim]]:
    """About 50 sensors across the townships, each at a plausible starting value."""
    places = list(townships())
    out, used, i = [], set(), 0
    for kind, sites, count in SENSORS:
        spec = SENSOR_KINDS[kind]
        for n in range(count):
            t = places[(i * 5 + n) % len(places)]
            i += 1
            name = f"{t.name} {sites[n % len(sites)]}"
            if name in used:
                name = f"{name}{n + 1}号"
            used.add(name)
            lat, lon = jitter(rng, (t.lat, t.lon), 700)
            sim = SensorSim.start(spec, rng)
            rec = Sensor(f"S-{i:02d}", name, kind, spec.unit, sim.rounded(), sim.level, round(lat, 6), round(lon, 6),
                         t.code, now).to_dict()
            out.append((rec, sim))
    return out


class DemoCity:
    """The demo city simulator.

    Attributes:
        colours: how many alerts of each colour it has raised (all runs of ``step``).
        ticks: how many ticks it has run.
    """

    def __init__(self, core, seed: int | None = None, rate: float = 1.0, clock: Callable[[], float] = time.time,
                 *, tick_s: float = 1.0, max_active_alerts: int = MAX_ACTIVE_ALERTS):
        self.core = core
        self.rng = random.Random(seed)
        self.rate = max(0.01, float(rate))
        self.clock = clock
        self.tick_s = tick_s
        self.max_active_alerts = max_active_alerts
        self.colours: Counter[str] = Counter()
        self.ticks = 0
        self._units: list[UnitSim] = []
        self._sensors: dict[str, tuple[dict, SensorSim, float]] = {}  # id -> record, sim, next publish (sim s)
        self._active: deque[str] = deque()  # demo alerts still active, oldest first
        self._closed: deque[str] = deque()
        self._intake: deque[str] = deque()  # demo incidents in stage intake, oldest first
        self._started = False
        self._last = 0.0
        self._sim = 0.0  # simulated seconds since start
        self._next_alert = 0.0
        self._last_incident = -INCIDENT_MIN_GAP_S
        self._run_tag = ""
        self._n = 0
        self._stop = asyncio.Event()

    @property
    def centre(self) -> str:
        return str(getattr(self.core, "centre", "") or "")

    def stop(self) -> None:
        """Ask ``run`` to return after the current tick."""
        self._stop.set()

    async def run(self) -> None:
        """Seed (or continue) the city, then tick until ``stop``; a failing tick is logged, never fatal."""
        self._stop.clear()
        while not self._stop.is_set():
            try:
                if not self._started:
                    await self.start()
                await self.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # the demo must never take the backend down
                log.exception("demo city tick failed; continuing")
            try:
                await asyncio.wait_for(self._stop.wait(), timeout=self.tick_s)
            except asyncio.TimeoutError:
                pass

    async def start(self) -> None:
        """Seed units, sensors and cameras, or continue from what the core already holds."""
        now = self.clock()
        self._last = now
        self._run_tag = _base36(int(now))
        changes = []
        existing = {u["id"]: u for u in self.core.all("units") if str(u.get("id", "")).startswith("U-")}
        if existing:
            self._units = [resume_unit(self.rng, rec, _speed_range(uid)) for uid, rec in sorted(existing.items())]
        else:
            self._units = seed_units(self.rng, now)
            changes += [Change("units", "upsert", u.record["id"], u.record) for u in self._units]
        old_sensors = {s["id"]: s for s in self.core.all("sensors")}
        for rec, sim in seed_sensors(self.rng, now):
            old = old_sensors.get(rec["id"])
            if old is not None and old.get("kind") == rec["kind"] and isinstance(old.get("value"), (int, float)):
                sim = SensorSim.start(sim.spec, self.rng, float(old["value"]))
                rec = {**old, "level": sim.level}
            else:
                changes.append(Change("sensors", "upsert", rec["id"], rec))
            self._sensors[rec["id"]] = (rec, sim, self.rng.uniform(0, 10))
        if not self.core.camera_sources():  # no camera list given: show the demo cameras on the map anyway
            for cam in camera_records():
                if self.core.get("cameras", cam["id"]) is None:
                    changes.append(Change("cameras", "upsert", cam["id"], cam))
        for a in sorted(self.core.all("alerts"), key=lambda a: a.get("created") or 0):
            if str(a.get("id", "")).startswith(ALERT_PREFIX):
                (self._active if a.get("status") == "active" else self._closed).append(a["id"])
        for inc in sorted(self.core.all("incidents"), key=lambda i: i.get("created") or 0):
            if str(inc.get("id", "")).startswith(INCIDENT_PREFIX) and inc.get("stage") == "intake":
                self._intake.append(inc["id"])
        for rec in self.core.all("alerts") + self.core.all("incidents"):  # a restart within the same second
            head, _, number = str(rec.get("id", "")).rpartition("-")
            if head in (ALERT_PREFIX + self._run_tag, INCIDENT_PREFIX + self._run_tag) and number.isdigit():
                self._n = max(self._n, int(number))
        self._next_alert = next_alert_gap(self.rng, ALERT_MEAN_GAP_S)
        if changes:
            await self.core.publish(changes, actor=ACTOR)
        self._started = True
        log.info("demo city started: %d units (%s), %d sensors", len(self._units),
                 "continued" if existing else "new", len(self._sensors))

    async def step(self) -> int:
        """One tick: move units, update sensors, raise and retire alerts. Returns the changes published."""
        if not self._started:
            await self.start()
        now = self.clock()
        dt = min(max(now - self._last, 0.0), 10.0) * self.rate  # a stalled loop must not teleport units
        self._last = now
        self._sim += dt
        self.ticks += 1
        changes = [Change("units", "upsert", u.record["id"], u.step(self.rng, now, dt)) for u in self._units]
        new_alerts = self._step_sensors(now, dt, changes)
        raised = 0
        while self._sim >= self._next_alert and raised < 20:
            new_alerts.append(make_alert(self.rng, now, self._new_id(ALERT_PREFIX), self.centre))
            self._next_alert += next_alert_gap(self.rng, ALERT_MEAN_GAP_S)
            raised += 1
        for alert in new_alerts:
            self.colours[alert["colour"]] += 1
            self._active.append(alert["id"])
            changes.append(Change("alerts", "upsert", alert["id"], alert))
            changes += self._maybe_incident(now, alert)
        changes += self._retire_closed()
        if changes:
            await self.core.publish(changes, actor=ACTOR)
        await self._close_overflow()
        return len(changes)

    def _step_sensors(self, now: float, dt: float, changes: list) -> list[dict]:
        # Sensors publish values only: levels and alerts come from backend/alerting's threshold rules,
        # so the level shown is the one the core holds (set by those rules), never this simulation's.
        for sid, (rec, sim, due) in list(self._sensors.items()):
            before = sim.level
            level = sim.step(self.rng, now, dt)
            if level != before or self._sim >= due:
                held = (self.core.get("sensors", sid) or rec).get("level", "")
                rec = {**rec, "value": sim.rounded(), "level": held, "updated": now}
                changes.append(Change("sensors", "upsert", sid, rec))
                due = self._sim + self.rng.uniform(5, 15)
            self._sensors[sid] = (rec, sim, due)
        return []

    def _maybe_incident(self, now: float, alert: dict) -> list:
        chance = {"red": 0.5, "orange": 0.2}.get(alert["colour"], 0.0)
        if self._sim - self._last_incident < INCIDENT_MIN_GAP_S or self.rng.random() >= chance:
            return []
        incident = make_incident(self.rng, now, self._new_id(INCIDENT_PREFIX), alert, self.centre)
        if incident is None:
            return []
        self._last_incident = self._sim
        self._intake.append(incident["id"])
        out = [Change("incidents", "upsert", incident["id"], incident)]
        while len(self._intake) > MAX_INTAKE_INCIDENTS:
            old = self._intake.popleft()
            rec = self.core.get("incidents", old)
            if rec is not None and rec.get("stage") == "intake":  # one a person took further stays
                out.append(Change("incidents", "delete", old, None))
        return out

    def _retire_closed(self) -> list:
        out = []
        while len(self._closed) > MAX_CLOSED_ALERTS:
            old = self._closed.popleft()
            rec = self.core.get("alerts", old)
            if rec is not None and rec.get("status") != "active":
                out.append(Change("alerts", "delete", old, None))
        return out

    async def _close_overflow(self) -> None:
        # update() merges into the record the core holds, so an operator's ack is never overwritten
        while len(self._active) > self.max_active_alerts:
            old = self._active.popleft()
            rec = self.core.get("alerts", old)
            if rec is not None and rec.get("status") == "active":
                await self.core.update("alerts", old, {"status": "closed"}, actor=ACTOR)
            if rec is not None:
                self._closed.append(old)

    def _new_id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._run_tag}-{self._n}"


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
