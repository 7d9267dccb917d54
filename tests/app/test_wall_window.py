"""WallWindow: follows the hub's wall state, reports bad scene files, and keys 1–9 take scenes through the hub."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from app.wall_window import WallWindow, open_wall_windows
from backend_client.layouts import load_layouts
from backend_client.store import ClientStore
from tests.backend_client.qt_async import qloop, run  # noqa: F401  (fixture)
from tests.helpers.backend_proc import start_backend
from widgets.simple_cells import UnknownCameraCell
from widgets.video_tile import VideoTile

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS_DIR = ROOT / "layouts"
LAYOUTS, _ = load_layouts(LAYOUTS_DIR)
CAMERAS = [{"id": f"cam-{i:02d}", "name": f"摄像机{i:02d}"} for i in range(1, 21)]

_ALIVE: list = []


@pytest.fixture(autouse=True)
def _close_windows(qtbot):
    # Strong references until teardown, then close (releases the players) and delete.
    yield
    while _ALIVE:
        window = _ALIVE.pop()
        window.close()
        window.deleteLater()
    qtbot.wait(1)


def fed_store(layout: str = "daily-duty", cameras=CAMERAS) -> ClientStore:
    store = ClientStore()
    store.apply_message({"type": "auth_ok", "user": "王小明", "role": "wall_operator", "centre": "yk",
                         "seq": 1, "relay": "http://127.0.0.1:9", "actions": ["wall.take"]})
    store.apply_message({"type": "snapshot", "seq": 1, "state": {
        "walls": [{"id": "main", "layout": layout, "cells": {}}], "cameras": cameras}})
    return store


def wall_event(seq: int, layout: str, cells: dict | None = None) -> dict:
    return {"type": "event", "seq": seq, "eid": f"yk-{seq}", "entity": "walls", "op": "upsert", "key": "main",
            "data": {"id": "main", "layout": layout, "cells": cells or {}}}


def make_window(qtbot, store, layouts_dir=LAYOUTS_DIR) -> WallWindow:
    window = WallWindow(store, layouts_dir)
    _ALIVE.append(window)
    window.resize(1280, 720)
    window.show()
    return window


def test_the_window_shows_the_scene_the_hub_names_and_follows_it(qtbot):
    store = fed_store("daily-duty")
    window = make_window(qtbot, store)
    assert window.grid.layout_name == "daily-duty"
    assert not window.message.isVisible()
    assert all(t.watermark() == "王小明" for t in window.grid.tiles().values())
    seq = 2
    for layout in LAYOUTS:  # every scene file of the repository, cell for cell
        store.apply_message(wall_event(seq, layout.name))
        seq += 1
        assert window.grid.layout_name == layout.name
        shown = window.grid.cells()
        assert [c for c, _ in shown] == list(layout.cells)
        qgrid = window.grid.layout()
        for cell, widget in shown:
            assert qgrid.getItemPosition(qgrid.indexOf(widget)) == (cell.row, cell.col, cell.rowspan, cell.colspan)
        cams = sum(1 for c in layout.cells if c.kind in ("camera", "tour"))
        assert len(window.grid.tiles()) == cams
        assert all(t.player.url.startswith("http://127.0.0.1:9/cam/") for t in window.grid.tiles().values())


def test_without_a_wall_record_the_first_scene_is_shown(qtbot):
    store = ClientStore()
    window = make_window(qtbot, store)
    assert window.grid.layout_name == LAYOUTS[0].name
    # cameras the hub has not announced get no player; they appear once the snapshot names them
    assert any(isinstance(w, UnknownCameraCell) for _, w in window.grid.cells())
    store.apply_message({"type": "snapshot", "seq": 3, "state": {"walls": [], "cameras": CAMERAS}})
    assert not any(isinstance(w, UnknownCameraCell) for _, w in window.grid.cells())


def test_a_warm_switch_through_the_store_keeps_the_playing_tile(qtbot):
    store = fed_store("daily-duty")
    window = make_window(qtbot, store)
    tile = window.grid.tile_for("cam-01")
    player = tile.player
    store.apply_message(wall_event(2, "traffic"))  # traffic also shows cam-01
    assert window.grid.layout_name == "traffic"
    assert window.grid.tile_for("cam-01") is tile and tile.player is player
    store.apply_message(wall_event(3, "traffic", {"6": {"kind": "camera", "camera": "cam-20"}}))
    assert isinstance(window.grid.cells()[6][1], VideoTile) and window.grid.cells()[6][1].camera_id == "cam-20"
    assert window.grid.tile_for("cam-01") is tile


def test_a_bad_scene_file_is_named_with_its_field_and_the_rest_still_works(qtbot, tmp_path, caplog):
    for name in ("daily-duty", "traffic"):
        shutil.copy(LAYOUTS_DIR / f"{name}.json", tmp_path)
    bad = tmp_path / "broken.json"
    bad.write_text('{"schema": 1, "title": "坏", "grid": [2, 2], "cells": [{"pos": [1, 0], "span": [2, 1], '
                   '"kind": "map"}]}', encoding="utf-8")
    store = fed_store("broken")
    window = make_window(qtbot, store, tmp_path)
    text = window.message.text()
    assert window.message.isVisible()
    assert "broken.json" in text and "cells[0].span" in text and "overflows" in text
    assert any("broken.json: cells[0].span" in r.getMessage() for r in caplog.records)
    assert window.grid.layout_name == "daily-duty"  # nothing else to show: the first good scene
    assert [lay.name for lay in window.layouts] == ["daily-duty", "traffic"]
    store.apply_message(wall_event(2, "traffic"))
    assert window.grid.layout_name == "traffic"
    store.apply_message(wall_event(3, "no-such-scene"))
    assert window.grid.layout_name == "traffic"  # kept
    assert "no-such-scene" in window.message.text()


def test_an_empty_layouts_folder_is_an_error_not_a_crash(qtbot, tmp_path):
    window = make_window(qtbot, fed_store(), tmp_path)
    assert window.grid.current_layout() is None
    assert str(tmp_path) in window.message.text() and window.message.isVisible()


def test_offline_hub_is_said_and_the_scene_stays(qtbot):
    store = fed_store("cameras-4")
    window = make_window(qtbot, store)
    store.connection_changed.emit("offline")
    assert window.message.isVisible() and "offline" in window.message.text()
    assert window.grid.layout_name == "cameras-4"
    store.connection_changed.emit("online")
    assert not window.message.isVisible()


def test_open_wall_windows_covers_each_chosen_screen(qtbot):
    store = fed_store()
    windows = open_wall_windows(store, LAYOUTS_DIR, fullscreen=False)
    _ALIVE.extend(windows)
    screens = QGuiApplication.screens()
    assert len(windows) == len(screens)
    assert windows[0].geometry() == screens[0].geometry()
    assert windows[0].windowFlags() & Qt.WindowType.FramelessWindowHint
    with pytest.raises(ValueError, match="no screen 7"):
        open_wall_windows(store, LAYOUTS_DIR, screens=[7])


def test_key_3_takes_the_third_scene_through_the_real_hub(qtbot, qloop, tmp_path):  # noqa: F811
    backend = start_backend(tmp_path)
    try:
        store = ClientStore()
        with qtbot.waitSignal(store.reset, timeout=30_000):
            store.start(backend.url, backend.token("wall_operator"), "wall@test")
        window = make_window(qtbot, store)
        assert window.grid.layout_name == store.wall("main").layout
        third = window.layouts[2].name
        assert third != window.grid.layout_name
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        with qtbot.waitSignal(window.take_requested, timeout=5000) as asked:
            with qtbot.waitSignal(store.wall_changed, timeout=30_000,
                                  check_params_cb=lambda wall: wall.layout == third):
                qtbot.keyClick(window, Qt.Key.Key_3)
        assert asked.args == [third]
        assert window.grid.layout_name == third
        audit = backend.audit_last()
        assert audit["action"] == "wall.take" and audit["args"]["layout"] == third and audit["ok"]
        if len(window.layouts) < 9:  # a key with no scene behind it sends nothing
            with qtbot.assertNotEmitted(window.take_requested):
                qtbot.keyClick(window, Qt.Key.Key_9)
        run(qtbot, store.stop())
    finally:
        backend.stop()
