"""The conference panel on a real backend, Janus and aiortc sites: it shows the sites and its actions moderate them."""
from __future__ import annotations

import json
import os
import shutil

import pytest

from backend_client.store import ClientStore
from tests.backend_client.qt_async import run

pytestmark = pytest.mark.skipif(shutil.which("janus") is None, reason="Debian package janus not installed")
T = 60_000


def test_panel_shows_sites_and_moderates(qtbot, qloop, tmp_path):
    from app.conference_panel import ConferencePanel
    from tests.conference.bots import Bot
    from tests.conference.test_conference_rooms import SITES
    from tests.helpers.backend_proc import start_backend

    bots = [Bot(tid, name, i + 1) for i, (tid, name, _d, _t) in enumerate(SITES[:3])]
    records = [{"id": b.terminal, "name": b.name, "department": d, "township": t,
                "agent": run(qtbot, b.serve_agent())} for b, (_i, _n, d, t) in zip(bots, SITES)]
    path = tmp_path / "terminals.json"
    path.write_text(json.dumps(records, ensure_ascii=False), "utf-8")
    backend = start_backend(tmp_path, extra_args=("--conference-terminals", str(path),
                                                  "--janus-rtp-ports", "42000-42999"))
    store = ClientStore()
    try:
        with qtbot.waitSignal(store.reset, timeout=T):
            store.start(backend.url, backend.token("leader"), "pytest")
        panel = ConferencePanel(store)
        qtbot.addWidget(panel)
        panel.resize(1100, 420)
        panel.show()
        assert panel.view.title.text() == "No conference open" and not panel.actions["mute_all"].isEnabled()
        room = run(qtbot, store.command("conference.create", {"title": "江南街道 内涝会商"}))["room"]
        run(qtbot, store.command("conference.invite", {"room": room, "terminals": [b.terminal for b in bots]}))
        qtbot.waitUntil(lambda: panel.view.table.rowCount() == 3, timeout=T)
        assert panel.picker.currentData() == room and "3 sites" in panel.view.title.text()

        panel.view.select(bots[1].terminal)
        row = panel.view.table.currentRow()
        panel.actions["mute"].trigger()
        qtbot.waitUntil(lambda: panel.view.table.item(row, 1).text() == "muted", timeout=T)
        assert sorted(panel.view.table.item(r, 1).text() for r in range(3)) == ["muted", "on", "on"]

        panel.actions["split_9"].trigger()
        qtbot.waitUntil(lambda: len(panel.view.preview._names) == 9, timeout=T)
        assert sorted(panel.view.preview._names[:3]) == sorted(b.name for b in bots)  # by arrival

        run(qtbot, bots[2].hand(True))
        hand_row = lambda: next(r for r in range(3) if panel.view.table.item(r, 0).data(256) == bots[2].terminal)  # noqa
        qtbot.waitUntil(lambda: panel.view.table.item(hand_row(), 3).text() == "✋ 1"
                        and panel.actions["next_hand"].isEnabled(), timeout=T)
        panel.actions["next_hand"].trigger()  # speaker-following: the hand's site takes the first tile
        qtbot.waitUntil(lambda: "speaking" in panel.view.table.item(hand_row(), 0).text(), timeout=T)
        assert panel.view.preview._names[0] == bots[2].name and panel.view.table.item(hand_row(), 3).text() == ""

        panel.actions["rollcall"].trigger()
        qtbot.waitUntil(lambda: "Roll-call:" in panel.view.rollcall.text(), timeout=T)
        assert panel.actions["rollcall"].text() == "Stop roll-call"
        panel.actions["lock"].trigger()
        qtbot.waitUntil(lambda: "locked" in panel.view.title.text(), timeout=T)
        path = os.environ.get("CC_CONFERENCE_SHOT")
        if path:
            from PySide6.QtWidgets import QApplication

            from app.theme import apply_theme
            apply_theme(QApplication.instance())
            qtbot.wait(200)
            panel.grab().save(path)
    finally:
        run(qtbot, store.stop())
        for b in bots:
            run(qtbot, b.close())
        backend.stop()
