"""Correlation rule: warnings from several different sources in one township within a time window raise
one combined alert, one level above the most severe of them.

Pure: ``Correlator.observe(alert, now)`` takes each new alert and returns what to write (or None); the
clock is whatever the caller passes, so tests drive it with a fake one.
"""
from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field

from backend.alerting.thresholds import COLOURS, rank

SOURCE = "correlation"
WINDOW_S = 600.0
MIN_SOURCES = 2
MAX_OPEN_S = 3 * WINDOW_S  # a combined alert takes no more members after this long: a fresh one starts
_TOWNSHIP = re.compile(r"^\d{9}$")


def township_of(alert: dict) -> str:
    """The township code of an alert: its ``township``, else a 9-digit geocode of its CAP area."""
    code = str(alert.get("township") or "")
    if code:
        return code
    area = alert.get("area") if isinstance(alert.get("area"), dict) else {}
    for pair in area.get("geocodes") or []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and _TOWNSHIP.match(str(pair[1])):
            return str(pair[1])
    return ""


def source_key(alert: dict) -> str:
    """What counts as one source: a sensor is its own source; otherwise the feed (cap, demo, phone, …)."""
    source = str(alert.get("source") or "unknown")
    if source == "sensor" and alert.get("sensor"):
        return f"sensor:{alert['sensor']}"
    return source


@dataclass
class _Member:
    at: float
    id: str
    source: str
    rank: int
    event: str
    category: str
    lat: float | None
    lon: float | None


@dataclass
class _Combined:
    id: str
    started: float
    last: float
    members: dict[str, _Member]


@dataclass
class Correlator:
    """Per township, the warnings of the last ``window_s`` seconds; ``min_sources`` distinct sources combine.

    Attributes:
        window_s: how far back warnings count; a combined alert takes new members while its last member
            is younger than this.
        min_sources: distinct sources needed.
    """

    window_s: float = WINDOW_S
    min_sources: int = MIN_SOURCES
    centre: str = ""
    names: dict[str, str] = field(default_factory=dict)  # township code -> name, for titles
    _recent: dict[str, deque] = field(default_factory=dict)
    _open: dict[str, _Combined] = field(default_factory=dict)

    def observe(self, alert: dict, now: float) -> tuple[str, dict, bool] | None:
        """Feed one new alert; returns (alert key, record or fields to merge, is_new) or None."""
        if alert.get("source") == SOURCE or alert.get("status", "active") != "active":
            return None
        colour_rank = rank(str(alert.get("colour") or ""))
        township = township_of(alert)
        if not township or not colour_rank:
            return None
        recent = self._recent.setdefault(township, deque())
        while recent and now - recent[0].at > self.window_s:
            recent.popleft()
        if any(m.id == alert.get("id") for m in recent):
            return None
        recent.append(_Member(now, str(alert.get("id")), source_key(alert), colour_rank,
                              str(alert.get("event") or ""), str(alert.get("category") or ""),
                              alert.get("lat"), alert.get("lon")))
        combined = self._open.get(township)
        if combined is not None and (now - combined.last > self.window_s or now - combined.started > MAX_OPEN_S):
            del self._open[township]
            combined = None
        if combined is None and len({m.source for m in recent}) < self.min_sources:
            return None
        member = recent[-1]
        if combined is None:
            combined = _Combined(f"CA-{township}-{int(now)}", now, now, {m.id: m for m in recent})
            self._open[township] = combined
            is_new = True
        else:
            combined.last = now
            combined.members[member.id] = member
            is_new = False
        record = self._record(combined, township, now)
        if is_new:
            record.update({"id": combined.id, "created": now, "status": "active", "acked": False, "acked_by": "",
                           "acked_at": None, "area": None, "centre": self.centre})
        return combined.id, record, is_new

    def _record(self, combined: _Combined, township: str, now: float) -> dict:
        members = list(combined.members.values())
        top = max(m.rank for m in members)
        colour = COLOURS[min(top + 1, len(COLOURS)) - 1]
        events = list(dict.fromkeys(m.event for m in members if m.event))
        categories = Counter(m.category for m in members if m.category)
        place = self.names.get(township, township)
        points = [(m.lat, m.lon) for m in members if isinstance(m.lat, (int, float)) and isinstance(m.lon, (int, float))]
        lat = sum(p[0] for p in points) / len(points) if points else None
        lon = sum(p[1] for p in points) / len(points) if points else None
        record = {
            "colour": colour, "title": f"{place} 多源预警关联：{'、'.join(events[:4]) or '多项预警'}（{len(members)}条）",
            "source": SOURCE, "event": "多源预警关联", "township": township, "lat": lat, "lon": lon,
            "members": [m.id for m in members], "sources": sorted({m.source for m in members}),
            "category": categories.most_common(1)[0][0] if categories else "", "updated": now,
        }
        return record
