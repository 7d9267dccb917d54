"""Evaluation: report rows → table, bars and CSV; the console and consultation get it; the real hub's report."""
from __future__ import annotations

import asyncio
import csv
import time

from app.evaluation_view import EvaluationView, clean_rows, install_consultation, write_csv

ROWS = [{"department": "水利局", "handled": 2, "incidents": 3, "dispatch_s_avg": 240.0, "close_s_avg": 5400.0, "overdue": 1},
        {"department": "消防救援大队", "handled": 5, "incidents": 5, "dispatch_s_avg": 90.0, "close_s_avg": 2400.0, "overdue": 0},
        {"department": "公安局", "handled": 0, "incidents": 1, "dispatch_s_avg": None, "close_s_avg": None, "overdue": 2},
        {"handled": 9}, "junk"]


def test_rows_table_bars_and_csv(qtbot, store, tmp_path):
    view = EvaluationView(store)
    qtbot.addWidget(view)
    view.set_rows(ROWS)
    assert [r["department"] for r in view.rows] == ["消防救援大队", "水利局", "公安局"]  # most handled first; junk dropped
    assert view.table.rowCount() == 3
    assert view.table.item(1, 2).text() == "4.0" and view.table.item(2, 2).text() == "—"
    assert list(view.bars) == ["handled", "dispatch_min", "close_min", "overdue"]
    heights = view.bars["handled"].opts["height"]
    assert list(heights) == [5, 2, 0]
    path = view.export(str(tmp_path / "eval.csv"))
    with open(path, encoding="utf-8-sig", newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["department", "handled", "dispatch_s_avg", "close_s_avg", "overdue"]
    assert got[1] == ["消防救援大队", "5", "90.0", "2400.0", "0"] and got[3] == ["公安局", "0", "", "", "2"]
    assert view.export(str(tmp_path / "no" / "such" / "dir.csv")) is None and "Cannot write" in view.status.text()


def test_clean_rows_survives_bad_input():
    assert clean_rows(None) == [] and clean_rows({"rows": 1}) == []
    assert clean_rows([{"department": "x", "handled": "7", "overdue": True}])[0]["handled"] == 0


def test_the_leader_gets_it_in_the_consultation_window(qtbot, store, feed):
    from app.consultation_window import ConsultationWindow
    feed.auth(role="leader", user="zhao", actions=["incident.review", "evaluation.report"])
    feed.snapshot(alerts=[], incidents=[])
    window = ConsultationWindow(store)
    qtbot.addWidget(window)
    install_consultation(window, store)
    assert window.evaluation_view.store is store
    show = window.evaluation_dock.toggleViewAction()
    assert show.shortcut().toString() == "Ctrl+Shift+G"
    window.close()


def test_report_from_the_real_hub(qapp, qtbot, tmp_path):
    import qasync

    from app.incident_desk import IncidentDesk
    from backend_client.store import ClientStore
    from tests.app.test_console_window import run_soon, run_until
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path)
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    duty, leader = ClientStore(), ClientStore()
    desk = IncidentDesk(duty)
    qtbot.addWidget(desk)
    try:
        duty.start(backend.url, backend.token("duty_officer"))
        leader.start(backend.url, backend.token("leader"))
        run_until(loop, lambda: duty.connection == leader.connection == "online", 60, "online")
        iid = loop.run_until_complete(duty.command("incident.create", {
            "title": "化工企业泄漏", "category": "事故灾难", "grade": 2, "department": "应急管理局"}))["id"]
        loop.run_until_complete(duty.command("task.create", {"incident": iid, "department": "生态环境分局",
                                                             "title": "水质监测", "due": time.time() + 900}))
        for stage in ("collect", "register", "dispatch", "handle", "feedback", "close"):
            loop.run_until_complete(duty.command("incident.advance", {"id": iid, "stage": stage}))
        run_until(loop, lambda: getattr(duty.get("incidents", iid), "stage", "") == "close", 30, "closed")
        desk.select(iid)
        assert "Evaluate" in desk.advance_action.text() or "评价" in desk.advance_action.text()
        run_soon(loop, lambda: desk.advance(evaluation={"score": 5, "comment": "处置及时"}))
        run_until(loop, lambda: duty.get("incidents", iid).stage == "evaluate", 30, "evaluated")
        assert duty.get("incidents", iid).score == 5
        view = EvaluationView(leader)  # a leader may read the report
        qtbot.addWidget(view)
        count = loop.run_until_complete(view.load())
        depts = {r["department"]: r for r in view.rows}
        assert count == 2 and set(depts) == {"应急管理局", "生态环境分局"}
        assert depts["应急管理局"]["handled"] == 1 and depts["生态环境分局"]["dispatch_s_avg"] is not None
        assert view.export(str(tmp_path / "report.csv")).read_text("utf-8-sig").count("\n") == 3
    finally:
        desk.shutdown()
        for s in (duty, leader):
            loop.run_until_complete(s.stop())
        backend.stop()
        asyncio.set_event_loop(None)
        loop.close()
