"""The map's layers as plain data: points kept in numpy arrays (cheap moves, fast clustering) built from models."""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

from backend_client.geo import Clusters, grid_cluster, to_unit
from widgets.colours import CAMERA_STATE_COLOURS, GRADE_COLOURS, UNKNOWN_COLOUR, WARNING_COLOURS

LAYER_NAMES = ("alerts", "incidents", "units", "cameras", "sensors", "resources")
TRAIL_POINTS = 8
CLUSTER_MAX_AGE_S = 0.25  # moving points regroup at most 4 times a second; panning never regroups
NORMAL_COLOUR = "#2ecc71"
UNIT_STATUS_COLOURS = {"available": "#2ecc71", "busy": "#f28c1b", "offline": "#6b7580"}
RESOURCE_STYLE = {  # kind -> (glyph, colour)
    "rescue_team": ("triangle", "#ff7a45"),
    "supply_depot": ("square", "#d4b106"),
    "shelter": ("house", "#36cfc9"),
    "hospital": ("cross", "#ff4d6d"),
}


@dataclass(frozen=True)
class MapPoint:
    """One thing drawn at a place. ``rank``: lower is more severe (a cluster shows its lowest rank's colour)."""

    key: str
    lat: float
    lon: float
    colour: str
    rank: int = 9
    label: str = ""
    glyph: str = "circle"  # circle | square | diamond | triangle | cross | house | camera | arrow
    heading: float | None = None


class PointLayer:
    """Points of one layer by key, mirrored in arrays (unit-square x/y, rank) for drawing and clustering.

    Attributes:
        name: one of LAYER_NAMES.  visible: drawn or not.  cluster: grouped at low zoom.
        points: key → MapPoint.  version: bumps on every change.  trails: key → recent (ux, uy) (units).
    """

    def __init__(self, name: str, cluster: bool = True, trails: bool = False):
        self.name = name
        self.visible = True
        self.cluster = cluster
        self.points: dict[str, MapPoint] = {}
        self.rank_colour: dict[int, str] = {}  # the colour a cluster of best rank r is drawn in
        self.version = 0
        self.trails: dict[str, deque] | None = {} if trails else None
        self._row: dict[str, int] = {}
        self._keys: list[str] = []
        self._ux = np.zeros(64)
        self._uy = np.zeros(64)
        self._rank = np.zeros(64, dtype=np.int64)
        self._clusters: tuple[int, int, float, Clusters] | None = None

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def ux(self) -> np.ndarray:
        return self._ux[:len(self._keys)]

    @property
    def uy(self) -> np.ndarray:
        return self._uy[:len(self._keys)]

    @property
    def rank(self) -> np.ndarray:
        return self._rank[:len(self._keys)]

    def key_at(self, row: int) -> str:
        return self._keys[row]

    def set(self, point: MapPoint | None, key: str = "") -> None:
        """Add or move a point; None (or a point without a position) removes ``key``."""
        if point is None:
            self.remove(key)
            return
        x, y = to_unit(point.lat, point.lon)
        row = self._row.get(point.key)
        if row is None:
            row = len(self._keys)
            if row == len(self._ux):
                self._ux = np.resize(self._ux, row * 2)
                self._uy = np.resize(self._uy, row * 2)
                self._rank = np.resize(self._rank, row * 2)
            self._row[point.key] = row
            self._keys.append(point.key)
        elif self.trails is not None and (self._ux[row], self._uy[row]) != (x, y):
            self.trails.setdefault(point.key, deque(maxlen=TRAIL_POINTS)).append((self._ux[row], self._uy[row]))
        self._ux[row], self._uy[row], self._rank[row] = x, y, point.rank
        self.rank_colour.setdefault(point.rank, point.colour)
        self.points[point.key] = point
        self.version += 1

    def remove(self, key: str) -> None:
        row = self._row.pop(key, None)
        if row is None:
            return
        last = len(self._keys) - 1
        if row != last:  # move the last row into the hole
            moved = self._keys[last]
            self._keys[row] = moved
            self._row[moved] = row
            self._ux[row], self._uy[row], self._rank[row] = self._ux[last], self._uy[last], self._rank[last]
        self._keys.pop()
        self.points.pop(key, None)
        if self.trails is not None:
            self.trails.pop(key, None)
        self.version += 1

    def replace_all(self, points: list[MapPoint]) -> None:
        for key in list(self._keys):
            self.remove(key)
        for p in points:
            self.set(p)

    def clusters(self, zoom: int, cell_px: float) -> Clusters:
        """Grid clusters at integer ``zoom``; reused while the zoom is the same and the points are unchanged
        (or changed less than CLUSTER_MAX_AGE_S ago: positions of moving units lag by at most that)."""
        now = time.monotonic()
        cached = self._clusters
        if cached is not None and cached[0] == zoom and (cached[1] == self.version or now - cached[2] < CLUSTER_MAX_AGE_S):
            return cached[3]
        result = grid_cluster(self.ux, self.uy, zoom, cell_px, self.rank)
        self._clusters = (zoom, self.version, now, result)
        return result


@dataclass(frozen=True)
class AlertArea:
    """A CAP alert's area: polygons [[(lat, lon)…]…] and circles [(lat, lon, km)…], in the alert's colour."""

    key: str
    colour: str
    polygons: tuple
    circles: tuple


