"""Pure parts of the demo city: Yongkang's townships, road-like tracks, sensor drift and alert generation.

Nothing here touches the backend, a clock or the global RNG: every function takes a ``random.Random``
and the time it should act at, so the simulator's behaviour is testable and repeatable.
"""
from __future__ import annotations

import bisect
import json
import math
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from backend_client.models import Alert, Incident

DATA_FILE = Path(__file__).with_name("data") / "yongkang_330784_streets_villages_from_china-division.json"

# The county, roughly: everything the demo places stays inside this box.
CITY_CENTRE = (28.888, 120.047)
LAT_MIN, LAT_MAX = 28.75, 29.05
LON_MIN, LON_MAX = 119.90, 120.25
M_PER_DEG_LAT = 111_320.0

# APPROXIMATE township centres (lat, lon), placed by hand from general knowledge of where each lies
# relative to the city centre; they are not surveyed and must not be used as real geography.
# The three streets (街道) surround the centre; the towns (镇) lie around them in their rough direction.
_CENTRES: dict[str, tuple[float, float]] = {
    "330784001": (28.895, 120.063),  # 东城街道, east of the centre
    "330784002": (28.899, 120.026),  # 西城街道, west of the centre
    "330784003": (28.872, 120.046),  # 江南街道, south bank of the river
    "330784105": (28.835, 119.985),  # 石柱镇, south-west
    "330784106": (28.815, 120.080),  # 前仓镇, south
    "330784107": (28.775, 120.150),  # 舟山镇, far south-east, hills
    "330784108": (28.985, 120.075),  # 古山镇, north
    "330784109": (28.930, 120.170),  # 方岩镇, east-north-east, the scenic area
    "330784110": (28.955, 119.995),  # 龙山镇, north-west
    "330784111": (28.880, 119.925),  # 西溪镇, west
    "330784112": (28.975, 120.140),  # 象珠镇, north-east
    "330784113": (29.020, 120.030),  # 唐先镇, far north
    "330784114": (28.860, 120.195),  # 花街镇, east
    "330784115": (28.880, 120.125),  # 芝英镇, east
}


@dataclass(frozen=True)
class Township:
    code: str  # NBS division code, e.g. "330784003"
    name: str  # e.g. "江南街道"
    lat: float  # approximate centre
    lon: float

    @property
    def is_street(self) -> bool:
        return self.name.endswith("街道")


@lru_cache(maxsize=1)
def townships() -> tuple[Township, ...]:
    """Yongkang's townships and streets, names and codes from the bundled division file."""
    try:
        streets = json.loads(DATA_FILE.read_text(encoding="utf-8"))["streets"]
    except (OSError, ValueError, KeyError) as exc:
        raise RuntimeError(f"{DATA_FILE}: cannot read the township list: {exc}") from None
    out = []
    for s in streets:
        code, name = str(s["code"]), str(s["name"])
        lat, lon = _CENTRES.get(code, CITY_CENTRE)
        out.append(Township(code, name, lat, lon))
    return tuple(out)


def township(code: str) -> Township:
    for t in townships():
        if t.code == code:
            return t
    raise KeyError(f"no township with code {code!r}")


# ---------------------------------------------------------------- geometry

def inside_county(lat: float, lon: float) -> bool:
    return LAT_MIN <= lat <= LAT_MAX and LON_MIN <= lon <= LON_MAX


def clamp_to_county(lat: float, lon: float) -> tuple[float, float]:
    return min(max(lat, LAT_MIN + 0.002), LAT_MAX - 0.002), min(max(lon, LON_MIN + 0.002), LON_MAX - 0.002)


