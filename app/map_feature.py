"""The map feature: the map with layer toggles and "resources near this incident" in the console, and the "map" wall cell."""
from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDockWidget, QDoubleSpinBox, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QMenu,
                               QSplitter, QToolBar, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from backend_client.client import CommandFailed
from backend_client.geo import within_radius
from backend_client.map_resources import MapDataError, load_geojson, load_overlays, load_resources
from backend_client.tiles import TileError, TileProvider, default_sources, tianditu
from widgets.map_layers import LAYER_NAMES
from widgets.map_view import MapView

log = logging.getLogger(__name__)

DISPATCH_ACTION = "dispatch.call"
DEFAULT_RADIUS_KM = 5.0



translate = QCoreApplication.translate  # lupdate reads translate("MapFeature", "…")


def layer_title(name: str) -> str:
    return {"alerts": translate("MapFeature", "Alerts"), "incidents": translate("MapFeature", "Incidents"), "units": translate("MapFeature", "Units"), "cameras": translate("MapFeature", "Cameras"),
            "sensors": translate("MapFeature", "Sensors"), "resources": translate("MapFeature", "Resources")}[name]


def kind_title(kind: str) -> str:
    return {"rescue_team": translate("MapFeature", "Rescue team"), "supply_depot": translate("MapFeature", "Supply depot"), "shelter": translate("MapFeature", "Shelter"),
            "hospital": translate("MapFeature", "Hospital"), "team": translate("MapFeature", "Team"), "vehicle": translate("MapFeature", "Vehicle"), "radio": translate("MapFeature", "Radio"),
            "drone": translate("MapFeature", "Drone")}.get(kind, kind)


def cache_dir() -> Path:
    data_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(data_home) / "command-centre" / "tiles"


def make_providers() -> list[TileProvider]:
    """The offline OSM base map, plus Tianditu (vector + labels, cached) when CC_TIANDITU_KEY is set."""
    providers = []
    for source in default_sources():
        try:
            providers.append(TileProvider(source))
        except TileError as exc:
            log.error("base map: %s", exc)
    key = os.environ.get("CC_TIANDITU_KEY", "")
    if key:
        style = os.environ.get("CC_TIANDITU_STYLE", "vec")
        try:
            providers += [TileProvider(s, cache_dir=cache_dir()) for s in tianditu(key, style)]
        except TileError as exc:
            log.error("Tianditu: %s", exc)
    return providers


def load_map_overlays() -> list:
    shapes, errors = load_overlays()
    for exc in errors:  # a bad overlay file is reported and skipped; the map still opens
        log.error("%s", exc)
    return shapes


def load_demo_resources() -> list:
    try:
        return load_resources()
    except MapDataError as exc:
        log.error("%s", exc)
        return []


class MapPanel(QWidget):
    """The map with a tool bar of layer toggles (Ctrl+Shift+1…6).

    Attributes: view (MapView), layer_actions (name → checkable QAction).
    """

    def __init__(self, store: Any, parent: QWidget | None = None, wall: bool = False):
        super().__init__(parent)
        self.view = MapView(store, make_providers(), wall=wall)
        self.view.layers.set_resources(load_demo_resources())
        self.view.layers.shapes = load_map_overlays()
        self.layer_actions: dict[str, QAction] = {}
        bar = QToolBar()
        for n, name in enumerate(LAYER_NAMES, start=1):
            action = QAction(layer_title(name), self)
            action.setCheckable(True)
            action.setChecked(True)
            action.setShortcut(QKeySequence(f"Ctrl+Shift+{n}"))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.setToolTip(translate("MapFeature", "Show or hide the %1 layer (%2)").replace("%1", layer_title(name))
                              .replace("%2", action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)))
            action.toggled.connect(lambda on, name=name: self.view.set_layer_visible(name, on))
            bar.addAction(action)
            self.layer_actions[name] = action
        self.open_overlay_action = QAction(translate("MapFeature", "Open overlay…"), self)
        self.open_overlay_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_overlay_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.open_overlay_action.setToolTip(translate("MapFeature", "Draw a GeoJSON file over the map (Ctrl+Shift+O)"))
        self.open_overlay_action.triggered.connect(lambda _c=False: self.open_overlay())
        bar.addAction(self.open_overlay_action)
        self.message = QLabel()
        self.message.setObjectName("mapMessage")
        self.message.hide()
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        if not wall:
            box.addWidget(bar)
            box.addWidget(self.message)
        box.addWidget(self.view, 1)

    def open_overlay(self, path: str | None = None) -> int:
        """Add a GeoJSON file's shapes to the map (asks for the file when none is given); returns how many."""
        if path is None:
            path, _filter = QFileDialog.getOpenFileName(self, translate("MapFeature", "Open overlay"), "",
                                                        translate("MapFeature", "GeoJSON (*.geojson *.json)"))
            if not path:
                return 0
        try:
            shapes = load_geojson(path)
        except MapDataError as exc:
            self.message.setText(str(exc))
            self.message.setStyleSheet("color: #ff6b6b;")
            self.message.show()
            return 0
        self.view.layers.shapes = [*self.view.layers.shapes, *shapes]
        self.message.setText(translate("MapFeature", "%1 shapes from %2").replace("%1", str(len(shapes)))
                             .replace("%2", Path(path).name))
        self.message.setStyleSheet("")
        self.message.show()
        self.view.update()
        return len(shapes)

    def shutdown(self) -> None:
        self.view.shutdown()


