"""Map geometry, pure and Qt-free: Web-Mercator tiles, WGS84/CGCS2000 ↔ GCJ-02, distances, clustering, radius queries.

Coordinates are (lat, lon) degrees everywhere in the project. CGCS2000 (Tianditu, Chinese surveying)
differs from WGS84 by centimetres, so the two are treated as one. GCJ-02 is the obfuscated datum of
Chinese consumer maps (AMap, Tencent); a source that says it uses GCJ-02 is converted here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np

TILE_SIZE = 256
MAX_LAT = 85.0511287798066  # Web-Mercator's square world
EARTH_RADIUS_M = 6_371_000.0  # mean radius, for great-circle distances


# ---- Web-Mercator -----------------------------------------------------------------------------
def clamp_lat(lat: float) -> float:
    return max(-MAX_LAT, min(MAX_LAT, lat))


def to_unit(lat: float, lon: float) -> tuple[float, float]:
    """(lat, lon) → (x, y) in the unit square of the Web-Mercator world: x east, y south, 0…1."""
    s = math.sin(math.radians(clamp_lat(lat)))
    x = (lon + 180.0) / 360.0
    y = 0.5 - math.log((1 + s) / (1 - s)) / (4 * math.pi)
    return x, y


def from_unit(x: float, y: float) -> tuple[float, float]:
    """Inverse of to_unit: unit-square (x, y) → (lat, lon)."""
    lon = x * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y))))
    return lat, lon


def to_unit_arrays(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """to_unit over numpy arrays (used for thousands of map objects at once)."""
    s = np.sin(np.radians(np.clip(lat, -MAX_LAT, MAX_LAT)))
    return (lon + 180.0) / 360.0, 0.5 - np.log((1 + s) / (1 - s)) / (4 * math.pi)


def world_size(zoom: float) -> float:
    """Pixels across the whole world at ``zoom`` (may be fractional)."""
    return TILE_SIZE * 2.0 ** zoom


def lonlat_to_pixel(lat: float, lon: float, zoom: float) -> tuple[float, float]:
    x, y = to_unit(lat, lon)
    size = world_size(zoom)
    return x * size, y * size


def pixel_to_lonlat(px: float, py: float, zoom: float) -> tuple[float, float]:
    """Global pixel (px, py) at ``zoom`` → (lat, lon)."""
    size = world_size(zoom)
    return from_unit(px / size, py / size)


def tile_for(lat: float, lon: float, z: int) -> tuple[int, int]:
    """The XYZ tile (x, y) holding (lat, lon) at zoom z (y counted from the north, as in XYZ/WMTS)."""
    n = 2 ** z
    x, y = to_unit(lat, lon)
    return min(max(int(x * n), 0), n - 1), min(max(int(y * n), 0), n - 1)


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(south, west, north, east) degrees of XYZ tile z/x/y."""
    n = 2 ** z
    north, west = from_unit(x / n, y / n)
    south, east = from_unit((x + 1) / n, (y + 1) / n)
    return south, west, north, east


def tms_row(z: int, y: int) -> int:
    """XYZ row ↔ TMS row (MBTiles stores TMS rows, counted from the south); its own inverse."""
    return (1 << z) - 1 - y


def parent_tile(z: int, x: int, y: int, levels: int = 1) -> tuple[int, int, int, float, float, float]:
    """The ancestor ``levels`` up and where tile z/x/y lies in it: (pz, px, py, fx, fy, fsize) with
    (fx, fy) the offset and fsize the side of the child inside the parent, as fractions of the parent."""
    pz = z - levels
    if pz < 0:
        raise ValueError(f"tile {z}/{x}/{y} has no ancestor {levels} levels up")
    k = 1 << levels
    px, py = x >> levels, y >> levels
    return pz, px, py, (x - px * k) / k, (y - py * k) / k, 1.0 / k


