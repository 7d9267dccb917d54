"""Painting for MapView: tiles (with over-zoom), alert areas, overlays, trails, points and clusters, highlights."""
from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPen, QPixmap, QPolygonF

from backend_client.geo import TILE_SIZE, from_unit, tiles_covering
from widgets.map_layers import LAYER_NAMES

DIM = QColor(4, 10, 18, 120)  # darkens bright OSM tiles for the dark control room
LABEL_ZOOM = 14
MAX_LABELS = 120
_sprites: dict[tuple, QPixmap] = {}


def _r(view: Any) -> float:
    return 9.0 if view.wall else 7.0


def sprite(glyph: str, colour: str, r: float) -> QPixmap:
    """A pre-rendered marker (drawn once, blitted many times)."""
    key = (glyph, colour, r)
    pm = _sprites.get(key)
    if pm is None:
        from widgets.map_view import _glyph_path

        side = int(math.ceil(r * 3 + 4))
        pm = QPixmap(side, side)
        pm.fill(Qt.GlobalColor.transparent)
        q = QPainter(pm)
        q.setRenderHint(QPainter.RenderHint.Antialiasing)
        q.translate(side / 2, side / 2)
        q.setPen(QPen(QColor("#0a0f14"), 1.5))
        q.setBrush(QColor(colour))
        q.drawPath(_glyph_path(glyph, r))
        q.end()
        _sprites[key] = pm
    return pm


def paint_tiles(view: Any, p: QPainter, w: int, h: int) -> None:
    if not view.providers:
        p.setPen(QPen(QColor("#15304a"), 1))
        for n in range(1, 8):
            p.drawLine(QPointF(w * n / 8, 0), QPointF(w * n / 8, h))
            p.drawLine(QPointF(0, h * n / 8), QPointF(w, h * n / 8))
        p.setPen(QColor("#4f6d8a"))
        p.drawText(QRectF(8, 8, w - 16, h - 40), int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop),
                   QCoreApplication.translate("MapView", "No base map installed"))
        return
    size = TILE_SIZE * 2.0 ** view.zoom
    tz = int(min(max(math.floor(view.zoom + 0.5), 0), 19))
    n = 1 << tz
    side = size / n
    rect = (view._cx - w / 2 / size, view._cy - h / 2 / size, view._cx + w / 2 / size, view._cy + h / 2 / size)
    p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
    ox, oy = w / 2 - view._cx * size, h / 2 - view._cy * size
    faded = 1.0
    for index in range(len(view.providers)):
        for x, y in tiles_covering(rect, tz):
            got = view.tile_pixmap(index, tz, x, y)
            if got is None:
                continue
            pm, src = got
            opacity = overzoom_opacity(pm.width() / max(src.width(), 1e-9))
            faded = min(faded, opacity)
            p.setOpacity(opacity)
            # +0.5 px overlap hides hairline seams between scaled tiles
            p.drawPixmap(QRectF(ox + x * side, oy + y * side, side + 0.5, side + 0.5), pm, src)
    p.setOpacity(1.0)
    p.fillRect(0, 0, w, h, DIM)
    view.base_opacity = faded
    if faded < 1.0:
        paint_graticule(view, p, w, h)


def overzoom_opacity(magnified: float) -> float:
    """How opaque to draw a tile shown ``magnified`` times (an ancestor's piece, over-zoom). Up to 4× it
    still shows the land; beyond, it is a blur of colour patches that say nothing at that scale (the offline
    base map stops at zoom 6: at a city's zoom 13 its pixels are 128 times larger) and light the dark room,
    so it fades out over the next three levels to a trace, and a graticule gives the scale instead."""
    levels = math.log2(max(magnified, 1.0))
    return 1.0 if levels <= 2 else max(0.12, 1.0 - 0.3 * (levels - 2))


GRATICULE_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)  # degrees
GRATICULE_PX = 140  # lines at least this far apart


