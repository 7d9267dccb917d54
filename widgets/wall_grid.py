"""The wall's grid: lays out a scene's cells, keeps video tiles playing across scene switches, runs tours."""
from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any, Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QGridLayout, QSizePolicy, QWidget

from backend_client.layouts import CELL_KINDS, Cell, Layout
from backend_client.tour_clock import TourClock
from widgets.simple_cells import BannerCell, ClockCell, EmptyCell, PlaceholderCell, UnknownCameraCell
from widgets.video_tile import VideoTile
from widgets.x11_batch import VideoWindows

log = logging.getLogger(__name__)

# (camera id, sub stream?) -> play URL ("" when none is known yet), or a play source with .url and libvlc .options
UrlFor = Callable[[str, bool], Any]
CameraName = Callable[[str], "str | None"]  # camera id -> display name, None when the hub does not know it
CellFactory = Callable[[Cell], "QWidget | None"]  # the app's widget for map/alerts/incidents/kpi cells

ALARM_FRAME = {"red": "#e02020", "orange": "#ff8c00", "yellow": "#f0d000", "blue": "#2f7fff"}
ALARM_FRAME_PX = 6
SUB_STREAM_MAX_FRACTION = 1 / 9  # a cell this small (or smaller) of the wall plays the camera's sub stream
MAX_IDLE_TILES = 8  # stopped tiles kept for reuse; beyond this their players are released


def is_small_cell(cell: Cell, layout: Layout) -> bool:
    return cell.colspan * cell.rowspan / (layout.cols * layout.rows) <= SUB_STREAM_MAX_FRACTION


def apply_overrides(layout: Layout, overrides: dict | None) -> tuple[Cell, ...]:
    """WallState.cells ({"<index>": {"kind": "camera", "camera": "cam-05"}}) over the scene's cells.

    An override that does not fit (bad index, unknown kind, camera without id) is logged and ignored.
    """
    cells = list(layout.cells)
    for key, change in (overrides or {}).items():
        try:
            index = int(key)
            cell = cells[index]
            if index < 0 or not isinstance(change, dict):
                raise IndexError(key)
        except (ValueError, IndexError, TypeError):
            log.warning("wall: %s: override for cell %r ignored: no such cell", layout.name, key)
            continue
        kind = change.get("kind", "camera")
        camera = change.get("camera", "")
        if kind not in CELL_KINDS or (kind == "camera" and not (isinstance(camera, str) and camera)):
            log.warning("wall: %s: override for cell %r ignored: %r", layout.name, key, change)
            continue
        cells[index] = dataclasses.replace(cell, kind=kind, camera=camera if kind == "camera" else "",
                                           title=change.get("title", "") if kind == "camera" else cell.title)
    return tuple(cells)


class _Tour(QObject):
    """Cycles one tile through a list of cameras, one dwell each (timing in a TourClock on grid.clock)."""

    def __init__(self, grid: "WallGrid", tile: VideoTile, cell: Cell, sub: bool):
        super().__init__(grid)
        self.grid, self.tile, self.cell, self.sub = grid, tile, cell, sub
        self.index = -1
        self.clock: TourClock | None = None
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)  # a coarse timer may fire up to 5% of the dwell late
        self.timer.timeout.connect(self.advance)

    def start(self) -> None:
        now = self.grid.clock()
        if self.clock is None:
            self.clock = TourClock(len(self.cell.cameras), self.cell.dwell, now)
        if self.grid.tours_paused:
            self.clock.pause(now)
        self.advance()

    def stop(self) -> None:
        self.timer.stop()

    def pause(self) -> None:
        if self.clock is not None:
            self.clock.pause(self.grid.clock())
        self.timer.stop()

    def resume(self) -> None:
        if self.clock is not None:
            self.clock.resume(self.grid.clock())
        self.advance()

    @Slot()
    def advance(self) -> None:
        """Show the item the clock says, and wake up when the next one is due."""
        now = self.grid.clock()
        if self.clock is None:
            self.clock = TourClock(len(self.cell.cameras), self.cell.dwell, now)
        index = self.clock.index(now)
        if index != self.index:
            self.index = index
            camera = self.cell.cameras[self.index]
            name = self.grid.camera_display_name(camera)
            label = f"{self.cell.title} · {name}" if self.cell.title else name
            self.tile.set_camera(camera, label)
            self.tile.play(self.grid.url_for(camera, self.sub))
        wait = self.clock.until_next(now)
        if wait is None:
            self.timer.stop()
        else:
            self.timer.start(max(1, int(wait * 1000) + 1))


