"""ClientStore.apply_message on frames recorded from the real hub: state, signals, sort order, bad input."""
from __future__ import annotations

import copy

import pytest

from backend_client.models import Alert, Incident, Unit, WallState
from backend_client.store import ClientStore


class Recorder:
    """Every emission of the store's signals, in order: (signal name, args)."""

    NAMES = ("reset", "alert_changed", "alert_removed", "incident_changed", "unit_changed", "camera_changed",
             "sensor_changed", "wall_changed", "entity_changed", "entity_removed", "session_changed",
             "command_failed", "command_requested")

    def __init__(self, store: ClientStore):
        self.calls: list[tuple[str, tuple]] = []
        for name in self.NAMES:
            getattr(store, name).connect(lambda *args, _n=name: self.calls.append((_n, args)))

    def names(self) -> list[str]:
        return [n for n, _ in self.calls]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def store(qapp):
    s = ClientStore()
    yield s
    s.deleteLater()


def by_type(frames, kind):
    return [f for f in frames if f["type"] == kind]


def test_auth_ok_sets_the_session(store, frames):
    rec = Recorder(store)
    auth = by_type(frames, "auth_ok")[0]
    store.apply_message(auth)
    assert (store.user, store.role, store.centre) == (auth["user"], "duty_officer", "yk")
    assert store.can("alert.ack") and store.can("wall.take") and not store.can("user.add")
    assert rec.names() == ["session_changed"]


def test_snapshot_fills_the_store_and_emits_reset_only(store, frames):
    rec = Recorder(store)
    snap = by_type(frames, "snapshot")[0]
    store.apply_message(snap)
    assert rec.names() == ["reset"]
    assert store.seq == snap["seq"] and store.synced
    assert [u.id for u in store.units()] == sorted(u["id"] for u in snap["state"]["units"])
    assert all(isinstance(u, Unit) for u in store.units())
    assert len(store.cameras()) == len(snap["state"]["cameras"]) > 0
    assert isinstance(store.wall("main"), WallState)


def test_replaying_the_recording_ends_in_the_hubs_state(store, frames):
    rec = Recorder(store)
    for f in frames:
        store.apply_message(f)
    events = by_type(frames, "event")
    assert store.seq == events[-1]["seq"]
    last = {}
    for e in events:
        last[(e["entity"], e["key"])] = e["data"]
    for (entity, key), data in last.items():
        assert store.get(entity, key).to_dict() == {**store.get(entity, key).to_dict(), **data}
    incident = store.incidents()[0]
    assert isinstance(incident, Incident) and incident.title == "录制测试 道路积水"
    assert store.wall().cells == {"1": {"kind": "camera", "camera": "cam-01"}}
    acked = [a for a in store.alerts() if a.acked]
    assert len(acked) == 1 and acked[0].acked_by == store.user
    # one typed signal per real change, each followed by entity_changed
    typed = [n for n in rec.names() if n.endswith("_changed") and n not in ("entity_changed", "session_changed")]
    assert len(typed) == rec.names().count("entity_changed")
    assert rec.names().count("alert_changed") == sum(e["entity"] == "alerts" for e in events)


def test_an_event_that_changes_nothing_emits_nothing(store, frames):
    store.apply_message(by_type(frames, "snapshot")[0])
    wall_events = [f for f in frames if f.get("entity") == "walls"]
    store.apply_message(wall_events[0])
    rec = Recorder(store)
    again = copy.deepcopy(wall_events[0])
    again["seq"] = wall_events[0]["seq"] + 1000
    store.apply_message(again)
    assert rec.names() == []
    assert store.seq == again["seq"]  # the seq still advances
    store.apply_message(wall_events[1])  # set_cell: a real change
    assert rec.names() == ["wall_changed", "entity_changed"]
    assert rec.calls[0][1][0] == store.wall()


def test_delete_emits_removed(store, frames):
    store.apply_message(by_type(frames, "snapshot")[0])
    alert = next(f for f in frames if f.get("entity") == "alerts")
    store.apply_message(alert)
    rec = Recorder(store)
    store.apply_message({"type": "event", "seq": 99999, "entity": "alerts", "op": "delete", "key": alert["key"],
                         "data": None})
    assert rec.calls == [("alert_removed", (alert["key"],)), ("entity_removed", ("alerts", alert["key"])),
                         ("entity_changed", ("alerts", alert["key"]))]
    assert store.get("alerts", alert["key"]) is None
    rec.clear()
    store.apply_message({"type": "event", "seq": 100000, "entity": "alerts", "op": "delete", "key": "nope"})
    assert rec.calls == []


