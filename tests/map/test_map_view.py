"""The map widget rendered offscreen from a real ClientStore; the console feature's nearby panel against a real backend."""
import pytest
from PySide6.QtGui import QColor

from backend_client.map_resources import load_resources
from backend_client.store import ClientStore
from backend_client.tiles import TileProvider, default_sources
from tests.backend_client.qt_async import run
from widgets.colours import GRADE_COLOURS
from widgets.map_view import MapView

INCIDENT = {"id": "I-1", "title": "江南街道 内涝", "grade": 1, "lat": 28.872, "lon": 120.046, "stage": "intake"}
CAMERA = {"id": "cam-01", "name": "江南路口", "lat": 28.88, "lon": 120.06, "state": "live"}


def snapshot(units=0):
    state = {"incidents": [INCIDENT], "cameras": [CAMERA],
             "alerts": [{"id": "A-1", "colour": "red", "title": "暴雨红色预警", "lat": 28.95, "lon": 120.0,
                         "area": {"circles": [[28.95, 120.0, 2.0]]}}],
             "units": [{"id": f"U-{n}", "name": f"车{n}", "lat": 28.9 + (n % 20) * 0.0005,
                        "lon": 120.1 + (n // 20) * 0.0005} for n in range(units)]}
    return {"type": "snapshot", "seq": 1, "state": state}


@pytest.fixture
def view(qtbot):
    store = ClientStore()
    store.apply_message(snapshot(units=400))
    v = MapView(store, [TileProvider(s) for s in default_sources()])
    v.layers.set_resources(load_resources())
    v.resize(800, 600)
    qtbot.addWidget(v)
    v.set_view(28.872, 120.046, 14.5)
    return v


def colour_near(img, point, radius=3):
    return {QColor(img.pixel(int(point.x()) + dx, int(point.y()) + dy)).name()
            for dx in range(-radius, radius + 1) for dy in range(-radius, radius + 1)}


def test_layers_render_and_toggle(view):
    at = view.to_screen(INCIDENT["lat"], INCIDENT["lon"])
    assert GRADE_COLOURS[1] in colour_near(view.grab().toImage(), at)
    view.set_layer_visible("incidents", False)
    view.repaint()
    assert GRADE_COLOURS[1] not in colour_near(view.grab().toImage(), at)
    # the alert's CAP circle is painted in its colour round its centre
    view.set_view(28.95, 120.0, 12)
    ring = view.to_screen(28.95 + 2.0 / 111.2, 120.0)
    assert any(c.startswith("#e") for c in colour_near(view.grab().toImage(), ring, 2))


def test_units_cluster_at_low_zoom_and_click_zooms_in(view):
    view.set_view(28.905, 120.105, 10)
    clusters = view.layers.layers["units"].clusters(10, 56.0)
    assert len(clusters) < 10 and clusters.count.sum() == 400
    view.grab()
    centre = view.to_screen(28.905, 120.105)
    hit = view.hit_test(centre)
    assert hit == ("cluster", "")
    before = view.zoom
    view.click(centre)
    assert view.zoom == before + 2


def test_click_emits_intents(qtbot, view):
    with qtbot.waitSignal(view.incident_selected, timeout=2000) as got:
        view.click(view.to_screen(INCIDENT["lat"], INCIDENT["lon"]))
    assert got.args == ["I-1"]
    with qtbot.waitSignal(view.camera_activated, timeout=2000) as got:
        view.click(view.to_screen(CAMERA["lat"], CAMERA["lon"]))
    assert got.args == ["cam-01"]


def test_unit_moves_with_trail_and_heading(view):
    store = view.store
    for n, lon in enumerate((120.05, 120.051, 120.052)):
        store.apply_message({"type": "event", "seq": 2 + n, "entity": "units", "op": "upsert", "key": "U-0",
                             "data": {"id": "U-0", "name": "车0", "lat": 28.872, "lon": lon, "heading": 90}})
    layer = view.layers.layers["units"]
    assert layer.points["U-0"].lon == 120.052 and layer.points["U-0"].heading == 90
    assert len(layer.trails["U-0"]) == 3
    store.apply_message({"type": "event", "seq": 9, "entity": "units", "op": "delete", "key": "U-0"})
    assert "U-0" not in layer.points and len(layer) == 399


def test_gcj02_base_shifts_objects(view):
    a = view.to_screen(28.872, 120.046)
    view.gcj02 = True
    b = view.to_screen(28.872, 120.046)
    assert (b - a).manhattanLength() > 1  # hundreds of metres at z14.5


def test_nearby_panel_ranks_and_dispatch_reports_refusal(qtbot, qloop, tmp_path):
    from app.map_feature import NearbyPanel
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path)
    store = ClientStore()
    try:
        store.start(backend.url, backend.token("duty_officer"))
        qtbot.waitUntil(lambda: store.synced and bool(store.actions), timeout=20_000)
        run(qtbot, store.command("incident.create", {"title": "江南街道 内涝", "category": "自然灾害", "grade": 2,
                                                     "lat": 28.872, "lon": 120.046}))
        qtbot.waitUntil(lambda: bool(store.incidents()), timeout=10_000)
        inc = store.incidents()[0]
        view = MapView(store)
        panel = NearbyPanel(store, view, load_resources())
        qtbot.addWidget(panel)
        panel.radius.setValue(3.0)
        panel.set_incident(inc.id)
        rows = panel.candidates()
        assert rows and all(d <= 3000 for d, _k, _r in rows)
        assert [d for d, _k, _r in rows] == sorted(d for d, _k, _r in rows)
        assert panel.table.topLevelItemCount() == len(rows)
        assert view.highlight is not None and view.highlight_keys["resources"]
        fut = panel.dispatch_selected()
        qtbot.waitUntil(fut.done, timeout=15_000)
        # the backend refuses (no dispatch service: unknown_action; or the demo terminal is not in its
        # directory): the refusal is shown, not swallowed, and the attempt is audited
        assert panel.last_result in ("unknown_action", "not_found", "unavailable", "ok")
        if panel.last_result != "ok":
            assert "ff6b6b" in panel.status.styleSheet() and panel.status.text()
        assert any(r["action"] == "dispatch.call" for r in backend.audit_rows())
    finally:
        run(qtbot, store.stop())
        backend.stop()


def test_geojson_overlays_load_at_start_and_from_a_file(qtbot, tmp_path):
    from app.map_feature import MapPanel
    from backend_client.map_resources import load_overlays

    shipped, errors = load_overlays()
    assert shipped and not errors, errors  # resources/map/overlays/*.geojson
    store = ClientStore()
    store.apply_message(snapshot())
    panel = MapPanel(store)
    qtbot.addWidget(panel)
    panel.resize(800, 600)
    assert len(panel.view.layers.shapes) == len(shipped)
    # a file of ours: a square polygon; its edge is drawn in the overlay colour
    square = [[120.040, 28.870], [120.050, 28.870], [120.050, 28.880], [120.040, 28.880], [120.040, 28.870]]
    path = tmp_path / "zone.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},'
                    ' "geometry": {"type": "Polygon", "coordinates": [%s]}}]}' % square, encoding="utf-8")
    panel.show()
    panel.view.set_view(28.875, 120.045, 15)
    edge = panel.view.to_screen(28.875, 120.040)
    before = colour_near(panel.view.grab().toImage(), edge, 2)
    assert panel.open_overlay(str(path)) == 1
    assert len(panel.view.layers.shapes) == len(shipped) + 1
    after = colour_near(panel.view.grab().toImage(), edge, 2)
    new = [QColor(c) for c in after - before]
    assert new, "the square's edge is not drawn where it belongs"
    assert any(c.blue() > c.red() for c in new)  # in the overlay's blue (#5fb3d9, blended into the map)
    # a bad file is reported and adds nothing
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Polygon",'
                   ' "coordinates": "x"}}]}', encoding="utf-8")
    assert panel.open_overlay(str(bad)) == 0
    assert "bad.geojson" in panel.message.text() and len(panel.view.layers.shapes) == len(shipped) + 1
    panel.shutdown()


def test_an_over_zoomed_base_map_fades_and_a_graticule_gives_the_scale(view):
    """The offline base map stops at zoom 6. At the city's zoom its one tile is magnified 2^8 times into
    colour patches that say nothing and light a dark room: it fades, and faint lines of latitude and
    longitude, labelled, give the scale. At zoom 6 the same tiles are drawn whole and need no lines."""
    from widgets.map_layers import LAYER_NAMES
    from widgets.map_paint import DIM, overzoom_opacity
    from widgets.map_view import BACKGROUND

    for name in LAYER_NAMES:
        view.set_layer_visible(name, False)

    def spread(img) -> float:  # how far the pixels stray from the background with the dimming over it
        base = QColor(BACKGROUND)
        a = DIM.alphaF()
        ref = [c * (1 - a) + d * a for c, d in zip((base.red(), base.green(), base.blue()),
                                                    (DIM.red(), DIM.green(), DIM.blue()))]
        out = []
        for x in range(20, img.width() - 20, 37):
            for y in range(30, img.height() - 30, 29):
                c = QColor(img.pixel(x, y))
                out.append(max(abs(c.red() - ref[0]), abs(c.green() - ref[1]), abs(c.blue() - ref[2])))
        return sorted(out)[len(out) // 2]

    view.set_view(28.872, 120.046, 6.0)
    whole = view.grab().toImage()
    assert view.base_opacity == 1.0
    view.set_view(28.872, 120.046, 14.0)
    faded = view.grab().toImage()
    assert view.base_opacity == overzoom_opacity(2 ** 8) < 0.2
    assert spread(faded) < spread(whole) / 4  # the land shows at zoom 6 (~100 levels off); at 14 a trace (~15)
    labels = [c for c in (QColor(faded.pixel(x, 8)) for x in range(faded.width())) if c.blue() > 90]
    assert labels  # a longitude label along the top edge
    assert overzoom_opacity(1) == overzoom_opacity(4) == 1.0 and overzoom_opacity(8) < 1.0


def test_graticule_labels_are_whole_or_left_out(view):
    """A meridian just past the left edge used to leave the end of its label there (a lone "E" on the wall's
    map), and a parallel near the top put its label over the meridians' row. Every label drawn lies wholly
    inside the view, below that row; the lines themselves still run to the edges."""
    from PySide6.QtGui import QFont, QFontMetricsF

    from widgets.map_paint import graticule

    metrics = QFontMetricsF(QFont())
    w, h = view.width(), view.height()
    view.set_view(28.872, 120.046, 14.0)
    xs, ys, _ = graticule(view, w, h, metrics)
    gap = xs[1] - xs[0]
    assert gap > 60 and len(ys) > 2
    # shift the view so that a meridian sits 20 px left of the left edge, a parallel 4 px below the top
    inside, below = next(x for x in xs if x > 0), next(y for y in ys if y > 0)
    view.pan_pixels(-(inside + 20), 4 - below)
    xs, ys, labels = graticule(view, w, h, metrics)
    assert any(-21 < x < -19 for x in xs) and any(3 < y < 5 for y in ys), (xs, ys)
    top = metrics.ascent() + 3
    north = [t for _, t in labels if t.endswith("N")]
    assert 0 < len(north) == len([y for y in ys if top + metrics.height() + 3 <= y <= h - metrics.descent() + 3])
    for at, text in labels:
        assert at.x() >= 0 and at.x() + metrics.horizontalAdvance(text) <= w, text
        assert at.y() - metrics.ascent() >= 0 and at.y() + metrics.descent() <= h, text
        if text.endswith(("N", "S")):
            assert at.y() - metrics.ascent() >= top, text
    east = [t for _, t in labels if t.endswith("E")]
    assert len(east) >= len([x for x in xs if 0 <= x + 3 < w]) - 1  # at most the rightmost one is left out