class NearbyPanel(QWidget):
    """Resources and units within a radius of the selected incident, nearest first, each dispatchable.

    Attributes: incident_id, radius (QDoubleSpinBox, km), table (QTreeWidget), status (QLabel),
    dispatch_action (Ctrl+D: dispatch the selected row), last_result ("ok" / error code / "").
    """

    def __init__(self, store: Any, view: MapView, resources: list, parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.view, self.resources = store, view, resources
        self.incident_id = ""
        self.last_result = ""
        self.title = QLabel(translate("MapFeature", "Select an incident to see the resources near it"))
        self.title.setObjectName("panelTitle")
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.5, 100.0)
        self.radius.setSingleStep(1.0)
        self.radius.setValue(DEFAULT_RADIUS_KM)
        self.radius.setSuffix(" km")
        self.radius.setToolTip(translate("MapFeature", "Search radius round the incident"))
        self.radius.valueChanged.connect(lambda _v: self.refresh())
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels([translate("MapFeature", "Name"), translate("MapFeature", "Kind"), translate("MapFeature", "Distance"), translate("MapFeature", "Status")])
        self.table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemActivated.connect(lambda _item, _col: self.dispatch_selected())
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.dispatch_action = QAction(translate("MapFeature", "Dispatch"), self)
        self.dispatch_action.setShortcut(QKeySequence("Ctrl+D"))
        self.dispatch_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.dispatch_action.setToolTip(translate("MapFeature", "Dispatch the selected resource or unit to the incident (Ctrl+D, Enter)"))
        self.dispatch_action.triggered.connect(lambda _c=False: self.dispatch_selected())
        self.addAction(self.dispatch_action)
        bar = QToolBar()
        bar.addAction(self.dispatch_action)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.radius)
        top.addWidget(bar)
        box = QVBoxLayout(self)
        box.setContentsMargins(4, 4, 4, 4)
        box.addLayout(top)
        box.addWidget(self.table, 1)
        box.addWidget(self.status)
        self._timer = QTimer(self)  # units move: re-rank every 2 s while an incident is selected
        self._timer.setInterval(2000)
        self._timer.timeout.connect(self.refresh)

    def set_incident(self, incident_id: str) -> None:
        self.incident_id = incident_id or ""
        self.refresh()
        if self.incident_id:
            self._timer.start()
        else:
            self._timer.stop()

    def candidates(self) -> list:
        """[(distance m, kind "resource"|"unit", record)] within the radius, nearest first."""
        inc = self.store.get("incidents", self.incident_id) if self.incident_id else None
        if inc is None or inc.lat is None or inc.lon is None:
            return []
        units = [u for u in self.store.units() if u.status != "offline" and (u.lat or u.lon)]
        items = [("resource", r) for r in self.resources] + [("unit", u) for u in units]
        found = within_radius(inc.lat, inc.lon, self.radius.value() * 1000.0, items,
                              position=lambda it: (it[1].lat, it[1].lon))
        return [(n.distance_m, n.item[0], n.item[1]) for n in found]

    def refresh(self) -> None:
        inc = self.store.get("incidents", self.incident_id) if self.incident_id else None
        selected = self.table.currentItem().data(0, Qt.ItemDataRole.UserRole) if self.table.currentItem() else None
        self.table.clear()
        if inc is None or inc.lat is None:
            self.title.setText(translate("MapFeature", "Select an incident to see the resources near it"))
            self.view.set_highlight(None)
            return
        rows = self.candidates()
        self.title.setText(translate("MapFeature", "Near %1: %2 within %3 km").replace("%1", inc.title).replace("%2", str(len(rows)))
                           .replace("%3", f"{self.radius.value():g}"))
        keys: dict[str, set[str]] = {"resources": set(), "units": set()}
        for dist, kind, rec in rows:
            status = rec.status if kind == "unit" else (rec.detail or "")
            item = QTreeWidgetItem([rec.name, kind_title(rec.kind), f"{dist / 1000:.2f} km", status])
            item.setData(0, Qt.ItemDataRole.UserRole, (kind, rec.id))
            self.table.addTopLevelItem(item)
            keys["resources" if kind == "resource" else "units"].add(rec.id)
            if (kind, rec.id) == selected:
                self.table.setCurrentItem(item)
        if self.table.currentItem() is None and self.table.topLevelItemCount():
            self.table.setCurrentItem(self.table.topLevelItem(0))
        self.view.set_highlight((inc.lat, inc.lon), self.radius.value() * 1000.0, keys)

    def dispatch_args(self, kind: str, key: str) -> dict:
        if kind == "unit":
            return {"unit": key, "incident": self.incident_id}
        res = next((r for r in self.resources if r.id == key), None)
        return {"terminal": res.terminal if res and res.terminal else key, "incident": self.incident_id}

    def dispatch_selected(self) -> asyncio.Future | None:
        item = self.table.currentItem()
        if item is None or not self.incident_id:
            self._show(translate("MapFeature", "Select an incident and a resource first"), error=True)
            return None
        kind, key = item.data(0, Qt.ItemDataRole.UserRole)
        args = self.dispatch_args(kind, key)
        name = item.text(0)
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self._show(translate("MapFeature", "Not connected to the hub"), error=True)
            return None
        self._show(translate("MapFeature", "Dispatching %1 …").replace("%1", name))
        fut = asyncio.ensure_future(self._dispatch(args, name))
        return fut

    async def _dispatch(self, args: dict, name: str) -> None:
        try:
            await self.store.command(DISPATCH_ACTION, args, report=False)
        except CommandFailed as exc:
            self.last_result = exc.code
            if exc.code == "unknown_action":
                self._show(translate("MapFeature", "Dispatch is not available: this backend has no dispatch service yet "
                              "(dispatch.call unknown). Call %1 by radio or phone.").replace("%1", name), error=True)
            elif exc.code == "forbidden":
                self._show(translate("MapFeature", "Your role may not dispatch."), error=True)
            else:
                self._show(translate("MapFeature", "Dispatch of %1 failed: %2").replace("%1", name).replace("%2", exc.message), error=True)
            return
        self.last_result = "ok"
        self._show(translate("MapFeature", "Dispatch request sent to %1").replace("%1", name))

    def _show(self, text: str, error: bool = False) -> None:
        self.status.setText(text)
        self.status.setStyleSheet("color: #ff6b6b; font-weight: bold;" if error else "color: #9fd3ff;")


