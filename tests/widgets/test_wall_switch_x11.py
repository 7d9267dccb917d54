"""A warm 16-cell scene switch under a real X server: every camera's video window is in its new cell as the
X server sees it (geometry asked of the server on a connection of the test's own, not Qt's idea), mapped
while it plays, and the live picture is on the screen there. Also: the window goes with the surface."""
from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication, QImage

from backend_client.layouts import parse_layout
from tests.widgets.conftest import XVFB, LiveTs
from widgets.video_tile import VideoTile
from widgets.wall_grid import WallGrid
from widgets.x11_batch import VideoWindows, Xcb

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not XVFB, reason="needs a real X server and libvlc: run under "
                       "`xvfb-run -a -s \"-screen 0 1920x1080x24\"` with CC_TEST_XVFB=1"),
]

CAMS = [f"cam-{i:02d}" for i in range(1, 17)]


def scene(name: str, cams: list[str]):
    return parse_layout({"schema": 1, "title": name, "grid": [4, 4],
                         "cells": [{"pos": [i % 4, i // 4], "kind": "camera", "camera": c} for i, c in enumerate(cams)]},
                        f"{name}.json", name)


@pytest.fixture
def xserver():
    x = Xcb.connect()
    yield x
    x.close()


@pytest.fixture
def small_live():
    from tests.widgets.conftest import FFMPEG

    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    live = LiveTs(size="176x144", rate=25).start()  # 16 decoders of a small picture: light on a shared machine
    yield live
    live.stop()


@pytest.fixture
def grid(qtbot, small_live):
    grid = WallGrid(lambda cam, sub: f"{small_live.url}?camera={cam}", lambda cam: cam)
    grid.setGeometry(0, 0, 1280, 960)
    grid.show()
    qtbot.waitExposed(grid)
    yield grid
    grid.shutdown()
    grid.close()
    grid.deleteLater()
    qtbot.wait(1)


def cell_rect(grid: WallGrid, tile: VideoTile) -> tuple[int, int, int, int]:
    """Where Qt has laid out the tile's surface, in screen pixels."""
    s = tile.surface
    top_left = s.mapToGlobal(QPoint(0, 0))
    ratio = s.devicePixelRatioF()
    return round(top_left.x() * ratio), round(top_left.y() * ratio), round(s.width() * ratio), round(s.height() * ratio)


def screen(x, y, w, h) -> np.ndarray:
    image = QGuiApplication.primaryScreen().grabWindow(0, x, y, w, h).toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes()).reshape(image.height(),
                                                                                                image.bytesPerLine())
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3)


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool is not installed (Debian package xdotool)")
def test_reversed_switch_puts_every_video_window_in_its_new_cell_on_the_x_server(qtbot, grid, xserver, tmp_path):
    assert VideoWindows.shared() is not None, "Qt's xcb connection is not reachable: the batch path is off"
    first, second = scene("a", CAMS), scene("b", list(reversed(CAMS)))
    grid.set_layout(first)
    tiles = {cam: grid.tile_for(cam) for cam in CAMS}
    qtbot.waitUntil(lambda: all(t.state == "playing" for t in tiles.values()), timeout=60_000)
    windows = {cam: t.surface.video_window() for cam, t in tiles.items()}
    for cam, tile in tiles.items():  # libvlc draws into the window the batch moves
        assert tile.player._player.get_xwindow() == windows[cam]
    before = {cam: xserver.geometry(windows[cam]) for cam in CAMS}

    grid.set_layout(second)  # no event processing in between: set_layout itself sends the whole batch
    VideoWindows.shared().sync()  # (the X server has processed Qt's connection's requests up to here)
    after = {cam: xserver.geometry(windows[cam]) for cam in CAMS}
    for i, cam in enumerate(reversed(CAMS)):
        tile = grid.tile_for(cam)
        assert tile is tiles[cam], "the switch must move the running tile, not start another"
        assert grid.layout().getItemPosition(grid.layout().indexOf(tile))[:2] == (i // 4, i % 4)
        assert after[cam] == cell_rect(grid, tile), (cam, after[cam], cell_rect(grid, tile))
        assert after[cam] == before[CAMS[i]], f"{cam} is not where {CAMS[i]} was"
        assert xserver.map_state(windows[cam]) == "viewable"
    assert len(set(after.values())) == 16

    # …and the picture is on the screen in every cell (the test pattern's colours, not black)
    qtbot.wait(300)
    for cam in CAMS:
        x, y, w, h = after[cam]
        pixels = screen(x, y, w, h)
        assert pixels.std() > 20, f"{cam}: no picture in its new cell"
    QGuiApplication.primaryScreen().grabWindow(0, 0, 0, 1280, 960).save(str(tmp_path / "after-switch.png"))

    # a real click (through the X server) on a camera's picture reaches the tile under it
    x, y, w, h = after["cam-05"]
    with qtbot.waitSignal(grid.tile_clicked, timeout=10_000) as clicked:
        subprocess.run(["xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1"], check=True, timeout=10)
    assert clicked.args == ["cam-05"]


def test_a_tile_without_picture_unmaps_its_window_and_a_deleted_tile_takes_it_along(qtbot, xserver):
    tile = VideoTile()
    tile.setGeometry(50, 50, 320, 240)
    tile.show()
    qtbot.waitExposed(tile)
    tile.set_camera("cam-x", "cam-x")
    tile.play("http://127.0.0.1:9/cam/none.ts")  # nothing listens: never a picture
    xid = tile.surface.video_window()
    qtbot.waitUntil(lambda: xserver.geometry(xid) == cell_rect(None, tile), timeout=5_000)
    assert xserver.map_state(xid) == "unmapped"  # Qt's Connecting… / NO SIGNAL shows
    # sync: our query comes on another X connection, so it must wait until the server has done it
    tile.surface.set_video_shown(True, sync=True)
    assert xserver.map_state(xid) == "viewable"
    tile.surface.set_video_shown(False, sync=True)
    assert xserver.map_state(xid) == "unmapped"
    tile.close_player()
    assert xserver.map_state(xid) == "gone"
    tile.close()
    tile.deleteLater()


def test_the_video_window_follows_when_a_container_of_the_tile_moves(qtbot, xserver):
    from PySide6.QtWidgets import QApplication, QWidget

    top = QWidget()
    top.setGeometry(0, 0, 800, 600)
    box = QWidget(top)  # the tile moves with it, without a move event of its own
    box.setGeometry(10, 10, 400, 300)
    box.setAutoFillBackground(True)  # opaque: Qt may move it by a blit, repainting nothing in it
    tile = VideoTile(box)
    tile.setGeometry(0, 0, 320, 240)
    top.show()
    qtbot.waitExposed(top)
    tile.set_camera("cam-x", "cam-x")
    xid = tile.surface.video_window()
    try:
        for pos in ((200, 150), (333, 222)):
            box.move(*pos)
            QApplication.processEvents()

            def followed() -> bool:
                VideoWindows.shared().sync()
                return xserver.geometry(xid) == cell_rect(None, tile)
            qtbot.waitUntil(followed, timeout=5000)  # within the follow timer's period
    finally:
        tile.close_player()
        top.close()
        top.deleteLater()
