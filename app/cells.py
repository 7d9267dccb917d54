"""The wall's data cells: alerts board, incidents board, KPI tiles and a map placeholder (make_cell)."""
from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app import features
from backend_client.layouts import Cell
from widgets.alert_list_view import AlertListView, FrameThrottle
from widgets.colours import warning_colour
from widgets.incident_list_view import IncidentListView
from widgets.kpi_panel import KpiPanel

# Yongkang (330784) with a margin: the frame of the map until the offline base map lands (issue 3)
YONGKANG_BOUNDS = (28.78, 119.88, 29.08, 120.28)  # south, west, north, east
WALL_PIXEL_SIZE = 22  # wall text is read from 5–10 m


class TitledCell(QWidget):
    """A wall cell with a caption bar over its content."""

    def __init__(self, title: str, content: QWidget, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("wallCell")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#wallCell { background: #05070a; } #wallCellTitle { background: #101820; "
                           "color: #9fd3ff; font-weight: bold; padding: 4px 10px; }")
        self.title = QLabel(title, self)
        self.title.setObjectName("wallCellTitle")
        self.content = content
        content.setParent(self)
        box = QVBoxLayout(self)
        box.setContentsMargins(2, 2, 2, 2)
        box.setSpacing(2)
        box.addWidget(self.title)
        box.addWidget(content, 1)
        if not title:
            self.title.hide()

    def closeEvent(self, event):  # noqa: N802
        shutdown = getattr(self.content, "shutdown", None)
        if shutdown:
            shutdown()
        super().closeEvent(event)


class MapCell(QWidget):
    """Placeholder for the one map: active alerts (coloured dots) and units (white marks) placed by
    latitude/longitude in Yongkang's frame, over a plain grid. Redrawn at most once per frame."""

    def __init__(self, store: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.store = store
        self.setMinimumSize(80, 60)
        self.throttle = FrameThrottle(self.update, parent=self)
        self._signals = [store.alert_changed, store.alert_removed, store.unit_changed, store.reset]
        for signal in self._signals:
            signal.connect(self.throttle.request)

    def shutdown(self) -> None:
        for signal in self._signals:
            try:
                signal.disconnect(self.throttle.request)
            except (RuntimeError, TypeError):
                pass
        self._signals = []

    def _to_px(self, area: QRectF, lat: float, lon: float) -> QPointF:
        south, west, north, east = YONGKANG_BOUNDS
        return QPointF(area.left() + (lon - west) / (east - west) * area.width(),
                       area.top() + (north - lat) / (north - south) * area.height())

    def paintEvent(self, event):  # noqa: N802 - Qt API
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("#07121c"))
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        p.setPen(QPen(QColor("#15304a"), 1))
        for n in range(1, 8):
            x = area.left() + area.width() * n / 8
            y = area.top() + area.height() * n / 8
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
        p.setPen(QColor("#4f6d8a"))
        note = QFont(self.font())
        note.setPixelSize(max(11, int(area.height() / 22)))
        p.setFont(note)
        p.drawText(area, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom),
                   self.tr("Offline base map not yet loaded"))
        p.setPen(QPen(QColor("#e6edf3"), 1))
        p.setBrush(QColor("#e6edf3"))
        for unit in self.store.units():
            if unit.lat and unit.lon:
                at = self._to_px(area, unit.lat, unit.lon)
                p.drawRect(QRectF(at.x() - 2.5, at.y() - 2.5, 5, 5))
        radius = max(4.0, min(area.width(), area.height()) / 60)
        p.setPen(QPen(QColor("#000000"), 1))
        for alert in reversed(self.store.alerts()):  # most severe drawn last, on top
            if alert.status == "active" and alert.lat is not None and alert.lon is not None:
                p.setBrush(warning_colour(alert.colour))
                p.drawEllipse(self._to_px(area, alert.lat, alert.lon), radius, radius)


def default_title(kind: str) -> str:
    titles = {"alerts": QCoreApplication.translate("WallCells", "Live alerts"),
              "incidents": QCoreApplication.translate("WallCells", "Open incidents"),
              "kpi": QCoreApplication.translate("WallCells", "Active alerts"),
              "map": QCoreApplication.translate("WallCells", "Situation map")}
    return titles.get(kind, kind)


def make_cell(cell: Cell, store: Any, pixel_size: int = WALL_PIXEL_SIZE) -> QWidget | None:
    """The widget of a wall cell of kind alerts, incidents, kpi or map; None for other kinds (the wall
    grid draws those itself). Give the wall ``lambda cell: make_cell(cell, store)``. A feature module's
    make_wall_cell (app/features.py) comes first, so e.g. the real map replaces this placeholder."""
    widget = features.make_wall_cell(cell, store)
    if widget is not None:
        return widget
    content: QWidget
    if cell.kind == "alerts":
        content = AlertListView(store, compact=True)
    elif cell.kind == "incidents":
        content = IncidentListView(store, compact=True)
    elif cell.kind == "kpi":
        content = KpiPanel(store, compact=True)
    elif cell.kind == "map":
        content = MapCell(store)
    else:
        return None
    titled = TitledCell(cell.title or default_title(cell.kind), content)
    font = QFont(titled.font())
    font.setPixelSize(pixel_size)
    titled.setFont(font)  # children inherit it
    return titled
