"""The incident loop end to end through the REAL backend: a duty officer and a leader on raw websockets;
CAP warning in, automatic escalation, incident, stages, plan activation (tasks, notices, wall), overdue
supervision, evaluation, review replay order and the department report."""
from __future__ import annotations

import time

from tests.backend.wsclient import RawClient
from tests.cap.conftest import cap_doc, info_xml
from tests.helpers.backend_proc import start_backend



def event_of(entity, key=None, pred=lambda d: True):
    return lambda m: (m["type"] == "event" and m["entity"] == entity and (key is None or m["key"] == key)
                      and m["data"] is not None and pred(m["data"]))


async def test_incident_loop_end_to_end(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (tmp_path / "b").mkdir()
    proc = start_backend(tmp_path / "b", extra_args=["--cap-inbox", str(inbox), "--escalate-after", "1",
                                                     "--escalate-check", "0.2", "--supervise-check", "0.2"])
    try:
        duty = await RawClient.connect(proc.url, proc.token("duty_officer"))
        leader = await RawClient.connect(proc.url, proc.token("leader"))
        snap = await duty.until(lambda m: m["type"] == "snapshot")
        await leader.until(lambda m: m["type"] == "snapshot")
        assert {"incident.advance", "task.create", "plan.activate", "alert.escalate"} <= set(duty.auth["actions"])
        assert {"incident.review", "evaluation.report"} <= set(leader.auth["actions"])
        assert not {"incident.advance", "task.create", "plan.activate", "incident.create"} & set(leader.auth["actions"])
        plans = {p["id"]: p for p in snap["state"]["plans"]}
        assert "flood-major" in plans and plans["flood-major"]["scene"] == "emergency-command"

        # a red CAP warning arrives; nobody acknowledges it: the system escalates it
        (inbox / "red.xml").write_bytes(cap_doc(identifier="33078400100007_20240601083000", infos=[info_xml(
            severity="Extreme", event="暴雨", headline="永康市暴雨红色预警")]))
        alert = (await duty.until(event_of("alerts", pred=lambda d: d["source"] == "cap"), 30))["data"]
        assert alert["colour"] == "red"
        escalated = await duty.until(event_of("alerts", alert["id"], lambda d: d.get("escalated")), 30)
        assert escalated["actor"] == "system" and escalated["data"]["escalation_level"] == 1
        res = await duty.command("alert.assign", {"id": alert["id"], "to": "市水利局"})
        assert res["ok"], res
        res = await duty.command("alert.escalate", {"id": alert["id"], "reason": "雨势加大"})
        assert res["ok"] and res["result"]["escalation_level"] == 2

        # intake from the alert; the leader may not run the loop
        res = await duty.command("incident.create", {"title": "江南街道城市内涝", "category": "自然灾害", "grade": 2,
                                                     "township": "330784003", "alert_id": alert["id"],
                                                     "department": "市应急管理局"})
        assert res["ok"], res
        inc_id = res["result"]["id"]
        created = next(m for m in duty.received if event_of("incidents", inc_id)(m))["data"]
        assert (created["cycle"], created["source"], created["stage"]) == ("big", "alert", "intake")
        refused = await leader.command("incident.advance", {"id": inc_id, "stage": "collect"})
        assert not refused["ok"] and refused["error"]["code"] == "forbidden"
        for stage in ("collect", "register"):
            res = await duty.command("incident.advance", {"id": inc_id, "stage": stage, "note": f"{stage} 完成"})
            assert res["ok"], res
        back = await duty.command("incident.advance", {"id": inc_id, "stage": "collect"})
        assert not back["ok"] and back["error"]["code"] == "conflict"
        seen = await leader.until(event_of("incidents", inc_id, lambda d: d["stage"] == "register"))
        assert [s["stage"] for s in seen["data"]["stages"]] == ["intake", "collect", "register"]
        assert seen["data"]["stages"][-1]["by"].startswith("duty_officer")

        # plan activation: tasks, notices, the wall switched to the plan's scene, all seen by the leader
        assert (await duty.command("wall.screen", {"width": 7680, "height": 2160}))["ok"]
        assert (await duty.command("wall.pause_tours", {"paused": True}))["ok"]
        res = await duty.command("plan.activate", {"incident": inc_id, "plan": "flood-major"})
        assert res["ok"], res
        act = res["result"]
        assert len(act["tasks"]) == len(plans["flood-major"]["tasks"]) and act["layout"] == "emergency-command"
        wall = await leader.until(event_of("walls", "main", lambda d: d["layout"] == "emergency-command"))
        assert wall["actor"].startswith("duty_officer")
        assert wall["data"]["screen"] == [7680, 2160]  # the wall's shape outlives the scene switch
        assert wall["data"]["tours_paused"] is True  # and paused tours stay paused, as with wall.take
        await leader.until(event_of("incidents", inc_id, lambda d: d.get("plan") == "flood-major"))
        notices = [m["data"] for m in leader.received if event_of("notices")(m)]
        assert {"市气象局", "市应急管理局", "U-26"} <= {n["to"] for n in notices}
        assert all(n["incident"] == inc_id for n in notices)
        again = await duty.command("plan.activate", {"incident": inc_id, "plan": "flood-major"})
        assert again["error"]["code"] == "conflict"

        # a task due in a moment is supervised (督办) by the system when overdue
        res = await duty.command("task.create", {"incident": inc_id, "department": "市城投集团", "unit": "U-05",
                                                 "title": "抢修排水泵站", "due": time.time() + 1})
        assert res["ok"], res
        task_id = res["result"]["id"]
        sup = await leader.until(event_of("tasks", task_id, lambda d: d["supervised"]), 30)
        assert sup["actor"] == "system" and sup["data"]["history"][-1]["status"] == "supervise"
        for status in ("accepted", "done"):
            res = await duty.command("task.update", {"id": task_id, "status": status, "note": "已处理"})
            assert res["ok"], res
        assert (await duty.command("task.update", {"id": task_id, "status": "accepted"}))["error"]["code"] == "conflict"
        assert (await duty.command("task.update", {"id": act["tasks"][0], "status": "lost"}))["error"]["code"] == "bad_args"
        res = await duty.command("task.supervise", {"id": act["tasks"][0], "note": "请加快"})
        assert res["ok"] and res["result"]["supervisions"] == 1

        early = await duty.command("incident.evaluate", {"id": inc_id, "score": 4})
        assert early["error"]["code"] == "conflict"  # not closed yet
        for stage in ("dispatch", "handle", "feedback", "close"):
            assert (await duty.command("incident.advance", {"id": inc_id, "stage": stage}))["ok"]
        res = await duty.command("incident.evaluate", {"id": inc_id, "score": 4, "comment": "处置及时"})
        assert res["ok"], res
        done = await leader.until(event_of("incidents", inc_id, lambda d: d["stage"] == "evaluate"))
        assert done["data"]["score"] == 4
        assert (await leader.command("incident.evaluate", {"id": inc_id, "score": 5}))["error"]["code"] == "forbidden"

        # review: the timeline from the event log, in seq order, with alerts, tasks, notices and the wall
        review = await leader.command("incident.review", {"id": inc_id})
        assert review["ok"], review
        events = review["result"]["events"]
        seqs = [e["seq"] for e in events]
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        assert events[0]["entity"] == "alerts" and events[0]["key"] == alert["id"]  # what started it comes first
        kinds = {e["entity"] for e in events}
        assert {"alerts", "incidents", "tasks", "notices", "walls"} <= kinds
        stages = [e["data"]["stage"] for e in events if e["entity"] == "incidents"]
        assert stages[0] == "intake" and stages[-1] == "evaluate"
        assert any(e["entity"] == "tasks" and e["actor"] == "system" for e in events)

        report = await leader.command("evaluation.report", {"since": time.time() - 3600})
        rows = {r["department"]: r for r in report["result"]["rows"]}
        assert rows["市应急管理局"]["handled"] == 1 and rows["市应急管理局"]["close_s_avg"] is not None
        assert rows["市城投集团"]["overdue"] == 1 and rows["市城投集团"]["dispatch_s_avg"] >= 0
        assert (await leader.command("evaluation.report", {"since": "yesterday"}))["error"]["code"] == "bad_args"

        audit = proc.audit_rows()
        auto = [r for r in audit if r["user"] == "system"]
        assert {r["action"] for r in auto} >= {"alert.escalate", "task.supervise"}
        assert any(r["action"] == "incident.advance" and not r["ok"] and r["role"] == "leader" for r in audit)
        assert proc.cli("audit", "verify").returncode == 0
        await duty.close()
        await leader.close()
    finally:
        assert proc.stop() == 0, proc.log_tail()
