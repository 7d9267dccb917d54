"""Plan files (every one valid, scenes exist, precise errors) and the demo CAP feed (valid CAP 1.2, GB/T 35965,
Update/Cancel chains through the real CapIngest on a real Core)."""
from __future__ import annotations

import json

import pytest

from backend.cap.parse import parse_cap
from backend.core import Core
from backend.demo.cap_feed import CapFeed
from backend.incidents.plans import DEFAULT_PLANS_DIR, PlanError, load_plans, validate_plan
from backend_client.models import Plan

LAYOUTS = DEFAULT_PLANS_DIR.parents[1] / "layouts"


def test_every_plan_file_is_valid_and_shows_an_existing_scene():
    plans, errors = load_plans(DEFAULT_PLANS_DIR)
    assert errors == [] and len(plans) >= 8
    for p in plans:
        assert (LAYOUTS / f"{p['scene']}.json").is_file(), p["id"]
        Plan.from_dict(p)
    covered = {(p["category"], g) for p in plans for g in p["grades"]}
    for category in ("自然灾害", "事故灾难", "公共卫生事件", "社会安全事件"):
        assert {(category, g) for g in (1, 2, 3, 4)} <= covered, category


def test_a_bad_plan_names_the_file_and_the_field(tmp_path):
    good = json.loads((DEFAULT_PLANS_DIR / "flood-major.json").read_text(encoding="utf-8"))
    bad = {**good, "tasks": [{"department": "市水利局", "title": "x", "due_min": 0}]}
    with pytest.raises(PlanError, match=r"plans/x.json: tasks\[0\].due_min"):
        validate_plan(bad, "plans/x.json")
    (tmp_path / "a.json").write_text(json.dumps(good), encoding="utf-8")
    (tmp_path / "b.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "c.json").write_text(json.dumps({**good, "category": "天灾"}), encoding="utf-8")
    plans, errors = load_plans(tmp_path)
    assert [p["id"] for p in plans] == ["flood-major"] and len(errors) == 2
    assert errors[1].startswith("plans/c.json: category")


async def test_demo_cap_feed_makes_valid_chinese_cap_with_updates_and_cancels(tmp_path):
    core = await Core(tmp_path / "cc.db", centre="yk").start()
    try:
        feed = CapFeed(core, seed=11)
        docs = []
        for _ in range(60):
            doc = feed.next_document()
            docs.append(doc)
            msg = parse_cap(doc)  # schema-valid CAP 1.2
            assert msg.gb35965 and msg.identifier.startswith("330784") and msg.infos[0].language == "zh-CN"
            await feed.ingest.ingest(doc, "demo-cap")
        types = [parse_cap(d).msg_type for d in docs]
        assert {"Alert", "Update", "Cancel"} <= set(types)
        alerts = [a for a in core.all("alerts") if a["source"] == "cap"]
        assert any(a["status"] == "cancelled" for a in alerts) and any(len(a["cap"]["history"]) > 1 for a in alerts)
        assert all(a["area"]["geocodes"][0][1].startswith("330784") for a in alerts)
        assert len(alerts) == types.count("Alert")  # updates and cancels changed existing alerts
    finally:
        await core.close()
