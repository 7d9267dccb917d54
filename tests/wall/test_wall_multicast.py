"""A wall PC on multicast (`cc-app --multicast lo`): the wall's tile plays the camera's relay multicast group
(libvlc joins it, real frames under Xvfb), the lease is renewed while the camera is on the wall, and released
when a scene without it is taken — then the relay stops sending the group.

Real components: gst RTSP server → camera relay (multicast sender on 127.0.0.1) → libvlc in the WallWindow,
a real backend process and hub; the scenes are taken through the hub (wall.take)."""
from __future__ import annotations

import json
import time

import pytest

from app.wall_window import WallWindow
from backend_client.store import ClientStore
from tests.backend_client.qt_async import qloop, run  # noqa: F401  (fixture)
from tests.backend_client.test_play_source import Receiver
from tests.helpers.backend_proc import start_backend
from tests.helpers.rtsp import rtsp_clips, rtsp_server  # noqa: F401  (pytest fixtures)
from tests.relay.test_multicast import group_for_test
from tests.widgets.conftest import XVFB

pytestmark = [
    pytest.mark.xvfb, pytest.mark.rtsp,
    pytest.mark.skipif(not XVFB, reason="needs a real X server and libvlc (make test runs it under Xvfb)"),
]
T = 60_000
LEASE_S = 2.0


def _scene(cam: str) -> dict:
    return {"schema": 1, "title": cam, "grid": [1, 1], "cells": [{"pos": [0, 0], "kind": "camera", "camera": cam}]}


def test_wall_plays_the_multicast_group_and_lets_it_go_when_the_camera_leaves(qtbot, qloop, rtsp_server, tmp_path):  # noqa: F811
    spec = group_for_test()
    group, port = spec.split(":")[0], int(spec.split(":")[1])
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps([{"id": "cam-01", "name": "one", "url": rtsp_server.url("cam-01"), "multicast": spec},
                                {"id": "cam-02", "name": "two", "url": rtsp_server.url("cam-02")}]))
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "one.json").write_text(json.dumps(_scene("cam-01")))
    (layouts / "two.json").write_text(json.dumps(_scene("cam-02")))
    backend = start_backend(tmp_path, relay=True, cameras=cams,
                            extra_args=["--relay-multicast-iface", "127.0.0.1",
                                        "--relay-multicast-lease", str(LEASE_S), "--layouts", str(layouts)])
    store, wall, rx = ClientStore(), None, None
    try:
        store.use_multicast("lo")
        with qtbot.waitSignal(store.reset, timeout=T):
            store.start(backend.url, backend.token("wall_operator"), "wall@test")
        qtbot.waitUntil(lambda: bool(getattr(store.get("cameras", "cam-01"), "multicast_url", "")), timeout=T)
        rx = Receiver(group, port)
        wall = WallWindow(store, layouts)
        wall.resize(960, 540)
        wall.show()
        qtbot.waitExposed(wall)

        run(qtbot, store.request_take("one"))
        qtbot.waitUntil(lambda: wall.grid.layout_name == "one", timeout=T)
        tile = wall.grid.tile_for("cam-01")
        assert tile is not None
        assert tile.player.url == f"udp://@{group}:{port}" and tile.player.options == (":miface=lo",)
        qtbot.waitUntil(lambda: tile.state == "playing", timeout=T)  # libvlc decoded and showed the group
        started = time.monotonic()  # the wall keeps the lease: the group goes on past two lease times
        qtbot.waitUntil(lambda: rx.drain() and time.monotonic() - started > 2 * LEASE_S, timeout=T)
        assert rx.max_gap < LEASE_S, f"the group paused {rx.max_gap:.1f} s"
        assert tile.state == "playing"

        run(qtbot, store.request_take("two"))  # cam-01 leaves the wall: its lease is released
        qtbot.waitUntil(lambda: wall.grid.layout_name == "two", timeout=T)
        other = wall.grid.tile_for("cam-02")
        assert other is not None and other.player.url.startswith(store.relay_url)  # no group: HTTP-TS
        assert store.multicast_leases.held() == []
        qtbot.waitUntil(lambda: rx.silent_for(1.5), timeout=T)  # the relay stopped sending the group
    finally:
        if wall is not None:
            wall.close()
            wall.deleteLater()
        if rx is not None:
            rx.sock.close()
        run(qtbot, store.stop())
        backend.stop()
