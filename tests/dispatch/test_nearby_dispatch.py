"""One-key dispatch from an incident's "resources nearby" list (the map feature's NearbyPanel): the call
reaches the radio gateway on a real PTY, is logged with the incident, and is in the incident's review."""
import asyncio

import pytest
from PySide6.QtCore import Qt

from backend.demo.radio_sim import RadioSim
from backend_client.store import ClientStore
from devices.transport import SerialTransport
from tests.backend_client.qt_async import qloop, run  # noqa: F401 - qloop is a fixture
from tests.helpers.backend_proc import start_backend
from tests.helpers.pty import PtyPair

pytestmark = pytest.mark.timeout(180)


def test_dispatch_from_the_nearby_list_calls_the_radio_and_lands_in_the_timeline(qtbot, qloop, tmp_path):  # noqa: F811
    from app.map_feature import NearbyPanel
    from widgets.map_view import MapView

    pair = PtyPair(tmp_path / "pty").start()
    far = SerialTransport(pair.b, 115200, exclusive=False)
    run(qtbot, far.open())
    sim = RadioSim(far, radios=6, seed=5, gps_every=0.5, status_every=1000, emergency_every=0)
    sim_task = asyncio.ensure_future(sim.run())
    backend = start_backend(tmp_path, extra_args=["--radio", pair.a, "--dispatch-demo-directory"])
    store = ClientStore()
    panel = None
    try:
        store.start(backend.url, backend.token("duty_officer"))
        qtbot.waitUntil(lambda: store.synced and store.can("dispatch.call"), timeout=30_000)
        qtbot.waitUntil(lambda: store.get("units", "R-3307001") is not None, timeout=30_000)
        radio = store.get("units", "R-3307001")
        # an incident right where the radio is: it must be the nearest unit in the list
        result = run(qtbot, store.command("incident.create", {
            "title": "江南街道 道路积水", "category": "自然灾害", "grade": 3,
            "lat": radio.lat + 0.0005, "lon": radio.lon + 0.0005}))
        incident_id = result["id"]
        qtbot.waitUntil(lambda: store.get("incidents", incident_id) is not None, timeout=10_000)
        panel = NearbyPanel(store, MapView(store), [])
        qtbot.addWidget(panel)
        panel.radius.setValue(1.0)
        panel.set_incident(incident_id)
        rows = [panel.table.topLevelItem(i) for i in range(panel.table.topLevelItemCount())]
        mine = next(item for item in rows if item.data(0, Qt.ItemDataRole.UserRole) == ("unit", "R-3307001"))
        panel.table.setCurrentItem(mine)
        fut = panel.dispatch_selected()  # what Enter / Ctrl+D on the row does
        qtbot.waitUntil(fut.done, timeout=30_000)
        assert panel.last_result == "ok", panel.status.text()
        qtbot.waitUntil(lambda: any("AT+CALL=P,3307001" in c for c in sim.commands), timeout=10_000)
        calls = [c for c in store.records("calls").values() if c.get("incident") == incident_id]
        assert calls and calls[0]["terminals"] == ["radio-3307001"]
        review = run(qtbot, store.command("incident.review", {"id": incident_id}))
        assert calls[0]["id"] in {e["key"] for e in review["events"] if e["entity"] == "calls"}
        assert any(r["action"] == "dispatch.call" and r["ok"] for r in backend.audit_rows())
    finally:
        if panel is not None:
            panel.set_incident("")
        run(qtbot, store.stop())
        backend.stop()
        sim_task.cancel()
        run(qtbot, far.close())
        pair.stop()
