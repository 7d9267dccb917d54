"""The incident desk: board by stage, stage bar, timeline with 督办, the loop's intents; then the real hub
with a duty officer and a leader."""
from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from app.console_window import ConsoleWindow
from app.incident_desk import IncidentDesk, incident_timeline, install_console
from app.incident_dialogs import NewIncidentDialog, PlanDialog, routed_cycle
from widgets.stage_bar import STAGES, next_stage, stage_name
from tests.app.conftest import demo_state, loop_under_way

LAYOUTS = Path(__file__).resolve().parents[2] / "layouts"
ACTIONS = ["incident.create", "incident.advance", "task.create", "task.update", "task.supervise", "plan.activate",
           "incident.evaluate", "incident.review", "evaluation.report"]
NOW = time.time()


def loop_state() -> dict:
    state = loop_under_way(demo_state(alerts=12, seed=5), NOW)
    state["plans"] = [{"id": "fire", "name": "森林火灾应急预案", "category": "自然灾害", "grades": [1, 2, 3],
                       "scene": "emergency", "tasks": [{"department": "消防救援大队", "title": "扑救", "due_min": 10}]},
                      {"id": "traffic", "name": "道路交通事故预案", "category": "事故灾难", "grades": [1, 2, 3, 4],
                       "scene": "traffic", "tasks": [{"department": "公安局", "title": "现场管控", "due_min": 10}]}]
    return state


@pytest.fixture
def desk(qtbot, store, feed):
    feed.auth(actions=ACTIONS)
    feed.snapshot(**loop_state())
    view = IncidentDesk(store, clock=lambda: NOW)
    qtbot.addWidget(view)
    view.resize(1800, 500)
    view.show()
    yield view
    view.shutdown()


def test_board_puts_each_incident_in_its_stage_column(desk, store):
    for incident in store.incidents():
        column = desk.columns[incident.stage]
        ids = [column.item(i).data(0x0100) for i in range(column.count())]
        assert incident.id in ids
    assert sum(c.count() for c in desk.columns.values()) == len(store.incidents())


def test_an_incident_before_the_loop_waits_in_the_first_column_and_its_card_says_intake(desk, store, feed):
    """A new incident (stage "intake", 接报 in the incident list) sits in 信息采集, the board's first column;
    its card said nothing of that, so the list and the board seemed to disagree."""
    incident = store.incidents()[0]
    feed.event("incidents", {**store.get("incidents", incident.id).__dict__, "stage": "intake"})
    desk.refresh()
    column = desk.columns["collect"]
    cards = {column.item(i).data(0x0100): column.item(i).text() for i in range(column.count())}
    assert cards[incident.id].endswith(" · " + stage_name("intake"))
    assert not any(text.endswith(stage_name("intake")) for key, text in cards.items() if key != incident.id
                   and store.get("incidents", key).stage == "collect")


def test_detail_shows_stages_timeline_tasks_and_supervision(desk, store):
    first = store.incidents()[0]
    incident = store.get("incidents", "yk-I-001") or first
    desk.select(incident.id)
    assert desk.stage_bar.stage == incident.stage
    assert desk.stage_bar.state_of(STAGES[0]) in ("done", "current")
    entries = incident_timeline(incident, [t for t in store.records("tasks").values() if t["incident"] == incident.id], NOW)
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    if incident.id == loop_state()["incidents"][0]["id"]:
        due_texts = [desk.task_tree.topLevelItem(i).text(3) for i in range(desk.task_tree.topLevelItemCount())]
        assert any("督办" in t for t in due_texts) and any("overdue" in t for t in due_texts)
        kinds = [e.kind for e in desk.timeline.entries]
        assert "supervise" in kinds and "task" in kinds and "stage" in kinds


