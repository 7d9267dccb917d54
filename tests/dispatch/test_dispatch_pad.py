"""Dispatch pad: keys from the directory, emergency shown, selection → group, call log and recall;
then the console with the real backend, a real PTY and the radio simulator: F6 → AT+CALL on the serial line."""
from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSplitter

from widgets.dispatch_pad import DispatchPad, pad_keys
from tests.helpers.shots import shot_path

ROOT = Path(__file__).resolve().parents[2]
LAYOUTS = ROOT / "layouts"
pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def store(qapp):
    from backend_client.store import ClientStore
    s = ClientStore()
    yield s
    s.deleteLater()


@pytest.fixture
def feed(store):
    from tests.app.conftest import Feed
    return Feed(store)


def terminals():
    from backend.dispatch.directory import demo_records
    recs = demo_records([3307001 + i for i in range(6)], [("330784001", "江南街道"), ("330784002", "西城街道")])
    for r in recs[:5]:
        r.update(presence="online", status="available", lat=28.9, lon=120.0)
    return recs


def test_keys_emergency_first_then_groups_then_terminals():
    ts = terminals()
    ts[3]["emergency"] = True
    groups = [{"id": "TG-100", "name": "城管全体", "members": [ts[0]["id"]], "temporary": False}]
    calls = [{"id": "c1", "state": "active", "terminals": [ts[1]["id"]], "group": ""}]
    keys = pad_keys(ts, groups, calls)
    assert keys[0].id == ts[3]["id"] and keys[0].emergency
    assert keys[1].kind == "group"
    assert next(k for k in keys if k.id == ts[1]["id"]).in_call
    assert not next(k for k in keys if k.id == ts[5]["id"]).online
    assert [k.id for k in pad_keys(ts, groups, calls, query="110")] == ["phone-110"]
    assert all(k.kind == "terminal" for k in pad_keys(ts, groups, calls, department="公安"))


def test_the_keys_get_most_of_the_height_and_the_call_log_the_rest(qtbot, store, feed):
    """The pad is for calling: in a console dock (480 × 900) its keys had ~470 px and the call log ~300 px of
    mostly empty lines. The splitter gives the keys three quarters. The department filter read "All departme"."""
    feed.auth(actions=["dispatch.call"])
    feed.snapshot(terminals=terminals(), talkgroups=[], calls=[], incidents=[])
    pad = DispatchPad(store)
    qtbot.addWidget(pad)
    pad.resize(480, 900)
    pad.show()
    qtbot.waitExposed(pad)
    keys, log = pad.findChild(QSplitter).sizes()
    assert keys >= 2.5 * log and log >= 120, (keys, log)
    # and the department filter shows its longest entry ("All departments"), the search box gives way
    widest = max(pad.department.fontMetrics().horizontalAdvance(pad.department.itemText(i))
                 for i in range(pad.department.count()))
    assert pad.department.width() >= widest + 20


def test_pad_renders_store_state_and_emits_commands(qtbot, store, feed):
    feed.auth(actions=["dispatch.call"])
    ts = terminals()
    feed.snapshot(terminals=ts, talkgroups=[], calls=[], incidents=[])
    pad = DispatchPad(store)
    qtbot.addWidget(pad)
    pad.resize(900, 700)
    assert len(pad.buttons) == len(ts) and not pad.emergency_banner.isVisibleTo(pad)
    feed.event("terminals", {**ts[3], "emergency": True})
    assert pad.emergency_banner.isVisibleTo(pad) and ts[3]["name"] in pad.emergency_banner.text()
    assert pad.keys[0].id == ts[3]["id"] and "#e5322d" in pad.buttons[ts[3]["id"]].styleSheet()
    sent = []
    store.command_requested.connect(lambda a, args: sent.append((a, args)))
    failed = []
    store.command_failed.connect(lambda a, m: failed.append(a))
    pad.press(ts[0]["id"])  # not connected: the intent is still emitted and reported as failed
    assert sent[-1] == ("dispatch.call", {"terminal": ts[0]["id"]}) and failed
    pad.toggle_selected(ts[0]["id"])
    assert pad.buttons[ts[0]["id"]].isChecked() and pad.selected == [ts[0]["id"]]
    pad.group_call()  # one member only: refused locally with a message
    assert failed[-1] == "dispatch.group.create"
    now = time.time()
    for i, state in enumerate(("ended", "busy", "active")):
        feed.event("calls", {"id": f"yk-CALL-{i}", "kind": "individual", "label": ts[i]["name"], "state": state,
                             "terminals": [ts[i]["id"]], "started": now + i, "duration": 3.0 if i < 2 else None,
                             "incident": "yk-INC-00001" if i == 0 else "",
                             "recording": {"audio": ["/x/dump-dec.wav"] if i == 0 else []}})
    log = pad.call_log
    assert log.list.count() == 3 and "yk-INC-00001" in log.list.item(2).text()
    with qtbot.waitSignal(log.recall_requested) as sig:
        log.recall()
    assert [c["id"] for c in sig.args[0]] == ["yk-CALL-0", "yk-CALL-1"]  # finished ones, oldest first
    assert pad.buttons[ts[2]["id"]].styleSheet().count("#1e7d45") == 1  # in call: green