class WallGrid(QWidget):
    """Shows one Layout. Video tiles are pooled by camera id (tours by their camera list), and non-video
    cells by kind and text, so a switch to a scene that shares cameras only moves the running tiles:
    every cell widget stays a child of this grid, its native window is never recreated.

    Attributes:
        layout_name: the scene shown ("" before the first).
    Signals:
        tile_clicked(str): a video tile was clicked (camera id).
        layout_applied(str): a scene has been laid out (its name).
    """

    tile_clicked = Signal(str)
    layout_applied = Signal(str)

    def __init__(self, url_for: UrlFor, camera_name: CameraName | None = None,
                 make_cell: CellFactory | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.url_for = url_for
        self._camera_name = camera_name or (lambda camera_id: camera_id)
        self._make_cell = make_cell
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(2)
        self.setStyleSheet("WallGrid { background: #000; }")
        self.layout_name = ""
        self._layout: Layout | None = None
        self._tiles: dict[str, VideoTile] = {}  # pool key -> tile on screen
        self._idle: list[VideoTile] = []  # stopped tiles, hidden, ready for another camera
        self._tours: dict[str, _Tour] = {}
        self._widgets: dict[str, QWidget] = {}  # non-video cells, on screen or hidden
        self._fillers: list[EmptyCell] = []
        self._shown: list[tuple[Cell, QWidget]] = []
        self._grid_size = (0, 0)
        self._watermark = ""
        self._selected = ""
        self.clock: Callable[[], float] = time.monotonic  # tours read the time here (tests put a fake clock)
        self.tours_paused = False
        self._framed: set[int] = set()

    # ---- API -------------------------------------------------------------------------------------
    def camera_display_name(self, camera_id: str) -> str:
        return self._camera_name(camera_id) or camera_id

    def set_layout(self, layout: Layout, overrides: dict | None = None) -> None:
        """Show ``layout`` (with WallState cell overrides); tiles of cameras that stay keep playing."""
        cells = apply_overrides(layout, overrides)
        keep_tiles: dict[str, VideoTile] = {}
        keep_tours: dict[str, _Tour] = {}
        placed: list[tuple[Cell, QWidget]] = []
        used_widgets: set[str] = set()
        seen: dict[str, int] = {}
        starts: list[Callable[[], None]] = []

        def unique(key: str) -> str:
            seen[key] = seen.get(key, 0) + 1
            return key if seen[key] == 1 else f"{key}#{seen[key]}"

        for cell in cells:
            sub = is_small_cell(cell, layout)
            if cell.kind == "camera" and self._camera_name(cell.camera) is None:
                key = unique(f"unknown:{cell.camera}")
                widget = self._widgets.get(key) or UnknownCameraCell(cell.camera, self)
                self._widgets[key] = widget
                used_widgets.add(key)
                placed.append((cell, widget))
            elif cell.kind == "camera":
                key = unique(cell.camera)
                tile = self._tiles.pop(key, None) or self._take_idle_tile()
                name = cell.title or self.camera_display_name(cell.camera)
                if tile.camera_id != cell.camera or tile.player.url == "":
                    tile.set_camera(cell.camera, name)
                    url = self.url_for(cell.camera, sub)
                    starts.append(lambda t=tile, u=url: t.play(u))
                else:
                    tile.set_camera(cell.camera, name)  # same stream: keep playing, only the caption may change
                keep_tiles[key] = tile
                placed.append((cell, tile))
            elif cell.kind == "tour":
                key = unique("tour:" + ",".join(cell.cameras))
                tile = self._tiles.pop(key, None) or self._take_idle_tile()
                tour = self._tours.pop(key, None)
                if tour is None or tour.cell.dwell != cell.dwell or tour.cell.title != cell.title:
                    if tour is not None:
                        tour.stop()
                        tour.deleteLater()
                    tour = _Tour(self, tile, cell, sub)
                starts.append(tour.start)
                keep_tiles[key] = tile
                keep_tours[key] = tour
                placed.append((cell, tile))
            else:
                key = unique(f"{cell.kind}|{cell.title}|{cell.text}")
                widget = self._widgets.get(key) or self._new_cell_widget(cell)
                self._widgets[key] = widget
                used_widgets.add(key)
                placed.append((cell, widget))

        # Tiles and tours that left the screen: stop them and keep a few for reuse.
        for tour in self._tours.values():
            tour.stop()
            tour.deleteLater()
        for tile in self._tiles.values():
            self._retire_tile(tile)
        self._tiles, self._tours = keep_tiles, keep_tours

        self._relayout(layout, placed, used_widgets)
        self._layout = layout
        self.layout_name = layout.name
        self._shown = placed
        for tile in self._tiles.values():
            tile.set_watermark(self._watermark)
            tile.set_selected(bool(self._selected) and tile.camera_id == self._selected)
        self._frame_alarms(placed, overrides)
        windows = VideoWindows.shared()
        if windows is not None and self.isVisible():  # every video window to its new cell: one batch of requests,
            windows.apply()  # sent now, no round trip: the X server applies them before Qt's repaint that follows
        for start in starts:  # after the geometry is settled: the picture comes up at its final size
            start()
        self.layout_applied.emit(layout.name)

    def set_tours_paused(self, paused: bool) -> None:
        """Hold every tour on its current camera (True) or let them go on (False)."""
        if paused == self.tours_paused:
            return
        self.tours_paused = paused
        for tour in self._tours.values():
            tour.pause() if paused else tour.resume()

    def alarm_frames(self) -> dict[str, str]:
        """camera id -> alarm colour of the tiles framed now."""
        return {w.camera_id: w.property("alarm") for _, w in self._shown
                if isinstance(w, VideoTile) and w.property("alarm")}

    def _frame_alarms(self, placed: list[tuple[Cell, QWidget]], overrides: dict | None) -> None:
        colours = {}
        for key, change in (overrides or {}).items():
            if isinstance(change, dict) and change.get("alarm") in ALARM_FRAME and str(key).isdigit():
                colours[int(key)] = change["alarm"]
        for index, (_cell, widget) in enumerate(placed):
            if not isinstance(widget, VideoTile):
                continue
            colour = colours.get(index, "")
            if (widget.property("alarm") or "") == colour:
                continue
            widget.setProperty("alarm", colour)
            widget.setStyleSheet(f"VideoTile {{ background: {ALARM_FRAME[colour]}; }}" if colour
                                 else "VideoTile { background: #000; }")
            m = ALARM_FRAME_PX if colour else 2
            widget.layout().setContentsMargins(m, m, m, m)
            widget.layout().activate()  # the surface's new place now, not at the next layout request

    def current_layout(self) -> Layout | None:
        return self._layout

    def cells(self) -> list[tuple[Cell, QWidget]]:
        """The cells on screen, in layout order, with the widget shown for each."""
        return list(self._shown)

    def tiles(self) -> dict[str, VideoTile]:
        """Tiles on screen, by pool key (the camera id; "tour:<ids>" for tours)."""
        return dict(self._tiles)

    def tile_for(self, camera_id: str) -> VideoTile | None:
        tile = self._tiles.get(camera_id)
        if tile is None:
            tile = next((t for t in self._tiles.values() if t.camera_id == camera_id), None)
        return tile

    def set_watermark(self, text: str) -> None:
        self._watermark = text
        for tile in self._tiles.values():
            tile.set_watermark(text)

    def select(self, camera_id: str) -> None:
        self._selected = camera_id
        for tile in self._tiles.values():
            tile.set_selected(bool(camera_id) and tile.camera_id == camera_id)

    def shutdown(self) -> None:
        """Release every libvlc player (call before the window closes)."""
        for tour in self._tours.values():
            tour.stop()
        for tile in [*self._tiles.values(), *self._idle]:
            tile.close_player()
        self._tiles.clear()
        self._idle.clear()
        self._tours.clear()

    # ---- internals -------------------------------------------------------------------------------
    def _take_idle_tile(self) -> VideoTile:
        if self._idle:
            return self._idle.pop()
        tile = VideoTile(self)
        tile.clicked.connect(self._on_tile_clicked)
        return tile

    def _retire_tile(self, tile: VideoTile) -> None:
        tile.stop()
        tile.hide()
        tile.set_selected(False)
        if len(self._idle) < MAX_IDLE_TILES:
            self._idle.append(tile)
        else:
            tile.close_player()
            tile.deleteLater()

    def _new_cell_widget(self, cell: Cell) -> QWidget:
        widget = None
        if self._make_cell is not None:
            try:
                widget = self._make_cell(cell)
            except Exception:  # noqa: BLE001 - one broken widget must not take the wall down
                log.exception("wall: the %s cell widget failed to build", cell.kind)
        if widget is None:
            if cell.kind == "clock":
                widget = ClockCell(self, cell.title)
            elif cell.kind == "banner":
                widget = BannerCell(cell.text, self, cell.title)
            elif cell.kind == "empty":
                widget = EmptyCell(self)
            else:
                widget = PlaceholderCell(cell.kind, self, cell.title)
        widget.setParent(self)  # once, when created; afterwards the widget only moves in the grid
        return widget

    def _relayout(self, layout: Layout, placed: list[tuple[Cell, QWidget]], used_widgets: set[str]) -> None:
        grid = self._grid
        while grid.count():
            grid.takeAt(0)
        old_cols, old_rows = self._grid_size
        for c in range(max(old_cols, layout.cols)):
            grid.setColumnStretch(c, 1 if c < layout.cols else 0)
        for r in range(max(old_rows, layout.rows)):
            grid.setRowStretch(r, 1 if r < layout.rows else 0)
        self._grid_size = (layout.cols, layout.rows)
        covered = set()
        for cell, widget in placed:
            widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)  # equal cells, whatever the hint
            grid.addWidget(widget, cell.row, cell.col, cell.rowspan, cell.colspan)
            covered.update((cell.col + dc, cell.row + dr) for dc in range(cell.colspan) for dr in range(cell.rowspan))
        holes = [(c, r) for r in range(layout.rows) for c in range(layout.cols) if (c, r) not in covered]
        while len(self._fillers) < len(holes):
            self._fillers.append(EmptyCell(self))
        for filler, (c, r) in zip(self._fillers, holes):
            filler.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
            grid.addWidget(filler, r, c)
        for filler in self._fillers[len(holes):]:
            filler.hide()
        for key, widget in self._widgets.items():
            if key not in used_widgets:
                widget.hide()
        for _, widget in placed:
            widget.show()
        for filler in self._fillers[: len(holes)]:
            filler.show()
        grid.activate()

    @Slot(str)
    def _on_tile_clicked(self, camera_id: str) -> None:
        self.select(camera_id)
        self.tile_clicked.emit(camera_id)
