"""Fixtures for the windows and widgets: a ClientStore fed with realistic demo state through apply_message."""
from __future__ import annotations

import random
import time

import pytest

from backend.demo.cameras import camera_records
from backend.demo.city import make_alert, make_incident

DUTY_ACTIONS = ["alert.ack", "incident.create", "wall.take", "wall.set_cell"]


class Feed:
    """Puts state into a store the way the hub does: auth_ok, snapshot, then events with rising seq."""

    def __init__(self, store):
        self.store = store
        self.seq = 0

    def auth(self, role: str = "duty_officer", user: str = "wang", actions=None) -> None:
        self.store.apply_message({"v": 1, "type": "auth_ok", "user": user, "role": role, "centre": "yk",
                                  "seq": self.seq, "relay": "http://127.0.0.1:8780",
                                  "actions": DUTY_ACTIONS if actions is None else actions})

    def snapshot(self, **state) -> None:
        self.seq += 1
        self.store.apply_message({"v": 1, "type": "snapshot", "seq": self.seq, "state": state})

    def event(self, entity: str, data: dict | None, op: str = "upsert", key: str | None = None) -> None:
        self.seq += 1
        key = key if key is not None else data["id"]
        self.store.apply_message({"v": 1, "type": "event", "seq": self.seq, "eid": f"yk-{self.seq}",
                                  "ts": time.time(), "actor": "test", "entity": entity, "op": op,
                                  "key": key, "data": data})


def demo_state(alerts: int = 24, seed: int = 7, now: float | None = None) -> dict:
    """Realistic state from the demo city: Chinese alert titles spread over the last hour, incidents
    from the red/orange ones, the demo cameras in mixed health, the wall on daily-duty."""
    rng = random.Random(seed)
    now = time.time() if now is None else now
    out_alerts, incidents = [], []
    for i in range(alerts):
        created = now - rng.uniform(0, 3500)
        alert = make_alert(rng, created, f"yk-A-{i + 1:04d}", centre="yk")
        if rng.random() < 0.35:
            alert.update(acked=True, acked_by="wang", acked_at=created + 60)
        out_alerts.append(alert)
        incident = make_incident(rng, created, f"yk-I-{len(incidents) + 1:03d}", alert, centre="yk")
        if incident is not None and len(incidents) < 8:
            incidents.append(incident)
    cameras = camera_records()
    states = ["live"] * 7 + ["lost", "connecting", "idle"]
    for cam in cameras:
        cam.update(state=rng.choice(states))
        if cam["state"] == "live":
            cam.update(fps=25.0, bitrate_kbps=round(rng.uniform(900, 2200)), viewers=rng.randint(1, 4))
    walls = [{"id": "main", "layout": "daily-duty", "cells": {}, "updated_by": "wang", "updated": now,
              "screen": [3840, 1080]}]  # the demo wall: one 3840 × 1080 output (scripts/run-demo.sh)
    return {"alerts": out_alerts, "incidents": incidents, "cameras": cameras, "units": [], "sensors": [],
            "walls": walls}


def loop_under_way(state: dict, now: float) -> dict:
    """``state``'s incidents spread over the loop's first four stages (each with its stage history), the first
    one with three tasks: one supervised (督办) and overdue, one due later, one just overdue. What the
    incident desk looks like an hour into a shift (its tests, docs/make_screenshots.py)."""
    from widgets.stage_bar import STAGES

    # the first incident's tasks were given 30–23 minutes ago: it was opened before them
    state["incidents"][0]["created"] = min(state["incidents"][0]["created"], now - 2400)
    for n, inc in enumerate(state["incidents"]):
        k = n % 4 + 1
        inc.update(stage=STAGES[k - 1], cycle="small", source="alert",
                   stages=[{"stage": s, "at": inc["created"] + 60 * i, "by": "wang", "note": ""}
                           for i, s in enumerate(STAGES[:k])])
    first = state["incidents"][0]["id"]
    state["tasks"] = [
        {"id": "T-1", "incident": first, "department": "消防救援大队", "unit": "", "title": "现场救援", "due": now - 600,
         "status": "in_progress", "created": now - 1800, "supervised": True,
         "history": [{"status": "supervise", "at": now - 300, "by": "system", "note": ""}]},
        {"id": "T-2", "incident": first, "department": "交通运输局", "unit": "", "title": "道路管制", "due": now + 1200,
         "status": "accepted", "created": now - 1500, "supervised": False, "history": []},
        {"id": "T-3", "incident": first, "department": "卫生健康局", "unit": "", "title": "伤员转运", "due": now - 60,
         "status": "assigned", "created": now - 1400, "supervised": False, "history": []}]
    assert all(t["created"] > state["incidents"][0]["created"] for t in state["tasks"])
    return state


@pytest.fixture
def store(qapp):
    from backend_client.store import ClientStore

    s = ClientStore()
    yield s
    s.deleteLater()


@pytest.fixture
def feed(store):
    return Feed(store)