def area_of(alert: Any) -> AlertArea | None:
    area = alert.area if isinstance(alert.area, dict) else None
    if not area or alert.status != "active":
        return None
    polygons, circles = [], []
    for poly in area.get("polygons") or []:
        try:
            polygons.append(tuple((float(p[0]), float(p[1])) for p in poly))
        except (TypeError, ValueError, IndexError):
            continue
    for c in area.get("circles") or []:
        try:
            circles.append((float(c[0]), float(c[1]), float(c[2])))
        except (TypeError, ValueError, IndexError):
            continue
    if not polygons and not circles:
        return None
    return AlertArea(alert.id, WARNING_COLOURS.get(alert.colour, UNKNOWN_COLOUR), tuple(polygons), tuple(circles))


# ---- models → points --------------------------------------------------------------------------
def _has_position(obj: Any) -> bool:
    return obj.lat is not None and obj.lon is not None and not (obj.lat == 0 and obj.lon == 0)


def alert_point(alert: Any) -> MapPoint | None:
    if alert.status != "active" or not _has_position(alert):
        return None
    return MapPoint(alert.id, alert.lat, alert.lon, WARNING_COLOURS.get(alert.colour, UNKNOWN_COLOUR),
                    alert.colour_rank, alert.title, "circle")


def incident_point(inc: Any) -> MapPoint | None:
    if not _has_position(inc) or inc.stage in ("closed", "archived"):
        return None
    return MapPoint(inc.id, inc.lat, inc.lon, GRADE_COLOURS.get(inc.grade, UNKNOWN_COLOUR), inc.grade, inc.title,
                    "diamond")


def camera_point(cam: Any) -> MapPoint | None:
    if not _has_position(cam):
        return None
    rank = {"lost": 0, "connecting": 1, "live": 2}.get(cam.state, 3)
    return MapPoint(cam.id, cam.lat, cam.lon, CAMERA_STATE_COLOURS.get(cam.state, UNKNOWN_COLOUR), rank, cam.name,
                    "camera")


def sensor_point(sensor: Any) -> MapPoint | None:
    if not _has_position(sensor):
        return None
    colour = WARNING_COLOURS.get(sensor.level, NORMAL_COLOUR)
    rank = {"red": 0, "orange": 1, "yellow": 2, "blue": 3}.get(sensor.level, 5)
    value = "" if sensor.value is None else f" {sensor.value:g}{sensor.unit}"
    return MapPoint(sensor.id, sensor.lat, sensor.lon, colour, rank, f"{sensor.name}{value}", "square")


def unit_point(unit: Any) -> MapPoint | None:
    if not _has_position(unit):
        return None
    rank = {"busy": 1, "available": 2}.get(unit.status, 3)
    return MapPoint(unit.id, unit.lat, unit.lon, UNIT_STATUS_COLOURS.get(unit.status, UNKNOWN_COLOUR), rank,
                    unit.name, "arrow", float(unit.heading or 0.0))


def resource_point(res: Any) -> MapPoint:
    glyph, colour = RESOURCE_STYLE.get(res.kind, ("circle", UNKNOWN_COLOUR))
    return MapPoint(res.id, res.lat, res.lon, colour, 4, res.name, glyph)


BUILDERS = {"alerts": alert_point, "incidents": incident_point, "cameras": camera_point, "sensors": sensor_point,
            "units": unit_point}


class MapLayers:
    """All layers of one map, filled from a ClientStore's models and the resources file.

    Attributes:
        layers: name → PointLayer, in drawing order (LAYER_NAMES).  areas: alert id → AlertArea.
        areas_visible: alert areas drawn (follows the alerts layer).  shapes: GeoJSON overlay shapes.
    """

    def __init__(self):
        self.layers: dict[str, PointLayer] = {
            "alerts": PointLayer("alerts"), "incidents": PointLayer("incidents"),
            "units": PointLayer("units", trails=True), "cameras": PointLayer("cameras"),
            "sensors": PointLayer("sensors"), "resources": PointLayer("resources"),
        }
        self.areas: dict[str, AlertArea] = {}
        self.shapes: list = []
        self.resources: dict[str, Any] = {}

    def update(self, entity: str, record: Any) -> None:
        """Apply one changed model of ``entity`` (alerts, incidents, units, cameras, sensors)."""
        build = BUILDERS.get(entity)
        if build is None:
            return
        self.layers[entity].set(build(record), record.id)
        if entity == "alerts":
            area = area_of(record)
            if area is None:
                self.areas.pop(record.id, None)
            else:
                self.areas[record.id] = area

    def remove(self, entity: str, key: str) -> None:
        if entity in self.layers:
            self.layers[entity].remove(key)
        if entity == "alerts":
            self.areas.pop(key, None)

    def reload(self, store: Any) -> None:
        """Rebuild every store-fed layer from the store (after a snapshot)."""
        for entity, build in BUILDERS.items():
            points = [p for p in (build(r) for r in store.records(entity).values()) if p is not None]
            self.layers[entity].replace_all(points)
        self.areas = {a.key: a for a in (area_of(r) for r in store.records("alerts").values()) if a is not None}

    def set_resources(self, resources: list) -> None:
        self.resources = {r.id: r for r in resources}
        self.layers["resources"].replace_all([resource_point(r) for r in resources])
