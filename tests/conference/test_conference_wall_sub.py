"""A conference site on a small wall cell: the wall plays its main stream, since the relay has no sub stream
for a ``conf-…`` camera (asking for one is a 404 and the tile stays at NO SIGNAL; found by the benchmark)."""
from __future__ import annotations

from pathlib import Path

from app.wall_window import WallWindow
from backend_client.store import ClientStore

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


def test_a_site_without_a_sub_stream_plays_its_main_stream_in_a_small_cell(qtbot):
    store = ClientStore()
    store.apply_message({"type": "auth_ok", "user": "值班员", "role": "wall_operator", "centre": "yk", "seq": 1,
                         "relay": "http://127.0.0.1:9", "actions": []})
    cameras = [{"id": "cam-01", "name": "东门路口", "has_sub": True},
               {"id": "conf-CF-1-video-yjj", "name": "应急管理局视频终端", "has_sub": False, "source": "conference"}]
    cells = {"0": {"kind": "camera", "camera": "conf-CF-1-video-yjj"}, "1": {"kind": "camera", "camera": "cam-01"}}
    store.apply_message({"type": "snapshot", "seq": 1, "state": {
        "walls": [{"id": "main", "layout": "cameras-16", "cells": cells}], "cameras": cameras}})
    wall = WallWindow(store, LAYOUTS)
    try:
        wall.resize(1280, 720)
        wall.show()
        qtbot.waitUntil(lambda: wall.grid.tile_for("conf-CF-1-video-yjj") is not None
                        and wall.grid.tile_for("cam-01") is not None, timeout=10000)
        site, cam = wall.grid.tile_for("conf-CF-1-video-yjj"), wall.grid.tile_for("cam-01")
        assert "/cam/conf-CF-1-video-yjj.ts" in site.player.url and "stream=sub" not in site.player.url
        assert "stream=sub" in cam.player.url  # a 1/16 cell still takes a camera's sub stream where it has one
    finally:
        wall.close()
        wall.deleteLater()