def _east_north(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Metres east and north from a to b (equirectangular; fine at county scale)."""
    mid = math.radians((a[0] + b[0]) / 2)
    return (b[1] - a[1]) * M_PER_DEG_LAT * math.cos(mid), (b[0] - a[0]) * M_PER_DEG_LAT


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot(*_east_north(a, b))


def bearing_deg(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Heading from a to b in degrees clockwise from north, 0 ≤ h < 360."""
    east, north = _east_north(a, b)
    return math.degrees(math.atan2(east, north)) % 360.0


def offset_m(p: tuple[float, float], east: float, north: float) -> tuple[float, float]:
    return (p[0] + north / M_PER_DEG_LAT,
            p[1] + east / (M_PER_DEG_LAT * math.cos(math.radians(p[0]))))


def jitter(rng: random.Random, p: tuple[float, float], sigma_m: float = 600.0) -> tuple[float, float]:
    """A point near p (Gaussian, sigma in metres), kept inside the county."""
    lat, lon = offset_m(p, rng.gauss(0, sigma_m), rng.gauss(0, sigma_m))
    return clamp_to_county(lat, lon)


# ---------------------------------------------------------------- tracks

@dataclass(frozen=True)
class Track:
    """A closed polyline a unit drives round and round; ``at(d)`` gives position and heading."""

    points: tuple[tuple[float, float], ...]
    cumulative: tuple[float, ...]  # metres from points[0] to each point

    @classmethod
    def through(cls, points: list[tuple[float, float]]) -> "Track":
        pts: list[tuple[float, float]] = []
        for p in points:
            if not pts or distance_m(pts[-1], p) > 1.0:
                pts.append(p)
        if len(pts) < 2:
            raise ValueError("a track needs two distinct points")
        if distance_m(pts[-1], pts[0]) > 1.0:
            pts.append(pts[0])  # close the loop
        cum = [0.0]
        for a, b in zip(pts, pts[1:]):
            cum.append(cum[-1] + distance_m(a, b))
        return cls(tuple(pts), tuple(cum))

    @property
    def length(self) -> float:
        return self.cumulative[-1]

    def at(self, distance: float) -> tuple[float, float, float]:
        """(lat, lon, heading) at ``distance`` metres along the loop (wraps around)."""
        d = distance % self.length
        i = min(max(bisect.bisect_right(self.cumulative, d) - 1, 0), len(self.points) - 2)
        a, b = self.points[i], self.points[i + 1]
        seg = self.cumulative[i + 1] - self.cumulative[i]
        f = 0.0 if seg <= 0 else (d - self.cumulative[i]) / seg
        return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, bearing_deg(a, b)


def road_leg(rng: random.Random, a: tuple[float, float], b: tuple[float, float]) -> list[tuple[float, float]]:
    """Waypoints from a to b (b excluded) that zig-zag like a road: every ~1.2 km a bend of 80–300 m."""
    east, north = _east_north(a, b)
    length = math.hypot(east, north)
    pieces = max(2, int(length / 1200))
    ux, uy = (east / length, north / length) if length else (0.0, 0.0)
    out = [a]
    for k in range(1, pieces):
        f = k / pieces
        side = rng.uniform(80, 300) * (1 if k % 2 else -1)
        p = offset_m(a, east * f - uy * side, north * f + ux * side)  # (-uy, ux) is the leftward normal
        out.append(clamp_to_county(*p))
    return out


def make_track(rng: random.Random, start: tuple[float, float], home: Township, stops: int = 3) -> Track:
    """A patrol loop from ``start`` through the home township and a few near neighbours, and back."""
    others = sorted((t for t in townships() if t.code != home.code),
                    key=lambda t: distance_m((home.lat, home.lon), (t.lat, t.lon)))
    visit = [home] + rng.sample(others[:5], k=max(1, min(stops, 5)) - 1)
    route = [clamp_to_county(*start)] + [jitter(rng, (t.lat, t.lon), 400) for t in visit]
    route.append(route[0])
    points: list[tuple[float, float]] = []
    for a, b in zip(route, route[1:]):
        points.extend(road_leg(rng, a, b))
    return Track.through(points)


# ---------------------------------------------------------------- sensors

COLOURS = ("blue", "yellow", "orange", "red")  # rising severity, the order thresholds are given in
_LEVEL_RANK = {"": 0, "blue": 1, "yellow": 2, "orange": 3, "red": 4}


def level_rank(level: str) -> int:
    """0 for normal, 1 blue … 4 red (higher is worse)."""
    return _LEVEL_RANK.get(level, 0)


@dataclass(frozen=True)
class SensorKind:
    kind: str  # wire name, e.g. "water_level"
    label: str  # Chinese, for names
    unit: str
    base: float  # the usual value
    spread: float  # standard deviation of the usual wander
    thresholds: tuple[float, float, float, float]  # blue, yellow, orange, red
    low: float
    high: float
    event: str  # Chinese event name of an alert
    phrase: str  # what the alert title says happened
    digits: int = 1

    def level(self, value: float, previous: str = "") -> str:
        """Warning colour for a value; a level is kept until the value falls two spreads below its threshold."""
        level = ""
        for colour, threshold in zip(COLOURS, self.thresholds):
            if value >= threshold:
                level = colour
        if level_rank(previous) > level_rank(level):
            hold = self.thresholds[level_rank(previous) - 1]
            if value >= hold - 2 * self.spread:
                return previous
        return level


SENSOR_KINDS: dict[str, SensorKind] = {k.kind: k for k in (
    SensorKind("water_level", "水位", "m", 2.2, 0.15, (3.0, 3.4, 3.8, 4.3), 0.3, 6.5, "城市内涝", "水位超警戒", 2),
    SensorKind("rainfall", "雨量", "mm/h", 1.0, 1.5, (10, 20, 35, 50), 0.0, 120, "暴雨", "小时雨量超标"),
    SensorKind("pm25", "PM2.5", "µg/m³", 38, 8, (75, 115, 150, 250), 3, 500, "大气污染", "细颗粒物浓度超标", 0),
    SensorKind("gas", "可燃气体", "%LEL", 1.0, 0.8, (10, 20, 30, 50), 0.0, 100, "燃气泄漏", "可燃气体浓度超限"),
    SensorKind("traffic_flow", "车流量", "veh/h", 900, 120, (1500, 1800, 2100, 2400), 0, 3600,
               "交通拥堵", "车流量超饱和", 0),
    SensorKind("noise", "噪声", "dB", 58, 3, (70, 75, 80, 85), 30, 110, "噪声扰民", "噪声超标"),
)}

SURGE_EVERY_S = 1800.0  # mean seconds between excursions of one sensor
_SURGE_WEIGHTS = (50, 30, 15, 5)  # blue, yellow, orange, red


@dataclass
class SensorSim:
    """One sensor's value: mean-reverting wander round its base, now and then a surge past a threshold."""

    spec: SensorKind
    value: float
    target: float
    surge_until: float = 0.0
    level: str = ""

    @classmethod
    def start(cls, spec: SensorKind, rng: random.Random, value: float | None = None) -> "SensorSim":
        if value is None:
            value = spec.base + rng.gauss(0, spec.spread)
        value = min(max(value, spec.low), spec.high)
        return cls(spec, value, spec.base, 0.0, spec.level(value))

    def step(self, rng: random.Random, now: float, dt: float) -> str:
        """Advance by dt seconds at time ``now``; returns the new level ("" normal or a colour)."""
        s = self.spec
        if self.surge_until and now >= self.surge_until:
            self.target, self.surge_until = s.base, 0.0
        elif not self.surge_until and rng.random() < dt / SURGE_EVERY_S:
            i = rng.choices(range(4), weights=_SURGE_WEIGHTS)[0]
            above = s.thresholds[i + 1] if i < 3 else s.thresholds[3] * 1.25
            self.target = s.thresholds[i] + (above - s.thresholds[i]) * rng.uniform(0.2, 0.6)
            self.surge_until = now + rng.uniform(90, 300)
        theta = 1 / 25 if self.surge_until else 1 / 90  # surges rise faster than the city calms down
        keep = math.exp(-theta * dt)
        noise = s.spread * math.sqrt(max(0.0, 1 - keep * keep)) * rng.gauss(0, 1)
        self.value = min(max(self.target + (self.value - self.target) * keep + noise, s.low), s.high)
        self.level = s.level(self.value, self.level)
        return self.level

    def rounded(self) -> float:
        return round(self.value, self.spec.digits)


# ---------------------------------------------------------------- alerts and incidents

CATEGORIES = ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件")
_COLOUR_WEIGHTS = {"blue": 45, "yellow": 33, "orange": 16, "red": 6}


@dataclass(frozen=True)
class Hazard:
    event: str  # Chinese event name, the alert's ``event``
    category: str | None  # incident category, None when it never becomes an incident
    phrases: tuple[str, ...]


HAZARDS: tuple[Hazard, ...] = (
    Hazard("城市内涝", "自然灾害", ("水位超警戒", "下穿通道积水", "道路积水深度超标")),
    Hazard("暴雨", "自然灾害", ("短时强降水", "小时雨量超标")),
    Hazard("地质灾害", "自然灾害", ("山体滑坡隐患点位移", "边坡落石")),
    Hazard("森林火灾", "自然灾害", ("林区发现火点", "山林冒烟")),
    Hazard("火灾", "事故灾难", ("厂房冒烟", "居民楼火情", "电动车充电起火")),
    Hazard("燃气泄漏", "事故灾难", ("燃气管道泄漏", "餐饮店可燃气体报警")),
    Hazard("道路交通事故", "事故灾难", ("多车追尾", "货车侧翻", "电动自行车与汽车相撞")),
    Hazard("危化品", "事故灾难", ("危化品车辆异常停留", "储罐压力异常")),
    Hazard("安全生产", "事故灾难", ("五金企业粉尘浓度超限", "企业设备异常高温")),
    Hazard("大气污染", "事故灾难", ("细颗粒物浓度超标", "企业废气异常排放")),
    Hazard("食品安全", "公共卫生事件", ("疑似食物中毒", "学校食堂就诊病例增多")),
    Hazard("传染病", "公共卫生事件", ("发热病例聚集", "症状监测异常")),
    Hazard("人员聚集", "社会安全事件", ("人员聚集超限", "景区客流超警戒")),
    Hazard("治安事件", "社会安全事件", ("打架斗殴", "可疑人员徘徊")),
    Hazard("交通拥堵", None, ("车流量超饱和", "路口排队超长")),
    Hazard("噪声扰民", None, ("夜间施工噪声", "噪声超标")),
)
HAZARD_BY_EVENT = {h.event: h for h in HAZARDS}


def pick_colour(rng: random.Random) -> str:
    """Blue and yellow most often, red rarely."""
    return rng.choices(list(_COLOUR_WEIGHTS), weights=list(_COLOUR_WEIGHTS.values()))[0]


def next_alert_gap(rng: random.Random, mean_s: float = 4.0) -> float:
    """Seconds until the next random alert: exponential, kept within 0.5 … 4×mean."""
    return min(max(rng.expovariate(1 / mean_s), 0.5), 4 * mean_s)


def make_alert(rng: random.Random, now: float, alert_id: str, centre: str = "",
               place: Township | None = None, colour: str | None = None) -> dict:
    """A random demo alert as a wire record (models.Alert fields)."""
    place = place or rng.choice(townships())
    colour = colour or pick_colour(rng)
    hazard = rng.choice(HAZARDS)
    lat, lon = jitter(rng, (place.lat, place.lon))
    title = f"{place.name} {hazard.event} {rng.choice(hazard.phrases)}"
    return Alert(alert_id, colour, title, source="demo", event=hazard.event, township=place.code,
                 lat=round(lat, 6), lon=round(lon, 6), created=now, centre=centre).to_dict()


def sensor_alert(now: float, alert_id: str, sensor: dict, spec: SensorKind, colour: str, centre: str = "") -> dict:
    """The alert a sensor raises when its level rises to ``colour``."""
    place = township(sensor["township"]).name if sensor.get("township") else ""
    value = f"{sensor['value']:.{spec.digits}f}{spec.unit}"
    title = f"{place} {spec.event} {spec.phrase} {value}".strip()
    return Alert(alert_id, colour, title, source="sensor", event=spec.event, township=sensor.get("township", ""),
                 lat=sensor.get("lat"), lon=sensor.get("lon"), created=now, centre=centre).to_dict()


def make_incident(rng: random.Random, now: float, incident_id: str, alert: dict, centre: str = "") -> dict | None:
    """An incident (stage intake) raised from a red or orange alert, or None if its hazard has no category."""
    hazard = HAZARD_BY_EVENT.get(alert.get("event", ""))
    if hazard is None or hazard.category is None or alert.get("colour") not in ("red", "orange"):
        return None
    grades = (1, 2) if alert["colour"] == "red" else (2, 3, 4)
    weights = (1, 3) if alert["colour"] == "red" else (1, 3, 3)
    grade = rng.choices(grades, weights=weights)[0]
    place = township(alert["township"]).name if alert.get("township") else ""
    return Incident(incident_id, f"{place}{hazard.event}事件", category=hazard.category, grade=grade,
                    township=alert.get("township", ""), lat=alert.get("lat"), lon=alert.get("lon"),
                    created=now, created_by="demo", alert_id=alert["id"], centre=centre).to_dict()
