"""The duty console: alerts appear at once, actions follow the role, intents reach the store and a real hub."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea

from app.console_window import ConsoleWindow, IncidentDialog
from tests.app.conftest import demo_state

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"


@pytest.fixture
def console(qtbot, store, feed):
    feed.auth()
    feed.snapshot(**demo_state(alerts=12, seed=5))
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.alert_list.alert_model.throttle.idle, timeout=5000)
    yield window
    window.close()


def first_unacked(window: ConsoleWindow):
    model = window.alert_list.alert_model
    return next(a for a in model.records() if not a.acked)


def test_a_new_alert_shows_within_one_event_loop_turn(console, feed):
    feed.event("alerts", {"id": "yk-A-9001", "colour": "red", "title": "西城街道 燃气泄漏 燃气管道泄漏",
                          "created": time.time(), "source": "sensor", "event": "燃气泄漏"})
    QCoreApplication.processEvents()
    model = console.alert_list.alert_model
    assert model.row_of("yk-A-9001") == 0  # red and newest: on top


def test_acknowledge_sends_the_intent_for_the_selected_unacked_alerts(console, store, qtbot):
    target = first_unacked(console)
    console.alert_list.select_key(target.id)
    assert console.ack_action.isEnabled()
    assert console.ack_action.shortcut().toString() == "Ctrl+K" and console.ack_action.toolTip()
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        console.ack_action.trigger()
    assert sent.args == ["alert.ack", {"id": target.id}]


def test_acknowledge_is_disabled_on_an_acknowledged_alert_and_for_a_leader(qtbot, store, feed):
    feed.auth(role="leader", user="zhao", actions=[])
    feed.snapshot(**demo_state(alerts=12, seed=5))
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.alert_list.alert_model.throttle.idle, timeout=5000)
    window.alert_list.select_key(first_unacked(window).id)
    assert not window.ack_action.isEnabled()
    assert not window.new_incident_action.isEnabled()
    assert not window.take_actions[0].isEnabled()
    assert window.acknowledge_selected() == []  # even if triggered some other way: nothing sent
    assert "zhao" in window.user_label.text()
    window.close()


def test_acknowledged_alert_disables_ack(console):
    model = console.alert_list.alert_model
    acked = next(a for a in model.records() if a.acked)
    console.alert_list.select_key(acked.id)
    assert not console.ack_action.isEnabled()


def test_camera_activation_plays_in_the_selected_preview_cell(console, store, qtbot):
    console.select_tile(2)
    assert console.tiles[2].is_selected() and not console.tiles[0].is_selected()
    view = console.camera_list
    row = 3
    camera = view.camera_model.record(row)
    rect = view.visualRect(view.camera_model.index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert console.tiles[2].camera_id == camera.id
    assert console.tiles[2].player.url == store.play_url(camera.id, sub=True)
    assert console.tiles[2].watermark() == "wang"
    # Enter on another camera, after choosing cell 1 with its shortcut action
    console.preview_actions[0].trigger()
    other = view.camera_model.record(5)
    view.setFocus()
    view.setCurrentIndex(view.camera_model.index(5, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert console.tiles[0].camera_id == other.id
    console.stop_preview_action.trigger()
    assert console.tiles[0].camera_id == ""


def test_scenes_list_take_shortcuts_and_the_current_wall_scene(console, store, feed, qtbot):
    names = [lay.name for lay in console.layouts]
    assert names and names[0] == "daily-duty"
    assert console.scene_list.count() == len(names)
    assert console.scene_list.item(0).text().startswith("▶")  # the snapshot's wall shows daily-duty
    assert [a.shortcut().toString() for a in console.take_actions] == [f"Ctrl+{n}" for n in range(1, 10)]
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        console.take_actions[1].trigger()
    assert sent.args == ["wall.take", {"layout": names[1], "wall": "main"}]
    feed.event("walls", {"id": "main", "layout": names[1], "cells": {}})
    assert console.scene_list.item(1).text().startswith("▶")
    assert not console.scene_list.item(0).text().startswith("▶")
    assert console.layouts[1].title_en in console.wall_now.text() or console.layouts[1].title in console.wall_now.text()


def test_new_incident_from_alert(console, store, qtbot):
    target = first_unacked(console)
    console.alert_list.select_key(target.id)
    assert console.new_incident_action.isEnabled()
    dialog = IncidentDialog(target, console)
    title, category, grade = dialog.values()
    assert title == target.title and category == "自然灾害"
    assert grade == {"red": 2, "orange": 3}.get(target.colour, 4)
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        console.create_incident(target, "测试事件", "事故灾难", 3)
    action, args = sent.args
    assert action == "incident.create"
    assert args["alert_id"] == target.id and args["grade"] == 3 and args["township"] == target.township


def test_status_bar_shows_connection_user_and_seq(console, store, feed, qtbot):
    store._on_state("online")
    assert console.connection_label.property("state") == "online"
    feed.event("alerts", {"id": "x", "colour": "blue", "title": "t", "created": time.time()})
    qtbot.waitUntil(lambda: console.seq_label.text().endswith(str(store.seq)), timeout=3000)
    store._on_state("offline")
    assert console.connection_label.property("state") == "offline"
    assert console.user_label.text().startswith("wang")


def test_a_refused_command_is_shown(console, store):
    store.command_failed.emit("alert.ack", "role leader may not alert.ack")
    assert "role leader may not alert.ack" in console.statusBar().currentMessage()


# ---- with the real backend -------------------------------------------------------------------------
def run_until(loop, condition, timeout: float, what: str) -> None:
    async def wait():
        deadline = loop.time() + timeout
        while not condition():
            if loop.time() > deadline:
                raise TimeoutError(f"not within {timeout} s: {what}")
            await asyncio.sleep(0.05)
    loop.run_until_complete(wait())


def run_soon(loop, fn) -> None:
    """Run ``fn`` inside the running loop, as a key press in the app would."""
    async def call():
        fn()
    loop.run_until_complete(call())


def test_acknowledge_and_take_reach_the_real_hub(qapp, qtbot, tmp_path):
    import qasync

    from backend_client.store import ClientStore
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path, demo=True, extra_args=["--demo-seed", "3"])
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    store = ClientStore()
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    try:
        store.start(backend.url, backend.token("duty_officer"))
        model = window.alert_list.alert_model
        run_until(loop, lambda: store.connection == "online" and any(not a.acked for a in model.records()),
                  90, "an unacknowledged demo alert in the console")
        target = next(a for a in model.records() if not a.acked)
        window.alert_list.clearSelection()
        assert window.alert_list.select_key(target.id)
        run_soon(loop, window.ack_action.trigger)
        run_until(loop, lambda: store.get("alerts", target.id).acked, 30, "the hub's acked event")
        run_until(loop, lambda: not model.data(model.index(model.row_of(target.id), 2), Qt.ItemDataRole.FontRole),
                  5, "the row no longer bold")
        acks = [r for r in backend.audit_rows() if r["action"] == "alert.ack"]
        assert acks and acks[-1]["ok"] and acks[-1]["args"]["id"] == target.id
        assert store.get("alerts", target.id).acked_by == acks[-1]["user"]

        run_soon(loop, window.take_actions[1].trigger)
        wanted = window.layouts[1].name
        run_until(loop, lambda: getattr(store.wall("main"), "layout", "") == wanted, 30, "the wall's new scene")
        run_until(loop, lambda: window.scene_list.item(1).text().startswith("▶"), 5, "the scene list marks it")
    finally:
        window.close()
        loop.run_until_complete(store.stop())
        backend.stop()
        asyncio.set_event_loop(None)
        loop.close()


def test_camera_list_shows_health_and_follows_it(console, store, feed, qtbot):
    model = console.camera_list.camera_model
    assert model.rowCount() == len(store.cameras()) > 0
    cam = store.cameras()[0]
    feed.event("cameras", {**cam.to_dict(), "state": "lost", "fps": 0.0})
    qtbot.waitUntil(lambda: model.record(0).state == "lost", timeout=3000)
    assert model.data(model.index(0, 1)) == "Signal lost"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole).name() == "#e5322d"
    assert model.data(model.index(0, 2)) == ""
    feed.event("cameras", {**cam.to_dict(), "state": "live", "fps": 0.0})  # live, its rates not measured yet
    qtbot.waitUntil(lambda: model.record(0).state == "live", timeout=3000)
    assert model.data(model.index(0, 2)) == "…"
    feed.event("cameras", {**cam.to_dict(), "state": "live", "fps": 24.6})
    qtbot.waitUntil(lambda: model.record(0).fps == 24.6, timeout=3000)
    assert model.data(model.index(0, 2)) == "25"


def test_keyboard_acknowledge_with_ctrl_k_and_space(console, store, qtbot):
    target = first_unacked(console)
    view = console.alert_list
    console.activateWindow()
    view.setFocus()
    view.select_key(target.id)
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        qtbot.keyClick(view, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert sent.args == ["alert.ack", {"id": target.id}]
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        qtbot.keyClick(view, Qt.Key.Key_Space)
    assert sent.args == ["alert.ack", {"id": target.id}]


def test_the_console_with_every_feature_fits_a_1080_line_screen(qtbot, store, feed):
    """Every feature's docks in place, as the app opens it: on a 1920×1080 screen the whole window shows,
    status bar included. The side docks are put in tabs after they were added; stacked, they had made the
    window 1301 px tall, and it stayed so, its status bar below the screen's edge."""
    from app import features

    feed.auth()
    feed.snapshot(**demo_state(alerts=12, seed=5))
    window = ConsoleWindow(store, LAYOUTS)
    qtbot.addWidget(window)
    features.install(window, store, "install_console")
    assert window.findChild(QDockWidget, "mapDock") is not None  # the features are there
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    assert window.height() == 1080
    bar = window.statusBar()
    assert bar.isVisible() and bar.geometry().bottom() < window.height()
    # every side dock shows whole across (the wall control's six buttons in a row made it scroll sideways)
    qtbot.wait(50)  # the docks get their share of the width after a turn of the event loop
    for dock in window.findChildren(QDockWidget):
        if window.dockWidgetArea(dock) != Qt.DockWidgetArea.RightDockWidgetArea or dock.isHidden():
            continue  # (a dock the operator opens from a menu, e.g. the evaluation, starts hidden)
        dock.raise_()
        qtbot.waitUntil(dock.widget().isVisible, timeout=2000)
        area = dock.widget()
        if isinstance(area, QScrollArea):
            qtbot.wait(20)
            assert not area.horizontalScrollBar().isVisible(), dock.objectName()
    window.close()


