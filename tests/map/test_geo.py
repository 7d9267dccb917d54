"""Tile math, GCJ-02 against published reference points, distances, radius queries, clustering."""
import math
import random

import pytest

from backend_client import geo

# eviltransform's reference points (WGS84 → GCJ-02), used by its ports in many languages
GCJ_POINTS = [
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize("wgs,gcj", GCJ_POINTS)
def test_wgs84_to_gcj02_matches_reference(wgs, gcj):
    lat, lon = geo.wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-9) and lon == pytest.approx(gcj[1], abs=1e-9)


@pytest.mark.parametrize("wgs,gcj", GCJ_POINTS)
def test_gcj02_to_wgs84_within_a_centimetre(wgs, gcj):
    back = geo.gcj02_to_wgs84(*gcj)
    assert geo.haversine_m(*back, *wgs) < 0.01


def test_gcj02_leaves_points_outside_china():
    assert geo.wgs84_to_gcj02(48.8584, 2.2945) == (48.8584, 2.2945)
    assert geo.to_wgs84(28.9, 120.0, "cgcs2000") == (28.9, 120.0)
    with pytest.raises(ValueError, match="bd09"):
        geo.to_wgs84(28.9, 120.0, "bd09")


def test_gcj_offset_in_yongkang_is_hundreds_of_metres():
    lat, lon = 28.888, 120.047
    shifted = geo.wgs84_to_gcj02(lat, lon)
    assert 200 < geo.haversine_m(lat, lon, *shifted) < 900


def test_haversine_reference_distance():
    # eviltransform's Shanghai→Beijing 1,078,164 m uses R = 6,378,137 m; ours uses the mean radius
    d = geo.haversine_m(31.17530398364597, 121.531541859215, 39.91334545536069, 116.38404722455657)
    assert d * 6378137.0 / geo.EARTH_RADIUS_M == pytest.approx(1078164.0, abs=2.0)
    assert geo.haversine_m(0, 0, 0, 1) == pytest.approx(math.radians(1) * geo.EARTH_RADIUS_M)


def test_tile_math_known_tiles():
    assert geo.tile_for(0.0, 0.0, 1) == (1, 1)
    assert geo.tile_for(85.0, -180.0, 3) == (0, 0)
    assert geo.tile_for(-85.0, 179.999, 3) == (7, 7)
    # Yongkang at z10 (by the slippy-map formula): x = floor((120.047+180)/360*1024) = 853
    x, y = geo.tile_for(28.888, 120.047, 10)
    assert x == 853 and y == int((1 - math.asinh(math.tan(math.radians(28.888))) / math.pi) / 2 * 1024)
    south, west, north, east = geo.tile_bounds(10, x, y)
    assert south <= 28.888 <= north and west <= 120.047 <= east
    assert geo.tile_bounds(0, 0, 0) == pytest.approx((-geo.MAX_LAT, -180, geo.MAX_LAT, 180))


def test_tms_row_flip_and_parents():
    assert geo.tms_row(0, 0) == 0 and geo.tms_row(3, 0) == 7 and geo.tms_row(3, geo.tms_row(3, 5)) == 5
    assert geo.parent_tile(12, 3413, 1710, 2) == (10, 853, 427, 0.25, 0.5, 0.25)
    with pytest.raises(ValueError):
        geo.parent_tile(1, 0, 0, 2)


def test_unit_round_trip():
    rng = random.Random(3)
    for _ in range(200):
        lat, lon = rng.uniform(-80, 80), rng.uniform(-179, 179)
        back = geo.from_unit(*geo.to_unit(lat, lon))
        assert back == pytest.approx((lat, lon), abs=1e-9)
        px, py = geo.lonlat_to_pixel(lat, lon, 7)
        assert geo.pixel_to_lonlat(px, py, 7) == pytest.approx((lat, lon), abs=1e-9)


def test_tiles_covering_is_complete_and_centre_first():
    tiles = geo.tiles_covering((0.25, 0.25, 0.75, 0.75), 3)
    assert sorted(tiles) == [(x, y) for x in range(2, 7) for y in range(2, 7)]
    assert tiles[0] == (4, 4)


class Thing:
    def __init__(self, n, lat, lon):
        self.n, self.lat, self.lon = n, lat, lon


def test_within_radius_equals_brute_force_sorted():
    rng = random.Random(7)
    things = [Thing(n, 28.888 + rng.uniform(-0.3, 0.3), 120.047 + rng.uniform(-0.3, 0.3)) for n in range(3000)]
    things.append(Thing(-1, None, None))
    for radius in (0, 500, 2500, 10_000, 40_000):
        got = geo.within_radius(28.888, 120.047, radius, things)
        want = sorted((geo.haversine_m(28.888, 120.047, t.lat, t.lon), t.n) for t in things
                      if t.lat is not None and geo.haversine_m(28.888, 120.047, t.lat, t.lon) <= radius)
        assert [(g.distance_m, g.item.n) for g in got] == want
    with pytest.raises(ValueError):
        geo.within_radius(0, 0, -1, things)


def test_within_radius_across_the_antimeridian():
    things = [Thing(1, 0.0, 179.99), Thing(2, 0.0, -179.99), Thing(3, 0.0, 170.0)]
    got = geo.within_radius(0.0, 180.0, 5000, things)
    assert sorted(g.item.n for g in got) == [1, 2]


def test_grid_cluster_counts_and_ranks():
    rng = random.Random(1)
    pts = [geo.to_unit(28.888 + rng.gauss(0, 0.05), 120.047 + rng.gauss(0, 0.05)) for _ in range(5000)]
    ux, uy = [p[0] for p in pts], [p[1] for p in pts]
    ranks = [rng.randint(1, 4) for _ in pts]
    ranks[17] = 0
    low = geo.grid_cluster(ux, uy, 8, 64, ranks)
    high = geo.grid_cluster(ux, uy, 17, 64, ranks)
    assert low.count.sum() == high.count.sum() == 5000
    assert len(low) < 10 < len(high)
    assert low.rank.min() == 0
    # every cluster's centre is the mean of its members
    assert float((low.x * low.count).sum()) == pytest.approx(sum(ux))
    assert len(geo.grid_cluster([], [], 3)) == 0
