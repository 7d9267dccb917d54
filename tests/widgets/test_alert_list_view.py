"""The alert list follows the store within one event-loop turn, sorts by colour, and keeps its selection."""
from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QCoreApplication, Qt

from backend_client.models import Colour
from tests.app.conftest import Feed, demo_state
from widgets.alert_list_view import AlertListView, AlertTableModel, FrameThrottle


@pytest.fixture
def store(qapp):
    from backend_client.store import ClientStore

    s = ClientStore()
    yield s
    s.deleteLater()


@pytest.fixture
def feed(store):
    return Feed(store)


def alert(alert_id: str, colour: str, created: float, title: str = "江南街道 城市内涝 下穿通道积水", **kw) -> dict:
    return {"id": alert_id, "colour": colour, "title": title, "created": created, "source": "demo",
            "event": "城市内涝", **kw}


@pytest.fixture
def view(qtbot, store, feed):
    feed.auth()
    feed.snapshot(alerts=[], incidents=[], cameras=[])
    v = AlertListView(store)
    qtbot.addWidget(v)
    qtbot.waitUntil(v.alert_model.throttle.idle, timeout=5000)
    return v


def ids(model: AlertTableModel) -> list[str]:
    return [model.record(r).id for r in range(model.rowCount())]


def test_an_alert_shows_within_one_event_loop_turn(view, feed):
    model = view.alert_model
    assert model.rowCount() == 0
    feed.event("alerts", alert("yk-A-1", "orange", time.time(), title="龙山镇 森林火灾 林区发现火点"))
    QCoreApplication.processEvents()
    assert ids(model) == ["yk-A-1"]
    assert model.data(model.index(0, AlertTableModel.COL_TITLE)) == "龙山镇 森林火灾 林区发现火点"


def test_a_burst_is_coalesced_into_few_model_updates(view, feed, qtbot):
    model = view.alert_model
    runs = model.throttle.runs
    now = time.time()
    for i in range(500):
        feed.event("alerts", alert(f"yk-A-{i}", "blue", now - i))
    qtbot.waitUntil(lambda: model.rowCount() == 500, timeout=10_000)
    # all 500 arrived within one loop turn: one refresh, not 500
    assert model.throttle.runs - runs == 1


def test_sorted_by_colour_then_newest_first_and_unacked_bold(view, feed, qtbot):
    now = time.time()
    feed.event("alerts", alert("b-old", "blue", now - 300))
    feed.event("alerts", alert("r-old", "red", now - 200, acked=True, acked_by="wang"))
    feed.event("alerts", alert("y", "yellow", now - 100))
    feed.event("alerts", alert("r-new", "red", now - 10))
    feed.event("alerts", alert("o", "orange", now - 50))
    feed.event("alerts", alert("gone", "red", now, status="closed"))  # inactive: not listed
    model = view.alert_model
    qtbot.waitUntil(lambda: model.rowCount() == 5, timeout=5000)
    assert ids(model) == ["r-new", "r-old", "o", "y", "b-old"]
    ranks = [Colour(model.record(r).colour).rank for r in range(model.rowCount())]
    assert ranks == sorted(ranks)
    assert model.data(model.index(0, 2), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(1, 2), Qt.ItemDataRole.FontRole) is None  # acknowledged
    swatch = model.data(model.index(0, AlertTableModel.COL_LEVEL), Qt.ItemDataRole.BackgroundRole)
    assert swatch.name() == "#e5322d"


def test_selection_follows_the_alert_across_updates_and_removals(view, feed, qtbot):
    now = time.time()
    for i, colour in enumerate(("blue", "yellow", "orange")):
        feed.event("alerts", alert(f"a{i}", colour, now - i))
    model = view.alert_model
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=5000)
    assert view.select_key("a0")  # the blue one, last row
    assert [a.id for a in view.selected_alerts()] == ["a0"]
    feed.event("alerts", alert("r", "red", now))  # goes on top, the blue one moves down
    feed.event("alerts", alert("a1", "yellow", now - 1, acked=True, acked_by="li"))
    qtbot.waitUntil(lambda: model.rowCount() == 4, timeout=5000)
    assert ids(model) == ["r", "a2", "a1", "a0"]
    assert [a.id for a in view.selected_alerts()] == ["a0"]
    feed.event("alerts", None, op="delete", key="a2")
    qtbot.waitUntil(lambda: model.rowCount() == 3, timeout=5000)
    assert [a.id for a in view.selected_alerts()] == ["a0"]
    assert model.record(model.row_of("a1")).acked_by == "li"


def test_snapshot_replaces_everything(view, feed, qtbot):
    feed.event("alerts", alert("old", "red", time.time()))
    state = demo_state(alerts=30, seed=3)
    feed.snapshot(**state)
    model = view.alert_model
    qtbot.waitUntil(lambda: model.rowCount() == 30, timeout=5000)
    assert model.row_of("old") == -1
    assert ids(model) == [a.id for a in view.store.alerts()]


def test_throttle_runs_once_per_frame(qtbot):
    calls = []
    throttle = FrameThrottle(lambda: calls.append(1))
    throttle.request()
    throttle.request()
    QCoreApplication.processEvents()
    assert calls == [1]
    throttle.request()  # within the same frame: waits for the frame's end
    assert throttle.pending
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2000)
    throttle.deleteLater()


def test_a_narrow_list_gives_the_title_the_room_of_source_then_type(view):
    view.show()
    view.resize(1000, 400)
    assert not view.isColumnHidden(AlertTableModel.COL_SOURCE) and not view.isColumnHidden(AlertTableModel.COL_EVENT)
    view.resize(700, 400)
    assert view.isColumnHidden(AlertTableModel.COL_SOURCE) and not view.isColumnHidden(AlertTableModel.COL_EVENT)
    view.resize(450, 400)
    assert view.isColumnHidden(AlertTableModel.COL_SOURCE) and view.isColumnHidden(AlertTableModel.COL_EVENT)
    assert view.columnWidth(AlertTableModel.COL_TITLE) > 100
