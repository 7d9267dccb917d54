"""Sensor threshold rules: per sensor kind, four warning levels (blue … red) with hysteresis → alerts.

Pure: ``ThresholdMonitor.observe(sensor, now)`` takes a sensor record and the time and says which level
the sensor is at and whether that warrants a new alert; the alerting service does the I/O.
"""
from __future__ import annotations

from dataclasses import dataclass, field

COLOURS = ("blue", "yellow", "orange", "red")  # rising severity: the order thresholds are given in
REALERT_S = 600.0  # the same or a lower level alerts again only after this long


def rank(level: str) -> int:
    """0 normal, 1 blue … 4 red."""
    return COLOURS.index(level) + 1 if level in COLOURS else 0


@dataclass(frozen=True)
class Rule:
    """One sensor kind's warning levels.

    Attributes:
        thresholds: the value at which blue, yellow, orange, red begin (rising).
        hysteresis: a level is left only once the value falls this far below its threshold.
        event / phrase: Chinese event name and what the alert title says happened.
        category: the national incident class an alert of this kind leads to ("" if none).
    """

    kind: str
    unit: str
    thresholds: tuple[float, float, float, float]
    hysteresis: float
    event: str
    phrase: str
    category: str = ""
    digits: int = 1

    def __post_init__(self):
        if list(self.thresholds) != sorted(self.thresholds) or self.hysteresis < 0:
            raise ValueError(f"rule {self.kind}: thresholds must rise and hysteresis be >= 0")

    def level(self, value: float, previous: str = "") -> str:
        """The level for ``value``: up at once when a threshold is reached, down only past the hysteresis."""
        raw = 0
        for i, threshold in enumerate(self.thresholds):
            if value >= threshold:
                raw = i + 1
        prev = rank(previous)
        if raw >= prev:
            return COLOURS[raw - 1] if raw else ""
        held = raw
        for r in range(prev, raw, -1):  # the highest level, not above the previous, still held
            if value > self.thresholds[r - 1] - self.hysteresis:
                held = r
                break
        return COLOURS[held - 1] if held else ""


RULES: dict[str, Rule] = {r.kind: r for r in (
    Rule("water_level", "m", (3.0, 3.4, 3.8, 4.3), 0.2, "城市内涝", "水位超警戒", "自然灾害", 2),
    Rule("rainfall", "mm/h", (10, 20, 35, 50), 3.0, "暴雨", "小时雨量超标", "自然灾害"),
    Rule("pm25", "µg/m³", (75, 115, 150, 250), 10.0, "大气污染", "细颗粒物浓度超标", "事故灾难", 0),
    Rule("gas", "%LEL", (10, 20, 30, 50), 2.0, "燃气泄漏", "可燃气体浓度超限", "事故灾难"),
    Rule("traffic_flow", "veh/h", (1500, 1800, 2100, 2400), 150, "交通拥堵", "车流量超饱和", "", 0),
    Rule("noise", "dB", (70, 75, 80, 85), 3.0, "噪声扰民", "噪声超标", ""),
)}


@dataclass
class _SensorState:
    level: str = ""
    alerted_at: float | None = None
    alerted_rank: int = 0


@dataclass(frozen=True)
class Observation:
    """What one sensor value means: its level, and an alert colour when it warrants a new alert."""

    level: str
    changed: bool  # the level differs from the one the record carries
    alert: str = ""  # "" or the colour of the alert to raise


@dataclass
class ThresholdMonitor:
    """Levels per sensor with hysteresis, and when to raise an alert (a rise; a repeat only after ``realert_s``)."""

    rules: dict[str, Rule] = field(default_factory=lambda: dict(RULES))
    realert_s: float = REALERT_S
    _states: dict[str, _SensorState] = field(default_factory=dict)

    def observe(self, sensor: dict, now: float) -> Observation | None:
        """None when the record has no rule or no numeric value."""
        rule = self.rules.get(str(sensor.get("kind", "")))
        value = sensor.get("value")
        if rule is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        sid = str(sensor.get("id", ""))
        recorded = str(sensor.get("level") or "")
        state = self._states.get(sid)
        if state is None:  # first sight: the level the record carries is where hysteresis starts
            state = self._states[sid] = _SensorState(level=recorded if rank(recorded) else "")
        before = state.level
        state.level = rule.level(float(value), before)
        alert = ""
        if rank(state.level) > rank(before):
            again = state.alerted_at is not None and now - state.alerted_at < self.realert_s
            if rank(state.level) > state.alerted_rank or not again:
                alert = state.level
                state.alerted_at, state.alerted_rank = now, rank(state.level)
        if state.alerted_at is not None and now - state.alerted_at >= self.realert_s:
            state.alerted_rank = 0
        return Observation(state.level, state.level != recorded, alert)


def sensor_alert_record(sensor: dict, rule: Rule, colour: str, now: float, centre: str, place: str = "") -> dict:
    """The alert a sensor raises (models.Alert fields plus sensor, value, category)."""
    value = f"{float(sensor['value']):.{rule.digits}f}{rule.unit}"
    title = f"{place} {sensor.get('name', '') if not place else ''} {rule.event} {rule.phrase} {value}"
    return {
        "id": f"SA-{sensor.get('id', '')}-{int(now * 1000)}", "colour": colour, "title": " ".join(title.split()),
        "source": "sensor", "event": rule.event, "township": sensor.get("township", "") or "",
        "lat": sensor.get("lat"), "lon": sensor.get("lon"), "created": now, "status": "active",
        "acked": False, "acked_by": "", "acked_at": None, "area": None, "centre": centre,
        "category": rule.category, "sensor": sensor.get("id", ""), "sensor_kind": rule.kind,
        "value": sensor.get("value"), "unit": rule.unit,
    }
