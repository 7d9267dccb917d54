"""A playing wall at rest, under a real X server and libvlc: every tile draws the watermark (once, sized to the
picture, again after a reconnect), one timer polls every player, and the video windows are followed by events
(a burst after a move) instead of a steady 100 ms timer."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QWidget

from backend_client.layouts import parse_layout
from tests.widgets.conftest import XVFB, LiveTs
from widgets.video_player import _Poller, vlc
from widgets.wall_grid import WallGrid
from widgets.x11_batch import VideoWindows, Xcb

pytestmark = [
    pytest.mark.xvfb,
    pytest.mark.skipif(not XVFB, reason="needs a real X server and libvlc: run under "
                       "`xvfb-run -a -s \"-screen 0 1920x1080x24\"` with CC_TEST_XVFB=1"),
]

CAMS = ["cam-01", "cam-02", "cam-03", "cam-04"]


@pytest.fixture
def live():
    from tests.widgets.conftest import FFMPEG

    if FFMPEG is None:
        pytest.skip("ffmpeg is not installed")
    source = LiveTs(size="320x240", rate=25).start()
    yield source
    source.stop()


@pytest.fixture
def grid(qtbot, live):
    top = QWidget()
    top.setGeometry(0, 0, 1000, 800)
    grid = WallGrid(lambda cam, sub: f"{live.url}?camera={cam}", lambda cam: cam, parent=top)
    grid.setGeometry(0, 0, 800, 600)
    top.show()
    qtbot.waitExposed(top)
    grid.set_watermark("值班员 王小明")
    grid.set_layout(parse_layout({"schema": 1, "grid": [2, 2], "cells": [
        {"pos": [i % 2, i // 2], "kind": "camera", "camera": c} for i, c in enumerate(CAMS)]}, "four.json", "four"))
    qtbot.waitUntil(lambda: all(t.state == "playing" for t in grid.tiles().values()), timeout=30_000)
    yield grid
    grid.shutdown()
    top.close()
    top.deleteLater()
    qtbot.wait(1)


def marquees(grid: WallGrid) -> list[tuple[int, int]]:
    """(enabled, text size) of each tile's libvlc marquee, as libvlc's video output has it."""
    opt = vlc.VideoMarqueeOption
    return [(t.player._player.video_get_marquee_int(opt.Enable), t.player._player.video_get_marquee_int(opt.Size))
            for t in grid.tiles().values()]


def test_every_tile_draws_the_watermark_sized_to_its_picture_also_after_a_reconnect(qtbot, grid, live):
    assert marquees(grid) == [(1, max(10, 240 // 30))] * 4
    tile = grid.tile_for("cam-02")
    live.stop()  # every stream goes: no signal, then libvlc's video outputs are made anew on reconnection
    qtbot.waitUntil(lambda: tile.state == "no_signal", timeout=15_000)
    live.start()
    qtbot.waitUntil(lambda: all(t.state == "playing" for t in grid.tiles().values()), timeout=60_000)
    assert marquees(grid) == [(1, max(10, 240 // 30))] * 4


def test_one_timer_polls_every_player_and_the_windows_are_followed_by_events(qtbot, grid):
    poller = _Poller.shared()
    assert all(poller.polling(t.player) for t in grid.tiles().values())
    for tile in grid.tiles().values():  # no poll timer of its own: a player's only timer is its retry timer
        assert [t for t in tile.player.findChildren(type(poller._timer)) if t.interval() == tile.player.POLL_MS] == []
    windows = VideoWindows.shared()
    qtbot.waitUntil(lambda: not windows.following(), timeout=10_000)  # at rest: no steady 100 ms timer

    x = Xcb.connect()
    try:
        grid.move(150, 120)  # a container moves (the tiles get no move event of their own)
        QApplication.processEvents()

        def followed() -> bool:
            windows.sync()
            for tile in grid.tiles().values():
                s = tile.surface
                top_left = s.mapToGlobal(s.rect().topLeft())
                if x.geometry(s.video_window()) != (top_left.x(), top_left.y(), s.width(), s.height()):
                    return False
            return True
        qtbot.waitUntil(followed, timeout=3_000)  # by the burst its repaint starts, or the check once a second
        qtbot.waitUntil(lambda: not windows.following(), timeout=10_000)  # and no timer goes on once all is still
    finally:
        x.close()
