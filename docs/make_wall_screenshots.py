"""docs/wall-*.png: two wall scenes with live video through the real relay (demo clips -> RTSP server -> relay).

    .venv/bin/python docs/make_wall_screenshots.py      # starts its own Xvfb 1920x1080
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHOTS = [("wall-daily-duty.png", "daily-duty",
          {"4": {"kind": "camera", "camera": "cam-14", "alarm": "red", "alert": "demo"},
           "5": {"kind": "camera", "camera": "cam-13", "alarm": "red", "alert": "demo"}}),
         ("wall-cameras-16.png", "cameras-16", {})]


def child(relay: str, token: str) -> None:
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from app.cells import make_cell
    from app.i18n import install_translators
    from app.theme import apply_theme
    from app.wall_window import WallWindow
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state

    app = QApplication(sys.argv[:1])
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))  # as `cc-app --role wall --lang zh_CN`
    install_translators(app, "zh_CN")
    apply_theme(app, pixel_size=22)
    store = ClientStore()
    store.token = token
    feed = Feed(store)
    store.apply_message({"v": 1, "type": "auth_ok", "user": "王小明", "role": "wall_operator", "centre": "yk",
                         "seq": 0, "relay": relay, "actions": []})
    state = demo_state()
    for cam in state["cameras"]:
        cam["state"] = "live"
    feed.snapshot(**state)
    wall = WallWindow(store, ROOT / "layouts", app.primaryScreen(), lambda cell: make_cell(cell, store))
    wall.showFullScreen()
    for name, layout, cells in SHOTS:
        feed.event("walls", {"id": "main", "layout": layout, "cells": cells})
        end = time.monotonic() + 9
        while time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        app.primaryScreen().grabWindow(0).save(str(ROOT / "docs" / name))
        print("saved", name, flush=True)
    wall.close()


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return 0
    from backend.demo.cameras import demo_cameras
    from tests.helpers.rtsp import RelayProc, RtspServer, test_clips

    clips = test_clips(20)
    work = Path(tempfile.mkdtemp(prefix="wall-shots-"))
    rtsp = RtspServer(clips).start()
    cams = [{"id": c["id"], "url": rtsp.url(c["id"]), "sub_url": rtsp.url(c["id"])}
            for c in demo_cameras(f"rtsp://127.0.0.1:{rtsp.port}")]
    relay = RelayProc(work / "relay", cams, token="shots").start()
    display = ":231"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1920x1080x24", "-nolisten", "tcp"])
    try:
        time.sleep(1.5)
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb", PYTHONPATH=str(ROOT))
        subprocess.run([sys.executable, __file__, "--child", relay.base_url, relay.token], env=env, check=True,
                       timeout=180)
    finally:
        xvfb.terminate()
        relay.stop()
        rtsp.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
