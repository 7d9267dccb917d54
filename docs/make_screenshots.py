"""Render docs/console.png, wall-control.png, map.png, incident-desk.png and consultation.png offscreen from realistic demo state (no hub needed), with
every feature installed as the app does (map, incident desk, dispatch, wall control …).

    .venv/bin/python docs/make_screenshots.py [--lang zh_CN|en]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--lang", default="zh_CN")
    p.add_argument("--out", type=Path, default=ROOT / "docs")
    args = p.parse_args()
    from PySide6.QtCore import QLocale
    from PySide6.QtWidgets import QApplication

    from PySide6.QtWidgets import QDockWidget

    from app import features
    from app.console_window import ConsoleWindow
    from app.incident_desk import IncidentDesk
    from app.consultation_window import ConsultationWindow
    from app.i18n import install_translators
    from app.theme import apply_theme
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state, loop_under_way

    app = QApplication([])
    if args.lang == "zh_CN":
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_translators(app, args.lang if args.lang != "en" else "")
    apply_theme(app)
    store = ClientStore()
    feed = Feed(store)
    feed.auth(user="王建国")
    feed.snapshot(**loop_under_way(demo_state(alerts=60, seed=11), time.time()))
    store._on_state("online")  # as if connected: the status bar shows the online state
    console = ConsoleWindow(store, ROOT / "layouts")
    features.install(console, store, "install_console")
    console.resize(1920, 1080)
    console.show()
    console.alert_list.selectRow(1)
    console.camera_list.selectRow(2)
    console.scene_list.setCurrentRow(0)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    args.out.mkdir(exist_ok=True)
    console.grab().save(str(args.out / "console.png"))
    console.findChild(QDockWidget, "wallControl").raise_()
    console.wall_control.prepare_scene("cameras-4")  # the next scene in preview, beside what is on the wall
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)
    console.grab().save(str(args.out / "wall-control.png"))
    console.map_dock.raise_()
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QSplitter

    from app.map_feature import MapPanel, NearbyPanel
    panel = MapPanel(store)  # the console's map dock, larger: the resources near the first incident
    nearby = NearbyPanel(store, panel.view, list(panel.view.layers.resources.values()))
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(panel)
    split.addWidget(nearby)
    split.setSizes([720, 240])
    split.resize(1280, 960)
    split.show()
    first = store.incidents()[0]
    nearby.radius.setValue(6.0)
    nearby.set_incident(first.id)
    panel.view.set_view(first.lat, first.lon, 12.6)
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)
    split.grab().save(str(args.out / "map.png"))
    split.close()
    desk = IncidentDesk(store)  # the incident desk on its own, larger, the incident with tasks chosen
    desk.resize(1880, 620)
    desk.show()
    desk.select(store.incidents()[0].id)
    desk.tabs.setCurrentIndex(0)
    for _ in range(10):
        app.processEvents()
        time.sleep(0.02)
    desk.grab().save(str(args.out / "incident-desk.png"))
    desk.shutdown()
    leader = ConsultationWindow(store)
    features.install(leader, store, "install_consultation")
    leader.resize(1920, 1080)
    leader.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    leader.grab().save(str(args.out / "consultation.png"))
    print(f"wrote console.png, wall-control.png, map.png, incident-desk.png and consultation.png in {args.out}")
    console.close()
    leader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