def graticule(view: Any, w: int, h: int, metrics: QFontMetricsF):
    """The graticule of a ``w`` × ``h`` view: (x of each meridian, y of each parallel, labels). Lines at a round
    step, placed like everything else on the map (``view.to_screen``: WGS-84 degrees, shifted onto a GCJ-02
    base). A label is (baseline point, text), the meridians' along the top edge and the parallels' along the
    left one, and only those wholly inside the view and clear of the top row: a meridian just past the left
    edge would leave a lone "E" there."""
    size = TILE_SIZE * 2.0 ** view.zoom
    deg_px = size / 360.0  # horizontal pixels per degree of longitude (latitude: about as many, here)
    step = next((s for s in GRATICULE_STEPS if s * deg_px >= GRATICULE_PX), GRATICULE_STEPS[-1])
    # the degrees at the edges, one step wider: a GCJ-02 base is a few hundred metres off WGS-84
    west, north = from_unit(view._cx - w / 2 / size, view._cy - h / 2 / size)[::-1]
    east, south = from_unit(view._cx + w / 2 / size, view._cy + h / 2 / size)[::-1]
    west, east, south, north = west - step, east + step, south - step, north + step
    mid_lat, mid_lon = (north + south) / 2, (west + east) / 2
    digits = max(0, -int(math.floor(math.log10(step))))
    top = metrics.ascent() + 3  # the meridians' labels' baseline, and what the parallels' must stay below
    xs, ys, labels = [], [], []
    lon = math.ceil(west / step) * step
    while lon <= east:
        x = view.to_screen(mid_lat, lon).x()
        xs.append(x)
        text = f"{abs(lon):.{digits}f}°{'E' if lon >= 0 else 'W'}"
        if 0 <= x + 3 and x + 3 + metrics.horizontalAdvance(text) <= w:
            labels.append((QPointF(x + 3, top), text))
        lon += step
    lat = math.ceil(south / step) * step
    while lat <= north:
        y = view.to_screen(lat, mid_lon).y()
        ys.append(y)
        text = f"{abs(lat):.{digits}f}°{'N' if lat >= 0 else 'S'}"
        if top + metrics.descent() + metrics.ascent() <= y - 3 <= h - metrics.descent():
            labels.append((QPointF(3, y - 3), text))
        lat += step
    return xs, ys, labels


def paint_graticule(view: Any, p: QPainter, w: int, h: int) -> None:
    """Faint lines of longitude and latitude at a round step, labelled in degrees at the edges."""
    font = QFont(p.font())
    font.setPixelSize(14 if view.wall else 11)
    p.setFont(font)
    xs, ys, labels = graticule(view, w, h, QFontMetricsF(font))
    p.setPen(QPen(QColor(120, 150, 180, 50), 1))
    for x in xs:
        p.drawLine(QPointF(x, 0), QPointF(x, h))
    for y in ys:
        p.drawLine(QPointF(0, y), QPointF(w, y))
    p.setPen(QColor(120, 150, 180, 150))
    for at, text in labels:
        p.drawText(at, text)


def _screen(view: Any, ux, uy, w: int, h: int):
    size = TILE_SIZE * 2.0 ** view.zoom
    return (ux - view._cx) * size + w / 2, (uy - view._cy) * size + h / 2


def paint_areas(view: Any, p: QPainter) -> None:
    mpp = view.metres_per_pixel()
    for area in view.layers.areas.values():
        colour = QColor(area.colour)
        fill = QColor(colour)
        fill.setAlpha(55)
        p.setPen(QPen(colour, 2))
        p.setBrush(fill)
        for poly in area.polygons:
            p.drawPolygon(QPolygonF([view.to_screen(lat, lon) for lat, lon in poly]))
        for lat, lon, km in area.circles:
            r = km * 1000.0 / mpp
            p.drawEllipse(view.to_screen(lat, lon), r, r)


def paint_shapes(view: Any, p: QPainter) -> None:
    pen = QPen(QColor("#5fb3d9"), 1.5)
    p.setPen(pen)
    p.setBrush(QColor(95, 179, 217, 30))
    for shape in view.layers.shapes:
        for ring in shape.rings:
            pts = [view.to_screen(lat, lon) for lat, lon in ring]
            if shape.kind == "polygon":
                p.drawPolygon(QPolygonF(pts))
            elif shape.kind == "line":
                p.drawPolyline(QPolygonF(pts))
            else:
                p.drawEllipse(pts[0], 3, 3)


def paint_layers(view: Any, p: QPainter, w: int, h: int) -> None:
    from widgets.map_view import CELL_PX, CLUSTER_UNTIL

    layers = view.layers.layers
    if layers["alerts"].visible:
        paint_areas(view, p)
    if view.layers.shapes:
        paint_shapes(view, p)
    if view.highlight is not None:
        lat, lon, radius = view.highlight
        r = radius / view.metres_per_pixel()
        p.setPen(QPen(QColor("#9fd3ff"), 2, Qt.PenStyle.DashLine))
        p.setBrush(QColor(159, 211, 255, 25))
        p.drawEllipse(view.to_screen(lat, lon), r, r)
    r = _r(view)
    margin = 3 * r
    labels: list[tuple[float, float, str]] = []
    for name in LAYER_NAMES:
        layer = layers[name]
        if not layer.visible or not len(layer):
            continue
        if layer.cluster and view.zoom < CLUSTER_UNTIL:
            cl = layer.clusters(int(view.zoom), CELL_PX)
            sx, sy = _screen(view, cl.x, cl.y, w, h)
            on = np.nonzero((sx > -margin) & (sx < w + margin) & (sy > -margin) & (sy < h + margin))[0]
            for i in on:
                if cl.count[i] == 1:
                    _point(p, layer.points[layer.key_at(int(cl.first[i]))], sx[i], sy[i], r)
                else:
                    _bubble(p, layer.rank_colour.get(int(cl.rank[i]), "#8a939c"), int(cl.count[i]), sx[i], sy[i], r)
            continue
        sx, sy = _screen(view, layer.ux, layer.uy, w, h)
        on = np.nonzero((sx > -margin) & (sx < w + margin) & (sy > -margin) & (sy < h + margin))[0]
        if layer.trails:
            _trails(view, p, layer, on, w, h)
        for i in on:
            point = layer.points[layer.key_at(int(i))]
            _point(p, point, sx[i], sy[i], r)
            if view.zoom >= LABEL_ZOOM and len(labels) < MAX_LABELS and name != "units":
                labels.append((sx[i], sy[i], point.label))
    _rings(view, p, r)
    _labels(view, p, labels, r)


