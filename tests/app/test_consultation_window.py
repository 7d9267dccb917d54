"""The leader's screen: big counts match the store and follow it live; the chart counts the last hour."""
from __future__ import annotations

import time

import pytest

from app.consultation_window import ConsultationWindow
from tests.app.conftest import demo_state
from widgets.alerts_chart import per_minute
from widgets.kpi_panel import alert_counts


def expected(state: dict) -> dict:
    active = [a for a in state["alerts"] if a.get("status", "active") == "active"]
    counts = {c: sum(a["colour"] == c for a in active) for c in ("red", "orange", "yellow", "blue")}
    counts["unacked"] = sum(not a.get("acked") for a in active)
    counts["incidents"] = len(state["incidents"])
    return counts


@pytest.fixture
def leader(qtbot, store, feed):
    feed.auth(role="leader", user="zhao", actions=[])
    window = ConsultationWindow(store)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_counts_match_the_store_and_follow_it(leader, store, feed, qtbot):
    state = demo_state(alerts=40, seed=9)
    feed.snapshot(**state)
    want = expected(state)
    assert sum(want[c] for c in ("red", "orange", "yellow", "blue")) == 40
    qtbot.waitUntil(lambda: leader.kpi.values() == want, timeout=5000)
    assert alert_counts(store) == want
    # a new red alert, then its acknowledgement, then it is closed
    red = {"id": "yk-A-5000", "colour": "red", "title": "古山镇 危化品 储罐压力异常", "created": time.time()}
    feed.event("alerts", red)
    qtbot.waitUntil(lambda: leader.kpi.values()["red"] == want["red"] + 1, timeout=5000)
    assert leader.kpi.values()["unacked"] == want["unacked"] + 1
    feed.event("alerts", {**red, "acked": True, "acked_by": "wang"})
    qtbot.waitUntil(lambda: leader.kpi.values()["unacked"] == want["unacked"], timeout=5000)
    feed.event("alerts", {**red, "acked": True, "status": "closed"})
    qtbot.waitUntil(lambda: leader.kpi.values() == want, timeout=5000)
    # the big numbers are drawn in their colours
    assert "#e5322d" in leader.kpi.tiles["red"].value.styleSheet()


def test_open_incidents_are_listed(leader, feed, qtbot):
    state = demo_state(alerts=40, seed=9)
    feed.snapshot(**state)
    model = leader.incident_list.incident_model
    qtbot.waitUntil(lambda: model.rowCount() == len(state["incidents"]) > 0, timeout=5000)
    grades = [model.record(r).grade for r in range(model.rowCount())]
    assert grades == sorted(grades)
    qtbot.waitUntil(lambda: f"({len(state['incidents'])})" in leader.incidents_title.text(), timeout=5000)
    closing = dict(state["incidents"][0], stage="closed")
    feed.event("incidents", closing)
    qtbot.waitUntil(lambda: model.rowCount() == len(state["incidents"]) - 1, timeout=5000)


def test_chart_counts_alerts_per_minute_over_the_last_hour(leader, store, feed, qtbot):
    now = time.time()
    state = demo_state(alerts=50, seed=4, now=now)
    old = {"id": "old", "colour": "red", "title": "两小时前", "created": now - 7200}
    state["alerts"].append(old)
    feed.snapshot(**state)
    qtbot.waitUntil(lambda: leader.chart.totals.sum() == 50, timeout=5000)  # the old one is outside the hour
    starts, counts = per_minute(store.alerts(), now)
    assert len(starts) == 60 and starts[-1] <= now < starts[-1] + 60
    assert sum(c.sum() for c in counts.values()) == 50
    feed.event("alerts", {"id": "fresh", "colour": "yellow", "title": "新告警", "created": time.time()})

    def counted() -> bool:  # the chart agrees with a fresh count that includes the new alert
        fresh = sum(c.sum() for c in per_minute(store.alerts(), time.time())[1].values())
        return fresh >= 50 and leader.chart.totals.sum() == fresh and not leader.chart.throttle.pending
    qtbot.waitUntil(counted, timeout=5000)


