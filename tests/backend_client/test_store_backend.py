"""ClientStore on a qasync loop against the REAL backend: fill, commands, roles, auth, kill/restart resume."""
from __future__ import annotations

import sqlite3

import pytest

from backend_client.client import CommandFailed
from backend_client.store import ClientStore
from tests.backend_client.qt_async import run

T = 60_000  # ms: generous, the machine is shared


def seqs_in_db(db, after: int, upto: int) -> list[int]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return [r[0] for r in conn.execute("SELECT seq FROM events WHERE seq > ? AND seq <= ? ORDER BY seq",
                                           (after, upto))]
    finally:
        conn.close()


@pytest.fixture
def stores(qtbot, qloop):
    """Make ClientStores; each is stopped at the end of the test. Request it AFTER the backend fixture
    (``def test(qtbot, backend, stores)``) so the stores disconnect before the backend stops."""
    made: list[ClientStore] = []

    def make(cls=ClientStore) -> ClientStore:
        s = cls()
        made.append(s)
        return s

    yield make
    for s in made:
        run(qtbot, s.stop())


def start_online(qtbot, store: ClientStore, url: str, token: str) -> None:
    states = []
    store.connection_changed.connect(states.append)
    with qtbot.waitSignal(store.reset, timeout=T):
        store.start(url, token, "pytest")
    assert states == ["connecting", "online"]
    assert store.connection == "online" and store.synced


def test_snapshot_fills_the_store(qtbot, backend, stores):
    store = stores()
    start_online(qtbot, store, backend.url, backend.token("wall_operator"))
    assert store.role == "wall_operator" and store.user.startswith("wall_operator")
    assert store.can("wall.take") and not store.can("alert.ack")
    assert store.wall("main") is not None and store.seq > 0


class DeafStore(ClientStore):
    """Hears the session and snapshot but no events: shows what a command result alone does."""

    def apply_message(self, msg):
        if msg.get("type") != "event":
            super().apply_message(msg)


def test_a_command_changes_state_only_through_its_event(qtbot, backend, stores):
    token = backend.token("wall_operator")
    store, deaf = stores(), stores(DeafStore)
    start_online(qtbot, store, backend.url, token)
    start_online(qtbot, deaf, backend.url, token)
    before = deaf.wall()
    assert before.layout != "cameras-4"
    result = run(qtbot, deaf.command("wall.take", {"layout": "cameras-4"}))
    assert result["layout"] == "cameras-4"
    assert deaf.wall() == before  # the ok result did not touch the state
    with qtbot.waitSignal(store.wall_changed, timeout=T, check_params_cb=lambda w: w.cells == {"2": {
            "kind": "camera", "camera": "cam-09"}}) as blocker:
        store.request_set_cell(2, "cam-09")
    wall = blocker.args[0]
    assert wall == store.wall() and wall.layout == "cameras-4" and wall.updated_by == store.user


def test_ack_refused_for_a_leader_reports_command_failed(qtbot, backend, stores):
    store = stores()
    start_online(qtbot, store, backend.url, backend.token("leader"))
    assert not store.can("alert.ack")
    with qtbot.waitSignal(store.command_failed, timeout=T) as blocker:
        task = store.request_ack("A-17")
    action, message = blocker.args
    assert action == "alert.ack" and "leader" in message
    qtbot.waitUntil(task.done, timeout=T)
    assert isinstance(task.exception(), CommandFailed) and task.exception().code == "forbidden"
    assert backend.audit_last()["action"] == "alert.ack" and not backend.audit_last()["ok"]


def test_bad_token_reports_auth_failed(qtbot, backend, stores):
    backend.token("duty_officer")
    store = stores()
    with qtbot.waitSignal(store.connection_changed, timeout=T, check_params_cb=lambda s: s == "auth_failed"):
        store.start(backend.url, "wrong-token")
    with qtbot.waitSignal(store.command_failed, timeout=T):
        store.request_take("cameras-4")
    assert not store.synced and store.user == ""


def test_duty_officer_acks_a_demo_alert(qtbot, demo_backend, stores):
    store = stores()
    start_online(qtbot, store, demo_backend.url, demo_backend.token("duty_officer"))
    qtbot.waitUntil(lambda: any(not a.acked for a in store.alerts()), timeout=T)
    alert = next(a for a in store.alerts() if not a.acked)
    with qtbot.waitSignal(store.alert_changed, timeout=T, check_params_cb=lambda a: a.id == alert.id and a.acked):
        store.request_ack(alert.id)
    assert store.get("alerts", alert.id).acked_by == store.user


def test_kill_restart_goes_offline_then_online_and_resumes_without_gaps(qtbot, demo_backend, stores):
    proc = demo_backend
    store = stores()
    states: list[str] = []
    store.connection_changed.connect(states.append)
    seen: list[dict] = []
    with qtbot.waitSignal(store.reset, timeout=T):
        store.start(proc.url, proc.token("duty_officer"), "pytest")
        store.client.add_listener(seen.append)
    first = store.seq
    qtbot.waitUntil(lambda: store.seq >= first + 30, timeout=T)
    with qtbot.waitSignal(store.connection_changed, timeout=T, check_params_cb=lambda s: s == "offline"):
        proc.kill()
    proc.restart()  # blocks the test thread: the store reconnects in the wait below
    qtbot.waitUntil(lambda: store.connection == "online", timeout=T)
    head = max(seqs_in_db(proc.db, first, 10**12))
    qtbot.waitUntil(lambda: store.seq >= head, timeout=T)
    events = [m["seq"] for m in seen if m["type"] == "event" and m["seq"] <= head]
    assert events == seqs_in_db(proc.db, first, head)  # each event once, in order, none missing
    assert sum(m["type"] == "snapshot" for m in seen) == 1  # resumed from seq, no second snapshot
    assert states[:2] == ["connecting", "online"] and "offline" in states and states[-1] == "online"
    # the store equals the hub's state for what it holds: compare a few units with the database
    conn = sqlite3.connect(f"file:{proc.db}?mode=ro", uri=True, timeout=30)
    try:
        rows = dict(conn.execute("SELECT id, seq FROM units"))
    finally:
        conn.close()
    assert set(rows) == {u.id for u in store.units()}