def _point(p: QPainter, point: Any, x: float, y: float, r: float) -> None:
    if point.glyph == "arrow":
        from widgets.map_view import _glyph_path

        p.save()
        p.translate(x, y)
        p.rotate(point.heading or 0.0)
        p.setPen(QPen(QColor("#0a0f14"), 1.2))
        p.setBrush(QColor(point.colour))
        p.drawPath(_glyph_path("arrow", r))
        p.restore()
        return
    pm = sprite(point.glyph, point.colour, r)
    p.drawPixmap(QPointF(x - pm.width() / 2, y - pm.height() / 2), pm)


def _bubble(p: QPainter, colour: str, count: int, x: float, y: float, r: float) -> None:
    radius = int(r + 3 + 3 * math.log10(count))
    key = ("bubble", colour, radius)
    pm = _sprites.get(key)
    if pm is None:  # antialiased circles are slow to draw; blit a pre-rendered one instead
        side = 2 * radius + 4
        pm = QPixmap(side, side)
        pm.fill(Qt.GlobalColor.transparent)
        q = QPainter(pm)
        q.setRenderHint(QPainter.RenderHint.Antialiasing)
        fill = QColor(colour)
        fill.setAlpha(200)
        q.setPen(QPen(QColor(colour).lighter(140), 2))
        q.setBrush(fill)
        q.drawEllipse(QPointF(side / 2, side / 2), radius, radius)
        q.end()
        _sprites[key] = pm
    p.drawPixmap(QPointF(x - pm.width() / 2, y - pm.height() / 2), pm)
    p.setPen(QColor("#0a0f14") if colour in ("#f5d21f", "#2ecc71", "#36cfc9", "#d4b106") else QColor("#ffffff"))
    p.drawText(QRectF(x - radius, y - radius, 2 * radius, 2 * radius), int(Qt.AlignmentFlag.AlignCenter), str(count))


def _trails(view: Any, p: QPainter, layer: Any, rows, w: int, h: int) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    pen = QPen(QColor(230, 237, 243, 110), 1.5)
    p.setPen(pen)
    for i in rows:
        key = layer.key_at(int(i))
        trail = layer.trails.get(key)
        if not trail:
            continue
        xs = np.array([t[0] for t in trail] + [layer.ux[i]])
        ys = np.array([t[1] for t in trail] + [layer.uy[i]])
        sx, sy = _screen(view, xs, ys, w, h)
        p.drawPolyline(QPolygonF([QPointF(a, b) for a, b in zip(sx, sy)]))


def _rings(view: Any, p: QPainter, r: float) -> None:
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(QColor("#9fd3ff"), 2))
    for name, keys in view.highlight_keys.items():
        layer = view.layers.layers.get(name)
        if layer is None or not layer.visible:
            continue
        for key in keys:
            point = layer.points.get(key)
            if point is not None:
                p.drawEllipse(view.to_screen(point.lat, point.lon), r * 2, r * 2)
    if view.selected is not None:
        layer = view.layers.layers.get(view.selected[0])
        point = layer.points.get(view.selected[1]) if layer is not None else None
        if point is not None:
            p.setPen(QPen(QColor("#ffffff"), 3))
            p.drawEllipse(view.to_screen(point.lat, point.lon), r * 2.4, r * 2.4)


def _labels(view: Any, p: QPainter, labels: list, r: float) -> None:
    if not labels:
        return
    font = QFont(view.font())
    font.setPixelSize(18 if view.wall else 12)
    p.setFont(font)
    metrics = p.fontMetrics()
    shade = QBrush(QColor(0, 0, 0, 140))
    for x, y, text in labels:
        rect = metrics.boundingRect(text).adjusted(-3, -1, 3, 1)
        rect.moveTopLeft(QPointF(x + r * 1.6, y - rect.height() / 2).toPoint())
        p.fillRect(rect, shade)
        p.setPen(QColor("#e6edf3"))
        p.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)
