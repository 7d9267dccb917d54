"""The one map: Web-Mercator tiles (offline MBTiles, cached online sources, over-zoom) under live, clustered layers."""
from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPixmap, QPolygonF
from PySide6.QtWidgets import QWidget

from backend_client.geo import EARTH_RADIUS_M, TILE_SIZE, from_unit, to_unit, wgs84_to_gcj02
from widgets.alert_list_view import FrameThrottle
from widgets.connections import disconnect_all
from widgets.map_layers import LAYER_NAMES, MapLayers

YONGKANG = (28.888, 120.047)
MIN_ZOOM, MAX_ZOOM = 2.0, 18.0
CLUSTER_UNTIL = 15  # below this zoom clustering layers group their points
CELL_PX = 56.0
PIXMAP_CACHE = 600
HIT_PX = 14.0
BACKGROUND = QColor("#0b1620")


def _glyph_path(glyph: str, r: float) -> QPainterPath:
    path = QPainterPath()
    if glyph == "square":
        path.addRect(QRectF(-r * 0.8, -r * 0.8, r * 1.6, r * 1.6))
    elif glyph == "diamond":
        path.addPolygon(QPolygonF([QPointF(0, -r * 1.2), QPointF(r * 1.2, 0), QPointF(0, r * 1.2), QPointF(-r * 1.2, 0)]))
        path.closeSubpath()
    elif glyph == "triangle":
        path.addPolygon(QPolygonF([QPointF(0, -r * 1.1), QPointF(r, r * 0.8), QPointF(-r, r * 0.8)]))
        path.closeSubpath()
    elif glyph == "cross":
        w = r * 0.45
        path.addRect(QRectF(-w, -r, 2 * w, 2 * r))
        path.addRect(QRectF(-r, -w, 2 * r, 2 * w))
        path.setFillRule(Qt.FillRule.WindingFill)
    elif glyph == "house":
        path.addPolygon(QPolygonF([QPointF(0, -r * 1.1), QPointF(r, -r * 0.1), QPointF(r * 0.7, -r * 0.1),
                                   QPointF(r * 0.7, r * 0.9), QPointF(-r * 0.7, r * 0.9), QPointF(-r * 0.7, -r * 0.1),
                                   QPointF(-r, -r * 0.1)]))
        path.closeSubpath()
    elif glyph == "camera":
        path.addRoundedRect(QRectF(-r, -r * 0.65, r * 1.5, r * 1.3), 2, 2)
        path.addPolygon(QPolygonF([QPointF(r * 0.5, 0), QPointF(r * 1.1, -r * 0.6), QPointF(r * 1.1, r * 0.6)]))
        path.setFillRule(Qt.FillRule.WindingFill)
    elif glyph == "arrow":
        path.addPolygon(QPolygonF([QPointF(0, -r * 1.3), QPointF(r * 0.85, r), QPointF(0, r * 0.45), QPointF(-r * 0.85, r)]))
        path.closeSubpath()
    else:
        path.addEllipse(QPointF(0, 0), r, r)
    return path


