"""The centres dock renders the ``centres`` entity of the client store and follows its changes."""
from __future__ import annotations

import time

from PySide6.QtWidgets import QMainWindow

from app.federation_view import centre_rows, install_console
from backend_client.store import ClientStore


def centre(cid, level, parent, link, pending=0):
    return {"id": cid, "name": cid.upper(), "level": level, "parent": parent, "link": link, "lag_s": 0.02,
            "last_contact": time.time(), "pending": pending}


def test_tree_shows_links_and_follows_events(qtbot):
    store = ClientStore()
    store.apply_message({"type": "snapshot", "seq": 1, "state": {"centres": [
        centre("city", "city", "", "self"), centre("qx", "township", "city", "up"),
        centre("sw", "department", "city", "up")]}})
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = install_console(window, store)
    tree = panel.tree
    assert tree.topLevelItemCount() == 1
    root = tree.topLevelItem(0)
    assert [root.child(i).data(0, 0x0100) for i in range(root.childCount())] == ["sw", "qx"]  # dept first
    store.apply_message({"type": "event", "seq": 2, "eid": "city-2", "ts": time.time(), "actor": "federation",
                         "entity": "centres", "op": "upsert", "key": "qx",
                         "data": centre("qx", "township", "city", "down", pending=37)})
    qx = tree.topLevelItem(0).child(1)
    assert qx.text(1) == "link down" and qx.text(4) == "37"
    refused = {**centre("qx", "township", "city", "down"), "detail": "Leafnode Error 'Authorization Violation'"}
    store.apply_message({"type": "event", "seq": 3, "eid": "city-3", "ts": time.time(), "actor": "federation",
                         "entity": "centres", "op": "upsert", "key": "qx", "data": refused})
    qx = tree.topLevelItem(0).child(1)
    assert qx.text(1) == "link refused (certificate or password)" and "Authorization" in qx.toolTip(1)


def test_centre_rows_orphans_are_roots():
    rows = centre_rows({"a": centre("a", "township", "nowhere", "up")})
    assert rows == [(centre("a", "township", "nowhere", "up") | {"last_contact": rows[0][0]["last_contact"]}, [])]


def test_records_filtered_by_centre(qtbot):
    store = ClientStore()
    store.apply_message({"type": "snapshot", "seq": 1, "state": {
        "centres": [centre("city", "city", "", "self"), centre("qx", "township", "city", "up")],
        "incidents": [{"id": "qx-INC-1", "title": "河道", "owner": "qx"}, {"id": "city-INC-1", "title": "内涝"}],
        "alerts": [{"id": "qx-A-1", "colour": "red", "title": "水位", "owner": "qx"}]}})
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = install_console(window, store)
    panel.tree.itemActivated.emit(panel.tree.topLevelItem(0).child(0), 0)  # the township in the tree
    shown = panel.records.list
    assert panel.tabs.currentWidget() is panel.records
    assert sorted(shown.topLevelItem(i).text(2) for i in range(shown.topLevelItemCount())) == ["qx-A-1", "qx-INC-1"]
    panel.records.set_centre("")
    assert shown.topLevelItemCount() == 3


def test_offered_tasks_are_this_centres(qtbot):
    store = ClientStore()
    store.apply_message({"type": "auth_ok", "user": "u", "role": "duty_officer", "centre": "qx", "seq": 0,
                         "actions": ["federation.accept"]})
    store.apply_message({"type": "snapshot", "seq": 1, "state": {"tasks": [
        {"id": "city-FTK-00001", "title": "清理河道", "owner": "city", "offer_to": "qx"},
        {"id": "city-FTK-00002", "title": "别处", "owner": "city", "offer_to": "gz"},
        {"id": "qx-TSK-00001", "title": "本地"}]}})
    window = QMainWindow()
    qtbot.addWidget(window)
    panel = install_console(window, store)
    assert panel.offered_tasks() == ["city-FTK-00001"]
