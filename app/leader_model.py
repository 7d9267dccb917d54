"""What the leader's view shows, computed from store records as plain data (no Qt): KPIs per governance domain,
open incidents by grade and cycle, the decision log, the room devices and the last room scene run."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

DOMAINS = ("城市安全", "应急指挥", "城市管理", "环境治理", "交通治堵")
DOMAINS_EN = {"城市安全": "City safety", "应急指挥": "Emergency command", "城市管理": "City management",
              "环境治理": "Environment", "交通治堵": "Traffic"}
# alert event kind (CAP <event>, demo hazard or sensor kind) -> domain; anything else is emergency command
DOMAIN_BY_EVENT = {
    **{e: "城市安全" for e in ("火灾", "燃气泄漏", "危化品", "安全生产", "治安事件", "人员聚集", "gas", "电梯困人",
                               "建筑安全", "多源预警关联")},
    **{e: "应急指挥" for e in ("城市内涝", "暴雨", "地质灾害", "森林火灾", "食品安全", "传染病", "台风", "洪水",
                               "water_level", "rainfall")},
    **{e: "城市管理" for e in ("噪声扰民", "占道经营", "违章建筑", "井盖缺失", "垃圾满溢", "市容环境")},
    **{e: "环境治理" for e in ("大气污染", "水质异常", "pm25", "noise", "water_quality")},
    **{e: "交通治堵" for e in ("道路交通事故", "交通拥堵", "traffic_flow")},
}
GRADES = (1, 2, 3, 4)
CYCLES = ("micro", "small", "big")
CLOSED = ("close", "closed", "evaluate", "evaluated")


def domain_of(event: str) -> str:
    return DOMAIN_BY_EVENT.get(event or "", "应急指挥")


def _get(record: Any, name: str, default: Any = None) -> Any:
    return record.get(name, default) if isinstance(record, dict) else getattr(record, name, default)


@dataclass
class DomainKpi:
    domain: str
    active: int = 0
    serious: int = 0  # red or orange
    unacked: int = 0


def domain_kpis(alerts: Iterable[Any]) -> list[DomainKpi]:
    kpis = {d: DomainKpi(d) for d in DOMAINS}
    for a in alerts:
        if _get(a, "status", "active") != "active":
            continue
        k = kpis[domain_of(str(_get(a, "event", "")))]
        k.active += 1
        k.serious += _get(a, "colour") in ("red", "orange")
        k.unacked += not _get(a, "acked", False)
    return list(kpis.values())


def incidents_by_grade_and_cycle(incidents: Iterable[Any]) -> dict[tuple[int, str], int]:
    """{(grade, cycle): open incidents}; a missing cycle counts as "small"."""
    out = {(g, c): 0 for g in GRADES for c in CYCLES}
    for i in incidents:
        if _get(i, "stage", "") in CLOSED:
            continue
        grade = _get(i, "grade", 4)
        cycle = _get(i, "cycle", "") or "small"
        if (grade, cycle) in out:
            out[(grade, cycle)] += 1
    return out


@dataclass
class DecisionRow:
    at: float
    by: str
    text: str
    incident: str
    consultation: str


def decision_log(decisions: Iterable[dict], incidents: dict[str, Any]) -> list[DecisionRow]:
    """Newest first; the incident is named by its title when known."""
    rows = []
    for d in decisions:
        inc = incidents.get(str(d.get("incident", "")))
        title = _get(inc, "title", "") if inc is not None else ""
        rows.append(DecisionRow(float(d.get("at") or 0), str(d.get("by", "")), str(d.get("text", "")),
                                title or str(d.get("incident", "")), str(d.get("consultation", ""))))
    return sorted(rows, key=lambda r: -r.at)


@dataclass
class DeviceRow:
    """One room device; the view words ``power``, ``lamp_hours`` and ``brightness`` in the UI's language."""

    id: str
    name: str
    state: str  # online | offline | unknown
    errors: list = field(default_factory=list)
    power: str = ""  # "on" | "off" | "" (not reported)
    lamp_hours: int | None = None
    brightness: int | None = None  # %


def device_rows(devices: Iterable[dict]) -> list[DeviceRow]:
    rows = []
    for d in sorted(devices, key=lambda d: str(d.get("id", ""))):
        online = d.get("online")
        state = "online" if online else "unknown" if online is None else "offline"
        errors = [str(e) for e in d.get("errors") or []]
        if state == "offline" and d.get("last_error"):
            errors = [str(d["last_error"])] + errors
        power = d.get("power")
        power = ("on" if power else "off") if isinstance(power, bool) else str(power or "")
        rows.append(DeviceRow(str(d.get("id", "")), str(d.get("name", d.get("id", ""))), state, errors, power,
                              _number(d.get("lamp_hours")), _number(d.get("brightness"))))
    return rows


def _number(value: Any) -> int | None:
    try:
        return None if value is None or isinstance(value, bool) else int(value)
    except (TypeError, ValueError):
        return None


def last_run(runs: Iterable[dict]) -> dict | None:
    runs = list(runs)
    return max(runs, key=lambda r: r.get("started") or 0) if runs else None


def open_consultation(consultations: Iterable[dict], incident: str = "") -> dict | None:
    """The newest open consultation (for ``incident`` when given)."""
    open_ = [c for c in consultations if c.get("state") == "open" and (not incident or c.get("incident") == incident)]
    return max(open_, key=lambda c: c.get("started") or 0) if open_ else None