def test_loop_intents(desk, store, qtbot):
    incident = next(i for i in store.incidents() if i.id == loop_state()["incidents"][0]["id"])
    desk.select(incident.id)
    assert desk.advance_action.isEnabled() and desk.advance_action.shortcut().toString() == "Ctrl+Shift+S"
    desk.note.setText("已核实")
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        desk.advance()
    assert sent.args == ["incident.advance", {"id": incident.id, "stage": next_stage(incident.stage), "note": "已核实"}]
    due = NOW + 1800
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        desk.new_task({"department": "水利局", "title": "排涝", "due": due})
    assert sent.args == ["task.create", {"incident": incident.id, "department": "水利局", "title": "排涝", "due": due}]
    desk.task_tree.setCurrentItem(desk.task_tree.topLevelItem(1))
    assert desk.supervise_action.isEnabled()
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        desk.supervise()
    assert sent.args[0] == "task.supervise" and sent.args[1]["id"] in ("T-1", "T-2", "T-3")
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        desk.activate_plan("fire")
    assert sent.args == ["plan.activate", {"incident": incident.id, "plan": "fire"}]
    args = {"title": "市民来电 路面塌陷", "category": "事故灾难", "grade": 3, "source": "phone", "phone": "13800000000"}
    with qtbot.waitSignal(store.command_requested, timeout=2000) as sent:
        desk.new_incident(args)
    assert sent.args == ["incident.create", args]


def test_new_incident_dialog_routes_and_plan_dialog_orders(qtbot, store, feed):
    dialog = NewIncidentDialog(["水利局"])
    qtbot.addWidget(dialog)
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    dialog.title.setText("市民来电 内涝")
    dialog.grade.setCurrentIndex(1)
    dialog.reporter.setText("李先生")
    args = dialog.args()
    assert args["grade"] == 2 and args["source"] == "phone" and args["reporter"] == "李先生"
    assert "cycle" not in args and routed_cycle(2) == "big" and routed_cycle(3) == "small" and routed_cycle(4) == "micro"
    assert "big" in dialog.routed.text() or "大" in dialog.routed.text()
    from backend_client.models import Incident
    plans = PlanDialog(Incident(id="I", title="t", category="事故灾难", grade=4), loop_state()["plans"])
    qtbot.addWidget(plans)
    assert plans.plan_id() == "traffic"  # the fitting plan first


def test_a_leader_sees_the_desk_but_cannot_act(qtbot, store, feed):
    feed.auth(role="leader", user="zhao", actions=["incident.review", "evaluation.report"])
    feed.snapshot(**loop_state())
    view = IncidentDesk(store)
    qtbot.addWidget(view)
    view.select(store.incidents()[0].id)
    for action in (view.new_action, view.advance_action, view.task_action, view.plan_action, view.supervise_action):
        assert not action.isEnabled()
    assert view.advance() is None and view.new_incident({"title": "x"}) is None
    view.shutdown()


def test_installed_on_the_console_follows_the_incident_list(qtbot, store, feed):
    feed.auth(actions=ACTIONS)
    feed.snapshot(**loop_state())
    window = ConsoleWindow(store, LAYOUTS)
    install_console(window, store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.incident_list.incident_model.throttle.idle, timeout=5000)
    target = window.incident_list.incident_model.record(1)
    window.incident_list.setCurrentIndex(window.incident_list.incident_model.index(1, 0))
    assert window.incident_desk.current_id == target.id
    # the list names each incident's stage as the board's column does (it said "Dispatching" for "Dispatch")
    model, desk = window.incident_list.incident_model, window.incident_desk
    for stage in STAGES[:4]:
        feed.event("incidents", {**model.record(0).to_dict(), "stage": stage})
        qtbot.waitUntil(lambda s=stage: model.record(0).stage == s, timeout=3000)
        assert desk.column_titles[stage].text().startswith(model.data(model.index(0, 4)) + " (")
    window.close()


