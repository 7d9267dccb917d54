"""Sandbox: a wall window with live video and no hub, for screenshots and memory/CPU measurements.

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tools/wall_demo.py --layout cameras-16 \
        --seconds 12 --shot /tmp/wall.png [--switch traffic] [--relay http://127.0.0.1:8780 --token T]

Without --relay, one local ffmpeg test pattern (HTTP-TS) stands in for every camera of the relay.
The client store is fed the hub's messages directly (auth_ok + snapshot), as a hub would send them.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.wall_window import WallWindow  # noqa: E402
from backend_client.store import ClientStore  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--layout", default="daily-duty")
    ap.add_argument("--switch", default="", help="switch to this scene half-way (warm switch)")
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--shot", default="", help="save a screenshot of the wall here before exiting")
    ap.add_argument("--relay", default="", help="a running camera relay (default: a local test pattern)")
    ap.add_argument("--token", default="demo")
    ap.add_argument("--cameras", type=int, default=20)
    ap.add_argument("--user", default="王小明")
    args = ap.parse_args()

    source = None
    relay = args.relay
    if not relay:
        from tests.widgets.conftest import LiveTs  # the same stand-in the video tests use

        source = LiveTs(size="704x576").start()
        relay = source.url.rsplit("/cam/", 1)[0]

    app = QApplication(sys.argv)
    store = ClientStore()
    store.token = args.token
    store.apply_message({"type": "auth_ok", "user": args.user, "role": "wall_operator", "centre": "yk", "seq": 1,
                         "relay": relay, "actions": ["wall.take"]})
    cameras = [{"id": f"cam-{i:02d}", "name": f"演示摄像机 {i:02d}"} for i in range(1, args.cameras + 1)]
    store.apply_message({"type": "snapshot", "seq": 1, "state": {
        "walls": [{"id": "main", "layout": args.layout, "cells": {}}], "cameras": cameras}})
    window = WallWindow(store, ROOT / "layouts", app.primaryScreen())
    window.showFullScreen()

    import psutil

    proc = psutil.Process()
    proc.cpu_percent()
    base_rss = proc.memory_info().rss
    t0 = time.monotonic()
    seq = [1]

    def switch():
        seq[0] += 1
        started = time.perf_counter()
        store.apply_message({"type": "event", "seq": seq[0], "eid": f"yk-{seq[0]}", "entity": "walls",
                             "op": "upsert", "key": "main", "data": {"id": "main", "layout": args.switch}})
        print(json.dumps({"switch_to": args.switch, "ms": round((time.perf_counter() - started) * 1000, 1)}))

    def finish():
        tiles = window.grid.tiles()
        report = {
            "layout": window.grid.layout_name, "tiles": len(tiles),
            "playing": sum(t.state == "playing" for t in tiles.values()),
            "rss_mb": round(proc.memory_info().rss / 1e6, 1),
            "rss_growth_mb": round((proc.memory_info().rss - base_rss) / 1e6, 1),
            "cpu_percent_of_one_core": proc.cpu_percent(), "seconds": round(time.monotonic() - t0, 1),
            "threads": proc.num_threads(),
        }
        print(json.dumps(report, ensure_ascii=False))
        if args.shot:
            app.primaryScreen().grabWindow(0).save(args.shot)
        window.close()
        if source is not None:
            source.stop()
        app.quit()

    if args.switch:
        QTimer.singleShot(int(args.seconds * 500), switch)
    QTimer.singleShot(int(args.seconds * 1000), finish)
    app.exec()
    return 0


if __name__ == "__main__":
    os.environ.setdefault("QT_QPA_FONTDIR", "/usr/share/fonts")
    sys.exit(main())