def _narrower_and_narrower(qtbot, view, column: int, give_way: tuple[int, ...], room: int) -> list:
    """Resize ``view`` from 1200 px down; returns the sets of hidden columns in the order they came, and checks
    that ``column`` has ``room`` px while a column of ``give_way`` is still shown."""
    seen = []
    for width in range(1200, 160, -20):
        view.resize(width, 300)
        qtbot.waitUntil(lambda w=width: view.width() == w, timeout=2000)
        hidden = frozenset(c for c in range(view.model().columnCount()) if view.isColumnHidden(c))
        assert hidden <= set(give_way), width
        if hidden != set(give_way):  # while a column could still give way, the kept one has its room
            assert view.columnWidth(column) >= room, width
        if not seen or seen[-1] != hidden:
            seen.append(hidden)
    view.resize(1200, 300)
    qtbot.waitUntil(lambda: not any(view.isColumnHidden(c) for c in give_way), timeout=2000)
    return seen


def test_narrow_incident_and_camera_lists_keep_their_names_legible(qtbot, store, feed):
    """In the console's narrow panels the incident list squeezed its titles to one character ("龙…") and
    the camera list its names to the street ("江南街道 …", the same for three cameras): now the category,
    then the stage, and the camera's state in words (its colour square stays) give way to 8 characters;
    with room they come back."""
    from widgets.camera_list_view import CameraListView, CameraTableModel as C
    from widgets.incident_list_view import IncidentListView, IncidentTableModel as M

    feed.auth()
    feed.snapshot(**demo_state(alerts=12, seed=5))
    incidents, cameras = IncidentListView(store), CameraListView(store)
    for view in (incidents, cameras):
        qtbot.addWidget(view)
        view.show()
    qtbot.waitUntil(lambda: incidents.model().rowCount() > 0 and cameras.model().rowCount() > 0, timeout=3000)
    eight = incidents.fontMetrics().horizontalAdvance("事") * 8
    assert _narrower_and_narrower(qtbot, incidents, M.COL_TITLE, (M.COL_CATEGORY, M.COL_STAGE), eight) == \
        [frozenset(), {M.COL_CATEGORY}, {M.COL_CATEGORY, M.COL_STAGE}]  # the category goes first
    assert _narrower_and_narrower(qtbot, cameras, C.COL_NAME, (C.COL_STATE,), eight) == \
        [frozenset(), {C.COL_STATE}]
    incidents.shutdown()
    cameras.shutdown()
