"""Alert handling on the console: filter, assign, escalate, sound, escalation indicator; then the real hub."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.alert_handling import AlertHandling, ensure_sounds
from app.console_window import ConsoleWindow
from tests.app.conftest import demo_state
from widgets.alert_filter_bar import AlertFilter

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
ACTIONS = ["alert.ack", "alert.assign", "alert.escalate", "incident.create"]


@pytest.fixture
def console(qtbot, store, feed, tmp_path):
    QSettings().setValue("alerts/muted", False)
    feed.auth(actions=ACTIONS)
    feed.snapshot(**demo_state(alerts=24, seed=5))
    window = ConsoleWindow(store, LAYOUTS)
    handling = AlertHandling(window, store)
    window.alert_handling = handling
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.alert_list.alert_model.throttle.idle, timeout=5000)
    yield window
    window.close()


def rows(window):
    return window.alert_list.alert_model.records()


def test_filter_matches_colour_status_township_and_words():
    from backend_client.models import Alert
    a = Alert(id="A-1", colour="red", title="西溪镇 城市内涝 水位超警戒", event="城市内涝", township="330784107")
    assert AlertFilter().matches(a) and AlertFilter().is_empty()
    assert AlertFilter(colours=frozenset({"red", "orange"})).matches(a)
    assert not AlertFilter(colours=frozenset({"blue"})).matches(a)
    assert AlertFilter(text="内涝 西溪").matches(a) and not AlertFilter(text="内涝 火灾").matches(a)
    assert not AlertFilter(township="330784001").matches(a)
    assert AlertFilter(status="unacked").matches(a) and not AlertFilter(status="acked").matches(a)
    assert not AlertFilter(status="escalated").matches(a)
    assert AlertFilter(status="escalated").matches(Alert(id="b", colour="red", title="t", escalated=True))
    assert AlertFilter(status="unassigned").matches(a) and not AlertFilter(status="assigned").matches(a)


def test_filter_bar_narrows_the_list_and_clears(console, qtbot):
    bar = console.alert_handling.filter_bar
    everything = len(rows(console))
    bar.colour_buttons["red"].setChecked(True)
    assert rows(console) and all(a.colour == "red" for a in rows(console))
    assert len(rows(console)) < everything
    bar.colour_buttons["red"].setChecked(False)
    word = rows(console)[0].event
    bar.search.setText(word)
    assert rows(console) and all(word in (a.title + a.event) for a in rows(console))
    township = bar.township_box.itemData(1)
    assert township  # townships of the alerts are offered
    bar.search.clear()
    bar.township_box.setCurrentIndex(1)
    assert rows(console) and all(a.township == township for a in rows(console))
    bar.clear()
    assert len(rows(console)) == everything


def test_assign_and_escalate_send_the_intents(console, store, qtbot):
    h = console.alert_handling
    target = rows(console)[0]
    console.alert_list.select_key(target.id)
    assert h.assign_action.isEnabled() and h.escalate_action.isEnabled()
    assert h.assign_action.shortcut().toString() == "Ctrl+Shift+A" and h.assign_action.toolTip()
    assert h.escalate_action.shortcut().toString() == "Ctrl+Shift+E"
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        assert h.assign_selected("应急管理局") == [target.id]
    assert sent.args == ["alert.assign", {"id": target.id, "to": "应急管理局"}]
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        h.escalate_selected("无人响应")
    assert sent.args == ["alert.escalate", {"id": target.id, "reason": "无人响应"}]
    assert "应急管理局" in h.targets()


def test_a_leader_may_not_assign_or_escalate(qtbot, store, feed):
    feed.auth(role="leader", user="zhao", actions=[])
    feed.snapshot(**demo_state(alerts=6, seed=5))
    window = ConsoleWindow(store, LAYOUTS)
    h = AlertHandling(window, store)
    qtbot.addWidget(window)
    qtbot.waitUntil(window.alert_list.alert_model.throttle.idle, timeout=5000)
    window.alert_list.select_key(rows(window)[0].id)
    assert not h.assign_action.isEnabled() and not h.escalate_action.isEnabled()
    sent = []
    store.command_requested.connect(lambda *a: sent.append(a))
    assert h.assign_selected("公安局") == [] and h.escalate_selected("x") == [] and sent == []
    window.close()


def test_sound_for_new_red_and_orange_alerts_and_escalations_not_for_the_snapshot(console, feed, qtbot):
    sound = console.alert_handling.sound
    assert all(p.exists() and p.stat().st_size > 1000 for p in ensure_sounds().values())
    heard = []
    sound.sounded.connect(lambda colour, key: heard.append((colour, key)))
    feed.snapshot(**demo_state(alerts=10, seed=9))  # a reconnect: nothing new to the operator
    feed.event("alerts", {"id": "N-1", "colour": "blue", "title": "噪声", "created": time.time()})
    assert heard == []
    feed.event("alerts", {"id": "N-2", "colour": "red", "title": "燃气泄漏", "created": time.time()})
    feed.event("alerts", {"id": "N-3", "colour": "orange", "title": "森林火灾", "created": time.time()})
    assert heard == [("red", "N-2"), ("orange", "N-3")]
    feed.event("alerts", {"id": "N-1", "colour": "blue", "title": "噪声", "created": time.time(),
                          "escalated": True, "escalation_level": 1})
    assert heard[-1] == ("red", "N-1")
    console.alert_handling.mute_action.trigger()
    assert sound.muted and QSettings().value("alerts/muted", type=bool)
    feed.event("alerts", {"id": "N-4", "colour": "red", "title": "内涝", "created": time.time()})
    assert len(heard) == 3
    console.alert_handling.mute_action.trigger()
    assert not sound.muted


def test_escalation_indicator_and_status_text(console, feed, qtbot):
    h = console.alert_handling
    assert "1" not in h.indicator.text()
    feed.event("alerts", {"id": "E-1", "colour": "red", "title": "水位超警戒", "created": time.time(),
                          "escalated": True, "escalation_level": 2, "assigned_to": "水利局"})
    qtbot.waitUntil(lambda: "1" in h.indicator.text() and "2" in h.indicator.text(), timeout=3000)
    model = console.alert_list.alert_model
    qtbot.waitUntil(lambda: model.row_of("E-1") >= 0, timeout=3000)
    status = model.data(model.index(model.row_of("E-1"), model.COL_STATUS))
    assert "⇧" in status and "水利局" in status
    h.show_escalated()
    assert [a.id for a in rows(console)] == ["E-1"]


# ---- with the real backend -------------------------------------------------------------------------
def test_assign_and_escalate_through_the_real_hub(qapp, qtbot, tmp_path):
    import qasync

    from backend_client.store import ClientStore
    from tests.app.test_console_window import run_soon, run_until
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path, demo=True, extra_args=["--demo-seed", "3"])
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    store = ClientStore()
    window = ConsoleWindow(store, LAYOUTS)
    h = AlertHandling(window, store)
    qtbot.addWidget(window)
    try:
        store.start(backend.url, backend.token("duty_officer"))
        run_until(loop, lambda: store.connection == "online" and store.can("alert.assign") and rows(window),
                  90, "a demo alert and the alert.assign right")
        target = rows(window)[0]
        window.alert_list.clearSelection()
        assert window.alert_list.select_key(target.id)
        run_soon(loop, lambda: h.assign_selected("水利局"))
        run_until(loop, lambda: store.get("alerts", target.id).assigned_to == "水利局", 30, "assigned_to")
        run_soon(loop, lambda: h.escalate_selected("测试升级"))
        run_until(loop, lambda: store.get("alerts", target.id).escalated, 30, "escalated")
        assert store.get("alerts", target.id).escalation_level >= 1
        run_until(loop, lambda: "⇧" in h.indicator.text() or store.get("alerts", target.id).acked, 10, "indicator")
        audit = [(r["action"], r["ok"]) for r in backend.audit_rows()]
        assert ("alert.assign", 1) in audit or ("alert.assign", True) in audit
        assert any(a == "alert.escalate" and ok for a, ok in audit)
    finally:
        window.close()
        loop.run_until_complete(store.stop())
        backend.stop()
        asyncio.set_event_loop(None)
        loop.close()
