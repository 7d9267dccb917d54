"""cc-app's command line, and the real program against a real hub in a subprocess."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.main import parse_args

ROOT = Path(__file__).resolve().parents[2]


def test_arguments_are_parsed():
    args = parse_args(["--role", "wall", "--backend", "ws://10.0.0.5:9000", "--token", "T", "--screens", "0,1",
                       "--layout", "traffic", "--lang", "zh_CN"], environ={})
    assert (args.role, args.backend, args.token, args.screens, args.layout, args.lang) == (
        "wall", "ws://10.0.0.5:9000", "T", [0, 1], "traffic", "zh_CN")
    assert args.layouts == ROOT / "layouts"


def test_token_from_the_environment_and_defaults():
    args = parse_args(["--role", "console"], environ={"CC_TOKEN": "secret"})
    assert args.token == "secret" and args.screens is None and args.layout is None
    assert parse_args(["--role", "console", "--lang", "en"], environ={"CC_TOKEN": "x"}).lang == ""
    assert parse_args(["--role", "console", "--lang", "zh-Hans"], environ={"CC_TOKEN": "x"}).lang == "zh_CN"


@pytest.mark.parametrize("argv, message", [
    (["--role", "console", "--backend", "wss://h:1", "--ca", "/no/such/ca.pem"], "--ca"),
    (["--role", "boss", "--token", "T"], "invalid choice: 'boss'"),
    (["--role", "wall", "--token", "T", "--screens", "0,x"], "--screens"),
    (["--role", "wall", "--token", "T", "--screens", "-1"], "--screens"),
    (["--role", "console", "--token", "T", "--backend", "http://h:1"], "--backend"),
    (["--role", "wall", "--token", "T", "--layout", "no-such-scene"], "no scene 'no-such-scene'"),
    (["--role", "console", "--token", "T", "--lang", "fr"], "no translation for 'fr'"),
    (["--role", "console", "--token", "T", "--layouts", "/no/such/dir"], "--layouts"),
])
def test_bad_arguments_exit_2_naming_the_fault(argv, message, capsys):
    with pytest.raises(SystemExit) as exc:
        parse_args(argv, environ={})
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def _env(**extra) -> dict:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    env.pop("CC_TOKEN", None)
    return {**env, **extra}


def test_python_m_app_help_works():
    done = subprocess.run([sys.executable, "-m", "app", "--role", "console", "--help"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    for option in ("--role", "--backend", "--token", "--screens", "--layout", "--lang"):
        assert option in done.stdout


def _wait_for(proc: subprocess.Popen, log: Path, text: str, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        out = log.read_text("utf-8", "replace")
        if text in out:
            return out
        if proc.poll() is not None:
            raise AssertionError(f"cc-app exited with {proc.returncode}:\n{out}")
        time.sleep(0.1)
    raise AssertionError(f"no {text!r} in cc-app's log within {timeout} s:\n{log.read_text('utf-8', 'replace')}")


@pytest.mark.parametrize("role, extra", [("console", []), ("consultation", ["--lang", "zh_CN"]),
                                         ("wall", ["--layout", "cameras-4"])])
def test_the_app_connects_to_a_real_hub_and_stops_cleanly_on_sigterm(role, extra, tmp_path):
    from tests.helpers.backend_proc import start_backend

    backend = start_backend(tmp_path)
    log = tmp_path / f"{role}.log"
    try:
        token = backend.token("duty_officer")
        with open(log, "wb") as out:
            proc = subprocess.Popen([sys.executable, "-m", "app", "--role", role, "--backend", backend.url, *extra],
                                    cwd=ROOT, env=_env(CC_TOKEN=token), stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_for(proc, log, ": online")
            if role == "wall":  # --layout: the app asked the hub for that scene first
                deadline = time.monotonic() + 30
                while not any(r["action"] == "wall.take" for r in backend.audit_rows()):
                    assert time.monotonic() < deadline, "no wall.take in the audit log"
                    time.sleep(0.1)
                take = [r for r in backend.audit_rows() if r["action"] == "wall.take"][-1]
                assert take["ok"] and take["args"]["layout"] == "cameras-4"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0, log.read_text("utf-8", "replace")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        backend.stop()
    assert "Traceback" not in log.read_text("utf-8", "replace")


def test_feature_modules_plug_into_the_windows_and_the_wall(qapp, monkeypatch, tmp_path):
    import types

    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import QLabel

    from app import features
    from app.cells import make_cell
    from app.main import open_windows
    from backend_client.layouts import Cell
    from backend_client.store import ClientStore

    feature = types.ModuleType("cc_test_feature")

    def install_console(window, store):
        action = QAction("Dispatch", window)
        action.setObjectName("dispatch")
        window.toolbar.addAction(action)

    feature.install_console = install_console
    feature.make_wall_cell = lambda cell, store: QLabel("real map") if cell.kind == "map" else None
    monkeypatch.setitem(sys.modules, "cc_test_feature", feature)
    monkeypatch.setattr(features, "FEATURES", ["cc_test_feature"])
    store = ClientStore()
    args = parse_args(["--role", "console", "--token", "T"], environ={})
    [window] = open_windows(args, store)
    try:
        assert [a.objectName() for a in window.toolbar.actions()][-1] == "dispatch"
    finally:
        window.close()
        window.deleteLater()
    assert make_cell(Cell(0, 0, "map"), store).text() == "real map"
    assert make_cell(Cell(0, 0, "kpi"), store) is not None  # the feature does not know kpi: ours
