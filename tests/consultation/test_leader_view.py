"""The leader's view on a real backend with the room simulators: one-key consultation, decisions, room panel, wall."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app import leader_model as lm
from backend.room_devices import load_room
from backend_client.store import ClientStore
from devices.sims.room_sims import DEMO_ROOM, start_room
from tests.backend_client.qt_async import run
from tests.consultation.test_consultation import CAMERAS
from tests.helpers.backend_proc import start_backend

T = 60_000
DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_domain_kpis_grades_and_decision_log_are_plain_data():
    alerts = [{"event": "燃气泄漏", "colour": "red"}, {"event": "交通拥堵", "colour": "blue", "acked": True},
              {"event": "pm25", "colour": "orange"}, {"event": "暴雨", "colour": "yellow"},
              {"event": "噪声扰民", "colour": "blue"}, {"event": "没见过的", "colour": "blue"},
              {"event": "火灾", "colour": "red", "status": "closed"}]
    kpis = {k.domain: (k.active, k.serious, k.unacked) for k in lm.domain_kpis(alerts)}
    assert kpis == {"城市安全": (1, 1, 1), "应急指挥": (2, 0, 2), "城市管理": (1, 0, 1), "环境治理": (1, 1, 1),
                    "交通治堵": (1, 0, 0)}
    grid = lm.incidents_by_grade_and_cycle([{"grade": 1, "cycle": "big"}, {"grade": 1, "cycle": "big"},
                                            {"grade": 4, "cycle": ""}, {"grade": 2, "cycle": "big", "stage": "close"}])
    assert grid[(1, "big")] == 2 and grid[(4, "small")] == 1 and grid[(2, "big")] == 0
    rows = lm.decision_log([{"at": 1, "by": "甲", "text": "a", "incident": "I-1"},
                            {"at": 2, "by": "乙", "text": "b", "incident": "I-2"}], {"I-1": {"title": "火灾"}})
    assert [(r.by, r.incident) for r in rows] == [("乙", "I-2"), ("甲", "火灾")]
    dev = lm.device_rows([{"id": "p", "online": False, "last_error": "no answer"}, {"id": "q", "online": None},
                          {"id": "r", "online": True, "lamp_hours": 5, "errors": ["lamp: error"]}])
    assert [(d.state, d.errors) for d in dev] == [("offline", ["no answer"]), ("unknown", []),
                                                 ("online", ["lamp: error"])]
    assert (dev[2].power, dev[2].lamp_hours, dev[2].brightness) == ("", 5, None)


def test_a_room_devices_detail_is_in_the_uis_language(qapp):
    """The devices' power, lamp hours and brightness came as English text ("power on, lamp 1200 h") in the
    Chinese UI; the model keeps them as values and the view words them."""
    from PySide6.QtCore import QCoreApplication, QLocale

    from app.i18n import install_translators
    from app.leader_view import _device_detail

    [row] = lm.device_rows([{"id": "d", "online": True, "power": True, "lamp_hours": 1200, "brightness": 80}])
    assert (row.power, row.lamp_hours, row.brightness) == ("on", 1200, 80)
    assert _device_detail(row) == "power on, lamp 1200 h, 80%"
    translators, locale = install_translators(qapp, "zh_CN"), QLocale()
    QLocale.setDefault(QLocale(QLocale.Language.Chinese, QLocale.Country.China))
    try:
        assert _device_detail(row) == "电源开，灯泡 1200 小时，80%"
        assert _device_detail(lm.device_rows([{"id": "d", "power": "off"}])[0]) == "电源关"
    finally:
        QLocale.setDefault(locale)
        for t in translators:
            QCoreApplication.removeTranslator(t)
    assert _device_detail(row) == "power on, lamp 1200 h, 80%"


@pytest.fixture
def room_setup(qtbot, qloop, tmp_path):
    sims, devices = run(qtbot, start_room(load_room(DEMO_ROOM), any_port=True))
    room = tmp_path / "room.json"
    room.write_text(json.dumps({"devices": devices}, ensure_ascii=False), "utf-8")
    cams = tmp_path / "cameras.json"
    cams.write_text(json.dumps(CAMERAS, ensure_ascii=False), "utf-8")
    backend = start_backend(tmp_path, cameras=cams, extra_args=("--room", str(room), "--room-poll", "1"))
    stores: list[ClientStore] = []
    try:
        yield backend, sims, stores
    finally:
        for s in stores:
            run(qtbot, s.stop())
        backend.stop()
        for sim in sims.values():
            run(qtbot, sim.stop())


def _online(qtbot, stores, backend, role) -> ClientStore:
    store = ClientStore()
    stores.append(store)
    with qtbot.waitSignal(store.reset, timeout=T):
        store.start(backend.url, backend.token(role), "pytest")
    return store


def test_leader_runs_a_one_key_consultation_and_records_a_decision(qtbot, room_setup):
    from app.leader_view import LeaderView

    backend, sims, stores = room_setup
    officer = _online(qtbot, stores, backend, "duty_officer")
    run(qtbot, officer.command("incident.create", {"title": "江南街道 厂房火灾", "category": "事故灾难", "grade": 1,
                                                   "cycle": "big", "lat": 28.9, "lon": 120.04}))
    leader = _online(qtbot, stores, backend, "leader")
    view = LeaderView(leader)
    qtbot.addWidget(view)
    view.resize(1600, 1000)
    view.show()
    qtbot.waitUntil(lambda: view.incident_box.count() == 1 and view.consult_action.isEnabled(), timeout=T)
    assert [view.grade_table.item(0, c).text() for c in (1, 2, 3)] == ["0", "0", "1"]  # grade Ⅰ, big cycle
    # the wall is read-only for a leader
    assert not view.wall.acceptDrops() and "read only" in view.wall_note.text()

    view.consult_action.trigger()
    qtbot.waitUntil(lambda: leader.wall("main") is not None and leader.wall("main").layout == "consultation", timeout=T)
    qtbot.waitUntil(lambda: view.steps_table.rowCount() == 16 and all(
        view.steps_table.item(r, 2).text().startswith("✔") for r in range(16)), timeout=T)
    assert sims["display-1"].power == "1" and sims["led"].brightness == 80
    qtbot.waitUntil(lambda: "Open: CS-" in view.consultation_label.text() and view.decision_action.isEnabled(),
                    timeout=T)
    qtbot.waitUntil(lambda: view.device_table.rowCount() == 8 and all(
        view.device_table.item(r, 1).text() == "online" for r in range(8)), timeout=T)

    view.record_decision("启动Ⅰ级应急响应", "市长")
    qtbot.waitUntil(lambda: view.decision_table.rowCount() == 1, timeout=T)
    assert [view.decision_table.item(0, c).text() for c in (1, 2, 3)] == ["市长", "启动Ⅰ级应急响应", "江南街道 厂房火灾"]
    assert view.status.text() == "Decision recorded"

    # a device goes silent: the room panel shows it offline with the reason, the scene button says what failed
    sims["lights"].silent = True
    view.scene_actions["briefing"].trigger()
    try:
        qtbot.waitUntil(lambda: "some steps failed" in view.run_label.text(), timeout=T)
    except Exception:
        raise AssertionError((view.run_label.text(), view.status.text()))
    lights_rows = [r for r in range(view.steps_table.rowCount()) if view.steps_table.item(r, 1).text() == "lights"]
    assert lights_rows and view.steps_table.item(lights_rows[0], 2).text().startswith("✘ no answer")
    qtbot.waitUntil(lambda: any(view.device_table.item(r, 1).text() == "offline"
                                for r in range(view.device_table.rowCount())), timeout=T)
    if os.environ.get("CC_SAVE_DOCS"):  # the screenshot in docs/, in the app's dark theme
        from PySide6.QtWidgets import QApplication

        from app.theme import apply_theme
        apply_theme(QApplication.instance())
        sims["lights"].silent = False
        view.scene_actions["consultation"].trigger()
        qtbot.waitUntil(lambda: "Consultation" not in view.run_label.text() or "done" in view.run_label.text(),
                        timeout=T)
        qtbot.waitUntil(lambda: all(view.device_table.item(r, 1).text() == "online"
                                    for r in range(view.device_table.rowCount())), timeout=T)
        view.grab().save(str(DOCS / "leader.png"))