# ---- with the real backend: duty officer runs the loop, a leader is refused ------------------------
def test_the_loop_through_the_real_hub_with_two_roles(qapp, qtbot, tmp_path):
    import qasync

    from backend_client.client import CommandFailed
    from backend_client.store import ClientStore
    from tests.app.test_console_window import run_soon, run_until
    from tests.helpers.backend_proc import start_backend

    import json
    plans_dir = tmp_path / "plans"
    plans_dir.mkdir()
    (plans_dir / "road.json").write_text(json.dumps({
        "schema": 1, "id": "road-collapse", "name": "道路塌陷处置预案", "category": "事故灾难", "grades": [3, 4],
        "scene": "emergency-command", "notify": ["公安局"],
        "tasks": [{"department": "住房和城乡建设局", "title": "塌陷区域围挡", "due_min": 20},
                  {"department": "交通运输局", "title": "交通疏导", "due_min": 15}]}, ensure_ascii=False), "utf-8")
    backend = start_backend(tmp_path, extra_args=["--plans", str(plans_dir)])
    loop = qasync.QEventLoop(qapp, already_running=False)
    asyncio.set_event_loop(loop)
    duty, leader = ClientStore(), ClientStore()
    desk = IncidentDesk(duty)
    qtbot.addWidget(desk)
    try:
        duty.start(backend.url, backend.token("duty_officer"))
        leader.start(backend.url, backend.token("leader"))
        run_until(loop, lambda: duty.connection == leader.connection == "online" and duty.can("incident.advance"),
                  60, "both online")
        run_soon(loop, lambda: desk.new_incident({"title": "市民来电 路面塌陷", "category": "事故灾难", "grade": 3,
                                                  "source": "phone", "phone": "13800000000", "reporter": "李先生"}))
        run_until(loop, lambda: duty.incidents(), 30, "the phone incident")
        incident = duty.incidents()[0]
        assert incident.source == "phone" and incident.cycle == "small"
        desk.select(incident.id)
        for stage in STAGES[:3]:
            run_soon(loop, desk.advance)
            run_until(loop, lambda s=stage: duty.get("incidents", incident.id).stage == s, 30, f"stage {stage}")
        assert [s["stage"] for s in duty.get("incidents", incident.id).stages][-3:] == list(STAGES[:3])
        run_until(loop, lambda: desk.stage_bar.stage == STAGES[2] and desk.stage_bar.state_of(STAGES[1]) == "done",
                  5, "the stage bar follows")
        run_soon(loop, lambda: desk.new_task({"department": "交通运输局", "title": "道路管制", "due": time.time() - 5}))
        run_until(loop, lambda: desk.task_tree.topLevelItemCount() == 1, 30, "the task in the desk")
        task_id = next(iter(duty.records("tasks")))
        run_soon(loop, lambda: desk.supervise(task_id))
        run_until(loop, lambda: duty.get("tasks", task_id)["supervised"], 30, "督办")
        run_until(loop, lambda: "督办" in desk.task_tree.topLevelItem(0).text(3), 5, "督办 shown")
        # the department's feedback, taken by phone, recorded on its task: accepted, then done
        for status in ("accepted", "done"):
            run_soon(loop, lambda st=status: desk.set_task_status(st, task_id))
            run_until(loop, lambda st=status: duty.get("tasks", task_id)["status"] == st, 30, f"task {status}")
        assert desk.plan_action.isEnabled()
        run_soon(loop, lambda: desk.activate_plan("road-collapse"))
        run_until(loop, lambda: duty.get("incidents", incident.id).plan == "road-collapse", 30, "plan activated")
        run_until(loop, lambda: desk.task_tree.topLevelItemCount() == 3, 30, "the plan's two tasks in the desk")
        run_until(loop, lambda: getattr(duty.wall("main"), "layout", "") == "emergency-command", 30, "the plan's scene")
        assert "道路塌陷处置预案" in desk.heading.text()
        # the leader sees it all but may not advance
        run_until(loop, lambda: leader.get("incidents", incident.id) is not None, 30, "leader sees the incident")
        with pytest.raises(CommandFailed) as refused:
            loop.run_until_complete(leader.command("incident.advance", {"id": incident.id, "stage": "handle"},
                                                   report=False))
        assert refused.value.code == "forbidden"
        # going back is refused
        with pytest.raises(CommandFailed) as back:
            loop.run_until_complete(duty.command("incident.advance", {"id": incident.id, "stage": "collect"},
                                                 report=False))
        assert back.value.code == "conflict"
        audit = backend.audit_rows()
        assert any(r["action"] == "task.supervise" and r["ok"] for r in audit)
        assert any(r["action"] == "incident.advance" and not r["ok"] for r in audit)
    finally:
        desk.shutdown()
        for s in (duty, leader):
            loop.run_until_complete(s.stop())
        backend.stop()
        asyncio.set_event_loop(None)
        loop.close()