def test_clock_ticks(leader, qtbot):
    first = leader.clock.text()
    assert first
    qtbot.waitUntil(lambda: leader.clock.text() != first, timeout=5000)


def test_wall_cells_render_the_store(qtbot, store, feed):
    from app.cells import MapCell, TitledCell, make_cell
    from backend_client.layouts import Cell
    from widgets.alert_list_view import AlertListView
    from widgets.kpi_panel import KpiPanel

    state = demo_state(alerts=20, seed=2)
    feed.snapshot(**state)
    alerts = make_cell(Cell(0, 0, "alerts", title="实时预警"), store)
    kpi = make_cell(Cell(1, 0, "kpi"), store)
    cells = [alerts, kpi, make_cell(Cell(2, 0, "incidents"), store), make_cell(Cell(3, 0, "map"), store)]
    for cell in cells:
        qtbot.addWidget(cell)
        assert isinstance(cell, TitledCell)
    assert make_cell(Cell(0, 1, "clock"), store) is None  # the wall grid draws those itself
    assert alerts.title.text() == "实时预警" and isinstance(alerts.content, AlertListView)
    assert alerts.content.alert_model.rowCount() == 20
    assert isinstance(kpi.content, KpiPanel) and set(kpi.content.tiles) == {"red", "orange", "yellow", "blue"}
    assert kpi.content.values() == {k: v for k, v in expected(state).items() if k in kpi.content.tiles}
    # the map feature (app/map_feature.py, registered in app/features.py) draws map cells; the plain
    # MapCell is only the fallback when no feature offers one
    from app.map_feature import MapPanel

    assert isinstance(cells[3].content, MapPanel) and not isinstance(cells[3].content, MapCell)
    cells[3].resize(400, 300)
    assert not cells[3].grab().isNull()


def test_the_leaders_view_shows_whole_beside_the_counts_on_a_1080_line_screen(qtbot, store, feed):
    """The consultation window as the app opens it, every feature installed, on a 1920×1080 screen: the
    leader's view needs no scroll bar, and the conference panel is a tab behind it, not a strip below that
    took a third of its height."""
    from PySide6.QtWidgets import QDockWidget, QScrollArea

    from app import features

    feed.auth(user="zhao", role="leader")
    feed.snapshot(**demo_state(alerts=60, seed=11))
    store._on_state("online")
    window = ConsultationWindow(store)
    qtbot.addWidget(window)
    features.install(window, store, "install_consultation")
    window.resize(1920, 1080)
    window.show()
    qtbot.waitExposed(window)
    view, conference = (window.findChild(QDockWidget, name) for name in ("leaderView", "conferencePanel"))
    qtbot.wait(100)  # the docks get their share of the width after a turn of the event loop
    assert window.height() == 1080
    assert conference in window.tabifiedDockWidgets(view)
    area = view.widget()
    if isinstance(area, QScrollArea):
        assert not area.horizontalScrollBar().isVisible() and not area.verticalScrollBar().isVisible()
    window.close()


def test_a_list_shown_before_its_rows_come_sizes_its_columns_to_them(qtbot, store, feed):
    """Live, the window shows before the backend's snapshot: the open incidents' time column kept the width
    of its header and read "1…" (columns sized to contents were measured only when the view was laid out)."""
    from widgets.incident_list_view import IncidentListView, IncidentTableModel as M

    feed.auth(user="zhao", role="leader")
    view = IncidentListView(store, compact=True)
    qtbot.addWidget(view)
    view.resize(420, 300)
    view.show()
    qtbot.waitExposed(view)
    empty = view.columnWidth(M.COL_TIME)
    feed.snapshot(**demo_state(alerts=12, seed=5))
    qtbot.waitUntil(lambda: view.model().rowCount() > 0, timeout=3000)
    qtbot.waitUntil(lambda: view.columnWidth(M.COL_TIME) >= view.sizeHintForColumn(M.COL_TIME), timeout=3000)
    assert view.columnWidth(M.COL_TIME) > empty
    view.shutdown()