def _start_radio_sim(port: str) -> tuple[subprocess.Popen, list[str]]:
    """The radio gateway simulator in a process of its own, like a real gateway: a busy GUI test process must
    not delay its answers (the backend's driver waits 2 s). Its stdout lists the AT commands it received."""
    sim = subprocess.Popen([sys.executable, "-m", "backend.demo.radio_sim", port, "--radios", "12", "--seed", "2",
                            "--gps-every", "0.5", "--emergency-every", "0", "--console"],
                           cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    commands: list[str] = []

    def read() -> None:
        for line in sim.stdout:
            commands.append(line.decode("utf-8", "replace").strip())
    threading.Thread(target=read, daemon=True).start()
    return sim, commands


def test_console_f6_calls_a_radio_through_backend_and_serial_port(qapp, qtbot, tmp_path):
    import qasync

    from app.console_window import ConsoleWindow
    from app.dispatch_feature import install_console
    from backend_client.store import ClientStore
    from devices import radio_gw
    from tests.app.test_console_window import run_soon, run_until
    from tests.helpers.backend_proc import start_backend
    from tests.helpers.pty import PtyPair

    for i in range(6):
        QSettings().remove(f"dispatch/slot{i + 1}")
    with contextlib.ExitStack() as cleanup:  # undone in reverse, whichever step fails
        pair = PtyPair(tmp_path / "pty").start()
        cleanup.callback(pair.stop)
        backend = start_backend(tmp_path, extra_args=["--radio", pair.a, "--dispatch-demo-directory",
                                                      "--demo-notice-gateway"])
        cleanup.callback(backend.stop)
        loop = qasync.QEventLoop(qapp, already_running=False)
        cleanup.callback(loop.close)
        asyncio.set_event_loop(loop)
        cleanup.callback(asyncio.set_event_loop, None)
        sim, commands = _start_radio_sim(pair.b)
        cleanup.callback(sim.wait, 10)
        cleanup.callback(sim.kill)
        store = ClientStore()
        cleanup.callback(lambda: loop.run_until_complete(store.stop()))
        window = ConsoleWindow(store, LAYOUTS)
        cleanup.callback(window.close)
        install_console(window, store)
        qtbot.addWidget(window)
        window.resize(1600, 1000)
        window.show()
        pad = window.dispatch_pad
        store.start(backend.url, backend.token("duty_officer"))
        run_until(loop, lambda: store.connection == "online" and store.can("dispatch.call")
                  and any(k.online and k.id.startswith("radio-") for k in pad.keys), 60, "online radios on the pad")
        sim.stdin.write(radio_gw.emergency(3307007))
        sim.stdin.flush()
        run_until(loop, lambda: pad.emergency_banner.isVisibleTo(pad), 20, "emergency banner")
        first = pad.keys[0].id  # the emergency radio comes first: F6 calls it back
        assert first == "radio-3307007"
        run_soon(loop, lambda: window.dispatch_actions[0].trigger())
        run_until(loop, lambda: "AT+CALL=P,3307007" in commands, 20, "the call on the serial line")
        run_until(loop, lambda: any(c.get("state") == "active" for c in store.records("calls").values()), 20,
                  "call active")
        run_until(loop, lambda: pad.call_log.list.count() == 1, 10, "call in the log")
        # select two radios → temporary group → group call
        for tid in ("radio-3307001", "radio-3307002"):
            pad.toggle_selected(tid)
        run_soon(loop, pad.group_call)
        run_until(loop, lambda: "AT+CALL=G,9001" in commands, 20, f"group call {commands} {pad.selected}")
        assert "AT+DGNA=9001,3307001,3307002" in commands
        run_until(loop, lambda: any(g.get("temporary") for g in store.records("talkgroups").values()), 10, "group")
        run_until(loop, lambda: pad.call_log.list.count() == 2, 10, "two calls in the log")
        run_until(loop, lambda: len(pad.buttons) > 10, 10, "keys")
        loop.run_until_complete(asyncio.sleep(0.3))
        window.grab().save(str(tmp_path / "console.png"))
        pad.grab().save(str(shot_path("dispatch.png")))
        run_soon(loop, lambda: window.dispatch_actions[8].trigger())  # Ctrl+H: hang up everything
        run_until(loop, lambda: all(c.get("state") not in ("dialing", "ringing", "active")
                                    for c in store.records("calls").values()), 20, "all calls ended")
        run_until(loop, lambda: commands[-1] == "AT+HANG", 5, "AT+HANG last on the serial line")
