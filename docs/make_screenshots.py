"""Render docs/console.png and docs/consultation.png offscreen from realistic demo state (no hub needed).

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

    from app.console_window import ConsoleWindow
    from app.consultation_window import ConsultationWindow
    from app.i18n import install_translators
    from app.theme import apply_theme
    from backend_client.store import ClientStore
    from tests.app.conftest import Feed, demo_state

    app = QApplication([])
    if args.lang == "zh_CN":
        QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    install_translators(app, args.lang if args.lang != "en" else "")
    apply_theme(app)
    store = ClientStore()
    feed = Feed(store)
    feed.auth(user="王建国")
    feed.snapshot(**demo_state(alerts=60, seed=11))
    store._on_state("online")  # as if connected: the status bar shows the online state
    console = ConsoleWindow(store, ROOT / "layouts")
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
    leader = ConsultationWindow(store)
    leader.resize(1920, 1080)
    leader.show()
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)
    leader.grab().save(str(args.out / "consultation.png"))
    print(f"wrote {args.out / 'console.png'} and {args.out / 'consultation.png'}")
    console.close()
    leader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
