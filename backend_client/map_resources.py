"""Map data files: the emergency resources list (resources/map/resources.json) and GeoJSON overlays, read into
plain records in WGS84 (a file that declares ``"crs": "gcj02"`` is converted on load)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from backend_client.geo import to_wgs84

ROOT = Path(__file__).resolve().parent.parent
RESOURCES_FILE = ROOT / "resources" / "map" / "resources.json"
OVERLAYS_DIR = ROOT / "resources" / "map" / "overlays"
RESOURCE_KINDS = ("rescue_team", "supply_depot", "shelter", "hospital")


class MapDataError(ValueError):
    """A map data file is wrong; the message names the file, the JSON path and the reason."""


@dataclass(frozen=True)
class Resource:
    """A fixed emergency resource. ``terminal``: the id dispatch.call reaches it on (radio/phone)."""

    id: str
    name: str
    kind: str  # one of RESOURCE_KINDS
    lat: float
    lon: float
    township: str = ""
    terminal: str = ""
    detail: str = ""  # capacity, beds, members … as text


def load_resources(path: str | Path = RESOURCES_FILE) -> list[Resource]:
    """Read a resources file; raises MapDataError naming the file and field on bad input."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MapDataError(f"{path}: cannot read: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), list):
        raise MapDataError(f"{path}: resources: expected a list")
    crs = doc.get("crs", "wgs84")
    out, seen = [], set()
    for n, item in enumerate(doc["resources"]):
        where = f"{path}: resources[{n}]"
        if not isinstance(item, dict):
            raise MapDataError(f"{where}: expected an object")
        for name in ("id", "name", "kind"):
            if not isinstance(item.get(name), str) or not item[name]:
                raise MapDataError(f"{where}.{name}: expected a non-empty string")
        if item["kind"] not in RESOURCE_KINDS:
            raise MapDataError(f"{where}.kind: {item['kind']!r} is not one of {', '.join(RESOURCE_KINDS)}")
        if item["id"] in seen:
            raise MapDataError(f"{where}.id: {item['id']!r} appears twice")
        seen.add(item["id"])
        lat, lon = item.get("lat"), item.get("lon")
        if not isinstance(lat, (int, float)) or not -90 <= lat <= 90:
            raise MapDataError(f"{where}.lat: expected degrees -90…90, got {lat!r}")
        if not isinstance(lon, (int, float)) or not -180 <= lon <= 180:
            raise MapDataError(f"{where}.lon: expected degrees -180…180, got {lon!r}")
        try:
            lat, lon = to_wgs84(float(lat), float(lon), item.get("crs", crs))
        except ValueError as exc:
            raise MapDataError(f"{where}.crs: {exc}") from None
        detail = ", ".join(f"{item[k]}" for k in ("capacity", "beds", "members") if k in item)
        out.append(Resource(item["id"], item["name"], item["kind"], lat, lon, str(item.get("township", "")),
                            str(item.get("terminal", "")), detail))
    return out


@dataclass(frozen=True)
class Shape:
    """One GeoJSON geometry part in WGS84: kind "point", "line" or "polygon"; rings of (lat, lon)."""

    kind: str
    rings: tuple[tuple[tuple[float, float], ...], ...]
    properties: dict = field(default_factory=dict, compare=False)


def load_geojson(path: str | Path, crs: str | None = None) -> list[Shape]:
    """A GeoJSON FeatureCollection/Feature/geometry → shapes. GeoJSON is lon-lat; ``crs`` (or a top-level
    ``"crs": "gcj02"`` member) says the file is in GCJ-02 and converts it."""
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MapDataError(f"{path}: cannot read: {exc}") from None
    crs = crs or (doc.get("crs") if isinstance(doc.get("crs"), str) else "wgs84")
    features = doc.get("features") if doc.get("type") == "FeatureCollection" else [doc]
    shapes: list[Shape] = []
    for n, feat in enumerate(features or []):
        geom = feat.get("geometry") if feat.get("type") == "Feature" else feat
        props = feat.get("properties") or {} if feat.get("type") == "Feature" else {}
        try:
            shapes.extend(_geometry(geom, crs, props))
        except (TypeError, ValueError, IndexError) as exc:
            raise MapDataError(f"{path}: features[{n}].geometry: {exc}") from None
    return shapes


def _geometry(geom: dict, crs: str, props: dict) -> list[Shape]:
    if not isinstance(geom, dict):
        raise ValueError("expected an object")
    kind, coords = geom.get("type"), geom.get("coordinates")

    def ring(points) -> tuple[tuple[float, float], ...]:
        return tuple(to_wgs84(float(p[1]), float(p[0]), crs) for p in points)

    if kind == "Point":
        return [Shape("point", (ring([coords]),), props)]
    if kind == "MultiPoint":
        return [Shape("point", (ring([c]),), props) for c in coords]
    if kind == "LineString":
        return [Shape("line", (ring(coords),), props)]
    if kind == "MultiLineString":
        return [Shape("line", (ring(c),), props) for c in coords]
    if kind == "Polygon":
        return [Shape("polygon", tuple(ring(r) for r in coords), props)]
    if kind == "MultiPolygon":
        return [Shape("polygon", tuple(ring(r) for r in poly), props) for poly in coords]
    if kind == "GeometryCollection":
        return [s for g in geom.get("geometries", []) for s in _geometry(g, crs, props)]
    raise ValueError(f"unsupported geometry type {kind!r}")


def load_overlays(directory: str | Path = OVERLAYS_DIR) -> tuple[list[Shape], list[MapDataError]]:
    """The shapes of every ``*.geojson`` in ``directory`` and the errors of the files that did not load."""
    shapes: list[Shape] = []
    errors: list[MapDataError] = []
    for path in sorted(Path(directory).glob("*.geojson")):
        try:
            shapes.extend(load_geojson(path))
        except MapDataError as exc:
            errors.append(exc)
    return shapes, errors
