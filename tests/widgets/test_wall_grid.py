"""WallGrid: every scene in layouts/ is laid out cell for cell; tiles survive scene switches; tours advance."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from backend_client.layouts import load_layouts, parse_layout
from widgets.simple_cells import BannerCell, ClockCell, EmptyCell, PlaceholderCell, UnknownCameraCell
from widgets.video_tile import VideoTile
from widgets.wall_grid import WallGrid, apply_overrides, is_small_cell

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS, LAYOUT_ERRORS = load_layouts(ROOT / "layouts")
KNOWN = {f"cam-{i:02d}": f"摄像机 {i:02d}" for i in range(1, 21)}


_ALIVE: list[WallGrid] = []


@pytest.fixture(autouse=True)
def _close_grids(qtbot):
    # Hold the grids strongly until teardown: a grid freed by Python's cycle collector in the middle of a
    # paint event would delete the widget being painted.
    yield
    while _ALIVE:
        grid = _ALIVE.pop()
        grid.shutdown()
        grid.close()
        grid.deleteLater()
    qtbot.wait(1)


def make_grid(qtbot, make_cell=None, known=KNOWN, urls=None):
    def url_for(camera_id, sub):
        if urls is not None:
            urls.append((camera_id, sub))
        return f"http://127.0.0.1:9/cam/{camera_id}.ts" + ("?stream=sub" if sub else "")

    grid = WallGrid(url_for, known.get, make_cell)
    _ALIVE.append(grid)
    grid.resize(1204, 904)
    grid.show()
    return grid


def layout_from(cells, grid=(4, 3), name="t"):
    return parse_layout({"schema": 1, "title": name, "grid": list(grid), "cells": cells}, f"{name}.json", name)


def test_the_repository_has_valid_scenes():
    assert LAYOUTS, "no scenes in layouts/"
    assert not LAYOUT_ERRORS, [str(e) for e in LAYOUT_ERRORS]


@pytest.mark.parametrize("layout", LAYOUTS, ids=[lay.name for lay in LAYOUTS])
def test_every_scene_is_laid_out_cell_for_cell(qtbot, layout):
    made = []

    def make_cell(cell):
        if cell.kind in ("map", "alerts"):
            w = QLabel(f"{cell.kind}")
            made.append((cell, w))
            return w
        return None  # others: the grid's own cells and placeholders

    grid = make_grid(qtbot, make_cell)
    grid.set_layout(layout)
    shown = grid.cells()
    assert len(shown) == len(layout.cells)
    qgrid = grid.layout()
    for cell, widget in shown:
        index = qgrid.indexOf(widget)
        assert index >= 0, f"{cell} not in the grid"
        assert qgrid.getItemPosition(index) == (cell.row, cell.col, cell.rowspan, cell.colspan)
        assert widget.isVisible()
        expected = {
            "camera": VideoTile, "tour": VideoTile, "clock": ClockCell, "banner": BannerCell,
            "empty": EmptyCell, "map": QLabel, "alerts": QLabel,
        }.get(cell.kind, PlaceholderCell)
        assert isinstance(widget, expected), (cell.kind, type(widget))
        if cell.kind == "camera":
            assert widget.camera_id == cell.camera
            assert widget.camera_name == (cell.title or KNOWN[cell.camera])
    assert [w for _, w in made] == [w for c, w in shown if c.kind in ("map", "alerts")]
    # equal stretch: every 1x1 cell has (nearly) the same size, spans are multiples of it
    qtbot.waitUntil(lambda: all(w.width() > 0 for _, w in shown))
    unit_w = (grid.width() + 2) / layout.cols - 2
    unit_h = (grid.height() + 2) / layout.rows - 2
    for cell, widget in shown:
        assert abs(widget.width() - (cell.colspan * (unit_w + 2) - 2)) <= 3, (cell, widget.geometry())
        assert abs(widget.height() - (cell.rowspan * (unit_h + 2) - 2)) <= 3, (cell, widget.geometry())


def test_positions_no_cell_covers_stay_black(qtbot):
    grid = make_grid(qtbot)
    grid.set_layout(layout_from([{"pos": [0, 0], "span": [2, 1], "kind": "clock"}], grid=(3, 2)))
    fillers = [w for w in grid.findChildren(EmptyCell) if w.isVisible()]
    assert len(fillers) == 4  # 3x2 grid minus the 2-wide clock
    positions = sorted(grid.layout().getItemPosition(grid.layout().indexOf(w))[:2] for w in fillers)
    assert positions == [(0, 2), (1, 0), (1, 1), (1, 2)]


def test_warm_switch_keeps_the_tile_and_player_of_a_shared_camera(qtbot):
    by_name = {lay.name: lay for lay in LAYOUTS}
    first, second = by_name["daily-duty"], by_name["traffic"]  # both show cam-01
    grid = make_grid(qtbot)
    grid.set_layout(first)
    tile, player = grid.tile_for("cam-01"), grid.tile_for("cam-01").player
    cam02 = grid.tile_for("cam-02")
    grid.set_layout(second)
    assert grid.tile_for("cam-01") is tile and tile.player is player
    assert tile.isVisible() and "/cam-01.ts" in tile.player.url
    assert grid.tile_for("cam-02") is None and not cam02.isVisible()  # cam-02 left the screen
    assert cam02.player.url == "" and cam02.player.state == "idle"  # …and was stopped
    # back again: cam-01 still the same object; a retired tile is reused, not a new player per switch
    tiles_before = set(map(id, grid.findChildren(VideoTile)))
    grid.set_layout(first)
    assert grid.tile_for("cam-01") is tile
    assert set(map(id, grid.findChildren(VideoTile))) == tiles_before


def test_a_warm_switch_moves_every_tile_to_its_new_cell(qtbot):
    """16 cameras, then the same 16 in reverse order: the same tiles and players, each in its new cell."""
    cams = [f"cam-{i:02d}" for i in range(1, 17)]
    forward = layout_from([{"pos": [i % 4, i // 4], "kind": "camera", "camera": c} for i, c in enumerate(cams)],
                          grid=(4, 4), name="fwd")
    backward = layout_from([{"pos": [i % 4, i // 4], "kind": "camera", "camera": c}
                            for i, c in enumerate(reversed(cams))], grid=(4, 4), name="back")
    grid = make_grid(qtbot)
    grid.set_layout(forward)
    before = {c: (grid.tile_for(c), grid.tile_for(c).player) for c in cams}
    for layout in (backward, forward, backward):
        grid.set_layout(layout)
        qtbot.wait(1)
        cell_w, cell_h = grid.width() / 4, grid.height() / 4
        for cell, widget in grid.cells():
            tile, player = before[cell.camera]
            assert widget is tile and tile.player is player and tile.camera_id == cell.camera
            centre = tile.geometry().center()
            assert (int(centre.x() // cell_w), int(centre.y() // cell_h)) == (cell.col, cell.row), cell.camera
            assert tile.isVisible()


def test_a_shared_non_video_cell_is_kept_across_a_switch(qtbot):
    calls = []

    def make_cell(cell):
        calls.append(cell.kind)
        return QLabel(cell.kind)

    grid = make_grid(qtbot, make_cell)
    a = layout_from([{"pos": [0, 0], "kind": "map"}, {"pos": [1, 0], "kind": "camera", "camera": "cam-01"}], name="a")
    b = layout_from([{"pos": [2, 2], "kind": "map"}, {"pos": [0, 0], "kind": "camera", "camera": "cam-01"}], name="b")
    grid.set_layout(a)
    map_widget = grid.cells()[0][1]
    grid.set_layout(b)
    assert grid.cells()[0][1] is map_widget and calls == ["map"]
    assert grid.layout().getItemPosition(grid.layout().indexOf(map_widget)) == (2, 2, 1, 1)


def test_unknown_camera_gets_no_player_and_says_so(qtbot):
    grid = make_grid(qtbot, known={"cam-01": "东门"})
    grid.set_layout(layout_from([{"pos": [0, 0], "kind": "camera", "camera": "cam-01"},
                                 {"pos": [1, 0], "kind": "camera", "camera": "cam-99"}]))
    (_, known), (_, unknown) = grid.cells()
    assert isinstance(known, VideoTile) and isinstance(unknown, UnknownCameraCell)
    assert unknown.camera_id == "cam-99" and "cam-99" in unknown.secondary
    assert list(grid.tiles()) == ["cam-01"]


def test_overrides_from_the_wall_state_replace_cells(qtbot):
    layout = next(lay for lay in LAYOUTS if lay.name == "daily-duty")
    grid = make_grid(qtbot)
    grid.set_layout(layout, {"4": {"kind": "camera", "camera": "cam-05"}, "99": {"kind": "camera", "camera": "x"},
                             "oops": {}, "1": {"kind": "bogus"}})
    cell, widget = grid.cells()[4]
    assert cell.camera == "cam-05" and isinstance(widget, VideoTile) and widget.camera_id == "cam-05"
    assert grid.cells()[1][0] == layout.cells[1]  # the bad override was ignored
    assert len(apply_overrides(layout, {"-1": {"camera": "cam-02"}})) == len(layout.cells)
    assert apply_overrides(layout, {"-1": {"camera": "cam-02"}}) == layout.cells


def test_small_cells_ask_for_the_sub_stream(qtbot):
    urls = []
    grid = make_grid(qtbot, urls=urls)
    sixteen = next(lay for lay in LAYOUTS if lay.name == "cameras-16")
    four = next(lay for lay in LAYOUTS if lay.name == "cameras-4")
    assert is_small_cell(sixteen.cells[0], sixteen) and not is_small_cell(four.cells[0], four)
    grid.set_layout(four)
    assert urls == [(f"cam-0{i}", False) for i in range(1, 5)]


def test_a_tour_cycles_its_cameras(qtbot):
    grid = make_grid(qtbot)
    grid.set_layout(layout_from([{"pos": [0, 0], "kind": "tour", "cameras": ["cam-03", "cam-04"], "dwell": 1,
                                  "title": "轮巡"}]))
    (_, tile), = grid.cells()
    assert tile.camera_id == "cam-03" and tile.camera_name == f"轮巡 · {KNOWN['cam-03']}"
    qtbot.waitUntil(lambda: tile.camera_id == "cam-04", timeout=10_000)
    assert "/cam-04.ts" in tile.player.url
    qtbot.waitUntil(lambda: tile.camera_id == "cam-03", timeout=10_000)


def test_a_failing_cell_factory_gives_a_placeholder(qtbot):
    def make_cell(cell):
        raise RuntimeError("map tiles missing")

    grid = make_grid(qtbot, make_cell)
    grid.set_layout(layout_from([{"pos": [0, 0], "kind": "map", "title": "全域态势"}]))
    (_, widget), = grid.cells()
    assert isinstance(widget, PlaceholderCell) and widget.primary == "全域态势"


def test_clicking_a_tile_selects_it(qtbot):
    grid = make_grid(qtbot)
    grid.set_layout(next(lay for lay in LAYOUTS if lay.name == "cameras-4"))
    tile = grid.tile_for("cam-02")
    with qtbot.waitSignal(grid.tile_clicked, timeout=5000) as blocker:
        qtbot.mouseClick(tile.surface, Qt.MouseButton.LeftButton)
    assert blocker.args == ["cam-02"]
    assert tile.is_selected() and not grid.tile_for("cam-01").is_selected()