class MapView(QWidget):
    """A custom-painted slippy map. Render only: clicks become intents (signals) for the feature to act on.

    Attributes:
        layers: the MapLayers drawn.  providers: TileProviders, base first, overlays after.
        zoom: fractional zoom.  throttle: coalesces repaints to one per frame.  gcj02: the base tiles use
        GCJ-02, so WGS84 objects are shifted to match them.  frames: paints done (tests, bench).
    Signals:
        object_activated(str, str): (layer, key) a point was clicked.
        incident_selected(str): an incident was clicked.  camera_activated(str): a camera was clicked.
        camera_context_requested(str, QPoint): right-click on a camera at a global position.
        view_changed(): the centre or zoom changed.
    """

    object_activated = Signal(str, str)
    incident_selected = Signal(str)
    camera_activated = Signal(str)
    camera_context_requested = Signal(str, QPoint)
    view_changed = Signal()

    def __init__(self, store: Any = None, providers: list | None = None, parent: QWidget | None = None,
                 wall: bool = False):
        super().__init__(parent)
        self.store = store
        self.wall = wall
        self.layers = MapLayers()
        self.providers: list = []
        self.gcj02 = False
        self.zoom = 12.0
        self._cx, self._cy = to_unit(*YONGKANG)
        self._pixmaps: OrderedDict = OrderedDict()
        self._over: dict = {}
        self._press: QPointF | None = None
        self._dragged = False
        self.highlight: tuple[float, float, float] | None = None  # lat, lon, radius m
        self.highlight_keys: dict[str, set[str]] = {}
        self.selected: tuple[str, str] | None = None
        self.frames = 0
        self.base_opacity = 1.0  # how opaque the last paint drew the most over-zoomed tile (map_paint)
        self.tile_requests = self.tile_hits = 0
        self.throttle = FrameThrottle(self.update, parent=self)
        self.setMinimumSize(120, 90)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(False)
        self._connections: list = []
        if providers:
            self.set_providers(providers)
        if store is not None:
            self._connect_store(store)

    # ---- data ----------------------------------------------------------------------------------
    def _connect_store(self, store: Any) -> None:
        pairs = [(store.reset, self._on_reset), (store.entity_removed, self._on_removed)]
        for entity, name in (("alerts", "alert_changed"), ("incidents", "incident_changed"), ("units", "unit_changed"),
                             ("cameras", "camera_changed"), ("sensors", "sensor_changed")):
            pairs.append((getattr(store, name), lambda rec, e=entity: self._on_changed(e, rec)))
        for signal, slot in pairs:
            signal.connect(slot)
        self._connections = pairs
        self.layers.reload(store)

    def shutdown(self) -> None:
        """Disconnect from the store (the view may outlive its window's close)."""
        disconnect_all(self._connections)
        self._connections = []

    def closeEvent(self, event):  # noqa: N802 - Qt API
        self.shutdown()
        super().closeEvent(event)

    def _on_reset(self) -> None:
        self.layers.reload(self.store)
        self.throttle.request()

    def _on_changed(self, entity: str, record: Any) -> None:
        self.layers.update(entity, record)
        self.throttle.request()

    def _on_removed(self, entity: str, key: str) -> None:
        self.layers.remove(entity, key)
        self.throttle.request()

    def set_providers(self, providers: list) -> None:
        self.providers = list(providers)
        self.gcj02 = bool(self.providers) and self.providers[0].source.crs == "gcj02"
        self._pixmaps.clear()
        self._over.clear()
        for p in self.providers:
            p.tile_loaded.connect(self._on_tile_loaded)
        self.throttle.request()

    def _on_tile_loaded(self, *_args) -> None:
        self._over.clear()
        self.throttle.request()

    def set_layer_visible(self, name: str, visible: bool) -> None:
        self.layers.layers[name].visible = visible
        self.throttle.request()

    def set_highlight(self, centre: tuple[float, float] | None, radius_m: float = 0.0,
                      keys: dict[str, set[str]] | None = None) -> None:
        """Draw a radius ring round ``centre`` and rings round ``keys`` (layer → keys); None clears."""
        self.highlight = None if centre is None else (centre[0], centre[1], radius_m)
        self.highlight_keys = keys or {}
        self.throttle.request()

    # ---- view ----------------------------------------------------------------------------------
    @property
    def centre(self) -> tuple[float, float]:
        return from_unit(self._cx, self._cy)

    def set_view(self, lat: float, lon: float, zoom: float | None = None) -> None:
        self._cx, self._cy = self._unit(lat, lon)
        if zoom is not None:
            self.zoom = min(max(zoom, MIN_ZOOM), MAX_ZOOM)
        self.view_changed.emit()
        self.throttle.request()

    def _unit(self, lat: float, lon: float) -> tuple[float, float]:
        return to_unit(*wgs84_to_gcj02(lat, lon)) if self.gcj02 else to_unit(lat, lon)

    def pan_pixels(self, dx: float, dy: float) -> None:
        size = TILE_SIZE * 2.0 ** self.zoom
        self._cx = min(max(self._cx - dx / size, 0.0), 1.0)
        self._cy = min(max(self._cy - dy / size, 0.0), 1.0)
        self.view_changed.emit()
        self.throttle.request()

    def zoom_at(self, delta: float, at: QPointF | None = None) -> None:
        """Zoom by ``delta`` levels keeping the map point under ``at`` (widget pixels) in place."""
        at = at or QPointF(self.width() / 2, self.height() / 2)
        old = TILE_SIZE * 2.0 ** self.zoom
        ux = self._cx + (at.x() - self.width() / 2) / old
        uy = self._cy + (at.y() - self.height() / 2) / old
        self.zoom = min(max(self.zoom + delta, MIN_ZOOM), MAX_ZOOM)
        new = TILE_SIZE * 2.0 ** self.zoom
        self._cx, self._cy = ux - (at.x() - self.width() / 2) / new, uy - (at.y() - self.height() / 2) / new
        self.view_changed.emit()
        self.throttle.request()

    def to_screen(self, lat: float, lon: float) -> QPointF:
        ux, uy = self._unit(lat, lon)
        size = TILE_SIZE * 2.0 ** self.zoom
        return QPointF((ux - self._cx) * size + self.width() / 2, (uy - self._cy) * size + self.height() / 2)

    # ---- input ---------------------------------------------------------------------------------
    def mousePressEvent(self, event):  # noqa: N802
        self._press, self._dragged = event.position(), False
        if event.button() == Qt.MouseButton.RightButton:
            hit = self.hit_test(event.position())
            if hit and hit[0] == "cameras":
                self.camera_context_requested.emit(hit[1], event.globalPosition().toPoint())

    def mouseMoveEvent(self, event):  # noqa: N802
        if self._press is None or not event.buttons() & Qt.MouseButton.LeftButton:
            return
        d = event.position() - self._press
        if self._dragged or abs(d.x()) + abs(d.y()) > 4:
            self._dragged = True
            self._press = event.position()
            self.pan_pixels(d.x(), d.y())

    def mouseReleaseEvent(self, event):  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and not self._dragged:
            self.click(event.position())
        self._press = None

    def wheelEvent(self, event):  # noqa: N802
        self.zoom_at(event.angleDelta().y() / 240.0, event.position())

    def mouseDoubleClickEvent(self, event):  # noqa: N802
        self.zoom_at(1.0, event.position())

    def keyPressEvent(self, event):  # noqa: N802
        step = 80.0
        moves = {Qt.Key.Key_Left: (step, 0), Qt.Key.Key_Right: (-step, 0), Qt.Key.Key_Up: (0, step),
                 Qt.Key.Key_Down: (0, -step)}
        if event.key() in moves:
            self.pan_pixels(*moves[event.key()])
        elif event.key() in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_at(1.0)
        elif event.key() == Qt.Key.Key_Minus:
            self.zoom_at(-1.0)
        else:
            super().keyPressEvent(event)

    def click(self, pos: QPointF) -> None:
        """A left click at ``pos``: a cluster zooms in on itself, a point is activated."""
        hit = self.hit_test(pos)
        if hit is None:
            return
        layer, key = hit
        if layer == "cluster":
            self.zoom_at(2.0, pos)
            return
        self.selected = (layer, key)
        self.object_activated.emit(layer, key)
        if layer == "incidents":
            self.incident_selected.emit(key)
        elif layer == "cameras":
            self.camera_activated.emit(key)
        self.throttle.request()

    def hit_test(self, pos: QPointF) -> tuple[str, str] | None:
        """(layer, key) of the topmost point within HIT_PX of ``pos``, ("cluster", "") for a group, or None."""
        size = TILE_SIZE * 2.0 ** self.zoom
        ux = self._cx + (pos.x() - self.width() / 2) / size
        uy = self._cy + (pos.y() - self.height() / 2) / size
        limit = HIT_PX / size
        for name in reversed(LAYER_NAMES):
            layer = self.layers.layers[name]
            if not layer.visible or not len(layer):
                continue
            if layer.cluster and self.zoom < CLUSTER_UNTIL:
                cl = layer.clusters(int(self.zoom), CELL_PX)
                d = np.hypot(cl.x - ux, cl.y - uy)
                i = int(np.argmin(d))
                if d[i] <= limit * (1.6 if cl.count[i] > 1 else 1):
                    return (name, layer.key_at(int(cl.first[i]))) if cl.count[i] == 1 else ("cluster", "")
            else:
                d = np.hypot(layer.ux - ux, layer.uy - uy)
                i = int(np.argmin(d))
                if d[i] <= limit:
                    return name, layer.key_at(i)
        return None

    # ---- painting ------------------------------------------------------------------------------
    def paintEvent(self, event):  # noqa: N802 - Qt API
        p = QPainter(self)
        try:
            self.paint_map(p)
        finally:
            p.end()
        self.frames += 1

    def paint_map(self, p: QPainter) -> None:
        from widgets.map_paint import paint_layers, paint_tiles

        w, h = self.width(), self.height()
        p.fillRect(0, 0, w, h, BACKGROUND)
        paint_tiles(self, p, w, h)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        paint_layers(self, p, w, h)
        self._paint_attribution(p, w, h)

    def _paint_attribution(self, p: QPainter, w: int, h: int) -> None:
        texts = [pr.source.attribution for pr in self.providers if pr.source.attribution]
        text = " | ".join(dict.fromkeys(texts))
        if not text:
            return
        font = QFont(self.font())
        font.setPixelSize(16 if self.wall else 11)
        p.setFont(font)
        rect = p.fontMetrics().boundingRect(text).adjusted(-6, -3, 6, 3)
        rect.moveBottomRight(QPoint(w - 2, h - 2))
        p.fillRect(rect, QColor(0, 0, 0, 150))
        p.setPen(QColor("#c8d3dc"))
        p.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), text)

    def metres_per_pixel(self) -> float:
        lat, _lon = self.centre
        return math.cos(math.radians(lat)) * 2 * math.pi * EARTH_RADIUS_M / (TILE_SIZE * 2.0 ** self.zoom)

    def tile_pixmap(self, index: int, z: int, x: int, y: int) -> tuple[QPixmap, QRectF] | None:
        """The pixmap to draw for tile z/x/y of provider ``index`` and the part of it to use: the tile
        itself, or the matching piece of its deepest stored ancestor (over-zoom)."""
        key = (index, z, x, y)
        self.tile_requests += 1
        hit = self._pixmaps.get(key)
        if hit is not None:
            self._pixmaps.move_to_end(key)
            self.tile_hits += 1
            return hit, QRectF(0, 0, hit.width(), hit.height())
        if key in self._over:
            return self._over[key]
        provider = self.providers[index]
        data = provider.tile(z, x, y)
        if data is not None:
            pm = QPixmap()
            if pm.loadFromData(data):
                self._pixmaps[key] = pm
                if len(self._pixmaps) > PIXMAP_CACHE:
                    self._pixmaps.popitem(last=False)
                return pm, QRectF(0, 0, pm.width(), pm.height())
        best = provider.best(z, x, y) if z > provider.source.minzoom else None
        result = None
        if best is not None:
            data, pz, px, py = best
            pkey = (index, pz, px, py)
            pm = self._pixmaps.get(pkey)
            if pm is None:
                pm = QPixmap()
                if not pm.loadFromData(data):
                    pm = None
                else:
                    self._pixmaps[pkey] = pm
            if pz < z and pm is not None:
                k = 1 << (z - pz)
                side = pm.width() / k
                result = (pm, QRectF((x - px * k) * side, (y - py * k) * side, side, side))
        self._over[key] = result
        return result