def test_unknown_entities_are_kept_as_dicts(store):
    rec = Recorder(store)
    store.apply_message({"type": "snapshot", "seq": 5, "state": {"radios": [{"id": "R-1", "ch": 3}]}})
    assert store.get("radios", "R-1") == {"id": "R-1", "ch": 3}
    store.apply_message({"type": "event", "seq": 6, "entity": "radios", "op": "upsert", "key": "R-1",
                         "data": {"id": "R-1", "ch": 4}})
    assert store.get("radios", "R-1") == {"id": "R-1", "ch": 4}
    assert rec.names() == ["reset", "entity_changed"]
    assert "radios" in store.entities()


def test_alerts_sorted_by_colour_then_newest(store):
    def alert(i, colour, created):
        return {"id": f"A-{i}", "colour": colour, "title": f"t{i}", "created": created}
    rows = [alert(1, "blue", 50), alert(2, "red", 10), alert(3, "orange", 30), alert(4, "red", 20),
            alert(5, "yellow", 40), alert(6, "purple", 99)]
    store.apply_message({"type": "snapshot", "seq": 1, "state": {"alerts": rows}})
    assert [a.id for a in store.alerts()] == ["A-4", "A-2", "A-3", "A-5", "A-1", "A-6"]
    assert all(isinstance(a, Alert) for a in store.alerts())


@pytest.mark.parametrize("msg, fault", [
    ("not a dict", "expected a dict"),
    ({"type": "bogus"}, "unknown message type"),
    ({"type": "event", "seq": 9, "entity": "alerts", "op": "upsert", "key": "A-1", "data": None}, "must be an object"),
    ({"type": "event", "seq": 9, "entity": "alerts", "op": "upsert", "key": "A-1", "data": {"id": "A-1"}},
     "alerts/A-1: .*colour"),
    ({"type": "event", "seq": 9, "entity": "alerts", "op": "merge", "key": "A-1", "data": {}}, "op must be"),
    ({"type": "event", "seq": "9", "entity": "alerts", "op": "delete", "key": "A-1"}, "event.seq"),
    ({"type": "snapshot", "seq": 9, "state": []}, "snapshot.state"),
    ({"type": "auth_ok", "user": "u", "role": "r", "centre": "c", "actions": "alert.ack"}, "auth_ok.actions"),
])
def test_bad_messages_raise_and_change_nothing(store, frames, msg, fault):
    store.apply_message(by_type(frames, "snapshot")[0])
    before = {e: store.records(e) for e in store.entities()}
    seq = store.seq
    rec = Recorder(store)
    with pytest.raises(ValueError, match=fault):
        store.apply_message(msg)
    assert {e: store.records(e) for e in store.entities()} == before and store.seq == seq
    assert rec.calls == []


def test_a_bad_record_in_a_snapshot_is_skipped_not_fatal(store):
    store.apply_message({"type": "snapshot", "seq": 3, "state": {
        "alerts": [{"id": "A-1", "colour": "red", "title": "ok"}, {"id": "A-2"}, "junk", {"title": "no id"}],
        "units": "not a list"}})
    assert [a.id for a in store.alerts()] == ["A-1"]
    assert store.units() == []


def test_play_url(store, frames):
    store.apply_message({**by_type(frames, "auth_ok")[0], "relay": "http://127.0.0.1:8780"})
    store.token = "tok/en"
    assert store.play_url("cam-05") == "http://127.0.0.1:8780/cam/cam-05.ts?token=tok%2Fen"
    assert store.play_url("cam-05", sub=True) == "http://127.0.0.1:8780/cam/cam-05.ts?token=tok%2Fen&stream=sub"


def test_intents_without_a_connection_report_failure(store):
    rec = Recorder(store)
    assert store.request_ack("A-1") is None
    assert store.request_take("daily-duty") is None
    assert rec.calls == [
        ("command_requested", ("alert.ack", {"id": "A-1"})), ("command_failed", ("alert.ack", "Not connected to the hub")),
        ("command_requested", ("wall.take", {"layout": "daily-duty", "wall": "main"})),
        ("command_failed", ("wall.take", "Not connected to the hub")),
    ]


def test_start_with_a_bad_url_is_a_clear_error(store):
    with pytest.raises(ValueError, match="expected ws://HOST:PORT"):
        store.start("http://127.0.0.1:8765", "t")
    assert store.client is None