def _camera_menu(window: Any, store: Any, camera_id: str, at) -> None:
    menu = QMenu(window)
    play = menu.addAction(translate("MapFeature", "Play in the console preview"))
    play.triggered.connect(lambda: window.play_camera(camera_id))
    wall = menu.addMenu(translate("MapFeature", "Send to wall cell"))
    state = store.wall(getattr(window, "wall_id", "main"))
    layout = next((lay for lay in getattr(window, "layouts", []) if state and lay.name == state.layout), None)
    count = len(layout.cells) if layout is not None else 9
    for n in range(count):
        act = wall.addAction(translate("MapFeature", "Cell %1").replace("%1", str(n + 1)))
        act.triggered.connect(lambda _c=False, n=n: store.request_set_cell(n, camera_id))
    menu.popup(at)


def install_console(window: Any, store: Any) -> None:
    """Add the map dock (map + nearby resources) with its actions to the duty console."""
    panel = MapPanel(store)
    nearby = NearbyPanel(store, panel.view, list(panel.view.layers.resources.values()))
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(panel)
    split.addWidget(nearby)
    split.setStretchFactor(0, 3)
    split.setStretchFactor(1, 1)
    dock = QDockWidget(translate("MapFeature", "Situation map"), window)
    dock.setObjectName("mapDock")
    dock.setWidget(split)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    window.map_panel, window.nearby_panel, window.map_dock = panel, nearby, dock
    for action in panel.layer_actions.values():
        window.addAction(action)
    window.addAction(nearby.dispatch_action)
    toggle = dock.toggleViewAction()
    toggle.setShortcut(QKeySequence("Ctrl+M"))
    toggle.setToolTip(translate("MapFeature", "Show or hide the map (Ctrl+M)"))
    window.menuBar().addAction(toggle)
    panel.view.incident_selected.connect(nearby.set_incident)
    panel.view.camera_activated.connect(window.play_camera)
    panel.view.camera_context_requested.connect(lambda cam, at: _camera_menu(window, store, cam, at))
    incidents = getattr(window, "incident_list", None)
    if incidents is not None and incidents.selectionModel() is not None:
        def follow(*_args) -> None:
            inc = incidents.current_incident()
            if inc is not None:
                nearby.set_incident(inc.id)
                if inc.lat is not None and inc.lon is not None:
                    panel.view.set_view(inc.lat, inc.lon, max(panel.view.zoom, 13.0))
        incidents.selectionModel().currentChanged.connect(follow)


def make_wall_cell(cell: Any, store: Any) -> QWidget | None:
    if getattr(cell, "kind", "") != "map":
        return None
    from app.cells import TitledCell, default_title

    panel = MapPanel(store, wall=True)
    return TitledCell(cell.title or default_title("map"), panel)