def tiles_covering(unit_rect: tuple[float, float, float, float], z: int) -> list[tuple[int, int]]:
    """XYZ (x, y) of the tiles at z covering a unit-square rect (left, top, right, bottom), centre first."""
    n = 1 << z
    left, top, right, bottom = unit_rect
    x0, x1 = max(int(math.floor(left * n)), 0), min(int(math.floor(right * n)), n - 1)
    y0, y1 = max(int(math.floor(top * n)), 0), min(int(math.floor(bottom * n)), n - 1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    tiles = [(x, y) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
    tiles.sort(key=lambda t: (t[0] - cx) ** 2 + (t[1] - cy) ** 2)
    return tiles


# ---- WGS84 / CGCS2000 ↔ GCJ-02 ----------------------------------------------------------------
_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 algorithm uses
_EE = 0.00669342162296594323


def out_of_china(lat: float, lon: float) -> bool:
    """GCJ-02 applies only inside this rough box of mainland China (the usual published bounds)."""
    return not (72.004 <= lon <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lat: float, lon: float) -> tuple[float, float]:
    x, y = lon - 105.0, lat - 35.0
    d_lat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
             + (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0)
    d_lon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
             + (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
             + (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
             + (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0)
    rad = math.radians(lat)
    magic = 1 - _EE * math.sin(rad) ** 2
    sq = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sq) * math.pi)
    d_lon = (d_lon * 180.0) / (_A / sq * math.cos(rad) * math.pi)
    return d_lat, d_lon


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """WGS84 (or CGCS2000) → GCJ-02; unchanged outside China."""
    if out_of_china(lat, lon):
        return lat, lon
    d_lat, d_lon = _delta(lat, lon)
    return lat + d_lat, lon + d_lon


def gcj02_to_wgs84(lat: float, lon: float, tolerance_deg: float = 1e-9) -> tuple[float, float]:
    """GCJ-02 → WGS84 by fixed-point iteration on the forward transform (error well under 1 cm)."""
    if out_of_china(lat, lon):
        return lat, lon
    w_lat, w_lon = lat, lon
    for _ in range(30):
        g_lat, g_lon = wgs84_to_gcj02(w_lat, w_lon)
        e_lat, e_lon = g_lat - lat, g_lon - lon
        w_lat, w_lon = w_lat - e_lat, w_lon - e_lon
        if abs(e_lat) < tolerance_deg and abs(e_lon) < tolerance_deg:
            break
    return w_lat, w_lon


def to_wgs84(lat: float, lon: float, crs: str) -> tuple[float, float]:
    """A source's coordinate in its ``crs`` ("wgs84", "cgcs2000", "gcj02") → WGS84."""
    crs = (crs or "wgs84").lower()
    if crs in ("wgs84", "cgcs2000", "epsg:4326", "epsg:4490"):
        return lat, lon
    if crs == "gcj02":
        return gcj02_to_wgs84(lat, lon)
    raise ValueError(f"unknown coordinate system {crs!r} (expected wgs84, cgcs2000 or gcj02)")


# ---- distances and queries --------------------------------------------------------------------
def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on a sphere of EARTH_RADIUS_M."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Nearby:
    """One answer of within_radius: the item and its distance in metres."""

    distance_m: float
    item: Any


def within_radius(lat: float, lon: float, radius_m: float, items: Iterable[Any],
                  position=lambda item: (item.lat, item.lon)) -> list[Nearby]:
    """Items within ``radius_m`` of (lat, lon), nearest first (ties by input order). ``position(item)``
    gives (lat, lon); items whose position is None are left out. A cheap bounding-box test runs first."""
    if radius_m < 0:
        raise ValueError(f"radius must be >= 0 m, got {radius_m}")
    dlat = math.degrees(radius_m / EARTH_RADIUS_M) * 1.001 + 1e-9
    coslat = math.cos(math.radians(lat))
    dlon = 360.0 if coslat < 1e-6 else min(360.0, dlat / coslat)
    out: list[tuple[float, int, Any]] = []
    for n, item in enumerate(items):
        pos = position(item)
        if pos is None or pos[0] is None or pos[1] is None:
            continue
        ilat, ilon = pos
        if abs(ilat - lat) > dlat or abs((ilon - lon + 180.0) % 360.0 - 180.0) > dlon:
            continue
        d = haversine_m(lat, lon, ilat, ilon)
        if d <= radius_m:
            out.append((d, n, item))
    out.sort(key=lambda t: (t[0], t[1]))
    return [Nearby(d, item) for d, _n, item in out]


# ---- grid clustering --------------------------------------------------------------------------
@dataclass(frozen=True)
class Clusters:
    """Points grouped by a square pixel grid at one zoom.

    Attributes:
        x, y: unit-square centre (mean position) of each cluster.  count: members per cluster.
        first: index (into the input) of one member of each cluster, e.g. to draw a lone point as itself.
        rank: the smallest ``rank`` value among the members (the most severe, for colouring).
    """

    x: np.ndarray
    y: np.ndarray
    count: np.ndarray
    first: np.ndarray
    rank: np.ndarray

    def __len__(self) -> int:
        return len(self.count)


def grid_cluster(ux: Sequence[float] | np.ndarray, uy: Sequence[float] | np.ndarray, zoom: float,
                 cell_px: float = 64.0, rank: Sequence[int] | np.ndarray | None = None) -> Clusters:
    """Cluster unit-square points in cells of ``cell_px`` screen pixels at ``zoom``. The grid is fixed to
    the world, so panning does not move clusters; only a zoom change regroups them."""
    ux = np.asarray(ux, dtype=float)
    uy = np.asarray(uy, dtype=float)
    rk = np.zeros(len(ux), dtype=np.int64) if rank is None else np.asarray(rank, dtype=np.int64)
    if len(ux) == 0:
        empty = np.zeros(0)
        return Clusters(empty, empty, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    cells = max(1, int(world_size(zoom) / cell_px))
    cx = np.clip((ux * cells).astype(np.int64), 0, cells - 1)
    cy = np.clip((uy * cells).astype(np.int64), 0, cells - 1)
    keys = cy * cells + cx
    uniq, first, inverse, count = np.unique(keys, return_index=True, return_inverse=True, return_counts=True)
    sx = np.bincount(inverse, weights=ux)
    sy = np.bincount(inverse, weights=uy)
    best = np.full(len(uniq), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(best, inverse, rk)
    return Clusters(sx / count, sy / count, count, first, best)
